import AEProcess
import AECommandLine
import AEFormats
import AETestSupport
import Foundation
import XCTest

/// aetrain --engine onednn: the convolutions on oneDNN's kernels give a model within
/// rounding of the builtin engine's, the same weights twice at a fixed thread count, and a
/// resumed run equal to an uninterrupted one.
final class OneDNNTrainingJobTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try TestFiles.temporaryFolder(self)
    }

    /// 96 synthetic images, latent 4, batch 32, 3 epochs, 2 threads.
    private func settings(_ name: String, oneDNN: Bool = true) -> TrainingJob.Settings {
        var s = TrainingJob.Settings()
        s.data = ["synthetic:96,seed=3"]
        s.output = folder + "/" + name
        s.latentDim = 4
        s.options.epochs = 3
        s.options.batchSize = 32
        s.options.validationSplit = 0.25
        s.options.seed = 5
        s.initSeed = 5
        s.threads = 2
        s.oneDNN = oneDNN
        return s
    }

    private func run(_ s: TrainingJob.Settings, stopAfterBatches: Int? = nil) throws -> TrainingJob.Result {
        var batches = 0
        return try TrainingJob(settings: s).run(output: TerminalOutput(mode: .quiet), shouldStop: {
            batches += 1
            return stopAfterBatches.map { batches > $0 } ?? false
        })
    }

    func testTrainsDeterministicallyAndCloseToTheBuiltinEngine() throws {
        let builtin = try run(settings("builtin.aemodel", oneDNN: false))
        let first = try run(settings("a.aemodel"))
        XCTAssertEqual(try run(settings("b.aemodel")).fingerprint, first.fingerprint)
        XCTAssertNotEqual(first.fingerprint, builtin.fingerprint, "another engine, other rounding")
        for (a, b) in zip(first.history, builtin.history) {
            XCTAssertEqual(a.trainLoss, b.trainLoss, accuracy: abs(b.trainLoss) * 1e-3)
        }
    }

    func testResumeGivesTheSameModelAsAnUninterruptedRun() throws {
        let uninterrupted = try run(settings("full.aemodel"))
        var s = settings("resumed.aemodel")
        XCTAssertThrowsError(try run(s, stopAfterBatches: 4)) { XCTAssertTrue($0 is TrainingInterrupted, "\($0)") }
        s.resume = true
        let result = try run(s)
        XCTAssertEqual(result.fingerprint, uninterrupted.fingerprint)
        XCTAssertEqual(result.history.map(\.trainLoss), uninterrupted.history.map(\.trainLoss))
    }
}
