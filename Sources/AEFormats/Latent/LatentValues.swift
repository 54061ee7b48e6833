import AEEntropyCoding
import Foundation

/// `aeinfo --latents`: the latent values a latent file holds, as numbers (what
/// tensorflow-compression's `tfci.py dump` gives), as one JSON object.
///
/// - Format 1.x: each tile's values as stored, float16 widened to float32, or 8-bit codes
///   through the quantisation table of the model (`quantization`; needed for uint8 files
///   only). Shape [tiles, latentDim], tiles in raster order.
/// - Format 2.0: the entropy-coded symbols decoded with the range coder under the model's
///   integer tables (`EntropyTables`: the bundle's `entropy/` tensors, not the network),
///   and the values `symbol + median` of their channel, in the latent's order, channels
///   last (Specs/latent-file.md section 12.2). Shape [tiles, channels] for tile models,
///   [1, H/16, W/16, channels] for whole-image models (`Architecture.codedLatentShape`).
public struct LatentValues {
    public let path: String
    public let version: String
    public let modelFingerprint: String
    public let width: Int
    public let height: Int
    public let shape: [Int]
    /// 2.0 only: the decoded integer symbols.
    public let symbols: [Int32]?
    public let values: [Float]
    /// How values were obtained ("float16", "uint8", "entropy-coded").
    public let encoding: String

    /// The values of the latent file at `path`; its model (for 2.0 and uint8 files) is
    /// looked up by fingerprint in `catalog`, as aedec does.
    public init(path: String, catalog: ModelCatalog) throws {
        try self.init(bytes: try LatentFile.readBytes(path: path), path: path) { catalog.find(fingerprintPrefix: $0)?.bundle }
    }

    /// The values of the latent file `bytes`; `findModel` gives the bundle a fingerprint
    /// names (nil: not found; then only float16 files can be read).
    public init(bytes: [UInt8], path: String, findModel: ([UInt8]) -> ModelBundle?) throws {
        self.path = path
        if try LatentFiles.majorVersion(bytes, path: path) == CodedLatentFile.majorVersion {
            let file = try CodedLatentFile.decode(bytes, path: path)
            (version, modelFingerprint, width, height) = ("2.0", SHA256.hex(file.modelFingerprint), file.width, file.height)
            encoding = "entropy-coded"
            guard let model = findModel(file.modelFingerprint) else { throw Self.noModel(path: path, fingerprint: modelFingerprint) }
            guard let tables = try EntropyTables(bundle: model) else {
                throw ToolError(path: path, reason: "its model \(model.displayPath) has no entropy tables")
            }
            guard tables.scales == nil else {
                throw ToolError(path: path, reason: "was coded with the hyperprior model \(model.displayPath), whose tables are "
                    + "picked by scales its network computes; this reader needs no network and reads factorized-prior files only")
            }
            guard let shape = model.metadata.architecture.codedLatentShape(width: width, height: height,
                                                                           channels: tables.tables.count) else {
                throw ToolError(path: path, reason:
                    "the latent layout of the model family '\(model.metadata.architecture.family)' is not known to this reader")
            }
            let count = shape.reduce(1, *), c = tables.tables.count
            var symbols = [Int32](repeating: 0, count: count)
            do {
                var decoder = try RangeDecoder(bytes: file.stream, tables: tables.tables)
                for i in 0..<count { symbols[i] = try decoder.decode(table: i % c) }
                try decoder.finish()
            } catch let error as EntropyCodingError {
                throw LatentFileError.malformed(path: path, reason:
                    "its entropy-coded stream does not decode under the tables of \(model.displayPath) (damaged?): \(error)")
            }
            self.shape = shape
            self.symbols = symbols
            values = symbols.enumerated().map { Float($0.element) + tables.medians[$0.offset % c] }
        } else {
            let header = try LatentFile.inspect(bytes, path: path)
            (version, modelFingerprint) = ("\(header.majorVersion).\(header.minorVersion)", SHA256.hex(header.modelFingerprint))
            (width, height) = (header.width, header.height)
            encoding = header.encoding.name
            let model = header.encoding == .uint8 ? findModel(header.modelFingerprint) : nil
            let quantization = model?.quantization
            if header.encoding == .uint8 && quantization == nil {
                throw model == nil ? Self.noModel(path: path, fingerprint: modelFingerprint)
                    : ToolError(path: path, reason: "its model \(model!.displayPath) has no quantisation table")
            }
            let file = try LatentFile.decode(bytes, path: path, quantization: quantization)
            shape = [file.tileCount, file.latentDim]
            symbols = nil
            values = file.latents
        }
    }

    static func noModel(path: String, fingerprint: String) -> ToolError {
        ToolError(path: path, reason: "its values need the model \(fingerprint), which is neither built in nor in a "
                 + "--model-path folder or AECODEC_MODEL_PATH")
    }

    /// One JSON object; the arrays flat, in memory order (reshape them by `shape`), one
    /// line each. Non-finite values (possible in a float16 file) are `null`.
    public func json() -> String {
        func string(_ s: String) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            return String(decoding: (try? encoder.encode(s)) ?? Data("\"\"".utf8), as: UTF8.self)
        }
        func number(_ v: Float) -> String { v.isFinite ? "\(v)" : "null" }
        var fields = [
            "\"path\": \(string(path))",
            "\"version\": \(string(version))",
            "\"modelFingerprint\": \(string(modelFingerprint))",
            "\"width\": \(width)",
            "\"height\": \(height)",
            "\"encoding\": \(string(encoding))",
            "\"shape\": [\(shape.map(String.init).joined(separator: ", "))]",
        ]
        if let symbols { fields.append("\"symbols\": [\(symbols.map(String.init).joined(separator: ", "))]") }
        fields.append("\"values\": [\(values.map(number).joined(separator: ", "))]")
        return "{\n  " + fields.joined(separator: ",\n  ") + "\n}"
    }
}
