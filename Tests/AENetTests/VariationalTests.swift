import AENet
import XCTest

/// The variational autoencoder's parts: the sampling step (reparametrisation) and the KL
/// divergence against the float64 numpy reference and finite differences, the whole
/// loss's gradient, a deterministic encoder, and training figures.
final class VariationalTests: XCTestCase {
    func testSamplingMatchesTheReference() throws {
        let ref = try ReferenceCase("gaussian_sampling")
        let layer = GaussianSampling(name: "sampling", latentDim: ref.int("L"))
        let z = layer.forward(ref["input"], epsilon: ref["epsilon"])
        assertClose(z, ref["output"], tolerance: 1e-5, "output")
        assertClose(layer.backward(ref["grad_output"]), ref["grad_input"], tolerance: 1e-5, "grad_input")
        // Without a draw the layer gives the mean, and no gradient reaches the log variances.
        let mean = layer.forward(ref["input"])
        let l = ref.int("L")
        XCTAssertEqual(mean.data, (0 ..< 3).flatMap { r in ref["input"].data[(r * 2 * l) ..< (r * 2 * l + l)] })
        let g = layer.backward(ref["grad_output"])
        XCTAssertEqual((0 ..< 3).flatMap { r in g.data[(r * 2 * l + l) ..< ((r + 1) * 2 * l)] }, [Float](repeating: 0, count: 3 * l))
    }

    func testKLMatchesTheReference() throws {
        let ref = try ReferenceCase("gaussian_kl")
        let (kl, gradient) = GaussianKL.lossAndGradient(statistics: ref["statistics"])
        XCTAssertEqual(kl, ref["kl"].data[0], accuracy: 1e-5)
        assertClose(gradient, ref["grad_statistics"], tolerance: 1e-6, "grad_statistics")
        // The prior itself is at zero divergence, where the gradient vanishes.
        let prior = GaussianKL.lossAndGradient(statistics: Tensor(zeros: [2, 6]))
        XCTAssertEqual(prior.kl, 0)
        XCTAssertEqual(prior.gradient.data, [Float](repeating: 0, count: 12))
    }

    /// Central differences of the KL and of sum(z * g) for a fixed draw (the
    /// reparametrisation's gradient) with respect to every statistic.
    func testKLAndReparametrisationGradientsMatchFiniteDifferences() {
        var rng = RandomGenerator(seed: 4)
        let stats = randomTensor([2, 10], &rng, in: -2, 2)
        var eps = Tensor(zeros: [2, 5])
        for i in 0 ..< eps.count { eps.data[i] = rng.nextGaussian() }
        let g = randomTensor([2, 5], &rng)
        let layer = GaussianSampling(name: "s", latentDim: 5)
        _ = layer.forward(stats, epsilon: eps)
        let reparametrised = layer.backward(g)
        let klGradient = GaussianKL.lossAndGradient(statistics: stats).gradient
        let h: Float = 1e-3
        for i in 0 ..< stats.count {
            var up = stats, down = stats
            up.data[i] += h
            down.data[i] -= h
            let kl = (Double(GaussianKL.lossAndGradient(statistics: up).kl) - Double(GaussianKL.lossAndGradient(statistics: down).kl)) / Double(2 * h)
            XCTAssertEqual(Double(klGradient.data[i]), kl, accuracy: 2e-3 * max(1, abs(kl)), "KL, statistic \(i)")
            let zUp = dot(layer.forward(up, epsilon: eps), g), zDown = dot(layer.forward(down, epsilon: eps), g)
            XCTAssertEqual(Double(reparametrised.data[i]), (zUp - zDown) / Double(2 * h), accuracy: 2e-3, "z, statistic \(i)")
        }
    }

