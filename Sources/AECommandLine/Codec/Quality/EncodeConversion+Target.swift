import AEBase
import AECodec
import AEFormats
import Foundation

/// `aeenc --size`, `--bpp`, `--psnr`: each image is encoded at the quality set's levels
/// the binary search visits (`QualityTarget.choose`; for a PSNR also decoded and
/// measured) and the chosen level's file is written, byte for byte the file `-q LEVEL`
/// writes. When no level meets the target the nearest one is written (level 1 for a size,
/// the top level for a PSNR) with a warning, as cwebp does.
extension EncodeConversion {
    /// One level's file of the image, and its PSNR when measured.
    private struct Attempt {
        var bytes: [UInt8]
        var codec: ModelCodec
        var squaredError: (sum: Double, count: Int)?
    }

    /// The chosen level's file of the image, and that level's codec.
    func convert(_ image: CodecImage, carrying carried: (records: [MetadataRecord], report: MetadataReport),
                 name: String, task: CodecJob.Task, target: QualityTarget,
                 codecs: WorkerCodecs) throws -> (ConvertedFile, ModelCodec) {
        let (width, height) = (image.image.width, image.image.height)
        let (records, report) = carried
        var attempts: [Int: Attempt] = [:]
        let (index, met) = try target.choose(count: codecs.levels.count, pixels: width * height) { i in
            let codec = try codecs.level(i)
            let coded = try codec.codedCodec(path: name)
            var file = try coded.encode(image, path: name)
            file.metadata = records
            var attempt = Attempt(bytes: try file.encoded(), codec: codec)
            if target.needsPSNR {
                attempt.squaredError = CodecMetrics.squaredError(image.image, try coded.decode(file, path: name))
            }
            attempts[i] = attempt
            return QualityTarget.Trial(bytes: attempt.bytes.count, psnr: attempt.squaredError.map {
                PSNR.decibels(mse: $0.sum / Double(max(1, $0.count)))
            })
        }
        let chosen = attempts[index]!  // `choose` always tries the level it returns
        var result = CodecJob.FileResult(task: task, width: width, height: height, latentBytes: chosen.bytes.count)
        result.setModel(chosen.codec)
        if let (sum, count) = chosen.squaredError { (result.squaredError, result.comparedValues) = (sum, count) }
        return (ConvertedFile(bytes: chosen.bytes, result: result,
                              warning: met ? nil : missed(target, result: result, codec: chosen.codec),
                              notes: report.fileNotes, metadata: report), chosen.codec)
    }

    /// The warning for a target no level meets: what the nearest level gave instead.
    private func missed(_ target: QualityTarget, result: CodecJob.FileResult, codec: ModelCodec) -> String {
        let level = codec.quality?.label ?? codec.modelName
        switch target {
        case .size:
            return "even \(level), the smallest, takes \(result.latentBytes) bytes, over \(target.option); wrote it"
        case .bitsPerPixel:
            return "even \(level), the smallest, takes " + String(format: "%.4f", result.bitsPerPixel)
                + " bits per pixel, over \(target.option); wrote it"
        case .psnr:
            return "even \(level), the top one, reaches only " + String(format: "%.2f", result.psnr ?? 0)
                + " dB, under \(target.option); wrote it"
        }
    }
}
