import AEBase
import AECodec
import AEFormats
import AEProcess
import Foundation

/// The figures of a codec run: the comparison with a reference image and the
/// `--stats` lines.
enum CodecMetrics {
    /// Squared error (RGB, pixels in [0, 1]) between a decoded PNG and the reference image
    /// file (PNG, JPEG or WebP).
    static func compare(png: [UInt8], reference: String, input: String) throws -> (Double, Int) {
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
        return squaredError(ref, out)
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

    /// The `--stats` line of one file.
    static func statsLine(_ r: CodecJob.FileResult, direction: CodecJob.Direction) -> String {
        let arrow = ToolReporter.printable("\(r.task.input.displayName) -> \(r.task.output.displayName)")
        var line = "\(arrow): \(r.width)x\(r.height), " + (direction == .encode ? "wrote" : "read")
            + " \(r.latentBytes) bytes, " + String(format: "%.3f bpp, ratio %.1f:1 vs raw RGB", r.bitsPerPixel, r.compressionRatio)
        if let mse = r.mse { line += String(format: ", MSE %.6f, PSNR %.2f dB", mse, PSNR.decibels(mse: mse)) }
        if let q = r.quality { line += ", \(q.label)" }
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
            line += String(format: ", MSE %.6f, PSNR %.2f dB (%d compared)", mse, PSNR.decibels(mse: mse), compared.count)
        }
        return line
    }
}
