import AECommandLine
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// `aetrain --variational [--beta B]`: the bundle records the variant, beta and the KL per
/// epoch; a resumed run is exact; a different beta or variant is refused.
final class VariationalJobTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try TestFiles.temporaryFolder(self)
    }

    private func settings(_ name: String) -> TrainingJob.Settings {
        var s = ExperimentTesting.settings(in: folder, name)
        s.variational = true
        s.beta = 0.5
        return s
    }

    func testTrainsRecordsAndResumesExactly() throws {
        let full = try ExperimentTesting.run(settings("full.aemodel"))
        let bundle = try ModelBundle.read(path: folder + "/full.aemodel")
        XCTAssertEqual(bundle.metadata.architecture.variant, "variational")
        XCTAssertEqual(bundle.metadata.training?.beta, 0.5)
        let epochs = try XCTUnwrap(bundle.metadata.metrics?.epochs)
        XCTAssertEqual(epochs.count, 2)
        XCTAssertTrue(epochs.allSatisfy { ($0.trainKL ?? 0) > 0 && ($0.validationKL ?? 0) > 0 && $0.validationMSE != nil })
        XCTAssertNotNil(try bundle.makeModel().sampler)
        XCTAssertNotNil(bundle.quantization, "aeenc --bits 8 works on the mean")
        let csv = try String(contentsOfFile: folder + "/full.history.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "epoch,train_loss,val_loss,seconds,images_per_second,train_mse,train_kl,val_mse,val_kl")
        XCTAssertEqual(csv[1].split(separator: ",", omittingEmptySubsequences: false).count, 9)

        let s = settings("resumed.aemodel")
        XCTAssertThrowsError(try ExperimentTesting.run(s, stopAfterBatches: 4))
        var other = s
        other.resume = true
        other.beta = 1
        ExperimentTesting.assertRefused(containing: "--beta 0.5") { _ = try ExperimentTesting.run(other) }
        other.beta = 0.5
        other.variational = false
        ExperimentTesting.assertRefused(containing: "--variational on") { _ = try ExperimentTesting.run(other) }
        var resumed = s
        resumed.resume = true
        XCTAssertEqual(try ExperimentTesting.run(resumed).fingerprint, full.fingerprint)
    }

    func testRefusesCombinationsItCannotTrain() {
        var s = settings("x.aemodel")
        s.lambda = 0.01
        ExperimentTesting.assertRefused(containing: "--variational: applies to the reference family without --lambda") {
            _ = try ExperimentTesting.run(s)
        }
        s.lambda = nil
        s.beta = -1
        ExperimentTesting.assertRefused(containing: "--beta") { _ = try ExperimentTesting.run(s) }
        s.beta = 1
        s.initFrom = "svhn-16"
        ExperimentTesting.assertRefused(containing: "is not a variational model") { _ = try ExperimentTesting.run(s) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.output))
    }
}
