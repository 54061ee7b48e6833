import AEProcess
import AECodec
import AECommandLine
import AEData
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// `aetrain --conditional`: labelled data only; the bundle records the classes (format
/// 1.6); `aetrain sample --digit` draws a digit; the codec and the probe refuse the model.
final class ConditionalJobTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try TestFiles.temporaryFolder(self)
    }

    private var photos: String { "svhn-photos:\(TestFixtures.path("data/svhn_photos")),count=40,seed=2" }

    func testConditionalVariationalModel() throws {
        var s = ExperimentTesting.settings(in: folder, "cvae.aemodel")
        s.data = [photos]
        s.options.epochs = 1
        s.options.batchSize = 10
        s.latentDim = 2
        s.variational = true
        s.conditional = true
        _ = try ExperimentTesting.run(s)
        let bundle = try ModelBundle.read(path: s.output)
        XCTAssertEqual(bundle.metadata.architecture.conditionClasses, 10)
        XCTAssertNil(bundle.quantization, "no codec table: the model is no codec")
        let model = try bundle.makeModel()
        XCTAssertEqual(model.conditionClasses, 10)

        // One digit fills the grid; all digits give ten rows of the same draws.
        var sample = SampleJob.Settings()
        sample.model = s.output
        sample.count = 4
        sample.digits = [3]
        sample.output = folder + "/three.png"
        _ = try SampleJob(settings: sample).run()
        let three = try PNGImage.read(path: sample.output)
        XCTAssertEqual(three.width, 2 * 64 + 2)
        model.setLabels([3, 3, 3, 3])
        let expected = model.decode(LatentSpace.priorDraws(count: 4, dimensions: 2, seed: 0)).pngImages()[0]
        XCTAssertEqual(Array(three.pixels[0 ..< 3]), Array(expected.pixels[0 ..< 3]))
        sample.digits = Array(0 ... 9)
        sample.output = folder + "/all.png"
        _ = try SampleJob(settings: sample).run()
        XCTAssertEqual(try PNGImage.read(path: sample.output).height, 10 * 64 + 9 * 2)
        sample.digits = nil
        sample.output = folder + "/none.png"
        ExperimentTesting.assertRefused(containing: "is a conditional model: give --digit") { _ = try SampleJob(settings: sample).run() }

        // The codec, the probe and interpolation need images' classes they cannot have.
        XCTAssertThrowsError(try ImageCodec(bundle: bundle)) { error in
            XCTAssertTrue("\(error)".contains("is a conditional model"), "\(error)")
        }
        var probe = ProbeJob.Settings()
        probe.models = [s.output]
        probe.train = TestFixtures.path("data/images_plain.mat")
        probe.test = probe.train
        ExperimentTesting.assertRefused(containing: "is a conditional model") {
            _ = try ProbeJob(settings: probe).run(output: TerminalOutput(mode: .quiet))
        }
    }

    func testUnlabelledDataAndMismatchesAreRefused() throws {
        var s = ExperimentTesting.settings(in: folder, "c.aemodel")
        s.conditional = true
        ExperimentTesting.assertRefused(containing: "synthetic:96,seed=3: has no labels; --conditional needs a label for every image") {
            _ = try ExperimentTesting.run(s)
        }
        s.data = [photos]
        s.test = "synthetic:4"
        ExperimentTesting.assertRefused(containing: "synthetic:4: has no labels") { _ = try ExperimentTesting.run(s) }
        s.test = nil
        s.options.batchSize = 10
        s.options.epochs = 2
        XCTAssertThrowsError(try ExperimentTesting.run(s, stopAfterBatches: 4))
        var resumed = s
        resumed.resume = true
        resumed.conditional = false
        ExperimentTesting.assertRefused(containing: "--conditional on") { _ = try ExperimentTesting.run(resumed) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.output))
    }
}
