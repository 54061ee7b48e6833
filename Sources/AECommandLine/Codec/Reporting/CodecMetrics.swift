import AEBase
import AECodec
import AEFormats
import AEProcess
import Foundation

/// The figures of a codec run: the comparison with a reference image (or aeenc's input)
/// and the `--stats` lines.
///
/// Comparisons are over colour (R, G, B; alpha is not compared; gray counts as R = G = B,
/// and two gray images are compared as their one plane), 8-bit pixels: the MSE on pixels
/// scaled to [0, 1] and its PSNR, and SSIM and MS-SSIM (`SSIM`, `MSSSIM` in AEBase: each
/// channel's index, then their mean). The totals give PSNR both ways: of the MSE over
/// every compared value of every file, and the mean of the files' PSNR (as CompressAI
/// reports it).
public enum CodecMetrics {
    /// SSIM and MS-SSIM of one image against its reference; nil for an image too small for
    /// the index (SSIM: under 11 pixels a side; MS-SSIM: under 161).
    public struct Similarity: Sendable, Equatable {
        public var ssim: Double?
        public var msssim: Double?
    }

    /// One image against its reference.
    struct Comparison {
        /// Sum of squared differences (pixels in [0, 1]) over `values` colour samples.
        var squaredError: Double
        var values: Int
        var similarity: Similarity
    }

    /// Compares `decoded` with `reference` (the same size): MSE, SSIM and MS-SSIM.
    static func compare(_ reference: PNGImage, _ decoded: PNGImage) -> Comparison {
        let (sum, values) = squaredError(reference, decoded)
        let gray = reference.channels <= 2 && decoded.channels <= 2
        func planes(_ image: PNGImage) -> [ImagePlane] {
            ImagePlane.colourPlanes(pixels: image.pixels, width: image.width, height: image.height,
                                    channels: image.channels, grayAsRGB: !gray)
        }
        let (a, b) = (planes(reference), planes(decoded))
        return Comparison(squaredError: sum, values: values,
                          similarity: Similarity(ssim: SSIM.index(a, b), msssim: MSSSIM.index(a, b)))
    }

    /// The result of `body` and the seconds it took.
    static func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// A decoded PNG against the reference image file (PNG, JPEG or WebP).
    static func compare(png: [UInt8], reference: String, input: String) throws -> Comparison {
        func mismatch(_ why: String) -> CodecError {
            .referenceMismatch(path: reference, reason: "cannot be the reference image of \(input) (\(why)); decoded without a comparison")
        }
        let ref: PNGImage
        do {
            ref = try ImageFile.decodeRGBA(try FileBytes.read(reference, limit: PNGImage.maxFileBytes),
                                           maxPixels: ImageCodec.maxPixels)
        } catch {
            throw mismatch((error as? PathReportable)?.reason ?? "\(error)")
        }
        let out = try PNGImage.decode(png, channels: 4, maxPixels: ImageCodec.maxPixels)
        guard ref.width == out.width, ref.height == out.height else {
            throw mismatch("it is \(ref.width)x\(ref.height), the decoded image is \(out.width)x\(out.height)")
        }
        return compare(ref, out)
    }

    /// Squared error over RGB (pixels in [0, 1]) between two 8-bit images of the same size,
    /// and the number of values compared (3 per pixel). Gray samples count as R = G = B;
    /// alpha is not compared.
    static func squaredError(_ a: PNGImage, _ b: PNGImage) -> (Double, Int) {
        precondition(a.width == b.width && a.height == b.height && a.bitDepth == 8 && b.bitDepth == 8, "images differ in size")
        // The sample of colour c (0...2) of pixel p: gray images have one colour sample.
        func sample(_ image: PNGImage, _ pixels: UnsafeBufferPointer<UInt8>, _ p: Int, _ c: Int) -> Int {
            Int(pixels[p * image.channels + (image.channels <= 2 ? 0 : c)])
        }
        var sum = 0.0
        a.pixels.withUnsafeBufferPointer { pa in
            b.pixels.withUnsafeBufferPointer { pb in
                for p in 0..<(a.width * a.height) {
                    for c in 0..<3 {
                        let d = Double(sample(a, pa, p, c) - sample(b, pb, p, c)) / 255
                        sum += d * d
                    }
                }
            }
        }
        return (sum, a.width * a.height * 3)
    }

    /// An SSIM or MS-SSIM in the `--stats` lines ("n/a" for an image too small for it).
    static func indexText(_ value: Double?) -> String { value.map { String(format: "%.5f", $0) } ?? "n/a" }

    /// The `--stats` line of one file.
    static func statsLine(_ r: CodecJob.FileResult, direction: CodecJob.Direction) -> String {
        let arrow = ToolReporter.printable("\(r.task.input.displayName) -> \(r.task.output.displayName)")
        var line = "\(arrow): \(r.width)x\(r.height), " + (direction == .encode ? "wrote" : "read")
            + " \(r.latentBytes) bytes, " + String(format: "%.3f bpp, ratio %.1f:1 vs raw RGB", r.bitsPerPixel, r.compressionRatio)
        if let mse = r.mse { line += String(format: ", MSE %.6f, PSNR %.2f dB", mse, PSNR.decibels(mse: mse)) }
        if let s = r.similarity { line += ", SSIM \(indexText(s.ssim)), MS-SSIM \(indexText(s.msssim))" }
        if let q = r.quality { line += ", \(q.label)" }
        if let t = r.encodeSeconds { line += String(format: ", encode %.3f s", t) }
        if let t = r.decodeSeconds { line += String(format: ", decode %.3f s", t) }
        return line
    }

    /// The `--stats` total of a run of several files.
    static func totalLine(_ results: [CodecJob.FileResult]) -> String {
        let pixels = results.reduce(0) { $0 + $1.width * $1.height }
        let bytes = results.reduce(0) { $0 + $1.latentBytes }
        var line = "total: \(results.count) files, \(pixels) pixels, \(bytes) bytes, "
            + String(format: "%.3f bpp, ratio %.1f:1 vs raw RGB", Double(bytes * 8) / Double(pixels),
                     Double(pixels * 3) / Double(bytes))
        let compared = results.filter { $0.squaredError != nil }
        if !compared.isEmpty {
            let mse = compared.reduce(0) { $0 + $1.squaredError! } / Double(compared.reduce(0) { $0 + $1.comparedValues })
            let meanPSNR = compared.reduce(0) { $0 + $1.psnr! } / Double(compared.count)
            line += String(format: ", MSE %.6f, PSNR %.2f dB of the mean MSE, mean PSNR %.2f dB (%d compared)",
                           mse, PSNR.decibels(mse: mse), meanPSNR, compared.count)
        }
        for (name, values) in [("SSIM", results.compactMap { $0.similarity?.ssim }),
                               ("MS-SSIM", results.compactMap { $0.similarity?.msssim })] where !values.isEmpty {
            line += ", mean \(name) \(indexText(values.reduce(0, +) / Double(values.count)))"
                + (values.count < compared.count ? " (\(values.count) of \(compared.count) files)" : "")
        }
        for (name, times) in [("encode", results.compactMap(\.encodeSeconds)), ("decode", results.compactMap(\.decodeSeconds))]
            where !times.isEmpty {
            line += String(format: ", \(name) %.3f s", times.reduce(0, +))
        }
        return line
    }
}
