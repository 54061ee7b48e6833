/// A latent file (`.ael`): one image encoded by a model, as its per-tile latent
/// vectors plus what is needed to rebuild the original PNG's shape. The byte layout
/// is specified in `Specs/latent-file.md`.
public struct LatentFile: Equatable, Sendable {
    public static let fileExtension = "ael"

    /// Bytes of the model fingerprint kept in the file: the first 8 of the bundle's 16.
    public static let fingerprintLength = 8

    /// PNG colour type of the ORIGINAL image.
    public enum ColorType: UInt8, Sendable, CaseIterable {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6
    }

    /// How the latent values are stored.
    public enum LatentEncoding: UInt8, Sendable, CaseIterable {
        /// IEEE binary16, two bytes per value.
        case float16 = 1
        /// One byte per value: `value = offset[d] + scale[d] * byte`, with the per-dimension
        /// `scale` and `offset` kept in the model bundle (never in the file).
        case uint8 = 2
    }

    /// The first `fingerprintLength` bytes of the fingerprint of the model that made the file.
    public var modelFingerprint: [UInt8]
    /// Original image size in pixels.
    public var width: Int
    public var height: Int
    public var colorType: ColorType
    /// Original bit depth (1, 2, 4, 8 or 16).
    public var bitDepth: Int
    /// Tile edge in pixels (32 for the reference model).
    public var tileSize: Int
    public var latentDim: Int
    public var encoding: LatentEncoding
    /// `tilesAcross * tilesDown * latentDim` values, tiles in row-major order.
    public var latents: [Float]
    /// Per-dimension dequantisation for `.uint8` (from the model bundle; not stored in the file).
    public var quantization: LatentQuantization?
    /// Optional lossless 8-bit alpha plane, `width * height` bytes, row-major.
    public var alpha: [UInt8]?
    /// The original's metadata (colour profile, Exif, XMP, text), in the file's extension
    /// block (format 1.1; a file without metadata is written as 1.0).
    public var metadata: [MetadataRecord]

    public var tilesAcross: Int { width <= 0 || tileSize <= 0 ? 0 : (width + tileSize - 1) / tileSize }
    public var tilesDown: Int { height <= 0 || tileSize <= 0 ? 0 : (height + tileSize - 1) / tileSize }
    public var tileCount: Int { tilesAcross * tilesDown }

    /// - Parameters:
    ///   - modelFingerprint: the bundle's fingerprint bytes (16) or their first 8; only the
    ///     first 8 are kept.
    ///   - latents: rounded here to what the encoding stores (float16, or the uint8 grid of
    ///     `quantization`), so that `decode(encoded())` returns an equal value.
    public init(modelFingerprint: [UInt8], width: Int, height: Int, colorType: ColorType, bitDepth: Int,
                tileSize: Int = 32, latentDim: Int, encoding: LatentEncoding = .float16, latents: [Float],
                quantization: LatentQuantization? = nil, alpha: [UInt8]? = nil, metadata: [MetadataRecord] = []) {
        self.modelFingerprint = Array(modelFingerprint.prefix(Self.fingerprintLength))
        self.width = width
        self.height = height
        self.colorType = colorType
        self.bitDepth = bitDepth
        self.tileSize = tileSize
        self.latentDim = latentDim
        self.encoding = encoding
        self.quantization = encoding == .uint8 ? quantization : nil
        self.alpha = alpha
        self.metadata = metadata
        self.latents = Self.representable(latents, encoding: encoding, latentDim: latentDim,
                                          quantization: self.quantization)
    }

    /// `latents` as the file will hold them: rounded to float16, or to the nearest point of
    /// the uint8 grid. Values the format cannot hold (and everything when the table does
    /// not fit) are left for `encoded()` to refuse.
    static func representable(_ latents: [Float], encoding: LatentEncoding, latentDim: Int,
                              quantization: LatentQuantization?) -> [Float] {
        switch encoding {
        case .float16:
            return latents.map { v in
                let h = Float16(v)
                return h.isFinite ? Float(h) : v
            }
        case .uint8:
            guard let q = quantization, latentDim > 0, q.scale.count == latentDim, q.offset.count == latentDim,
                  (try? LatentFileCodec.checkQuantization(q, latentDim: latentDim, path: "", request: true)) != nil
            else { return latents }
            return latents.enumerated().map { i, v in
                v.isFinite ? q.value(q.code(v, dimension: i % latentDim), dimension: i % latentDim) : v
            }
        }
    }