    /// The trainer's whole variational loss (reconstruction + beta KL / D through the sampled
    /// latent) against central differences, the draw held fixed by its seed. Linear hidden
    /// activations keep the loss smooth.
    func testWholeLossGradientMatchesFiniteDifferences() {
        let model = ReferenceModel.build(latentDim: 3, seed: 5, threads: 2, hiddenActivation: .linear, variational: true)
        let trainer = Trainer(model: model, loss: VariationalLoss(beta: 50))
        let x = syntheticImages(2, seed: 6).batch(0 ..< 2)
        let seed: UInt64 = 31
        var rng = RandomGenerator(seed: 7)
        var checked = 0
        for p in model.parameters {
            let result = trainer.gradients(x, noiseSeed: seed)
            XCTAssertGreaterThan(result.kl, 0)
            let analytic = p.grad
            var indices = [analytic.data.indices.max { abs(analytic.data[$0]) < abs(analytic.data[$1]) }!]
            indices.append(rng.nextInt(below: p.value.count))
            for i in indices {
                let original = p.value.data[i]
                let h: Float = max(1e-2, abs(original) * 2e-2)
                p.value.data[i] = original + h
                let up = Double(trainer.gradients(x, noiseSeed: seed).loss)
                p.value.data[i] = original - h
                let down = Double(trainer.gradients(x, noiseSeed: seed).loss)
                p.value.data[i] = original
                let numeric = (up - down) / Double(2 * h), a = Double(analytic.data[i])
                let scale = max(abs(numeric), abs(a), 1e-4)
                XCTAssertLessThan(abs(numeric - a) / scale, 0.05, "\(p.name)[\(i)]: analytic \(a), numeric \(numeric)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, model.parameters.count * 2)
        // The KL term is in the loss: without it the same step's loss is the MSE alone.
        let plain = Trainer(model: model, loss: MeanSquaredErrorLoss()).gradients(x, noiseSeed: seed)
        let full = trainer.gradients(x, noiseSeed: seed)
        XCTAssertEqual(Double(full.loss), Double(plain.loss) + 50 * full.kl / 3072, accuracy: 1e-6)
    }

    func testEncodingIsTheMeanAndTrainingRecordsTheKL() throws {
        let model = ReferenceModel.build(latentDim: 4, seed: 3, threads: 2, variational: true)
        XCTAssertEqual(model.latentDim, 4)
        XCTAssertEqual(model.encoder.layers.last?.kind, "GaussianSampling")
        XCTAssertEqual(model.parameterCount, ReferenceModel.build(latentDim: 4).parameterCount + 2048 * 4 + 4)
        let data = syntheticImages(48, seed: 2)
        let images = data.batch(0 ..< 4)
        let statistics = model.encoder.forward(images, layers: 0 ..< (model.encoder.layers.count - 1))
        let z = model.encode(images)
        XCTAssertEqual(z, model.encode(images), "deterministic")
        XCTAssertEqual(z.data, (0 ..< 4).flatMap { r in statistics.data[(r * 8) ..< (r * 8 + 4)] }, "the mean")

        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 16
        options.validationSplit = 0.25
        let trainer = Trainer(model: model, options: options, loss: VariationalLoss(beta: 1))
        let history = try trainer.fit(data)
        for r in history {
            let (mse, kl, vmse, vkl) = (try XCTUnwrap(r.trainMSE), try XCTUnwrap(r.trainKL),
                                        try XCTUnwrap(r.validationMSE), try XCTUnwrap(r.validationKL))
            XCTAssertEqual(r.trainLoss, mse + kl / 3072, accuracy: 1e-6)
            XCTAssertEqual(try XCTUnwrap(r.validationLoss), vmse + vkl / 3072, accuracy: 1e-6)
            XCTAssertGreaterThan(kl, 0)
        }
        XCTAssertLessThan(history[1].trainLoss, history[0].trainLoss)
        // Same seed, same noise: a second trainer from the same start takes the same steps.
        let again = Trainer(model: ReferenceModel.build(latentDim: 4, seed: 3, threads: 2, variational: true),
                            options: options, loss: VariationalLoss(beta: 1))
        XCTAssertEqual(try again.fit(data).map(\.trainLoss), history.map(\.trainLoss))
    }
}
