import AEProcess
import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// `aetrain report` (`ReportJob`): the figures it prints are checked against
/// computations done here another way; the folder's files, pictures and page are
/// checked for what they must show; refusals leave nothing behind.
final class ReportTests: XCTestCase {
    static let testData = "synthetic:24,seed=9"

    /// Two small trained bundles (latent 4 with a quantisation table, latent 2 without)
    /// written to `folder`, and the test images.
    func makeBundles(in folder: String) throws -> (paths: [String], models: [Autoencoder], images: ImageSet) {
        let train = try DataSource.load("synthetic:64,seed=3", threads: 1).images
        var paths: [String] = [], models: [Autoencoder] = []
        for (k, latent) in [4, 2].enumerated() {
            let model = ReferenceModel.build(latentDim: latent, seed: UInt64(11 + k), threads: 1)
            var options = TrainingOptions()
            options.epochs = 2
            options.batchSize = 16
            options.validationSplit = 0.25
            let history = try Trainer(model: model, options: options).fit(train)
            var metadata = BundleMetadata(describing: model)
            metadata.training = BundleMetadata.TrainingProvenance(options: options)
            metadata.metrics = BundleMetadata.Metrics(history: history)
            var bundle = ModelBundle(model: model, metadata: metadata)
            if k == 0 { bundle = bundle.withQuantization(LatentQuantization.measure(model: model, images: train)) }
            let path = folder + "/model-\(latent).aemodel"
            _ = try bundle.write(to: path)
            paths.append(path)
            models.append(model)
        }
        return (paths, models, try DataSource.load(Self.testData, threads: 1).images)
    }

    func settings(_ models: [String], output: String) -> ReportJob.Settings {
        var s = ReportJob.Settings()
        s.models = models
        s.test = Self.testData
        s.output = output
        s.gridImages = 6
        s.latentImages = 5
        s.threads = 2
        return s
    }

    func testFiguresMatchIndependentComputations() throws {
        let dir = try TestFiles.temporaryFolder(self)
        let (paths, models, images) = try makeBundles(in: dir)
        let result = try ReportJob(settings: settings(paths, output: dir + "/report")).run(output: TerminalOutput(mode: .quiet))
        XCTAssertEqual(result.testCount, 24)
        XCTAssertEqual(result.evaluations.map(\.latentDim), [4, 2])

        for (e, model) in zip(result.evaluations, models) {
            // The network figure: Trainer.evaluate (forward pass, MSE loss) on the same images.
            let expected = Trainer.evaluate(model, on: images)
            XCTAssertEqual(e.networkMSE, expected, accuracy: 1e-6 * expected)
            XCTAssertEqual(e.parameterCount, model.parameterCount)

            // Latent statistics: the encoder run image by image, sums in Float64 here.
            var sum = [Double](repeating: 0, count: e.latentDim), sq = sum
            var lo = [Double](repeating: .infinity, count: e.latentDim)
            var hi = [Double](repeating: -.infinity, count: e.latentDim)
            for i in 0..<images.count {
                let z = model.encode(images.batch([i])).data
                for d in 0..<e.latentDim {
                    sum[d] += Double(z[d]); sq[d] += Double(z[d]) * Double(z[d])
                    lo[d] = min(lo[d], Double(z[d])); hi[d] = max(hi[d], Double(z[d]))
                }
            }
            let n = Double(images.count)
            for d in 0..<e.latentDim {
                let mean = sum[d] / n
                XCTAssertEqual(e.statistics.mean[d], mean, accuracy: 1e-4 * max(1, abs(mean)))
                XCTAssertEqual(e.statistics.standardDeviation[d], (sq[d] / n - mean * mean).squareRoot(),
                               accuracy: 1e-3 * max(1, abs(mean)))
                XCTAssertEqual(e.statistics.minimum[d], lo[d], accuracy: 1e-4 * max(1, abs(lo[d])))
                XCTAssertEqual(e.statistics.maximum[d], hi[d], accuracy: 1e-4 * max(1, abs(hi[d])))
            }

            // The codec figures: every image through its own latent file, one at a time.
            let codec = try ImageCodec(bundle: ModelBundle.read(path: paths[result.evaluations.firstIndex { $0.name == e.name }!]))
            XCTAssertEqual(e.codec.map(\.encoding), codec.quantization == nil ? [.float16] : [.float16, .uint8])
            for figures in e.codec {
                var bytes = 0, squares = 0.0
                for i in 0..<images.count {
                    let pixels = Array(images.pixels[(i * 3072)..<((i + 1) * 3072)])
                    let image = CodecImage(image: PNGImage(width: 32, height: 32, channels: 3, pixels: pixels),
                                           colorType: .rgb, bitDepth: 8)
                    let file = try codec.encode(image, encoding: figures.encoding).encoded()
                    bytes += file.count
                    let decoded = try codec.decode(LatentFile.decode(file, quantization: codec.quantization))
                    for (a, b) in zip(pixels, decoded.pixels) { squares += pow(Double(Int(a) - Int(b)) / 255, 2) }
                }
                XCTAssertEqual(figures.meanBytes, Double(bytes) / n)
                XCTAssertEqual(figures.bitsPerPixel, Double(bytes * 8) / (n * 1024), accuracy: 1e-12)
                XCTAssertEqual(figures.mse, squares / (n * 3072), accuracy: 1e-12)
            }
        }
    }