    /// As above, with the fingerprint as the bundle's 32 hex digits (`ModelBundle.fingerprint`).
    public init(modelFingerprint hex: String, width: Int, height: Int, colorType: ColorType, bitDepth: Int,
                tileSize: Int = 32, latentDim: Int, encoding: LatentEncoding = .float16, latents: [Float],
                quantization: LatentQuantization? = nil, alpha: [UInt8]? = nil, metadata: [MetadataRecord] = []) throws {
        guard let bytes = Self.fingerprintBytes(hex: hex) else {
            throw LatentFileError.invalidRequest(path: "<memory>", reason: "model fingerprint '\(hex)' is not 16 or 32 hex digits")
        }
        self.init(modelFingerprint: bytes, width: width, height: height, colorType: colorType, bitDepth: bitDepth,
                  tileSize: tileSize, latentDim: latentDim, encoding: encoding, latents: latents,
                  quantization: quantization, alpha: alpha, metadata: metadata)
    }

    /// Whether the file was made by the model with this fingerprint (32 hex digits).
    public func matches(modelFingerprint hex: String) -> Bool {
        guard let bytes = Self.fingerprintBytes(hex: hex) else { return false }
        return Array(bytes.prefix(Self.fingerprintLength)) == modelFingerprint
    }

    /// The stored fingerprint bytes as lowercase hex (16 digits).
    public var modelFingerprintHex: String { SHA256.hex(modelFingerprint) }

    static func fingerprintBytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 32 || digits.count == 16 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < digits.count {
            guard let hi = hexValue(digits[i]), let lo = hexValue(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    // MARK: - Encoding and decoding

    /// The file's bytes. Throws `LatentFileError.invalidRequest` for values the format
    /// cannot hold (sizes over the limits, wrong latent count, non-finite latents, ...).
    public func encoded() throws -> [UInt8] {
        try LatentFileCodec.encode(self)
    }

    /// Decodes and checks a whole file. `quantization` (from the model bundle) is needed
    /// for `.uint8` files and ignored for `.float16` ones.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>",
                              quantization: LatentQuantization? = nil) throws -> LatentFile {
        try LatentFileCodec.decode(bytes, path: path, quantization: quantization)
    }

    /// Checks a whole file (checksum, sizes, payload) and returns its header and section
    /// sizes, without converting the latents: works for `.uint8` files without the model.
    public static func inspect(_ bytes: [UInt8], path: String = "<memory>") throws -> Header {
        try LatentFileCodec.parse(bytes, path: path).header
    }

    /// Reads and decodes the file at `path` ("-" is not special here: the tools read
    /// standard input themselves and call `decode`).
    public static func read(path: String, quantization: LatentQuantization? = nil) throws -> LatentFile {
        try decode(readBytes(path: path), path: path, quantization: quantization)
    }

    /// The bytes of the file at `path`, refusing folders and files over `Limits.fileBytes`.
    /// `checkPrefix` sees the first bytes before the rest is read (default: the latent
    /// file's signature check).
    public static func readBytes(path: String, checkPrefix: (([UInt8]) throws -> Void)? = nil) throws -> [UInt8] {
        do {
            return try FileBytes.read(path, limit: Limits.fileBytes,
                                      checkPrefix: checkPrefix ?? { try LatentFileCodec.checkSignature($0, path: path) })
        } catch let error as FileError {
            switch error {
            case .missing: throw LatentFileError.cannotRead(path: path, reason: "no such file")
            case let .unreadable(_, reason): throw LatentFileError.cannotRead(path: path, reason: reason)
            default: throw LatentFileError.cannotRead(path: path, reason: error.reason)
            }
        }
    }

    /// Writes atomically (temporary file `.<name>.tmp-<pid>-<random>`, fsync, rename);
    /// refuses to replace an existing file unless `force`. The bytes are built before
    /// anything touches the disk.
    public func write(to path: String, force: Bool = false) throws {
        let bytes: [UInt8]
        do {
            bytes = try encoded()
        } catch let LatentFileError.invalidRequest(_, reason) {
            throw LatentFileError.invalidRequest(path: path, reason: reason)
        }
        try Self.store(bytes, at: path, force: force)
    }

    /// Stores a latent file's bytes atomically (1.x and 2.x alike), mapping file errors.
    static func store(_ bytes: [UInt8], at path: String, force: Bool) throws {
        do {
            try AtomicFile.store(bytes, at: path, force: force)
        } catch let error as FileError {
            switch error {
            case .alreadyExists: throw LatentFileError.alreadyExists(path: path)
            case let .cannotWrite(_, reason): throw LatentFileError.cannotWrite(path: path, reason: reason)
            default: throw LatentFileError.cannotWrite(path: path, reason: error.reason)
            }
        }
    }
}

/// Per-dimension dequantisation of `.uint8` latents: `value = offset[d] + scale[d] * code`.
/// Lives in the model bundle (measured on training data), not in the latent file.
public struct LatentQuantization: Equatable, Sendable {
    public var scale: [Float]
    public var offset: [Float]

