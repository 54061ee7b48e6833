import AENet
import XCTest

/// Smooth synthetic 32x32 images: colour gradients plus a disc, different per image.
func syntheticImages(_ count: Int, seed: UInt64) -> ImageSet {
    var rng = RandomGenerator(seed: seed)
    var pixels = [UInt8]()
    pixels.reserveCapacity(count * 3072)
    for _ in 0..<count {
        let base = (0..<3).map { _ in rng.nextFloat(in: 0.1, 0.9) }
        let slope = (0..<3).map { _ in rng.nextFloat(in: -0.4, 0.4) }
        let (cx, cy, r) = (rng.nextFloat(in: 8, 24), rng.nextFloat(in: 8, 24), rng.nextFloat(in: 3, 9))
        let disc = (0..<3).map { _ in rng.nextFloat(in: 0, 1) }
        for y in 0..<32 { for x in 0..<32 { for c in 0..<3 {
            let dx = Float(x) - cx, dy = Float(y) - cy
            var v = base[c] + slope[c] * (Float(x) - 16) / 32
            if dx * dx + dy * dy < r * r { v = disc[c] }
            pixels.append(UInt8(max(0, min(255, v * 255))))
        } } }
    }
    return ImageSet(height: 32, width: 32, channels: 3, pixels: pixels)
}

final class TrainingTests: XCTestCase {
    final class Recorder: TrainingObserver {
        var starts: [Int] = [], batches = 0, records: [EpochRecord] = []
        func trainingWillStartEpoch(_ epoch: Int, of epochs: Int, batches: Int) { starts.append(epoch) }
        func trainingDidFinishBatch(_ batch: Int, of batches: Int, loss: Double, imagesPerSecond: Double) { self.batches += 1 }
        func trainingDidFinishEpoch(_ record: EpochRecord) throws { records.append(record) }
    }

    func testShortTrainingRunReducesLoss() throws {
        let data = syntheticImages(320, seed: 1)
        let model = ReferenceModel.build(latentDim: 16, seed: 1, threads: 2)
        var options = TrainingOptions()
        options.epochs = 6
        options.batchSize = 32
        options.validationSplit = 0.2
        let trainer = Trainer(model: model, options: options)
        let (_, validation) = try trainer.split(data)
        let before = trainer.evaluate(validation!)
        let recorder = Recorder()
        let history = try trainer.fit(data, observer: recorder)
        XCTAssertEqual(history.count, 6)
        XCTAssertEqual(recorder.starts, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(recorder.batches, 6 * 8)  // 256 training images / 32
        XCTAssertEqual(recorder.records, history)
        let after = history.last!.validationLoss!
        XCTAssertLessThan(after, 0.7 * before, "validation MSE \(before) -> \(after)")
        XCTAssertLessThan(history.last!.trainLoss, history.first!.trainLoss)
    }

    func testValidationSplitTakesTheLastImages() throws {
        let data = syntheticImages(10, seed: 2)
        var options = TrainingOptions()
        options.validationSplit = 0.3
        let trainer = Trainer(model: ReferenceModel.build(latentDim: 4), options: options)
        let (train, validation) = try trainer.split(data)
        XCTAssertEqual(train.count, 7)
        XCTAssertEqual(validation?.count, 3)
        XCTAssertEqual(validation?.pixels, data.subset(7..<10).pixels)
    }

    func testRefusesSplitThatLeavesNothingToTrain() {
        var options = TrainingOptions()
        options.validationSplit = 1.0
        let trainer = Trainer(model: ReferenceModel.build(latentDim: 4), options: options)
        XCTAssertThrowsError(try trainer.fit(syntheticImages(3, seed: 3))) { error in
            XCTAssertEqual(error as? TrainingError, .emptyTrainingSet(images: 3, validationSplit: 1.0))
        }
    }

    func testRefusesWrongImageShape() {
        let trainer = Trainer(model: ReferenceModel.build(latentDim: 4))
        let small = ImageSet(height: 16, width: 16, channels: 3, pixels: [UInt8](repeating: 0, count: 768))
        XCTAssertThrowsError(try trainer.fit(small)) { error in
            XCTAssertEqual(error as? TrainingError, .shapeMismatch(data: [16, 16, 3], model: [32, 32, 3]))
        }
    }

    func testEpochOrderIsSeededAndResumable() {
        var options = TrainingOptions()
        options.seed = 5
        let a = Trainer(model: ReferenceModel.build(latentDim: 4), options: options)
        let b = Trainer(model: ReferenceModel.build(latentDim: 4), options: options)
        XCTAssertEqual(a.order(epoch: 3, count: 100), b.order(epoch: 3, count: 100))
        XCTAssertNotEqual(a.order(epoch: 3, count: 100), a.order(epoch: 4, count: 100))
    }

    func testCosineLearningRateSchedule() {
        var options = TrainingOptions()
        options.epochs = 5
        options.learningRate = 1e-3
        let constant = Trainer(model: ReferenceModel.build(latentDim: 4), options: options)
        XCTAssertEqual((0..<5).map { constant.learningRate(epoch: $0) }, [Float](repeating: 1e-3, count: 5))
        options.finalLearningRate = 1e-5
        let trainer = Trainer(model: ReferenceModel.build(latentDim: 4), options: options)
        let rates = (0..<5).map { trainer.learningRate(epoch: $0) }
        XCTAssertEqual(rates.first!, 1e-3, accuracy: 1e-9)
        XCTAssertEqual(rates.last!, 1e-5, accuracy: 1e-9)
        XCTAssertEqual(rates[2], (1e-3 + 1e-5) / 2, accuracy: 1e-9)  // the cosine's midpoint
        XCTAssertEqual(rates, rates.sorted(by: >))
    }
}

/// The trainer's parts: the loss it minimises and the parameter groups it steps.
final class TrainerPartsTests: XCTestCase {
    /// Mean squared distance to mid-gray, whatever the target, counting its calls.
    final class GrayLoss: Loss {
        let name = "gray"
        var calls = 0
        func lossAndGradient(prediction: Tensor, target: Tensor) -> (loss: Float, gradient: Tensor) {
            calls += 1
            return MeanSquaredError.lossAndGradient(prediction: prediction, target: gray(like: prediction))
        }
        func loss(prediction: Tensor, target: Tensor) -> Float {
            MeanSquaredError.loss(prediction: prediction, target: gray(like: prediction))
        }
        private func gray(like t: Tensor) -> Tensor {
            Tensor(shape: t.shape, data: [Float](repeating: 0.5, count: t.count))
        }
    }

