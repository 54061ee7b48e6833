import AENet
import AEBase
import XCTest

final class ModelTests: XCTestCase {
    func testReferenceParameterCount() {
        // 598,211 is the published count of the seed's Keras model at latent 64.
        XCTAssertEqual(ReferenceModel.build(latentDim: 64).parameterCount, 598_211)
        // Each latent unit costs 2048 + 1 (encoder Dense) + 2048 (decoder Dense) parameters.
        XCTAssertEqual(ReferenceModel.build(latentDim: 16).parameterCount, 598_211 - 48 * (2048 + 1 + 2048))
    }

    func testSummaryTable() {
        let table = Summary.table(for: ReferenceModel.build(latentDim: 64))
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.last, "Total params: 598,211")
        XCTAssertTrue(table.contains("conv2d_transpose (Conv2DTranspose)"))
        XCTAssertTrue(table.contains("(None, 4, 4, 128)"))
        XCTAssertTrue(table.contains("dense (Dense)               (None, 64)                131,136"))
        XCTAssertEqual(NumberText.grouped(1_234_567), "1,234,567")
        XCTAssertEqual(NumberText.grouped(12), "12")
    }

    func testEncoderAndDecoderShapes() {
        let model = ReferenceModel.build(latentDim: 16, seed: 3, threads: 2)
        var rng = RandomGenerator(seed: 1)
        let x = randomTensor([3, 32, 32, 3], &rng, in: 0, 1)
        let z = model.encode(x)
        XCTAssertEqual(z.shape, [3, 16])
        let y = model.decode(z)
        XCTAssertEqual(y.shape, [3, 32, 32, 3])
        XCTAssertTrue(y.data.allSatisfy { $0 >= 0 && $0 <= 1 }, "sigmoid output leaves [0, 1]")
        XCTAssertEqual(model.forward(x), y, "forward is decode(encode(x))")
    }

    /// `infer` gives `forward`'s output; forward and backward still work after it.
    func testInferenceGivesTheForwardOutput() {
        let model = ConvolutionalCodecModel.build(channels: 8, latentChannels: 6, seed: 2)
        var rng = RandomGenerator(seed: 3)
        let x = randomTensor([1, 48, 32, 3], &rng, in: 0, 1)
        let z = model.encoder.infer(x)
        XCTAssertEqual(z, model.encode(x))
        XCTAssertEqual(model.decoder.infer(z), model.decode(z))
        let y = model.forward(x)
        model.zeroGradients()
        model.backward(y)
        XCTAssertTrue(model.parameters.contains { $0.grad.data.contains { $0 != 0 } })
    }

    func testRescalingTheLatentKeepsTheOutput() {
        let model = ReferenceModel.build(latentDim: 8, seed: 5)
        XCTAssertTrue(model.hasDenseLatent)
        XCTAssertFalse(ConvolutionalCodecModel.build(channels: 4, latentChannels: 4, seed: 1).hasDenseLatent)
        var rng = RandomGenerator(seed: 2)
        let x = randomTensor([2, 32, 32, 3], &rng, in: 0, 1)
        let before = model.forward(x), latentBefore = model.encode(x)
        let steps: [Float] = [0.5, 2, 0.01, 7, 1, 0.25, 3, 0.125]
        model.rescaleLatent(steps: steps)
        let latentAfter = model.encode(x)
        for i in 0..<2 {
            for d in 0..<8 {
                XCTAssertEqual(latentAfter.data[i * 8 + d], latentBefore.data[i * 8 + d] / steps[d],
                               accuracy: 1e-4 * max(1, abs(latentBefore.data[i * 8 + d] / steps[d])))
            }
        }
        assertClose(model.forward(x), before, tolerance: 1e-5, "output after rescaling")
    }

    func testLatentGainKeepsTheUnroundedNetworkAndScalesThePrior() {
        let model = ConvolutionalCodecModel.build(channels: 6, latentChannels: 5, seed: 3)
        XCTAssertTrue(model.hasScalableLatent)
        XCTAssertFalse(ReferenceModel.build(latentDim: 8).hasScalableLatent)
        XCTAssertFalse(ConvolutionalHyperpriorModel.build(channels: 6, latentChannels: 5, seed: 3).hasScalableLatent)
        let prior = model.prior!
        prior.setQuantilesByBisection()
        let quantilesBefore = prior.quantiles.value.data
        var rng = RandomGenerator(seed: 4)
        let x = randomTensor([1, 32, 48, 3], &rng, in: 0, 1)
        let before = model.forward(x), latentBefore = model.encode(x)
        let gain: Float = 2.5
        model.scaleLatent(by: gain)
        let latentAfter = model.encode(x)
        for i in 0 ..< latentBefore.count {
            XCTAssertEqual(latentAfter.data[i], gain * latentBefore.data[i], accuracy: 1e-4 * max(1, abs(gain * latentBefore.data[i])))
        }
        assertClose(model.forward(x), before, tolerance: 1e-5, "output after the gain")
        // The density of gain * y: its quantiles, solved again from the density, are gain times the old ones.
        for (q, old) in zip(prior.quantiles.value.data, quantilesBefore) { XCTAssertEqual(q, gain * old, accuracy: 1e-4 * max(1, abs(q))) }
        prior.setQuantilesByBisection()
        for (q, old) in zip(prior.quantiles.value.data, quantilesBefore) { XCTAssertEqual(q, gain * old, accuracy: 1e-3 * max(1, abs(q))) }
    }

    func testSeededInitialisationIsReproducible() {
        let a = ReferenceModel.build(latentDim: 8, seed: 42)
        let b = ReferenceModel.build(latentDim: 8, seed: 42)
        let c = ReferenceModel.build(latentDim: 8, seed: 43)
        XCTAssertEqual(a.parameters.map(\.value), b.parameters.map(\.value))
        XCTAssertNotEqual(a.parameters[0].value, c.parameters[0].value)
    }

    func testGlorotUniformStatistics() {
        var rng = RandomGenerator(seed: 9)
        let shape = [3, 3, 64, 128]
        let t = Initializer.glorotUniform(shape: shape, rng: &rng)
        let limit = (6.0 / Float(9 * 64 + 9 * 128)).squareRoot()
        XCTAssertTrue(t.data.allSatisfy { abs($0) <= limit })
        let mean = t.data.reduce(0, +) / Float(t.count)
        let variance = t.data.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(t.count)
        XCTAssertEqual(mean, 0, accuracy: 0.01 * limit)
        XCTAssertEqual(variance, limit * limit / 3, accuracy: 0.02 * limit * limit)
        // Biases start at zero.
        let model = ReferenceModel.build(latentDim: 8)
        XCTAssertTrue(model.parameters.filter { $0.name.hasSuffix("/bias") }.allSatisfy { $0.value.data.allSatisfy { $0 == 0 } })
    }

    func testThreadCountDoesNotChangeResults() {
        var rng = RandomGenerator(seed: 5)
        let x = randomTensor([5, 32, 32, 3], &rng, in: 0, 1)
        var outputs: [Tensor] = [], grads: [[Tensor]] = []
        for threads in [1, 2] {
            let model = ReferenceModel.build(latentDim: 8, seed: 1, threads: threads)
            let y = model.forward(x)
            model.backward(MeanSquaredError.lossAndGradient(prediction: y, target: x).gradient)
            outputs.append(y)
            grads.append(model.parameters.map(\.grad))
        }
        assertClose(outputs[0], outputs[1], tolerance: 1e-6, "output, 1 vs 2 threads")
        for (a, b) in zip(grads[0], grads[1]) {
            let scale = a.data.map(abs).max() ?? 1
            assertClose(a, b, tolerance: 1e-4 * max(scale, 1e-3), "gradient, 1 vs 2 threads")
        }
    }

    func testRandomGeneratorIsDeterministic() {
        var a = RandomGenerator(seed: 123), b = RandomGenerator(seed: 123)
        XCTAssertEqual((0..<10).map { _ in a.next() }, (0..<10).map { _ in b.next() })
        var order = Array(0..<50)
        a.shuffle(&order)
        XCTAssertEqual(order.sorted(), Array(0..<50))
        XCTAssertNotEqual(order, Array(0..<50))
        for _ in 0..<1000 {
            let f = a.nextUnitFloat()
            XCTAssertTrue(f >= 0 && f < 1)
            XCTAssertLessThan(a.nextInt(below: 7), 7)
        }
    }
}
