import AEProcess
import AEBase
import AECodec
import AECommandLine
import AEData
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// `aetrain report --noise`: every model on the same corrupted test images, against the
/// clean ones; the figures are recomputed here, the picture's rows checked.
final class ReportDenoisingTests: XCTestCase {
    func testNoisyInputFiguresAndPicture() throws {
        let dir = try TestFiles.temporaryFolder(self)
        var paths: [String] = [], models: [Autoencoder] = []
        for (k, trainedNoise) in [InputNoise.gaussian(sigma: 0.2), nil].enumerated() {
            let model = ReferenceModel.build(latentDim: 4, seed: UInt64(3 + k), threads: 1)
            var metadata = BundleMetadata(describing: model)
            var options = TrainingOptions()
            options.inputNoise = trainedNoise
            metadata.training = BundleMetadata.TrainingProvenance(options: options)
            paths.append(dir + "/model-\(k).aemodel")
            _ = try ModelBundle(model: model, metadata: metadata).write(to: paths[k])
            models.append(model)
        }
        var s = ReportJob.Settings()
        s.models = paths
        s.test = "synthetic:10,seed=9"
        s.output = dir + "/report"
        s.gridImages = 5
        s.threads = 2
        s.noise = .mask(fraction: 0.3)
        let result = try ReportJob(settings: s).run(output: TerminalOutput(mode: .quiet))

        let images = try DataSource.load(s.test, threads: 1).images
        let clean = images.batch(0 ..< 10)
        let noisy = InputNoise.mask(fraction: 0.3).corrupt(clean, seed: InputNoise.evaluationSeed)
        for (e, model) in zip(result.evaluations, models) {
            let expected = MeanSquaredError.loss(prediction: model.forward(noisy), target: clean)
            XCTAssertEqual(try XCTUnwrap(e.denoising).mse, Double(expected), accuracy: 1e-6)
            XCTAssertNotEqual(e.denoising!.mse, e.networkMSE, accuracy: 1e-6)
        }

        // Rows: corrupted inputs, model 0's outputs, model 1's outputs, clean originals; 2x scale.
        let picture = try PNGImage.read(path: s.output + "/" + ReportJob.denoisingFile)
        XCTAssertEqual(picture.width, 5 * 64 + 4 * 2)
        XCTAssertEqual(picture.height, 4 * 64 + 3 * 2)
        let indices = [0, 2, 4, 6, 8]
        func pixel(row: Int, column: Int, x: Int, y: Int) -> [UInt8] {
            let o = ((row * 66 + 2 * y) * picture.width + column * 66 + 2 * x) * 3
            return Array(picture.pixels[o ..< o + 3])
        }
        for (column, index) in indices.enumerated() {
            for (x, y) in [(0, 0), (31, 31), (7, 20)] {
                let v = (y * 32 + x) * 3
                XCTAssertEqual(pixel(row: 0, column: column, x: x, y: y),
                               (0 ..< 3).map { PixelNormalization.unitRange.pixel(noisy.data[index * 3072 + v + $0]) })
                let out = models[1].forward(noisy.slice(batch: index ..< index + 1))
                XCTAssertEqual(pixel(row: 2, column: column, x: x, y: y),
                               (0 ..< 3).map { PixelNormalization.unitRange.pixel(out.data[v + $0]) })
                XCTAssertEqual(pixel(row: 3, column: column, x: x, y: y), Array(images.pngImage(at: index).pixels[v ..< v + 3]))
            }
        }
        let page = try String(contentsOfFile: s.output + "/index.html", encoding: .utf8)
        XCTAssertTrue(page.contains("inputs corrupted by <code>mask:0.3</code>"))
        XCTAssertTrue(page.contains("<td class=\"l\">gaussian:0.2</td>"), "the training noise is shown")
        let csv = try String(contentsOfFile: s.output + "/figures.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(csv[0].hasSuffix(",input_noise,noisy_input_mse"))
        XCTAssertTrue(csv[1].contains(",mask:0.3,"))
    }
}

/// The report's experiments section: the probe's accuracies (recomputed here),
/// interpolation strips and a variational model's draws.
final class ReportExperimentTests: XCTestCase {
    func testProbeStripsAndSamples() throws {
        let dir = try TestFiles.temporaryFolder(self)
        let vae = ReferenceModel.build(latentDim: 3, seed: 4, threads: 1, variational: true)
        let plain = ReferenceModel.build(latentDim: 2, seed: 5, threads: 1)
        var paths: [String] = []
        for (k, model) in [vae, plain].enumerated() {
            paths.append(dir + "/m\(k).aemodel")
            _ = try ModelBundle(model: model).write(to: paths[k])
        }
        var s = ReportJob.Settings()
        s.models = paths
        let mat = TestFixtures.path("data/images_plain.mat")  // 4 labelled images
        s.test = mat
        s.probeTrain = "\(mat)+\(mat)"
        s.probeOptions.neighbours = 1
        s.probeOptions.regression.epochs = 5
        s.output = dir + "/report"
        s.gridImages = 2
        s.latentImages = 2
        s.interpolationPairs = 1
        s.interpolationSteps = 3
        s.samples = 5
        s.threads = 2
        _ = try ReportJob(settings: s).run(output: TerminalOutput(mode: .quiet))
        let files = try FileManager.default.contentsOfDirectory(atPath: s.output).sorted()
        XCTAssertEqual(files, ["figures.csv", "index.html", "interpolation-1.png", "interpolation-2.png", "latents-1.png",
                               "latents-2.png", "probe.csv", "reconstructions.png", "samples-1.png"])

        // Training on the test images themselves: 1-NN finds each image: accuracy 1.
        let probe = try String(contentsOfFile: s.output + "/probe.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(probe.count, 4)
        XCTAssertTrue(probe[1].hasPrefix("m0.aemodel latents,3,"))
        XCTAssertTrue(probe[3].hasPrefix("raw pixels,3072,"))
        XCTAssertTrue(probe[3].contains(",1.0000,1,8,4"), String(probe[3]))

        // The variational model's strip has two rows per pair, the plain model's one.
        let images = try DataSource.load(mat).images
        XCTAssertEqual(try PNGImage.read(path: s.output + "/interpolation-1.png").height, 2 * 64 + 2)
        let strip = try PNGImage.read(path: s.output + "/interpolation-2.png")
        XCTAssertEqual(strip.height, 64)
        XCTAssertEqual(strip.width, 5 * 64 + 4 * 2)
        let first = images.pngImage(at: 0).pixels  // the pair: images 0 and 2
        XCTAssertEqual(Array(strip.pixels[0 ..< 3]), Array(first[0 ..< 3]))
        let samples = try PNGImage.read(path: s.output + "/samples-1.png")
        XCTAssertEqual(samples.width, 5 * 64 + 4 * 2)
        let draw = vae.decode(LatentSpace.priorDraws(count: 1, dimensions: 3, seed: 0)).pngImages()[0]
        XCTAssertEqual(Array(samples.pixels[0 ..< 3]), Array(draw.pixels[0 ..< 3]))
        let page = try String(contentsOfFile: s.output + "/index.html", encoding: .utf8)
        XCTAssertTrue(page.contains("Latent features for digit classification"))
        XCTAssertTrue(page.contains("<img src=\"samples-1.png\""))

        // A probe needs labelled test images.
        s.test = "synthetic:4"
        s.force = true
        ExperimentTesting.assertRefused(containing: "synthetic:4: has no labels") {
            _ = try ReportJob(settings: s).run(output: TerminalOutput(mode: .quiet))
        }
    }
}
