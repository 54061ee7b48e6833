@testable import AENet
import XCTest

/// `Sequential.backward` lets max-pooling and upsampling apply the ReLU derivative of the
/// convolution before them (ReLUDerivativeFusion.swift): the same bits as each layer on its own.
final class ReLUDerivativeFusionTests: XCTestCase {
    /// Each layer's plain backward, none fused.
    func unfusedBackward(_ model: Autoencoder, _ gradOutput: Tensor) {
        var g = gradOutput
        for layer in model.decoder.layers.reversed() { g = layer.backward(g, needInputGradient: true) }
        for (index, layer) in model.encoder.layers.enumerated().reversed() {
            g = layer.backward(g, needInputGradient: index > 0)
        }
    }

    func checkReferenceModel(oneDNN: Bool) throws {
        var rng = RandomGenerator(seed: 11)
        let x = randomTensor([5, 32, 32, 3], &rng, in: 0, 1)
        let model = ReferenceModel.build(latentDim: 8, seed: 12, threads: 2)
        if oneDNN { XCTAssertEqual(try model.runConvolutionsOnOneDNN(try OneDNNContext()), 6) }
        for sequential in [model.encoder, model.decoder] {
            let fused = sequential.layers.indices.filter { sequential.takesOverReLUDerivative(at: $0, in: sequential.layers.indices) }
            XCTAssertEqual(fused.count, 3, "\(sequential.name): each ReLU convolution is followed by pooling or upsampling")
        }
        let grad = MeanSquaredError.lossAndGradient(prediction: model.forward(x), target: x).gradient
        model.backward(grad)
        let fused = model.parameters.map(\.grad)
        XCTAssertTrue(fused.allSatisfy { $0.data.contains { $0 != 0 } })
        model.parameters.forEach { $0.zeroGrad() }
        unfusedBackward(model, grad)
        for (p, f) in zip(model.parameters, fused) {
            XCTAssertEqual(p.grad.data, f.data, "\(p.name) (oneDNN: \(oneDNN))")
        }
    }

    func testReferenceModelOnOurEngine() throws { try checkReferenceModel(oneDNN: false) }
    func testReferenceModelOnOneDNN() throws { try checkReferenceModel(oneDNN: true) }

    /// The masked pass is the plain pass times (input > 0), inputs of both signs and zeros.
    func testMaskedBackwardIsThePlainOneTimesThePositiveInputs() {
        var rng = RandomGenerator(seed: 13)
        var x = randomTensor([3, 8, 6, 5], &rng)
        for i in stride(from: 0, to: x.count, by: 7) { x.data[i] = 0 }
        for i in stride(from: 0, to: x.count, by: 4) { x.data[i] = max(x.data[i], 0) }
        let layers: [PositiveInputMaskingLayer] = [MaxPool2D(name: "pool", inputShape: [8, 6, 5], parallelism: Parallelism(threads: 2)),
                                                   UpSampling2D(name: "up", inputShape: [8, 6, 5], parallelism: Parallelism(threads: 2))]
        for layer in layers {
            let y = layer.forward(x)
            let g = randomTensor(y.shape, &rng)
            let plain = layer.backward(g, needInputGradient: true), masked = layer.backwardMaskingNonPositiveInputs(g)
            XCTAssertEqual(masked.shape, x.shape)
            XCTAssertEqual(masked.data, zip(plain.data, x.data).map { $1 > 0 ? $0 : 0 }, layer.name)
            XCTAssertTrue(masked.data.contains { $0 != 0 } && plain.data.contains { $0 != 0 }, layer.name)
        }
    }

    /// A ReLU convolution at the end of the range run backward is not fused (the pooling after
    /// it is outside), nor is a sigmoid one.
    func testFusionNeedsBothLayersInTheRangeAndAReLU() {
        var rng = RandomGenerator(seed: 14)
        let relu = Sequential(name: "s", layers: [
            Conv2D(name: "c", inputShape: [8, 8, 3], filters: 4, activation: .relu, rng: &rng),
            MaxPool2D(name: "p", inputShape: [8, 8, 4])])
        XCTAssertTrue(relu.takesOverReLUDerivative(at: 1, in: 0 ..< 2))
        XCTAssertFalse(relu.takesOverReLUDerivative(at: 1, in: 1 ..< 2))
        XCTAssertFalse(relu.takesOverReLUDerivative(at: 0, in: 0 ..< 2))
        let sigmoid = Sequential(name: "s", layers: [
            Conv2D(name: "c", inputShape: [8, 8, 3], filters: 4, activation: .sigmoid, rng: &rng),
            MaxPool2D(name: "p", inputShape: [8, 8, 4])])
        XCTAssertFalse(sigmoid.takesOverReLUDerivative(at: 1, in: 0 ..< 2))
    }
}
