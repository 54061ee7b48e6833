@testable import AENet
import XCTest

/// The scale hyperprior (issue 14): a second latent z = h_a(|y|) under a factorized prior,
/// whose synthesis gives y's scales for a Gaussian conditional; trained on
/// lambda * 255^2 * MSE + the bits of both latents.
final class HyperpriorTrainingTests: XCTestCase {
    /// A tiny conv-hyperprior model: N = 4, M = 3. On 32x48 images y is 2x3, z 1x1 and h_s's
    /// 4x4 output is cropped to 2x3.
    func model(seed: UInt64, threads: Int = 1) -> Autoencoder {
        ConvolutionalHyperpriorModel.build(channels: 4, latentChannels: 3, seed: seed, threads: threads)
    }

    func images(_ n: Int, height: Int, width: Int, seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        var t = Tensor(zeros: [n, height, width, 3])
        for i in 0 ..< n {
            let a = rng.nextFloat(in: 0.1, 0.5), b = rng.nextFloat(in: 0.1, 0.5)
            for y in 0 ..< height {
                for x in 0 ..< width {
                    for ch in 0 ..< 3 {
                        let v = 0.5 + 0.4 * sin(Float(x) * a + Float(ch)) * cos(Float(y) * b)
                        t.data[((i * height + y) * width + x) * 3 + ch] = (v * 255).rounded() / 255
                    }
                }
            }
        }
        return t
    }

    func testShapesAndParameters() {
        let m = model(seed: 1)
        let hyper = try! XCTUnwrap(m.hyperprior)
        XCTAssertNil(m.prior)
        XCTAssertTrue(m.hasEntropyModel)
        XCTAssertTrue(m.factorizedPrior === hyper.prior)
        XCTAssertEqual(hyper.prior.channels, 4)
        XCTAssertEqual(hyper.channels, 3)
        XCTAssertEqual(m.layers.count, 14 + 6)
        // Parameters: transforms, then h_a, h_s, then z's density; quantiles apart.
        let names = m.parameters.map(\.name)
        XCTAssertEqual(names.first, "analysis_conv0/kernel")
        XCTAssertTrue(names.contains("hyper_analysis_conv0/kernel"))
        XCTAssertTrue(names.contains("hyper_synthesis_conv2/bias"))
        XCTAssertEqual(names.last, "hyper_prior/bias3")
        XCTAssertEqual(m.auxiliaryParameters.map(\.name), ["hyper_prior/quantiles"])
        XCTAssertEqual(m.parameterCount, m.parameters.reduce(0) { $0 + $1.value.count })
        XCTAssertEqual([1, 2, 3, 4, 5, 8, 9].map(Hyperprior.hyperSize), [1, 1, 1, 1, 2, 2, 3])

        let x = images(2, height: 32, width: 48, seed: 2)
        var rng = RandomGenerator(seed: 3)
        let y = m.encoder.forward(x)
        XCTAssertEqual(y.shape, [2, 2, 3, 3])
        let out = hyper.forward(y, noise: &rng)
        XCTAssertEqual(out.values.shape, y.shape)
        XCTAssertEqual(out.likelihoods.shape, y.shape)
        XCTAssertEqual(out.hyperLikelihoods.shape, [2, 1, 1, 4])
        XCTAssertTrue(out.bits > 0 && out.bits.isFinite)
    }

