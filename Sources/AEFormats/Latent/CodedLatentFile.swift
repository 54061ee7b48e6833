/// A latent file of format 2.x (`.ael`): one image encoded by a model, its quantised
/// latents entropy-coded into one rANS stream (Specs/range-coder.md), plus what is needed
/// to rebuild the original PNG's shape. The byte layout is specified in
/// `Specs/latent-file.md` ("Version 2.0"); format 1.x files are `LatentFile`, and
/// `LatentFiles` reads either.
///
/// This layer carries the stream as bytes and checks only that it is there: which symbols
/// it holds, in what order and under which tables, is fixed by the model the fingerprint
/// names, and the codec turns them into latents.
public struct CodedLatentFile: Equatable, Sendable {
    /// The first `fingerprintLength` bytes of the fingerprint of the model that made the file.
    public var modelFingerprint: [UInt8]
    /// Original image size in pixels.
    public var width: Int
    public var height: Int
    public var colorType: LatentFile.ColorType
    /// Original bit depth (1, 2, 4, 8 or 16).
    public var bitDepth: Int
    /// Optional lossless 8-bit alpha plane, `width * height` bytes, row-major.
    public var alpha: [UInt8]?
    /// The original's metadata (colour profile, Exif, XMP, text), in the file's extension
    /// block (format 2.1; a file without metadata is written as 2.0).
    public var metadata: [MetadataRecord]
    /// The entropy-coded latents: one rANS stream, at least 4 bytes.
    public var stream: [UInt8]

    /// - Parameter modelFingerprint: the bundle's fingerprint bytes (16) or their first 8;
    ///   only the first 8 are kept.
    public init(modelFingerprint: [UInt8], width: Int, height: Int, colorType: LatentFile.ColorType, bitDepth: Int,
                stream: [UInt8], alpha: [UInt8]? = nil, metadata: [MetadataRecord] = []) {
        self.modelFingerprint = Array(modelFingerprint.prefix(LatentFile.fingerprintLength))
        self.width = width
        self.height = height
        self.colorType = colorType
        self.bitDepth = bitDepth
        self.stream = stream
        self.alpha = alpha
        self.metadata = metadata
    }

    /// As above, with the fingerprint as the bundle's 32 hex digits (`ModelBundle.fingerprint`).
    public init(modelFingerprint hex: String, width: Int, height: Int, colorType: LatentFile.ColorType, bitDepth: Int,
                stream: [UInt8], alpha: [UInt8]? = nil) throws {
        guard let bytes = LatentFile.fingerprintBytes(hex: hex) else {
            throw LatentFileError.invalidRequest(path: "<memory>", reason: "model fingerprint '\(hex)' is not 16 or 32 hex digits")
        }
        self.init(modelFingerprint: bytes, width: width, height: height, colorType: colorType, bitDepth: bitDepth,
                  stream: stream, alpha: alpha)
    }

    /// Whether the file was made by the model with this fingerprint (32 hex digits).
    public func matches(modelFingerprint hex: String) -> Bool {
        guard let bytes = LatentFile.fingerprintBytes(hex: hex) else { return false }
        return Array(bytes.prefix(LatentFile.fingerprintLength)) == modelFingerprint
    }

    /// The stored fingerprint bytes as lowercase hex (16 digits).
    public var modelFingerprintHex: String { SHA256.hex(modelFingerprint) }

    // MARK: - Encoding and decoding

    /// The file's bytes. Throws `LatentFileError.invalidRequest` for what the format cannot
    /// hold (sizes over the limits, a stream under 4 bytes, a wrong alpha size, ...).
    public func encoded() throws -> [UInt8] {
        try CodedLatentFileCodec.encode(self)
    }

    /// Decodes and checks a whole 2.x file (steps 1 to 7 of the spec's reading order).
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> CodedLatentFile {
        try CodedLatentFileCodec.decode(bytes, path: path)
    }

    /// Checks a whole 2.x file and returns its header and section sizes.
    public static func inspect(_ bytes: [UInt8], path: String = "<memory>") throws -> Header {
        try CodedLatentFileCodec.parse(bytes, path: path).header
    }

    /// Reads and decodes the 2.x file at `path`.
    public static func read(path: String) throws -> CodedLatentFile {
        try decode(LatentFile.readBytes(path: path), path: path)
    }

    /// Writes atomically, as `LatentFile.write(to:force:)` does.
    public func write(to path: String, force: Bool = false) throws {
        let bytes: [UInt8]
        do {
            bytes = try encoded()
        } catch let LatentFileError.invalidRequest(_, reason) {
            throw LatentFileError.invalidRequest(path: path, reason: reason)
        }
        try LatentFile.store(bytes, at: path, force: force)
    }
}