    func testFolderHoldsThePageAndThePicturesItShows() throws {
        let dir = try TestFiles.temporaryFolder(self)
        let (paths, _, images) = try makeBundles(in: dir)
        let out = dir + "/report"
        let result = try ReportJob(settings: settings(paths, output: out)).run(output: TerminalOutput(mode: .quiet))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(),
                       ["figures.csv", "index.html", "interpolation-1.png", "interpolation-2.png", "latents-1.png",
                        "latents-2.png", "reconstructions.png"])
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.hasPrefix(".") },
                       "temporary folder left behind")

        // The grid: originals, then latent 4 float16 and 8-bit, then latent 2 float16; 6 columns, 2x.
        let grid = try PNGImage.read(path: out + "/reconstructions.png")
        XCTAssertEqual(grid.width, 6 * 64 + 5 * 2)
        XCTAssertEqual(grid.height, 4 * 64 + 3 * 2)
        let indices = [0, 4, 8, 12, 16, 20]  // six spread over 24
        for (column, index) in indices.enumerated() {
            for (x, y) in [(0, 0), (31, 31), (5, 17)] {
                for c in 0..<3 {
                    let original = images.pixels[index * 3072 + (y * 32 + x) * 3 + c]
                    let drawn = grid.pixels[((2 * y + 1) * grid.width + column * 66 + 2 * x + 1) * 3 + c]
                    XCTAssertEqual(drawn, original, "grid column \(column) pixel (\(x), \(y))")
                }
            }
        }
        let recon = result.evaluations[1].codec[0].samples[2]
        XCTAssertEqual(grid.pixels[((3 * 66 + 10) * grid.width + 2 * 66 + 10) * 3], recon.pixels[(5 * 32 + 5) * 3],
                       "fourth row shows the latent-2 reconstructions")

        // Latent picture: five rows of 32 pixels, image then one cell per dimension.
        let latents = try PNGImage.read(path: out + "/latents-1.png")
        XCTAssertEqual(latents.height, 5 * 32)
        XCTAssertEqual(latents.width, 32 + 6 + 4 * 128)

        // The page: every figure, every picture, charts inline, nothing fetched.
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        for e in result.evaluations {
            XCTAssertTrue(html.contains(String(format: "%.6f", e.networkMSE)), e.name)
            for c in e.codec { XCTAssertTrue(html.contains(String(format: "%.6f", c.mse)), e.name) }
            XCTAssertTrue(html.contains(e.fingerprint))
        }
        let pictures = ["reconstructions.png", "latents-1.png", "latents-2.png", "interpolation-1.png", "interpolation-2.png"]
        for file in pictures {
            XCTAssertTrue(html.contains("src=\"\(file)\""), file)
        }
        XCTAssertEqual(html.components(separatedBy: "<img ").count - 1, pictures.count)
        // 1 training-curve chart + per model 1 summary chart and one histogram per dimension.
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, 1 + (1 + 4) + (1 + 2))
        XCTAssertTrue(html.contains("validation MSE"))
        XCTAssertFalse(html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
        XCTAssertFalse(html.contains("<script"))

        let csv = try String(contentsOfFile: out + "/figures.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 3)
        XCTAssertTrue(csv[1].hasPrefix("model-4.aemodel,"))
        XCTAssertTrue(csv[2].contains(",uint8,"))
    }

    func testExistingFolderIsRefusedUnlessForced() throws {
        let dir = try TestFiles.temporaryFolder(self)
        let out = dir + "/report"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        try TestFiles.write([1, 2, 3], to: out + "/mine.txt")
        let golden = TestFixtures.goldenBundlePath
        XCTAssertThrowsError(try ReportJob(settings: settings([golden], output: out)).run(output: TerminalOutput(mode: .quiet))) {
            XCTAssertEqual("\($0)", "\(out): already exists (use --force to overwrite)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["mine.txt"])

        // --force replaces a report, never a folder with other files in it (issue 17: the test
        // data or the user's pictures could be there).
        var forced = settings([golden], output: out)
        forced.force = true
        XCTAssertThrowsError(try ReportJob(settings: forced).run(output: TerminalOutput(mode: .quiet))) {
            XCTAssertEqual("\($0)", "\(out): holds mine.txt, which is not part of a report; refusing to replace the folder")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["mine.txt"])
        try FileManager.default.removeItem(atPath: out + "/mine.txt")
        try TestFiles.write([1, 2, 3], to: out + "/" + ReportJob.pageFile)
        try TestFiles.write([1, 2, 3], to: out + "/latents-7.png")
        _ = try ReportJob(settings: forced).run(output: TerminalOutput(mode: .quiet))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/latents-7.png"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/index.html"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["report"], "no temporary folders left")

        // A missing parent folder is refused before any work.
        var nested = settings([golden], output: dir + "/missing/report")
        nested.test = dir + "/never-read.mat"
        XCTAssertThrowsError(try ReportJob(settings: nested).run(output: TerminalOutput(mode: .quiet))) {
            XCTAssertEqual("\($0)", "\(dir)/missing/report: the folder \(dir)/missing does not exist")
        }

        try TestFiles.write([1], to: dir + "/file")
        forced.output = dir + "/file"
        XCTAssertThrowsError(try ReportJob(settings: forced).run(output: TerminalOutput(mode: .quiet))) {
            XCTAssertTrue("\($0)".contains("is not a folder"), "\($0)")
        }
    }

    func testBadModelOrDataLeavesNoFolder() throws {
        let dir = try TestFiles.temporaryFolder(self)
        let out = dir + "/report"
        XCTAssertThrowsError(try ReportJob(settings: settings([dir + "/missing.aemodel"], output: out))
            .run(output: TerminalOutput(mode: .quiet))) { XCTAssertTrue("\($0)".contains("missing.aemodel"), "\($0)") }
        var s = settings([TestFixtures.goldenBundlePath], output: out)
        s.test = dir + "/nothing.mat"
        XCTAssertThrowsError(try ReportJob(settings: s).run(output: TerminalOutput(mode: .quiet))) {
            XCTAssertTrue("\($0)".contains("nothing.mat"), "\($0)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testLatentStatisticsAndHistogramsByHand() {
        // Three vectors of two dimensions.
        let z: [Float] = [1, -2, 2, 0, 6, 2]
        let s = LatentStatistics(latents: z, dimensions: 2)
        XCTAssertEqual(s.count, 3)
        XCTAssertEqual(s.mean, [3, 0])
        XCTAssertEqual(s.standardDeviation[0], (14.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(s.standardDeviation[1], (8.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(s.minimum, [1, -2])
        XCTAssertEqual(s.maximum, [6, 2])
        // Bins [1, 2.25), [2.25, 3.5), [3.5, 4.75), [4.75, 6]: the maximum lands in the last.
        XCTAssertEqual(LatentStatistics.histogram(of: z, dimensions: 2, dimension: 0, bins: 4, lower: 1, upper: 6), [2, 0, 0, 1])
        XCTAssertEqual(LatentStatistics.histogram(of: z, dimensions: 2, dimension: 1, bins: 2, lower: -2, upper: 2), [1, 2])
    }
}
