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
        /// Against the same image as `mse` (RGB: the mean of the channels' indices); nil when
        /// not measured or the image is too small (SSIM under 11 pixels a side, MS-SSIM under 161).
        var ssim: Double?
        var msssim: Double?
        var modelFingerprint: String
        var modelName: String
        var qualitySet: String?
        var qualityLevel: Int?
        var seconds: Double
        /// Image bytes to latent bytes (aeenc), latent bytes to pixels (aedec, aeenc --print-quality).
        var encodeSeconds: Double?
        var decodeSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case input, output, width, height, bytes, bitsPerPixel, compressionRatio, mse, psnr, ssim, msssim
            case modelFingerprint, modelName, qualitySet, qualityLevel, seconds, encodeSeconds, decodeSeconds
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
            try c.encode(ssim, forKey: .ssim)
            try c.encode(msssim, forKey: .msssim)
            try c.encode(modelFingerprint, forKey: .modelFingerprint)
            try c.encode(modelName, forKey: .modelName)
            try c.encode(qualitySet, forKey: .qualitySet)
            try c.encode(qualityLevel, forKey: .qualityLevel)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(encodeSeconds, forKey: .encodeSeconds)
            try c.encode(decodeSeconds, forKey: .decodeSeconds)
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
        /// Files with an SSIM (an MS-SSIM), and the mean of their values.
        var ssimCompared: Int
        var meanSSIM: Double?
        var msssimCompared: Int
        var meanMSSSIM: Double?
        /// The run's wall-clock time.
        var seconds: Double
        /// The sums of the files' times (nil when no file has one).
        var encodeSeconds: Double?
        var decodeSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case inputs, written, failed, kept, pixels, bytes, bitsPerPixel, meanBitsPerPixel
            case compared, mse, psnr, meanPSNR, ssimCompared, meanSSIM, msssimCompared, meanMSSSIM
            case seconds, encodeSeconds, decodeSeconds
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
            try c.encode(ssimCompared, forKey: .ssimCompared)
            try c.encode(meanSSIM, forKey: .meanSSIM)
            try c.encode(msssimCompared, forKey: .msssimCompared)
            try c.encode(meanMSSSIM, forKey: .meanMSSSIM)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(encodeSeconds, forKey: .encodeSeconds)
            try c.encode(decodeSeconds, forKey: .decodeSeconds)
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
                 mse: r.mse, psnr: finite(r.psnr), ssim: r.similarity?.ssim, msssim: r.similarity?.msssim,
                 modelFingerprint: r.modelFingerprint, modelName: r.modelName,
                 qualitySet: r.quality?.set, qualityLevel: r.quality?.level, seconds: Self.rounded(r.seconds),
                 encodeSeconds: r.encodeSeconds.map(Self.rounded), decodeSeconds: r.decodeSeconds.map(Self.rounded))
        }
        let pixels = results.reduce(0) { $0 + $1.width * $1.height }
        let bytes = results.reduce(0) { $0 + $1.latentBytes }
        let compared = results.filter { $0.squaredError != nil }
        let values = compared.reduce(0) { $0 + $1.comparedValues }
        let mse = compared.isEmpty ? nil : compared.reduce(0) { $0 + $1.squaredError! } / Double(max(1, values))
        let psnrs = compared.compactMap(\.psnr)
        let ssims = results.compactMap { $0.similarity?.ssim }, msssims = results.compactMap { $0.similarity?.msssim }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        func sum(_ values: [Double]) -> Double? { values.isEmpty ? nil : Self.rounded(values.reduce(0, +)) }
        totals = Totals(
            inputs: summary.total, written: results.count, failed: summary.failed, kept: summary.kept,
            pixels: pixels, bytes: bytes,
            bitsPerPixel: pixels > 0 ? Double(bytes * 8) / Double(pixels) : nil,
            meanBitsPerPixel: results.isEmpty ? nil : results.reduce(0) { $0 + $1.bitsPerPixel } / Double(results.count),
            compared: compared.count, mse: mse, psnr: finite(mse.map { PSNR.decibels(mse: $0) }),
            meanPSNR: finite(mean(psnrs)),
            ssimCompared: ssims.count, meanSSIM: mean(ssims), msssimCompared: msssims.count, meanMSSSIM: mean(msssims),
            seconds: Self.rounded(summary.seconds),
            encodeSeconds: sum(results.compactMap(\.encodeSeconds)), decodeSeconds: sum(results.compactMap(\.decodeSeconds)))
    }

    /// Times to the microsecond.
    static func rounded(_ seconds: Double) -> Double { (seconds * 1e6).rounded() / 1e6 }

    /// The document: pretty-printed, keys sorted.
    func text() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
