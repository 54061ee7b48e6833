import AECodec
import AEData
import AEFormats
import AEBase
import AENet
import Foundation
import XCTest

final class CheckpointBundleTests: XCTestCase {
    /// Small smooth images so a couple of training steps are cheap.
    func images(_ count: Int) -> ImageSet {
        var pixels = [UInt8]()
        for n in 0..<count { for y in 0..<32 { for x in 0..<32 { for c in 0..<3 {
            pixels.append(UInt8((x * 5 + y * 3 + c * 40 + n * 29) % 256))
        } } } }
        return ImageSet(height: 32, width: 32, channels: 3, pixels: pixels)
    }

    /// Writes a checkpoint after epoch 1 and remembers the trainer's state at that point.
    final class AfterFirstEpoch: TrainingObserver {
        let path: String, metadata: BundleMetadata
        var trainer: Trainer?
        var state: TrainingState?
        init(path: String, metadata: BundleMetadata) {
            self.path = path
            self.metadata = metadata
        }
        func trainingDidFinishEpoch(_ record: EpochRecord) throws {
            guard record.epoch == 1, let trainer else { return }
            state = TrainingState(trainer: trainer)
            try ModelBundle(checkpointOf: trainer, metadata: metadata).write(to: path)
        }
    }

    func testCheckpointStateRoundTripsExactlyAndResumesBitForBit() throws {
        let folder = try BundleTesting.temporaryFolder(self)
        let path = folder.appendingPathComponent("run.ckpt.aemodel").path
        let data = images(10)
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 4
        options.validationSplit = 0.2
        options.learningRate = 2e-3
        options.seed = 99
        let model = ReferenceModel.build(latentDim: 4, seed: 5)
        let trainer = Trainer(model: model, options: options)
        var metadata = BundleMetadata(describing: model, tool: .init(name: "tests"))
        metadata.training = .init(options: options, dataSource: .init(kind: "synthetic", description: "gradients", sampleCount: 10),
                                  initSeed: 5, threads: 1, wallTimeSeconds: 0.25)
        let observer = AfterFirstEpoch(path: path, metadata: metadata)
        observer.trainer = trainer
        try trainer.fit(data, observer: observer)

        // The checkpoint holds exactly the state after epoch 1.
        let checkpoint = try ModelBundle.read(path: path)
        XCTAssertTrue(checkpoint.isCheckpoint)
        XCTAssertEqual(checkpoint.metadata.kind, .checkpoint)
        XCTAssertEqual(checkpoint.metadata.checkpoint?.completedEpochs, 1)
        XCTAssertEqual(checkpoint.metadata.training?.dataSource?.description, "gradients")
        XCTAssertEqual(checkpoint.metadata.training?.wallTimeSeconds, 0.25)
        let state = try checkpoint.trainingState()
        let expected = try XCTUnwrap(observer.state)
        XCTAssertEqual(state.step, expected.step)
        XCTAssertEqual(state.step, 2)  // 8 training images, batch 4
        XCTAssertEqual(state.history, expected.history)
        XCTAssertEqual(state.firstMoments.map { $0.map(\.bitPattern) }, expected.firstMoments.map { $0.map(\.bitPattern) })
        XCTAssertEqual(state.secondMoments.map { $0.map(\.bitPattern) }, expected.secondMoments.map { $0.map(\.bitPattern) })
        let recorded = try XCTUnwrap(checkpoint.trainingOptions)
        XCTAssertEqual(recorded.epochs, 2)
        XCTAssertEqual(recorded.batchSize, 4)
        XCTAssertEqual(recorded.validationSplit, 0.2)
        XCTAssertEqual(recorded.learningRate, 2e-3)
        XCTAssertEqual(recorded.seed, 99)
        XCTAssertTrue(checkpoint.tensors.contains { $0.name == "optimizer/m/conv2d/kernel" })
        XCTAssertTrue(checkpoint.tensors.contains { $0.name == "optimizer/v/conv2d_3/bias" })
        // Optimizer state does not enter the fingerprint.
        XCTAssertEqual(checkpoint.fingerprint, ModelFingerprint.hex(of: checkpoint.weightTensors))

        // Resuming from the checkpoint finishes with exactly the uninterrupted run's weights.
        let resumed = try checkpoint.makeTrainer()
        XCTAssertEqual(resumed.history, expected.history)
        let history = try resumed.fit(data)
        XCTAssertEqual(history.count, 2)
        XCTAssertEqual(history[1].trainLoss, trainer.history[1].trainLoss)
        XCTAssertEqual(history[1].validationLoss, trainer.history[1].validationLoss)
        for (p, q) in zip(trainer.model.parameters, resumed.model.parameters) {
            XCTAssertEqual(p.value.data.map(\.bitPattern), q.value.data.map(\.bitPattern), p.name)
        }
    }

    func testCheckpointRefusesFloat16AndModelsHaveNoTrainingState() throws {
        let trainer = Trainer(model: ReferenceModel.build(latentDim: 4, seed: 1))
        let checkpoint = ModelBundle(checkpointOf: trainer)
        let folder = try BundleTesting.temporaryFolder(self)
        let e = BundleTesting.bundleError { try checkpoint.write(to: folder.appendingPathComponent("c.aemodel").path, weights: .f16) }
        guard case .invalidRequest = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])

        let plain = try ModelBundle.decode(ModelBundle(model: trainer.model).encoded())
        XCTAssertFalse(plain.isCheckpoint)
        let missing = BundleTesting.bundleError { _ = try plain.trainingState() }
        guard case .missingTrainingState = missing else { return XCTFail("\(String(describing: missing))") }

        // A checkpoint without one of its moment tensors is refused by name.
        var broken = checkpoint
        broken.tensors.removeAll { $0.name == "optimizer/v/dense/bias" }
        let incomplete = BundleTesting.bundleError { _ = try ModelBundle.decode(broken.encoded()).trainingState() }
        XCTAssertTrue(incomplete?.reason.contains("optimizer/v/dense/bias") == true, "\(String(describing: incomplete))")
    }
}
