import AEBase
import Foundation

/// `aeenc`/`aedec --json`: a run's figures as one JSON document, for scripts. The field
/// names are stable (README, "JSON for scripts"): every field is always present, `null`
/// when it has no value, and `files` lists the files written in the order of the inputs
/// (folders expanded in sorted order), whatever order the workers finished them in.
struct CodecJSONReport: Encodable {
    /// One file written.
    struct File: Encodable {
        var input: String
        var output: String
        var width: Int
        var height: Int
        /// The latent file's size (written by aeenc, read by aedec).
        var bytes: Int
        var bitsPerPixel: Double
        /// Raw RGB bytes (width x height x 3) over `bytes`.
        var compressionRatio: Double
        /// Against the reference (aedec --reference) or the input (aeenc --psnr); RGB, pixels in [0, 1].
        var mse: Double?
        /// nil also when `mse` is 0 (infinite PSNR).
        var psnr: Double?
        var modelFingerprint: String
        var modelName: String
        var qualitySet: String?
        var qualityLevel: Int?
        var seconds: Double

        enum CodingKeys: String, CodingKey {
            case input, output, width, height, bytes, bitsPerPixel, compressionRatio, mse, psnr
            case modelFingerprint, modelName, qualitySet, qualityLevel, seconds
        }

        // Written by hand so that absent values are `null`, not missing keys.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(input, forKey: .input)
            try c.encode(output, forKey: .output)
            try c.encode(width, forKey: .width)
            try c.encode(height, forKey: .height)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(bitsPerPixel, forKey: .bitsPerPixel)
            try c.encode(compressionRatio, forKey: .compressionRatio)
            try c.encode(mse, forKey: .mse)
            try c.encode(psnr, forKey: .psnr)
            try c.encode(modelFingerprint, forKey: .modelFingerprint)
            try c.encode(modelName, forKey: .modelName)
            try c.encode(qualitySet, forKey: .qualitySet)
            try c.encode(qualityLevel, forKey: .qualityLevel)
            try c.encode(seconds, forKey: .seconds)
        }
    }

    /// The whole run.
    struct Totals: Encodable {
        /// Inputs of the run (written, failed, kept and not started).
        var inputs: Int
        var written: Int
        var failed: Int
        /// Existing outputs kept (--skip-existing).
        var kept: Int
        var pixels: Int
        var bytes: Int
        /// All files' bits over all their pixels.
        var bitsPerPixel: Double?
        /// The mean of the files' bits per pixel.
        var meanBitsPerPixel: Double?
        /// Files with a measured MSE.
        var compared: Int
        /// Over every compared value of every compared file, and its PSNR.
        var mse: Double?
        var psnr: Double?
        /// The mean of the compared files' PSNR (as CompressAI reports); nil when one is infinite.
        var meanPSNR: Double?
        /// The run's wall-clock time.
        var seconds: Double

        enum CodingKeys: String, CodingKey {
            case inputs, written, failed, kept, pixels, bytes, bitsPerPixel, meanBitsPerPixel
            case compared, mse, psnr, meanPSNR, seconds
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(inputs, forKey: .inputs)
            try c.encode(written, forKey: .written)
            try c.encode(failed, forKey: .failed)
            try c.encode(kept, forKey: .kept)
            try c.encode(pixels, forKey: .pixels)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(bitsPerPixel, forKey: .bitsPerPixel)
            try c.encode(meanBitsPerPixel, forKey: .meanBitsPerPixel)
            try c.encode(compared, forKey: .compared)
            try c.encode(mse, forKey: .mse)
            try c.encode(psnr, forKey: .psnr)
            try c.encode(meanPSNR, forKey: .meanPSNR)
            try c.encode(seconds, forKey: .seconds)
        }
    }

    var tool: String
    var interrupted: Bool
    var files: [File]
    var totals: Totals

    init(tool: String, summary: CodecJob.Summary) {
        self.tool = tool
        interrupted = summary.interrupted
        let results = summary.results
        func finite(_ x: Double?) -> Double? { x.flatMap { $0.isFinite ? $0 : nil } }
        files = results.map { r in
            File(input: r.task.input.displayName, output: r.task.output.displayName, width: r.width, height: r.height,
                 bytes: r.latentBytes, bitsPerPixel: r.bitsPerPixel, compressionRatio: r.compressionRatio,
                 mse: r.mse, psnr: finite(r.psnr), modelFingerprint: r.modelFingerprint, modelName: r.modelName,
                 qualitySet: r.quality?.set, qualityLevel: r.quality?.level, seconds: Self.milliseconds(r.seconds))
        }
        let pixels = results.reduce(0) { $0 + $1.width * $1.height }
        let bytes = results.reduce(0) { $0 + $1.latentBytes }
        let compared = results.filter { $0.squaredError != nil }
        let values = compared.reduce(0) { $0 + $1.comparedValues }
        let mse = compared.isEmpty ? nil : compared.reduce(0) { $0 + $1.squaredError! } / Double(max(1, values))
        let psnrs = compared.compactMap(\.psnr)
        totals = Totals(
            inputs: summary.total, written: results.count, failed: summary.failed, kept: summary.kept,
            pixels: pixels, bytes: bytes,
            bitsPerPixel: pixels > 0 ? Double(bytes * 8) / Double(pixels) : nil,
            meanBitsPerPixel: results.isEmpty ? nil : results.reduce(0) { $0 + $1.bitsPerPixel } / Double(results.count),
            compared: compared.count, mse: mse, psnr: finite(mse.map { PSNR.decibels(mse: $0) }),
            meanPSNR: psnrs.isEmpty ? nil : finite(psnrs.reduce(0, +) / Double(psnrs.count)),
            seconds: Self.milliseconds(summary.seconds))
    }

    static func milliseconds(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }

    /// The document: pretty-printed, keys sorted.
    func text() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
