import AEBase
import Foundation

/// What `aeinfo` shows about a format 2.x latent file: its header, flags, section sizes
/// and checksum, as text or as one JSON object. Reading checks the whole file (steps 1 to
/// 7 of the spec's 2.x reading order, metadata records included); the stream's symbols
/// need the model and are not read.
public struct CodedLatentInfo {
    public let path: String
    /// The model the file names, when `aeinfo` found it (`ModelCatalog`).
    public var model: LatentModelMatch?
    public let header: CodedLatentFile.Header

    public init(bytes: [UInt8], path: String = "<memory>") throws {
        self.path = path
        header = try CodedLatentFileCodec.parse(bytes, path: path).header
    }

    // MARK: - Text

    public func text() -> String {
        let h = header
        var out: [String] = []
        out.append("file: \(path)")
        out.append("kind: latent file")
        out.append("format: version \(h.majorVersion).\(h.minorVersion) (entropy-coded latents), signature \(BundleContainer.hexBytes(LatentFile.magic[...]))")
        out.append("model fingerprint: \(SHA256.hex(h.modelFingerprint)) (first \(LatentFile.fingerprintLength) bytes)")
        if let model { out.append(model.line) }
        out.append("image: \(h.width)x\(h.height), PNG colour type \(h.colorType.rawValue) (\(h.colorType.name)), \(h.bitDepth)-bit")
        out.append("flags: 0x\(SHA256.hex([h.flags])) (\(h.hasAlpha ? "alpha plane" : "no alpha"), \(h.hasExtension ? "extension block" : "no extension"))")
        if h.hasExtension {
            out.append("extension: \(NumberText.grouped(h.extensionLength)) byte\(h.extensionLength == 1 ? "" : "s")"
                       + (h.minorVersion >= 1 ? " of metadata records" : " (skipped: a 2.0 file's block has no defined contents)"))
        }
        out.append("stream: \(NumberText.grouped(h.streamLength)) bytes of entropy-coded latents (rANS) at offset \(h.streamOffset)")
        if h.hasAlpha {
            out.append("alpha: \(NumberText.grouped(h.alphaRawLength)) bytes, zlib-compressed to \(NumberText.grouped(h.alphaLength)) bytes (\(BundleInfoFormat.percent(h.alphaLength, of: h.alphaRawLength)))")
        } else {
            out.append("alpha: none")
        }
        out.append(MetadataBlock.infoLine(h.metadata))
        out.append("header: \(h.headerLength) bytes, CRC-32 \(FileErrorText.hex32(h.crc32))")
        out.append("file length: \(NumberText.grouped(h.fileLength)) bytes, \(String(format: "%.3f", h.bitsPerPixel)) bits per pixel")
        return out.joined(separator: "\n")
    }

    // MARK: - JSON

    public func json() throws -> String {
        let h = header
        struct Stream: Encodable { let offset: Int, length: Int }
        struct Alpha: Encodable { let present: Bool, offset: Int?, length: Int, rawLength: Int }
        struct Header: Encodable {
            let magic: String, majorVersion: Int, minorVersion: Int, modelFingerprint: String
            let width: Int, height: Int, colorType: Int, colorTypeName: String, bitDepth: Int
            let flags: Int, hasAlpha: Bool, hasExtension: Bool, extensionLength: Int, headerLength: Int
        }
        struct Envelope: Encodable {
            let path: String, fileKind: String, header: Header, stream: Stream, alpha: Alpha
            let metadata: [MetadataBlock.Entry]
            let fileLength: Int, crc32: String, bitsPerPixel: Double
            let model: LatentModelMatch?
        }
        let envelope = Envelope(
            path: path, fileKind: "latent-file",
            header: Header(magic: SHA256.hex(LatentFile.magic), majorVersion: h.majorVersion, minorVersion: h.minorVersion,
                           modelFingerprint: SHA256.hex(h.modelFingerprint), width: h.width, height: h.height,
                           colorType: Int(h.colorType.rawValue), colorTypeName: h.colorType.name, bitDepth: h.bitDepth,
                           flags: Int(h.flags), hasAlpha: h.hasAlpha, hasExtension: h.hasExtension,
                           extensionLength: h.extensionLength, headerLength: h.headerLength),
            stream: Stream(offset: h.streamOffset, length: h.streamLength),
            alpha: Alpha(present: h.hasAlpha, offset: h.hasAlpha ? h.alphaOffset : nil,
                         length: h.alphaLength, rawLength: h.alphaRawLength),
            metadata: h.metadata, fileLength: h.fileLength, crc32: FileErrorText.hex32(h.crc32),
            bitsPerPixel: (h.bitsPerPixel * 10000).rounded() / 10000, model: model)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(envelope), as: UTF8.self)
    }
}

/// `aeinfo`'s view of a latent file of any version: the version byte picks the view.
public enum AnyLatentInfo {
    case tiles(LatentInfo)
    case coded(CodedLatentInfo)

    /// Reads and checks the latent file at `path`.
    public init(path: String) throws {
        try self.init(bytes: LatentFile.readBytes(path: path), path: path)
    }

    public init(bytes: [UInt8], path: String = "<memory>") throws {
        if try LatentFiles.majorVersion(bytes, path: path) == CodedLatentFile.majorVersion {
            self = .coded(try CodedLatentInfo(bytes: bytes, path: path))
        } else {
            self = .tiles(try LatentInfo(bytes: bytes, path: path))
        }
    }

    public func text() -> String {
        switch self {
        case let .tiles(info): return info.text()
        case let .coded(info): return info.text()
        }
    }

    public func json() throws -> String {
        switch self {
        case let .tiles(info): return try info.json()
        case let .coded(info): return try info.json()
        }
    }

    /// The first 8 bytes of the fingerprint of the model that made the file.
    public var modelFingerprint: [UInt8] {
        switch self {
        case let .tiles(info): return info.header.modelFingerprint
        case let .coded(info): return info.header.modelFingerprint
        }
    }

    /// The view with the model `catalog` finds for the file (none: unchanged).
    public func withModel(from catalog: ModelCatalog) -> AnyLatentInfo {
        guard let found = catalog.find(fingerprintPrefix: modelFingerprint) else { return self }
        let match = LatentModelMatch(name: found.entry.name, fingerprint: found.bundle.fingerprint,
                                     quality: found.entry.metadata.quality)
        switch self {
        case var .tiles(info): info.model = match; return .tiles(info)
        case var .coded(info): info.model = match; return .coded(info)
        }
    }
}

/// The model a latent file names, as `aeinfo` found it among the built-in models and the
/// model-path folders: how it is named, its whole fingerprint, and its quality level.
public struct LatentModelMatch: Encodable, Sendable {
    /// "built-in svhn-64", or the bundle's path.
    public let name: String
    /// All 16 bytes, as 32 hexadecimal digits.
    public let fingerprint: String
    public let quality: BundleMetadata.QualityInfo?

    /// "model: built-in photo-3, level 3 of photo (0.412 bpp, 29.10 dB on Kodak)".
    var line: String {
        var text = "model: \(name)"
        if let q = quality { text += ", \(q.label)" + (q.kodakFigures.map { " (\($0))" } ?? "") }
        return text
    }
}
