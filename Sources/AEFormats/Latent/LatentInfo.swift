import AEBase
import Foundation

/// What `aeinfo` shows about a latent file (`.ael`): its header, section sizes and
/// checksum, as text or as one JSON object. Reading checks the whole file (checksum,
/// sizes, payload decompression, finite float16 values: steps 1 to 8 of the spec's
/// reading order) but does not need the model.
public struct LatentInfo {
    public let path: String
    /// The model the file names, when `aeinfo` found it (`ModelCatalog`).
    public var model: LatentModelMatch?
    public let header: LatentFile.Header

    /// Reads and checks the latent file at `path`.
    public init(path: String) throws {
        try self.init(bytes: LatentFile.readBytes(path: path), path: path)
    }

    public init(bytes: [UInt8], path: String = "<memory>") throws {
        self.path = path
        header = try LatentFile.inspect(bytes, path: path)
        // Step 8 of the spec's reading order too: float16 values must be finite (uint8
        // values need the model's table, which an inspector does not have).
        if header.encoding == .float16 { _ = try LatentFile.decode(bytes, path: path) }
    }

    // MARK: - Text

    public func text() -> String {
        let h = header
        let b = BundleInfoFormat.self
        var out: [String] = []
        out.append("file: \(path)")
        out.append("kind: latent file")
        out.append("format: version \(h.majorVersion).\(h.minorVersion), signature \(BundleContainer.hexBytes(LatentFile.magic[...]))"
                   + (h.extensionLength > 0 ? ", \(h.extensionLength) bytes of header extension (metadata)" : ""))
        out.append("model fingerprint: \(SHA256.hex(h.modelFingerprint)) (first \(LatentFile.fingerprintLength) bytes)")
        if let model { out.append(model.line) }
        out.append("image: \(h.width)x\(h.height), PNG colour type \(h.colorType.rawValue) (\(h.colorType.name)), \(h.bitDepth)-bit")
        out.append("tiles: \(h.tilesAcross)x\(h.tilesDown) = \(NumberText.grouped(h.tileCount)) tiles of \(h.tileSize)x\(h.tileSize)")
        out.append("latents: \(h.latentDim) per tile, \(h.encoding.name), \(NumberText.grouped(h.latentCount)) values")
        if h.payloadCompressed {
            out.append("payload: \(NumberText.grouped(h.payloadRawLength)) bytes, zlib-compressed to \(NumberText.grouped(h.payloadLength)) bytes (\(b.percent(h.payloadLength, of: h.payloadRawLength)))")
        } else {
            out.append("payload: \(NumberText.grouped(h.payloadRawLength)) bytes, stored (zlib would not make it smaller)")
        }
        if h.hasAlpha {
            out.append("alpha: \(NumberText.grouped(h.alphaRawLength)) bytes, zlib-compressed to \(NumberText.grouped(h.alphaLength)) bytes (\(b.percent(h.alphaLength, of: h.alphaRawLength)))")
        } else {
            out.append("alpha: none")
        }
        out.append(MetadataBlock.infoLine(h.metadata))
        out.append("header: \(h.payloadOffset) bytes, CRC-32 \(FileErrorText.hex32(h.crc32))")
        out.append("file length: \(NumberText.grouped(h.fileLength)) bytes, \(String(format: "%.3f", h.bitsPerPixel)) bits per pixel")
        return out.joined(separator: "\n")
    }

    // MARK: - JSON

    public func json() throws -> String {
        let h = header
        struct Payload: Encodable { let offset: Int, length: Int, rawLength: Int, compressed: Bool }
        struct Alpha: Encodable { let present: Bool, offset: Int?, length: Int, rawLength: Int }
        struct Header: Encodable {
            let magic: String, majorVersion: Int, minorVersion: Int, extensionLength: Int, modelFingerprint: String
            let width: Int, height: Int, colorType: Int, colorTypeName: String, bitDepth: Int
            let tileSize: Int, tilesAcross: Int, tilesDown: Int, latentDim: Int, encoding: String
            let headerLength: Int
        }
        struct Envelope: Encodable {
            let path: String, fileKind: String, header: Header, payload: Payload, alpha: Alpha
            let metadata: [MetadataBlock.Entry]
            let fileLength: Int, crc32: String, bitsPerPixel: Double
            let model: LatentModelMatch?
        }
        let envelope = Envelope(
            path: path, fileKind: "latent-file",
            header: Header(magic: SHA256.hex(LatentFile.magic), majorVersion: h.majorVersion, minorVersion: h.minorVersion,
                           extensionLength: h.extensionLength, modelFingerprint: SHA256.hex(h.modelFingerprint),
                           width: h.width, height: h.height, colorType: Int(h.colorType.rawValue),
                           colorTypeName: h.colorType.name, bitDepth: h.bitDepth, tileSize: h.tileSize,
                           tilesAcross: h.tilesAcross, tilesDown: h.tilesDown, latentDim: h.latentDim,
                           encoding: h.encoding.name, headerLength: h.payloadOffset),
            payload: Payload(offset: h.payloadOffset, length: h.payloadLength, rawLength: h.payloadRawLength,
                             compressed: h.payloadCompressed),
            alpha: Alpha(present: h.hasAlpha, offset: h.hasAlpha ? h.payloadOffset + h.payloadLength : nil,
                         length: h.alphaLength, rawLength: h.alphaRawLength),
            metadata: h.metadata, fileLength: h.fileLength, crc32: FileErrorText.hex32(h.crc32),
            bitsPerPixel: (h.bitsPerPixel * 10000).rounded() / 10000, model: model)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(envelope), as: UTF8.self)
    }
}

extension LatentFile.ColorType {
    /// Name in aeinfo output.
    public var name: String {
        switch self {
        case .gray: return "grayscale"
        case .rgb: return "RGB"
        case .palette: return "palette"
        case .grayAlpha: return "grayscale + alpha"
        case .rgba: return "RGBA"
        }
    }
}

extension LatentFile.LatentEncoding {
    /// Name in the spec and in aeinfo output: "float16" or "uint8".
    public var name: String { self == .float16 ? "float16" : "uint8" }
}

/// Percentages in `aeinfo` output (numbers are grouped by `NumberText.grouped`).
enum BundleInfoFormat {
    static func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "-" : String(format: "%.1f%%", 100 * Double(part) / Double(whole))
    }
}
