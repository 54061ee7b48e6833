import AEProcess
import AECommandLine
import AEFormats
import Foundation
import XCTest

/// Shared by the tests of the experiments (denoising, probe, variational, sampling):
/// a tiny, fast training run and one-line refusals.
enum ExperimentTesting {
    /// 96 synthetic images, latent 4, batch 32, 2 epochs, two threads.
    static func settings(in folder: String, _ name: String = "m.aemodel") -> TrainingJob.Settings {
        var s = TrainingJob.Settings()
        s.data = ["synthetic:96,seed=3"]
        s.output = folder + "/" + name
        s.latentDim = 4
        s.options.epochs = 2
        s.options.batchSize = 32
        s.options.validationSplit = 0.25
        s.options.seed = 5
        s.initSeed = 5
        s.threads = 2
        return s
    }

    /// Runs the job quietly; `stopAfterBatches` interrupts it like Ctrl-C.
    static func run(_ s: TrainingJob.Settings, stopAfterBatches: Int? = nil) throws -> TrainingJob.Result {
        var batches = 0
        return try TrainingJob(settings: s).run(output: TerminalOutput(mode: .quiet), shouldStop: {
            batches += 1
            return stopAfterBatches.map { batches > $0 } ?? false
        })
    }

    /// `body` throws an error whose one-line message contains `text`.
    static func assertRefused(containing text: String, file: StaticString = #filePath, line: UInt = #line,
                              _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = ToolReporter.message(tool: "aetrain", error: error)
            XCTAssertTrue(message.contains(text), "message: \(message)", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "one line", file: file, line: line)
        }
    }
}