    private func options(epochs: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.epochs = epochs
        o.batchSize = 16
        o.validationSplit = 0.25
        o.finalLearningRate = 1e-4
        return o
    }

    /// The default trainer is exactly MSE with one Adam over the model's parameters.
    func testExplicitPartsReproduceTheDefault() throws {
        let data = syntheticImages(64, seed: 4)
        let a = ReferenceModel.build(latentDim: 4, seed: 2), b = ReferenceModel.build(latentDim: 4, seed: 2)
        let defaults = Trainer(model: a, options: options(epochs: 2))
        let explicit = Trainer(model: b, options: options(epochs: 2), loss: MeanSquaredErrorLoss(), parameterGroups: [
            ParameterGroup(name: "model", optimizer: Adam(parameters: b.parameters, learningRate: 1e-3))])
        XCTAssertEqual(try defaults.fit(data).map(\.trainLoss), try explicit.fit(data).map(\.trainLoss))
        XCTAssertEqual(a.parameters.map(\.value), b.parameters.map(\.value))
        XCTAssertEqual(defaults.parameterGroups.map(\.name), ["model"])
        XCTAssertTrue(defaults.optimizer.parameters.elementsEqual(a.parameters, by: ===))
    }

    func testTrainerMinimisesTheGivenLoss() throws {
        let data = syntheticImages(64, seed: 5)
        let model = ReferenceModel.build(latentDim: 4, seed: 3)
        let loss = GrayLoss()
        let trainer = Trainer(model: model, options: options(epochs: 3), loss: loss)
        let (_, validation) = try trainer.split(data)
        let before = Trainer.evaluate(model, on: validation!, loss: loss)
        let history = try trainer.fit(data)
        XCTAssertEqual(loss.calls, 3 * 3)  // 48 training images in batches of 16, three epochs
        let after = Trainer.evaluate(model, on: validation!, loss: loss)
        XCTAssertEqual(history.last!.validationLoss!, after, "validation uses the trainer's loss")
        XCTAssertNotEqual(after, Trainer.evaluate(model, on: validation!), "not the MSE against the images")
        XCTAssertLessThan(after, 0.5 * before, "gray loss \(before) -> \(after)")
    }

    /// A fully-convolutional model trains on images of a size its strides allow and
    /// refuses one whose reconstruction would differ in size.
    func testTrainsAFullyConvolutionalModel() throws {
        var rng = RandomGenerator(seed: 9)
        let model = Autoencoder(
            encoder: Sequential(name: "analysis", layers: [
                Convolution(name: "conv", inputChannels: 3, filters: 8, kernelSize: 5, stride: 2, rng: &rng),
                GDN(name: "gdn", channels: 8)]),
            decoder: Sequential(name: "synthesis", layers: [
                TransposedConvolution(name: "convT", inputChannels: 8, filters: 3, kernelSize: 5, stride: 2,
                                      activation: .sigmoid, rng: &rng)]))
        let trainer = Trainer(model: model, options: options(epochs: 3))
        let history = try trainer.fit(syntheticImages(64, seed: 7))
        XCTAssertLessThan(history.last!.trainLoss, history.first!.trainLoss)
        let odd = ImageSet(height: 15, width: 16, channels: 3, pixels: [UInt8](repeating: 0, count: 15 * 16 * 3))
        XCTAssertThrowsError(try trainer.split(odd)) { error in
            XCTAssertEqual(error as? TrainingError, .shapeMismatch(data: [15, 16, 3], model: [anySize, anySize, 3]))
        }
    }