    /// `crop` keeps the top-left corner and `uncrop` (its gradient) puts it back into zeros:
    /// <crop(a), b> = <a, uncrop(b)> for any a, b.
    func testCropAndItsGradientAreAdjoint() {
        var rng = RandomGenerator(seed: 4)
        var a = Tensor(zeros: [2, 4, 5, 3]), b = Tensor(zeros: [2, 3, 2, 3])
        for i in 0 ..< a.count { a.data[i] = rng.nextFloat(in: -1, 1) }
        for i in 0 ..< b.count { b.data[i] = rng.nextFloat(in: -1, 1) }
        let c = Hyperprior.crop(a, toRows: 3, columns: 2)
        XCTAssertEqual(c.shape, [2, 3, 2, 3])
        let cropped = ((1 * 3 + 2) * 2 + 1) * 3 + 2, source = ((1 * 4 + 2) * 5 + 1) * 3 + 2
        XCTAssertEqual(c.data[cropped], a.data[source])
        let u = Hyperprior.uncrop(b, to: a.shape)
        let left = zip(c.data, b.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let right = zip(a.data, u.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertEqual(left, right, accuracy: 1e-9)
        XCTAssertEqual(u.data.filter { $0 != 0 }.count, b.count)
    }

    /// The hyperprior's backward pass (Gaussian conditional with its scales, h_s, z's prior,
    /// h_a through |y|) agrees with central differences of a weighted sum of its outputs,
    /// the noise held fixed. The scales are lifted above their lower bound (h_s's last bias)
    /// and y scaled up, so that no bound's straight-through gradient is in play, and the hidden
    /// biases set so that no ReLU sits at its kink.
    func testBackwardMatchesFiniteDifferences() throws {
        let model = self.model(seed: 5)
        let hyper = try XCTUnwrap(model.hyperprior)
        // Hidden ReLUs away from their kink (an untrained h_s's sit at about 0), scales away
        // from their bound.
        for layer in hyper.layers {
            guard let bias = layer.parameters.last else { continue }
            for i in 0 ..< bias.value.count { bias.value.data[i] = 0.5 + 0.05 * Float(i) }
        }
        let lastBias = try XCTUnwrap(hyper.synthesis.parameters.last)
        for i in 0 ..< lastBias.value.count { lastBias.value.data[i] = 2 + 0.5 * Float(i) }
        var y = model.encoder.forward(images(2, height: 32, width: 48, seed: 6))
        for i in 0 ..< y.count { y.data[i] *= 4 }
        // Upstream gradients: random weights of the values and of both likelihood tensors.
        var rng = RandomGenerator(seed: 7)
        func weights(_ shape: [Int]) -> Tensor {
            var t = Tensor(zeros: shape)
            for i in 0 ..< t.count { t.data[i] = rng.nextFloat(in: -1, 1) }
            return t
        }
        func objective(_ y: Tensor, _ w: (Tensor, Tensor, Tensor)) -> (Double, HyperpriorOutput) {
            var noise = RandomGenerator(seed: 8)
            let out = hyper.forward(y, noise: &noise)
            var sum = 0.0
            for (t, g) in [(out.values, w.0), (out.likelihoods, w.1), (out.hyperLikelihoods, w.2)] {
                for i in 0 ..< t.count { sum += Double(t.data[i]) * Double(g.data[i]) }
            }
            return (sum, out)
        }
        var noise = RandomGenerator(seed: 8)
        let first = hyper.forward(y, noise: &noise)
        XCTAssertTrue(first.likelihoods.data.allSatisfy { $0 > 1e-6 } && first.hyperLikelihoods.data.allSatisfy { $0 > 1e-6 })
        let scales = hyper.synthesis.forward(first.hyperLikelihoods.shape == [2, 1, 1, 4] ? hyper.hyperLatent(of: y) : y)
        XCTAssertTrue(scales.data.allSatisfy { $0 > 0.2 }, "scales above the bound: \(scales.data.min() ?? 0)")
        var w = (weights(y.shape), weights(y.shape), weights(first.hyperLikelihoods.shape))
        for p in model.parameters + model.auxiliaryParameters { p.zeroGrad() }
        _ = objective(y, w)
        let gradY = hyper.backward(gradValues: w.0, gradLikelihoods: w.1, gradHyperLikelihoods: w.2)

        // `set` puts a value in place (the original when given nil) and returns the original.
        func check(_ name: String, analytic: Double, set: (Float?) -> Float) {
            let w = w
            let original = set(nil)
            let h = max(3e-3, abs(original) * 3e-3)
            _ = set(original + h)
            let up = objective(y, w).0
            _ = set(original - h)
            let down = objective(y, w).0
            _ = set(original)
            let numeric = (up - down) / Double(2 * h)
            let scale = max(abs(numeric), abs(analytic), 1e-3)
            XCTAssertLessThan(abs(numeric - analytic) / scale, 0.03, "\(name): analytic \(analytic), numeric \(numeric)")
        }
        var checked = 0
        for p in hyper.parameters {
            let analytic = p.grad
            var indices = [analytic.data.indices.max { abs(analytic.data[$0]) < abs(analytic.data[$1]) }!]
            for _ in 0 ..< 2 { indices.append(Int(rng.next() % UInt64(p.value.count))) }
            for i in indices {
                let original = p.value.data[i]
                check("\(p.name)[\(i)]", analytic: Double(analytic.data[i])) { v in
                    p.value.data[i] = v ?? original
                    return original
                }
                checked += 1
            }
        }
        for i in 0 ..< y.count {
            let original = y.data[i]
            check("y[\(i)]", analytic: Double(gradY.data[i])) { v in
                y.data[i] = v ?? original
                return original
            }
            checked += 1
        }
        // z's likelihoods alone: dL/dy comes only through h_a and |y| (small beside the
        // conditional's own gradient above, so checked on its own).
        var hyperWeights = w.2
        for i in 0 ..< hyperWeights.count { hyperWeights.data[i] *= 100 }
        w = (Tensor(zeros: y.shape), Tensor(zeros: y.shape), hyperWeights)
        _ = objective(y, w)
        let gradThroughZ = hyper.backward(gradValues: w.0, gradLikelihoods: w.1, gradHyperLikelihoods: w.2)
        XCTAssertGreaterThan(gradThroughZ.data.map(abs).max() ?? 0, 1e-3)
        for i in 0 ..< y.count {
            let original = y.data[i]
            check("y[\(i)] through z", analytic: Double(gradThroughZ.data[i])) { v in
                y.data[i] = v ?? original
                return original
            }
            checked += 1
        }
        XCTAssertEqual(checked, hyper.parameters.count * 3 + 2 * y.count)
        XCTAssertTrue(y.data.contains { $0 < 0 } && y.data.contains { $0 > 0 }, "both signs of y are checked")
    }

    /// The hyperprior's gradients reach every part: h_a, h_s and z's density all get a
    /// non-zero gradient from the rate, and the quantiles from their auxiliary loss.
    func testEveryPartGetsAGradient() {
        let model = self.model(seed: 8)
        let trainer = Trainer(model: model, loss: RateDistortionLoss(lambda: 0.01))
        trainer.gradients(images(2, height: 32, width: 48, seed: 9), noiseSeed: 10)
        for p in model.parameters + model.auxiliaryParameters {
            XCTAssertTrue(p.grad.data.contains { $0 != 0 }, "\(p.name) has no gradient")
        }
    }

    /// Training lowers the loss, and a larger lambda buys lower distortion with more bits.
    func testLambdaTradesRateForDistortion() throws {
        let data = images(32, height: 32, width: 32, seed: 14)
        let set = ImageSet(height: 32, width: 32, channels: 3, pixels: data.data.map { UInt8(($0 * 255).rounded()) })
        func train(lambda: Double) throws -> (first: EpochRecord, last: EpochRecord) {
            var options = TrainingOptions()
            options.epochs = 30
            options.batchSize = 8
            options.validationSplit = 0.25
            options.learningRate = 3e-3
            options.seed = 1
            let trainer = Trainer(model: model(seed: 15), options: options, loss: RateDistortionLoss(lambda: lambda))
            let history = try trainer.fit(set)
            return (history[0], history[history.count - 1])
        }
        let low = try train(lambda: 0.0003)
        let high = try train(lambda: 0.3)
        for run in [low, high] {
            XCTAssertLessThan(run.last.trainLoss, run.first.trainLoss)
        }
        XCTAssertLessThan(try XCTUnwrap(high.last.validationMSE), try XCTUnwrap(low.last.validationMSE))
        XCTAssertGreaterThan(try XCTUnwrap(high.last.validationBitsPerPixel), try XCTUnwrap(low.last.validationBitsPerPixel))
    }
}
