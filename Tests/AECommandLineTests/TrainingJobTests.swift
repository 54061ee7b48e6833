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

/// aetrain's job: refusals before any long work, checkpoints, exact resume.
final class TrainingJobTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try TestFiles.temporaryFolder(self)
    }

    private var dataFixtures: String {
        TestFixtures.path("data")
    }

    /// A tiny, fast run: 96 synthetic images, latent 4, batch 32, 3 epochs.
    private func settings(_ name: String = "m.aemodel") -> TrainingJob.Settings {
        var s = TrainingJob.Settings()
        s.data = ["synthetic:96,seed=3"]
        s.output = folder + "/" + name
        s.latentDim = 4
        s.options.epochs = 3
        s.options.batchSize = 32
        s.options.validationSplit = 0.25
        s.options.seed = 5
        s.options.finalLearningRate = 1e-4
        s.initSeed = 5
        s.threads = 2
        return s
    }

    private func run(_ s: TrainingJob.Settings, stopAfterBatches: Int? = nil) throws -> TrainingJob.Result {
        var batches = 0
        return try TrainingJob(settings: s).run(output: TerminalOutput(mode: .quiet), shouldStop: {
            batches += 1
            return stopAfterBatches.map { batches > $0 } ?? false
        })
    }

    private func assertRefused(_ s: TrainingJob.Settings, containing text: String, outputExisted: Bool = false,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try run(s), file: file, line: line) { error in
            let message = ToolReporter.message(tool: "aetrain", error: error)
            XCTAssertTrue(message.contains(text), "message: \(message)", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "one line", file: file, line: line)
        }
        if !outputExisted {
            XCTAssertFalse(FileManager.default.fileExists(atPath: s.output), "no output written", file: file, line: line)
        }
    }

    func testWritesBundleHistoryAndRemovesCheckpoint() throws {
        var s = settings()
        s.test = "synthetic:20,seed=9"
        let result = try run(s)
        XCTAssertEqual(result.history.count, 3)
        XCTAssertNotNil(result.testMSE)
        let bundle = try ModelBundle.read(path: s.output)
        XCTAssertEqual(bundle.fingerprint, result.fingerprint)
        XCTAssertEqual(bundle.metadata.metrics?.epochs.count, 3)
        XCTAssertEqual(bundle.metadata.training?.dataSource?.trainCount, 72)
        XCTAssertEqual(bundle.metadata.training?.dataSource?.validationCount, 24)
        XCTAssertEqual(bundle.metadata.metrics?.testMSE, result.testMSE)
        // A learning-rate schedule is recorded (format 1.1), and the latent quantisation
        // table measured on the training images (format 1.2).
        XCTAssertEqual(bundle.metadata.training?.optimizer.finalLearningRate, 1e-4)
        XCTAssertEqual(bundle.quantization?.latentDim, bundle.metadata.architecture.latentDim)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: s.output)))
        XCTAssertEqual(try BundleContainer.parseHeader(bytes, fileSize: bytes.count, path: s.output).version, "1.2")
        let csv = try String(contentsOfFile: folder + "/m.history.csv", encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.output + ".checkpoint"))
        // Same settings, same seed: the same weights.
        var again = settings("again.aemodel")
        again.test = s.test
        XCTAssertEqual(try run(again).fingerprint, result.fingerprint)
    }

    /// `--quality-set/--quality-level` record the level (format 1.5); `--stamp-quality`
    /// rewrites a bundle with another record and nothing else changed.
    func testQualityLevelIsRecordedAndStampedWithoutChangingTheFingerprint() throws {
        var s = settings("level.aemodel")
        s.options.epochs = 1
        s.quality = BundleMetadata.QualityInfo(set: "photo", level: 3)
        let result = try run(s)
        let bundle = try ModelBundle.read(path: s.output)
        XCTAssertEqual(bundle.metadata.quality, s.quality)
        XCTAssertEqual(try BundleContainer.read(path: s.output).header.version, "1.5")

        var stamp = TrainingJob.Settings()
        stamp.stampQuality = s.output
        stamp.output = folder + "/stamped.aemodel"
        stamp.quality = BundleMetadata.QualityInfo(set: "photo", level: 4, kodakBitsPerPixel: 0.5, kodakPSNR: 30)
        let stamped = try TrainingJob(settings: stamp).stamp()
        XCTAssertEqual(stamped.fingerprint, result.fingerprint)
        let restamped = try ModelBundle.read(path: stamp.output)
        XCTAssertEqual(restamped.metadata.quality, stamp.quality)
        XCTAssertEqual(restamped.tensors, bundle.tensors, "weights and tables as they were")
        var metadata = restamped.metadata
        metadata.quality = s.quality
        XCTAssertEqual(metadata, bundle.metadata, "only the record changed")
        // Not over an existing file without force, not over the input even with it.
        XCTAssertThrowsError(try TrainingJob(settings: stamp).stamp())
        var over = stamp
        over.output = s.output
        over.force = true
        XCTAssertThrowsError(try TrainingJob(settings: over).stamp()) { XCTAssertTrue("\($0)".contains("is read by this run"), "\($0)") }
        // A checkpoint is not a finished model.
        var interrupted = settings("stopped.aemodel")
        interrupted.quality = s.quality
        XCTAssertThrowsError(try run(interrupted, stopAfterBatches: 4))
        var checkpoint = stamp
        checkpoint.stampQuality = interrupted.output + ".checkpoint"
        checkpoint.output = folder + "/c.aemodel"
        XCTAssertEqual(try ModelBundle.read(path: checkpoint.stampQuality!).metadata.quality, s.quality, "checkpoints carry it too")
        XCTAssertThrowsError(try TrainingJob(settings: checkpoint).stamp()) { XCTAssertTrue("\($0)".contains("checkpoint"), "\($0)") }
        // --weights f16 converts while stamping: float16 storage, a new fingerprint, the same
        // weights to float16's precision, the record and the rest of the metadata kept.
        var half = stamp
        half.output = folder + "/half.aemodel"
        half.weights = .f16
        let halved = try TrainingJob(settings: half).stamp()
        XCTAssertNotEqual(halved.fingerprint, result.fingerprint)
        XCTAssertEqual(halved.sourceFingerprint, result.fingerprint)
        XCTAssertEqual(stamped.sourceFingerprint, result.fingerprint)
        let halfBundle = try ModelBundle.read(path: half.output)
        XCTAssertEqual(halfBundle.weightType, .f16)
        XCTAssertEqual(halfBundle.metadata.quality, stamp.quality)
        XCTAssertEqual(halfBundle.tensors.count, bundle.tensors.count)
        for (a, b) in zip(halfBundle.tensors, bundle.tensors) {
            XCTAssertEqual(a.name, b.name)
            XCTAssertEqual(a.shape, b.shape)
            for (x, y) in zip(a.values, b.values) where abs(x - y) > abs(y) / 1024 + 1e-7 {
                XCTFail("\(a.name): \(x) is not \(y) to float16's precision"); break
            }
        }
    }

    func testResumeGivesTheSameModelAsAnUninterruptedRun() throws {
        let uninterrupted = try run(settings("full.aemodel"))

        let s = settings("resumed.aemodel")
        // 72 training images / 32 = 3 batches per epoch: stop inside epoch 2.
        XCTAssertThrowsError(try run(s, stopAfterBatches: 4)) { error in
            XCTAssertTrue(error is TrainingInterrupted, "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.output), "no bundle from an interrupted run")
        let checkpoint = try ModelBundle.read(path: s.output + ".checkpoint")
        XCTAssertTrue(checkpoint.isCheckpoint)
        XCTAssertEqual(checkpoint.metadata.checkpoint?.completedEpochs, 1)

        // Without --resume the unfinished run is not silently overwritten.
        assertRefused(s, containing: "--resume")
        var resumed = s
        resumed.resume = true
        let result = try run(resumed)
        XCTAssertEqual(result.history.count, 3)
        XCTAssertEqual(result.fingerprint, uninterrupted.fingerprint, "resumed weights differ")
        XCTAssertEqual(result.history.map(\.trainLoss), uninterrupted.history.map(\.trainLoss))
    }

    /// Issue 17.18: a checkpoint with more finished epochs than --epochs is refused instead of
    /// writing a bundle whose metadata says fewer epochs than it holds.
    func testResumeRefusesFewerEpochsThanTheCheckpointHolds() throws {
        var s = settings()
        s.options.epochs = 3
        // 3 batches per epoch: stop in epoch 3, after 2 finished epochs.
        XCTAssertThrowsError(try run(s, stopAfterBatches: 7))
        XCTAssertEqual(try ModelBundle.read(path: s.output + ".checkpoint").metadata.checkpoint?.completedEpochs, 2)
        var fewer = s
        fewer.resume = true
        fewer.options.epochs = 1
        assertRefused(fewer, containing: "holds 2 finished epochs, more than --epochs 1: resume with --epochs 2 or more")
        var same = fewer
        same.options.epochs = 2
        let result = try run(same)
        XCTAssertEqual(result.history.count, 2)
        XCTAssertEqual(try ModelBundle.read(path: s.output).metadata.training?.epochs, 2)
    }

    func testResumeRefusesDifferentOptions() throws {
        let s = settings()
        XCTAssertThrowsError(try run(s, stopAfterBatches: 4))
        var other = s
        other.resume = true
        other.options.batchSize = 16
        assertRefused(other, containing: "--batch-size")
        other = s
        other.resume = true
        other.options.gradientClipNorm = 1
        assertRefused(other, containing: "--clip-gradient-norm")
    }

    /// --clip-gradient-norm: recorded in the checkpoint and the bundle (format 1.7), and resumed.
    func testGradientClippingIsRecordedAndResumed() throws {
        var s = settings()
        s.options.gradientClipNorm = 0.5
        XCTAssertThrowsError(try run(s, stopAfterBatches: 4))
        XCTAssertEqual(try ModelBundle.read(path: s.output + ".checkpoint").metadata.training?.gradientClipNorm, 0.5)
        s.resume = true
        _ = try run(s)
        let bundle = try ModelBundle.read(path: s.output)
        XCTAssertEqual(bundle.metadata.training?.gradientClipNorm, 0.5)
        XCTAssertEqual(bundle.metadata.training?.options.gradientClipNorm, 0.5)
    }

    /// --distortion mean-psnr: recorded in the bundle (format 1.5), resumed exactly, and a
    /// resume with the other distortion refused.
    func testMeanPSNRDistortionIsRecordedAndResumed() throws {
        var s = settings("psnr.aemodel")
        s.lambda = 0.01
        s.distortion = .meanPSNR
        let uninterrupted = try run(s)
        let bundle = try ModelBundle.read(path: s.output)
        XCTAssertEqual(bundle.metadata.training?.distortion, "mean-psnr")
        XCTAssertEqual(try BundleContainer.read(path: s.output).header.version, "1.5")
        let loss = try XCTUnwrap(bundle.metadata.training?.loss as? RateDistortionLoss)
        XCTAssertEqual(loss.distortion, .meanPSNR)
        XCTAssertEqual(loss.lambda, 0.01)

        var mse = settings("mse.aemodel")
        mse.lambda = 0.01
        let plain = try run(mse)
        XCTAssertNotEqual(plain.fingerprint, uninterrupted.fingerprint, "the distortion changes the training")
        XCTAssertNil(try ModelBundle.read(path: mse.output).metadata.training?.distortion)
        XCTAssertEqual(try BundleContainer.read(path: mse.output).header.version, "1.4")

        var r = settings("psnr-resumed.aemodel")
        r.lambda = 0.01
        r.distortion = .meanPSNR
        XCTAssertThrowsError(try run(r, stopAfterBatches: 4))
        var wrong = r
        wrong.resume = true
        wrong.distortion = .mse
        assertRefused(wrong, containing: "--distortion")
        r.resume = true
        XCTAssertEqual(try run(r).fingerprint, uninterrupted.fingerprint, "resumed weights differ")
    }

    func testRefusesBadInputBeforeTraining() throws {
        var s = settings()
        s.data = [folder + "/missing.mat"]
        assertRefused(s, containing: "missing.mat")

        s = settings()
        s.data = [dataFixtures + "/no_x.mat"]
        assertRefused(s, containing: "'X'")

        s = settings()
        s.data = [dataFixtures + "/wrong_dims.mat"]
        assertRefused(s, containing: "shape")

        s = settings()
        s.data = [dataFixtures + "/wrong_shape.npy"]
        assertRefused(s, containing: "shape")

        s = settings()
        s.output = folder + "/no/such/folder/m.aemodel"
        assertRefused(s, containing: "does not exist")

        s = settings()
        s.data = ["synthetic:3"]
        s.options.validationSplit = 0.9
        assertRefused(s, containing: "no training images")

        s = settings()
        s.data = []
        assertRefused(s, containing: "no training data")

        s = settings()
        s.resume = true
        assertRefused(s, containing: "no checkpoint")
    }

    func testDoesNotOverwriteWithoutForce() throws {
        let s = settings()
        try Data("precious".utf8).write(to: URL(fileURLWithPath: s.output))
        assertRefused(s, containing: "already exists", outputExisted: true)
        XCTAssertEqual(try String(contentsOfFile: s.output, encoding: .utf8), "precious")
        var forced = s
        forced.force = true
        forced.options.epochs = 1
        XCTAssertNoThrow(try run(forced))
        XCTAssertNoThrow(try ModelBundle.read(path: s.output))
    }

    /// Issue 17.2: the bundle, checkpoint or history is never written over the training or
    /// test data (or a file in a data folder, or the --quantize-from model), even with --force.
    func testNeverOverwritesTheData() throws {
        let npy = folder + "/data.npy"
        try FileManager.default.copyItem(atPath: dataFixtures + "/images.npy", toPath: npy)
        let original = try Data(contentsOf: URL(fileURLWithPath: npy))
        var s = settings("data.npy")
        s.data = [npy]
        s.force = true
        assertRefused(s, containing: "is read by this run", outputExisted: true)
        s = settings("t.npy")
        s.test = npy
        s.force = true
        try FileManager.default.copyItem(atPath: npy, toPath: s.output)
        s.test = s.output
        assertRefused(s, containing: "is read by this run", outputExisted: true)
        // The history (data.history.csv) would be a file in the PNG data folder.
        let pngs = folder + "/pngs"
        try FileManager.default.createDirectory(atPath: pngs, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: pngs + "/m.history.csv"))
        s = settings()
        s.output = pngs + "/m.aemodel"
        s.data = [pngs]
        s.force = true
        assertRefused(s, containing: "m.history.csv: is read by this run")
        XCTAssertEqual(try String(contentsOfFile: pngs + "/m.history.csv", encoding: .utf8), "keep")
        // --quantize-from onto itself.
        s = settings("q.aemodel")
        s.force = true
        s.quantizeFrom = s.output
        try FileManager.default.copyItem(atPath: TestFixtures.goldenBundlePath, toPath: s.output)
        XCTAssertThrowsError(try TrainingJob(settings: s).quantize(output: TerminalOutput(mode: .quiet))) {
            XCTAssertTrue("\($0)".contains("is read by this run"), "\($0)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: npy)), original)
    }

    /// Issue 17.3 and 17.13: an existing history file is refused without --force (and a
    /// folder in its place always), before training starts.
    func testHistoryFollowsTheBundlesOverwriteRules() throws {
        let s = settings()
        try Data("precious".utf8).write(to: URL(fileURLWithPath: s.output.replacingOccurrences(of: ".aemodel", with: ".history.csv")))
        assertRefused(s, containing: "m.history.csv: already exists")
        XCTAssertEqual(try String(contentsOfFile: folder + "/m.history.csv", encoding: .utf8), "precious")
        try FileManager.default.removeItem(atPath: folder + "/m.history.csv")
        try FileManager.default.createDirectory(atPath: folder + "/m.history.csv", withIntermediateDirectories: false)
        var forced = s
        forced.force = true
        assertRefused(forced, containing: "m.history.csv: is a folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: forced.output + ".checkpoint"), "refused before the first epoch")
        try FileManager.default.removeItem(atPath: folder + "/m.history.csv")
        try Data("old".utf8).write(to: URL(fileURLWithPath: folder + "/m.history.csv"))
        forced.options.epochs = 1
        XCTAssertNoThrow(try run(forced))
        XCTAssertTrue(try String(contentsOfFile: folder + "/m.history.csv", encoding: .utf8).hasPrefix("epoch,"))
    }
}