    /// Each group's optimizer steps its own parameters once per batch; a group off the
    /// schedule keeps its rate (here 0: its parameters never move); a parameter outside
    /// the model has its gradient cleared each step.
    func testParameterGroupsStepTheirOwnParameters() throws {
        let data = syntheticImages(64, seed: 6)
        let model = ReferenceModel.build(latentDim: 4, seed: 4)
        let aux = Parameter(name: "aux", value: Tensor(shape: [3], data: [1, 2, 3]))
        let groups = [
            ParameterGroup(name: "encoder", optimizer: Adam(parameters: model.encoder.parameters)),
            ParameterGroup(name: "decoder", optimizer: Adam(parameters: model.decoder.parameters, learningRate: 0),
                           followsSchedule: false),
            ParameterGroup(name: "aux", optimizer: Adam(parameters: [aux], learningRate: 0.5), followsSchedule: false),
        ]
        let trainer = Trainer(model: model, options: options(epochs: 2), parameterGroups: groups)
        let encoderBefore = model.encoder.parameters.map(\.value), decoderBefore = model.decoder.parameters.map(\.value)
        aux.grad = Tensor(shape: [3], data: [9, 9, 9])
        try trainer.fit(data)
        XCTAssertEqual(groups.map(\.optimizer.step), [6, 6, 6])
        XCTAssertNotEqual(model.encoder.parameters.map(\.value), encoderBefore)
        XCTAssertEqual(model.decoder.parameters.map(\.value), decoderBefore)
        XCTAssertEqual(groups[0].optimizer.learningRate, trainer.learningRate(epoch: 1))
        XCTAssertEqual(groups[1].optimizer.learningRate, 0)
        XCTAssertEqual(groups[2].optimizer.learningRate, 0.5)
        XCTAssertEqual(aux.grad.data, [0, 0, 0], "cleared before each step")
        XCTAssertEqual(aux.value.data, [1, 2, 3], "no gradient reached it")
    }

    /// clip_grad_norm_: a global L2 norm over the gradients above the bound scales them all by
    /// bound / (norm + 1e-6); at or below it nothing changes.
    func testGradientClippingScalesTheGlobalNormDown() {
        let a = Parameter(name: "a", value: Tensor(zeros: [2])), b = Parameter(name: "b", value: Tensor(zeros: [1]))
        a.grad = Tensor(shape: [2], data: [3, 0])
        b.grad = Tensor(shape: [1], data: [-4])
        XCTAssertEqual(Trainer.clipGradients([a, b], maxNorm: 1), 5, accuracy: 1e-12)
        let s = Float(1 / (5 + 1e-6))
        XCTAssertEqual(a.grad.data, [3 * s, 0])
        XCTAssertEqual(b.grad.data, [-4 * s])
        a.grad = Tensor(shape: [2], data: [0.3, 0])
        b.grad = Tensor(shape: [1], data: [-0.4])
        XCTAssertEqual(Trainer.clipGradients([a, b], maxNorm: 1), 0.5, accuracy: 1e-7)
        XCTAssertEqual(a.grad.data + b.grad.data, [0.3, 0, -0.4], "under the bound: unchanged")
    }

    /// With clipping the model group's gradients are clipped before Adam steps: the run
    /// differs from an unclipped one and repeats exactly, and this model's real gradients
    /// are over the bound (so the clipping did act).
    func testTrainingWithClippingIsDeterministicAndChangesTheRun() throws {
        func run(_ clip: Double?) throws -> [Tensor] {
            let data = syntheticImages(32, seed: 8)
            let model = ReferenceModel.build(latentDim: 4, seed: 5)
            var o = options(epochs: 1)
            o.gradientClipNorm = clip
            try Trainer(model: model, options: o).fit(data)
            return model.parameters.map(\.value)
        }
        let clipped = try run(1e-4)
        XCTAssertEqual(clipped, try run(1e-4))
        XCTAssertNotEqual(clipped, try run(nil))
        // A batch's gradient is over the bound, and clipping leaves the bound's norm.
        let model = ReferenceModel.build(latentDim: 4, seed: 5)
        var o = options(epochs: 1)
        o.gradientClipNorm = 1e-4
        let trainer = Trainer(model: model, options: o)
        trainer.gradients(syntheticImages(8, seed: 9).batch(0 ..< 8))
        XCTAssertGreaterThan(Trainer.clipGradients(model.parameters, maxNorm: 1e-4), 1e-4)
        XCTAssertEqual(Trainer.clipGradients(model.parameters, maxNorm: 1e-4), 1e-4, accuracy: 1e-8)
    }
}
