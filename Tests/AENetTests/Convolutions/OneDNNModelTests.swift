@testable import AENet
import XCTest

/// Whole models with their convolutions on oneDNN (`Autoencoder.runConvolutionsOnOneDNN`):
/// the same outputs, gradients and training steps as on our engine, within float32 rounding.
final class OneDNNModelTests: XCTestCase {
    /// The largest difference relative to the largest magnitude of `b`.
    func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape)
        let scale = max(b.data.map(abs).max() ?? 0, 1e-12)
        return zip(a.data, b.data).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    func testReferenceModelMatchesOurEngine() throws {
        let context = try OneDNNContext()
        var rng = RandomGenerator(seed: 3)
        let x = randomTensor([6, 32, 32, 3], &rng, in: 0, 1)
        let ours = ReferenceModel.build(latentDim: 16, seed: 4, threads: 2)
        let theirs = ReferenceModel.build(latentDim: 16, seed: 4, threads: 2)
        XCTAssertEqual(try theirs.runConvolutionsOnOneDNN(context), 6, "3 Conv2D, 3 Conv2DTranspose (not the last Conv2D, to 3 channels)")
        let (a, b) = (ours.forward(x), theirs.forward(x))
        XCTAssertLessThan(relativeDifference(b, a), 1e-5)
        let grad = MeanSquaredError.lossAndGradient(prediction: a, target: x).gradient
        ours.backward(grad)
        theirs.backward(grad)
        for (p, q) in zip(ours.parameters, theirs.parameters) {
            XCTAssertLessThan(relativeDifference(q.grad, p.grad), 1e-4, p.name)
        }
    }

    /// Training steps (Adam changes the weights in place between them, which the oneDNN
    /// copies must follow) stay within rounding of our engine's, and a step is the same bits
    /// twice from the same start at a fixed thread count.
    func testTrainingStepsFollowTheWeights() throws {
        let context = try OneDNNContext()
        var rng = RandomGenerator(seed: 5)
        let x = randomTensor([8, 32, 32, 3], &rng, in: 0, 1)
        var trained: Autoencoder?
        func run(_ oneDNN: Bool) throws -> [Tensor] {
            let model = ReferenceModel.build(latentDim: 8, seed: 6, threads: 2)
            if oneDNN { try model.runConvolutionsOnOneDNN(context) }
            let trainer = Trainer(model: model)
            for _ in 0 ..< 4 { trainer.trainStep(x) }
            trained = model
            return model.parameters.map(\.value)
        }
        let (ours, theirs, again) = (try run(false), try run(true), try run(true))
        // After the steps the oneDNN model computes with its current weights: its output
        // is our engine's with those weights.
        let check = ReferenceModel.build(latentDim: 8, seed: 0, threads: 2)
        for (p, q) in zip(check.parameters, again) { p.value = q }
        XCTAssertLessThan(relativeDifference(try XCTUnwrap(trained).forward(x), check.forward(x)), 1e-5)
        XCTAssertEqual(theirs.map(\.data), again.map(\.data))
        for (a, b) in zip(ours, theirs) { XCTAssertLessThan(relativeDifference(b, a), 1e-3) }
        XCTAssertNotEqual(theirs.map(\.data), ReferenceModel.build(latentDim: 8, seed: 6).parameters.map(\.value.data))
    }

    /// The photo codec with a hyperprior: every convolution moves (its transforms' and the
    /// hyperprior's), and a rate-distortion step gives the same loss within rounding.
    func testHyperpriorModelMatchesOurEngine() throws {
        let context = try OneDNNContext()
        var rng = RandomGenerator(seed: 7)
        let x = randomTensor([2, 32, 48, 3], &rng, in: 0, 1)
        let ours = ConvolutionalHyperpriorModel.build(channels: 8, latentChannels: 8, seed: 8)
        let theirs = ConvolutionalHyperpriorModel.build(channels: 8, latentChannels: 8, seed: 8)
        XCTAssertEqual(try theirs.runConvolutionsOnOneDNN(context), 13, "all but the synthesis' last, to RGB")
        let a = Trainer(model: ours, loss: RateDistortionLoss(lambda: 0.01)).gradients(x, noiseSeed: 9)
        let b = Trainer(model: theirs, loss: RateDistortionLoss(lambda: 0.01)).gradients(x, noiseSeed: 9)
        XCTAssertEqual(Double(b.loss), Double(a.loss), accuracy: Double(abs(a.loss)) * 1e-4)
        for (p, q) in zip(ours.parameters, theirs.parameters) {
            XCTAssertLessThan(relativeDifference(q.grad, p.grad), 1e-3, p.name)
        }
    }
}
