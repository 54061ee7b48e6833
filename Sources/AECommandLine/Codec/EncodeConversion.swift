import AECodec
import AEFormats

/// `aeenc`: a PNG becomes a latent file (float16, or 8-bit through the model's table).
struct EncodeConversion: FileConversion {
    var encoding: LatentFile.LatentEncoding

    var tool: String { "aeenc" }
    var inputExtension: String { "png" }
    var outputExtension: String { LatentFile.fileExtension }
    var outputKind: String { "latent file" }
    var inputLimit: Int { PNGImage.maxFileBytes }

    func validate(_ settings: CodecJob.Settings) throws {
        if let reference = settings.reference {
            throw ToolError(path: reference, reason: "--reference is for aedec")
        }
    }

    func check(_ codec: ImageCodec) throws {
        try codec.checkCanEncode(encoding)
    }

    func checkPrefix(_ prefix: [UInt8], name: String) throws {
        if prefix.starts(with: LatentFile.magic) {
            throw ToolError(path: name, reason: "is a latent file (.ael), not a PNG: decode it with aedec")
        }
        if !prefix.isEmpty && !prefix.starts(with: PNGImage.signature) && !PNGImage.signature.starts(with: prefix) {
            throw CodecError.unreadableImage(path: name, reason: PNGError.notPNG.description)
        }
    }

    func readInput(path: String) throws -> [UInt8] {
        try FileBytes.read(path, limit: inputLimit, checkPrefix: { try checkPrefix($0, name: path) })
    }

    func convert(_ bytes: [UInt8], name: String, task: CodecJob.Task, codec: ImageCodec) throws -> ConvertedFile {
        let file = try codec.encode(try CodecImage.decodePNG(bytes, path: name), encoding: encoding)
        let output: [UInt8]
        do {
            output = try file.encoded()
        } catch LatentFileError.invalidRequest(_, let reason) {
            // The latents this model made cannot be stored (NaN from NaN weights): name the input.
            throw LatentFileError.invalidRequest(path: name, reason: reason)
        }
        return ConvertedFile(bytes: output, result: CodecJob.FileResult(
            task: task, width: file.width, height: file.height, latentBytes: output.count))
    }

    func problem(withExisting path: String, codec: ImageCodec) throws -> String? {
        let header = try LatentFile.inspect(try LatentFile.readBytes(path: path), path: path)
        guard codec.made(fileFingerprint: header.modelFingerprint) else {
            return "was encoded with another model"
        }
        guard header.encoding == encoding else {
            return "holds \(header.encoding == .uint8 ? 8 : 16)-bit latents, not \(encoding == .uint8 ? 8 : 16)-bit"
        }
        return nil
    }
}
