import AECodec
import AEFormats

/// `aedec`: a latent file of any version (1.x per-tile latents, 2.x entropy-coded) becomes
/// a PNG, with the metadata the file carries (`PNGMetadataWriter`), measured against a
/// `--reference` when given.
struct DecodeConversion: FileConversion {
    var tool: String { "aedec" }
    var inputExtensions: Set<String> { [LatentFile.fileExtension] }
    var inputKind: String { "latent files (.\(LatentFile.fileExtension))" }
    var outputExtension: String { "png" }
    var outputKind: String { "PNG" }
    var inputLimit: Int { LatentFile.Limits.fileBytes }

    func validate(_ settings: CodecJob.Settings) throws {
        if let option = settings.target?.option ?? settings.qualityLevel.map({ "-q \($0)" }) {
            throw CodecUsageError(option: option, reason: "is for aeenc: aedec finds each file's level by its model fingerprint")
        }
    }

    func check(_ codec: ModelCodec) throws {}

    func checkPrefix(_ prefix: [UInt8], name: String) throws {
        if let format = ImageFormat.detect(prefix) {
            throw ToolError(path: name, reason: "is a \(format.rawValue) image, not a latent file: encode it with aeenc")
        }
        try LatentFileCodec.checkSignature(prefix, path: name)
    }

    func classify(prefix: [UInt8]) -> FolderEntry {
        if prefix.starts(with: LatentFile.magic) { return .input }
        if ImageFormat.detect(prefix) != nil { return .counterpart }
        let shown = prefix.prefix(8).map { SHA256.hex([$0]) }.joined(separator: " ")
        return .other(reason: prefix.isEmpty ? "empty file, not a latent file" : "not a latent file (starts with \(shown))")
    }

    func readInput(path: String) throws -> [UInt8] {
        try LatentFile.readBytes(path: path, checkPrefix: { try checkPrefix($0, name: path) })
    }

    func convert(_ bytes: [UInt8], name: String, task: CodecJob.Task, codecs: WorkerCodecs) throws -> ConvertedFile {
        let ((image, codec, metadata), seconds) = try CodecMetrics.timed {
            try Self.image(of: bytes, name: name, codec: { try codecs.codec(forFile: $0, path: name) })
        }
        let output = try PNGMetadataWriter.inserting(metadata, into: try image.encoded())
        var result = CodecJob.FileResult(task: task, width: image.width, height: image.height, latentBytes: bytes.count)
        result.setModel(codec)
        result.decodeSeconds = seconds
        var problem: Error? = nil
        if let reference = task.reference {
            // A missing or unusable reference costs the measurement, not the decoded image.
            do {
                result.record(try CodecMetrics.compare(png: output, reference: reference, input: name))
            } catch {
                problem = error
            }
        }
        return ConvertedFile(bytes: output, result: result, referenceProblem: problem)
    }

    /// The image and metadata records of a latent file of any version (`name` names it),
    /// decoded by the codec `codec` gives for the file's model fingerprint, and that codec.
    static func image(of bytes: [UInt8], name: String,
                      codec: ([UInt8]) throws -> ModelCodec) throws -> (PNGImage, ModelCodec, [MetadataRecord]) {
        if try LatentFiles.majorVersion(bytes, path: name) == CodedLatentFile.majorVersion {
            let file = try CodedLatentFile.decode(bytes, path: name)
            let maker = try codec(file.modelFingerprint)
            return (try maker.codedCodec(path: name).decode(file, path: name), maker, file.metadata)
        }
        let header = try LatentFile.inspect(bytes, path: name)
        let maker = try codec(header.modelFingerprint)
        let tiles = try maker.tilesCodec(path: name)
        let file = try LatentFile.decode(bytes, path: name, quantization: tiles.quantization)
        return (try tiles.decode(file, path: name), maker, file.metadata)
    }

    func problem(withExisting path: String, codecs: WorkerCodecs) throws -> String? {
        let bytes = try FileBytes.read(path, limit: PNGImage.maxFileBytes)
        // libpng forgives a missing end; a kept output must be the whole file.
        guard bytes.count >= 12 && Array(bytes.suffix(12)) == PNGImage.endChunk else {
            return "is not a complete PNG (it does not end with the IEND chunk)"
        }
        _ = try PNGImage.decode(bytes, maxPixels: ImageCodec.maxPixels)
        return nil
    }
}
