import AECodec
import AEFormats

/// `aeenc`: an image (PNG, JPEG or WebP, by its bytes) becomes a latent file: entropy-coded (format 2.0), or per-tile
/// float16 or 8-bit latents (format 1.x, through the model's quantisation table).
struct EncodeConversion: FileConversion {
    var form: CodecJob.LatentForm
    /// Choose each image's level of the quality set for this size or PSNR
    /// (`EncodeConversion+Target`); nil: the run's one model.
    var target: QualityTarget? = nil
    /// Decode each file written and measure it against the input (`--print-quality`).
    var printQuality = false
    /// Latent refinement steps (`--effort`; 0: none): whole-image models only.
    var effort = 0
    /// The kinds of metadata carried from the input into the latent file.
    var metadata = MetadataSelection.default

    var tool: String { "aeenc" }
    var inputExtensions: Set<String> { ImageFormat.fileExtensions }
    var inputKind: String { "\(ImageFormat.names) images" }
    var outputExtension: String { LatentFile.fileExtension }
    var outputKind: String { "latent file" }
    var inputLimit: Int { PNGImage.maxFileBytes }

    /// The 1.x encoding of a tile form.
    private var encoding: LatentFile.LatentEncoding { form == .u8 ? .uint8 : .float16 }

    func validate(_ settings: CodecJob.Settings) throws {
        if let reference = settings.reference {
            throw ToolError(path: reference, reason: "--reference is for aedec")
        }
    }

    func check(_ codec: ModelCodec) throws {
        switch form {
        case .coded: _ = try codec.codedCodec(path: codec.modelName)
        case .f16, .u8: try codec.tilesCodec(path: codec.modelName).checkCanEncode(encoding)
        }
        if effort > 0 && codec.coded?.codesWholeImages != true {
            throw ToolError(path: codec.modelName, reason: "--effort refines the latents of whole-image models "
                + "(conv-factorized); this model codes 32x32 tiles")
        }
    }

    func checkPrefix(_ prefix: [UInt8], name: String) throws {
        if prefix.starts(with: LatentFile.magic) {
            throw ToolError(path: name, reason: "is a latent file (.ael), not an image: decode it with aedec")
        }
        if !prefix.isEmpty && !ImageFormat.couldBegin(prefix) {
            throw CodecError.unreadableImage(path: name, reason: UnrecognizedImageError(signature: prefix).description)
        }
    }

    func classify(prefix: [UInt8]) -> FolderEntry {
        if ImageFormat.detect(prefix) != nil { return .input }
        if prefix.starts(with: LatentFile.magic) { return .counterpart }
        return .other(reason: UnrecognizedImageError(signature: prefix).description)
    }

    func readInput(path: String) throws -> [UInt8] {
        try FileBytes.read(path, limit: inputLimit, checkPrefix: { try checkPrefix($0, name: path) })
    }

    func convert(_ bytes: [UInt8], name: String, task: CodecJob.Task, codecs: WorkerCodecs) throws -> ConvertedFile {
        let ((image, converted, codec), seconds) = try CodecMetrics.timed {
            () throws -> (CodecImage, ConvertedFile, ModelCodec) in
            let image = try CodecImage.decode(bytes, path: name)
            let carried = carriedMetadata(bytes)
            if let target {
                let (file, codec) = try convert(image, carrying: carried, name: name, task: task, target: target, codecs: codecs)
                return (image, file, codec)
            }
            return (image, try convert(image, carrying: carried, name: name, task: task, codec: codecs.main), codecs.main)
        }
        var file = converted
        file.result.encodeSeconds = seconds
        if printQuality {
            // Decoded from the file's bytes as aedec decodes them, by the model that wrote it.
            let ((decoded, _, _), seconds) = try CodecMetrics.timed {
                try DecodeConversion.image(of: file.bytes, name: name, codec: { _ in codec })
            }
            file.result.decodeSeconds = seconds
            file.result.record(CodecMetrics.compare(image.image, decoded))
        }
        return file
    }

    /// The image at the run's one model.
    private func convert(_ image: CodecImage, carrying carried: (records: [MetadataRecord], report: MetadataReport),
                         name: String, task: CodecJob.Task, codec: ModelCodec) throws -> ConvertedFile {
        let width: Int, height: Int, output: [UInt8]
        let (records, report) = carried
        do {
            switch form {
            case .coded:
                var file = try codec.codedCodec(path: name).encode(image, path: name)
                file.metadata = records
                (width, height, output) = (file.width, file.height, try file.encoded())
            case .f16, .u8:
                var file = try codec.tilesCodec(path: name).encode(image, encoding: encoding)
                file.metadata = records
                (width, height, output) = (file.width, file.height, try file.encoded())
            }
        } catch LatentFileError.invalidRequest(_, let reason) {
            // The latents this model made cannot be stored (NaN from NaN weights): name the input.
            throw LatentFileError.invalidRequest(path: name, reason: reason)
        }
        var result = CodecJob.FileResult(task: task, width: width, height: height, latentBytes: output.count)
        result.setModel(codec)
        return ConvertedFile(bytes: output, result: result, notes: report.fileNotes, metadata: report)
    }

    func problem(withExisting path: String, codecs: WorkerCodecs) throws -> String? {
        let codec = codecs.main
        let bytes = try LatentFile.readBytes(path: path)
        let major = try LatentFiles.majorVersion(bytes, path: path)
        switch (form, major == CodedLatentFile.majorVersion) {
        case (.coded, true):
            let file = try CodedLatentFile.decode(bytes, path: path)
            // With a target, a file of any of the set's levels is this run's.
            let maker = target == nil ? (codec.made(fileFingerprint: file.modelFingerprint) ? codec : nil)
                : try codecs.levelIndex(madeBy: file.modelFingerprint).map(codecs.level)
            guard let maker else { return "was encoded with another model" }
            _ = try maker.codedCodec(path: path).decode(file, path: path)  // the stream must decode
            return nil
        case (.coded, false):
            return "holds per-tile latents (format 1.x), not entropy-coded ones"
        case (_, true):
            return "holds entropy-coded latents (format 2.0), not \(form.rawValue) ones"
        case (_, false):
            let header = try LatentFile.inspect(bytes, path: path)
            guard codec.made(fileFingerprint: header.modelFingerprint) else {
                return "was encoded with another model"
            }
            guard header.encoding == encoding else {
                return "holds \(header.encoding == .uint8 ? 8 : 16)-bit latents, not \(encoding == .uint8 ? 8 : 16)-bit"
            }
            return nil
        }
    }
}