    public init(scale: [Float], offset: [Float]) {
        self.scale = scale
        self.offset = offset
    }

    public var latentDim: Int { scale.count }

    /// The code nearest to `value` for dimension `d`, clamped to 0...255.
    public func code(_ value: Float, dimension d: Int) -> UInt8 {
        let s = scale[d]
        guard s != 0, s.isFinite else { return 0 }
        let q = ((value - offset[d]) / s).rounded()
        if !(q >= 0) { return 0 }
        return q >= 255 ? 255 : UInt8(q)
    }

    /// The value `code` stands for in dimension `d`.
    public func value(_ code: UInt8, dimension d: Int) -> Float {
        offset[d] + scale[d] * Float(code)
    }
}

/// Why a latent file could not be read or written. Every case names the file.
public enum LatentFileError: Error, CustomStringConvertible, PathReportable, Equatable {
    /// The file could not be opened or read.
    case cannotRead(path: String, reason: String)
    /// The file could not be written.
    case cannotWrite(path: String, reason: String)
    /// The output exists and `force` was not given.
    case alreadyExists(path: String)
    /// The file does not start with the latent file signature.
    case notALatentFile(path: String, reason: String)
    /// The major version is not one this reader understands (`supportedMajors`: those it does).
    case unsupportedVersion(path: String, major: Int, minor: Int, supportedMajors: [Int])
    /// The file ends before its contents do.
    case truncated(path: String, expected: Int, found: Int)
    /// The CRC-32 at the end of the file does not match its bytes.
    case checksumMismatch(path: String, stored: UInt32, computed: UInt32)
    /// A size in the header exceeds a documented maximum (checked before allocating).
    case limitExceeded(path: String, what: String, value: Int, limit: Int)
    /// Header fields that contradict each other, the file size or the format.
    case malformed(path: String, reason: String)
    /// A `.uint8` file was decoded without the model's quantisation table, or with a wrong one.
    case quantizationRequired(path: String, reason: String)
    /// The caller asked for something the format cannot hold.
    case invalidRequest(path: String, reason: String)

    public var path: String {
        switch self {
        case let .cannotRead(path, _), let .cannotWrite(path, _), let .alreadyExists(path),
             let .notALatentFile(path, _), let .unsupportedVersion(path, _, _, _), let .truncated(path, _, _),
             let .checksumMismatch(path, _, _), let .limitExceeded(path, _, _, _), let .malformed(path, _),
             let .quantizationRequired(path, _), let .invalidRequest(path, _):
            return path
        }
    }

    public var reason: String {
        switch self {
        case let .cannotRead(_, reason):
            return FileErrorText.cannotRead(reason)
        case let .cannotWrite(_, reason):
            return FileErrorText.cannotWrite(reason)
        case .alreadyExists:
            return FileErrorText.alreadyExists
        case let .notALatentFile(_, reason):
            return "not a latent file: \(reason)"
        case let .unsupportedVersion(_, major, minor, supported):
            return FileErrorText.unsupportedVersion("latent file format", major: major, minor: minor, supportedMajors: supported)
        case let .truncated(_, expected, found):
            return FileErrorText.truncated(expected: expected, found: found)
        case let .checksumMismatch(_, stored, computed):
            return FileErrorText.checksumMismatch("", stored: stored, computed: computed,
                                                  consequence: "the file is corrupted or truncated")
        case let .limitExceeded(_, what, value, limit):
            return FileErrorText.limitExceeded(what, value: "\(value)", limit: "\(limit)")
        case let .malformed(_, reason):
            return "malformed latent file: \(reason)"
        case let .quantizationRequired(_, reason):
            return reason
        case let .invalidRequest(_, reason):
            return reason
        }
    }

    public var description: String { "\(path): \(reason)" }
}
