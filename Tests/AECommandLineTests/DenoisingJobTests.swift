import AECommandLine
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// `aetrain --noise`: the bundle records the corruption (format 1.6), a resumed run
/// draws exactly the noise of an uninterrupted one, and a different noise is refused.
final class DenoisingJobTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try TestFiles.temporaryFolder(self)
    }

    private func settings(_ name: String) -> TrainingJob.Settings {
        var s = ExperimentTesting.settings(in: folder, name)
        s.options.inputNoise = .saltAndPepper(probability: 0.1)
        s.test = "synthetic:20,seed=9"
        return s
    }

    func testRecordsTheNoiseAndResumesExactly() throws {
        let full = try ExperimentTesting.run(settings("full.aemodel"))
        let bundle = try ModelBundle.read(path: folder + "/full.aemodel")
        XCTAssertEqual(bundle.metadata.training?.inputNoise, "salt-pepper:0.1")
        XCTAssertEqual(bundle.metadata.training?.options.inputNoise, .saltAndPepper(probability: 0.1))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/full.aemodel")))
        XCTAssertEqual(try BundleContainer.parseHeader(bytes, fileSize: bytes.count, path: "full").version, "1.6")
        let testNoisy = try XCTUnwrap(full.testNoisyMSE)
        XCTAssertNotEqual(testNoisy, full.testMSE)

        // Interrupted in epoch 2 (3 batches per epoch), then resumed: the same weights.
        let s = settings("resumed.aemodel")
        XCTAssertThrowsError(try ExperimentTesting.run(s, stopAfterBatches: 4))
        var other = s
        other.resume = true
        other.options.inputNoise = .saltAndPepper(probability: 0.2)
        ExperimentTesting.assertRefused(containing: "--noise salt-pepper:0.1") { _ = try ExperimentTesting.run(other) }
        other.options.inputNoise = nil
        ExperimentTesting.assertRefused(containing: "--noise") { _ = try ExperimentTesting.run(other) }
        var resumed = s
        resumed.resume = true
        let result = try ExperimentTesting.run(resumed)
        XCTAssertEqual(result.fingerprint, full.fingerprint, "resumed weights differ")
        XCTAssertEqual(result.history, full.history.enumerated().map { i, r in
            var r = r
            r.seconds = result.history[i].seconds
            r.imagesPerSecond = result.history[i].imagesPerSecond
            return r
        })
    }
}
