@testable import AENet
import XCTest

/// Rate-distortion training (issue 13): an autoencoder with a factorized prior on its
/// latent, trained on lambda * 255^2 * MSE + bits per pixel.
final class RateDistortionTrainingTests: XCTestCase {
    /// A small fully-convolutional model: 2 x [3x3 stride-2 convolution] with GDN between,
    /// the mirror with transposed convolutions and inverse GDN, a prior over 4 channels.
    func model(seed: UInt64, latentChannels: Int = 4) -> Autoencoder {
        var rng = RandomGenerator(seed: seed)
        let analysis = Sequential(name: "analysis", layers: [
            Convolution(name: "conv0", inputChannels: 3, filters: 6, kernelSize: 3, stride: 2, rng: &rng),
            GDN(name: "gdn0", channels: 6),
            Convolution(name: "conv1", inputChannels: 6, filters: latentChannels, kernelSize: 3, stride: 2, rng: &rng),
        ])
        let synthesis = Sequential(name: "synthesis", layers: [
            TransposedConvolution(name: "convT0", inputChannels: latentChannels, filters: 6, kernelSize: 3, stride: 2, rng: &rng),
            GDN(name: "igdn0", channels: 6, inverse: true),
            TransposedConvolution(name: "convT1", inputChannels: 6, filters: 3, kernelSize: 3, stride: 2, rng: &rng),
        ])
        return Autoencoder(encoder: analysis, decoder: synthesis, prior: FactorizedPrior(channels: latentChannels, rng: &rng))
    }

    /// Smooth 8-bit-like images in [0, 1]: gradients and a few blobs.
    func images(_ n: Int, size: Int, seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        var t = Tensor(zeros: [n, size, size, 3])
        for i in 0 ..< n {
            let a = rng.nextFloat(in: 0, 1), b = rng.nextFloat(in: 0, 1), c = rng.nextFloat(in: 0, 1)
            for y in 0 ..< size {
                for x in 0 ..< size {
                    for ch in 0 ..< 3 {
                        let v = 0.5 + 0.3 * sin(Float(x) * a + Float(ch)) * cos(Float(y) * b) + 0.1 * c
                        t.data[((i * size + y) * size + x) * 3 + ch] = (v * 255).rounded() / 255
                    }
                }
            }
        }
        return t
    }

    /// The gradient of the whole rate-distortion loss (decoder, prior density, encoder
    /// through the noisy latent) agrees with central differences of the loss, with the
    /// noise held fixed by its seed.
    func testWholeLossGradientMatchesFiniteDifferences() {
        for distortion in Distortion.allCases { checkWholeLossGradient(distortion) }
    }

    private func checkWholeLossGradient(_ distortion: Distortion) {
        let model = self.model(seed: 3)
        let trainer = Trainer(model: model, loss: RateDistortionLoss(lambda: 0.01, distortion: distortion))
        let x = images(2, size: 8, seed: 4)
        let seed: UInt64 = 77
        var checked = 0
        var rng = RandomGenerator(seed: 5)
        for p in model.parameters {
            _ = trainer.gradients(x, noiseSeed: seed)  // at the unperturbed point
            let analytic = p.grad
            // Three entries per tensor, where the gradient is largest and two at random.
            var indices = [analytic.data.indices.max { abs(analytic.data[$0]) < abs(analytic.data[$1]) }!]
            for _ in 0 ..< 2 { indices.append(Int(rng.next() % UInt64(p.value.count))) }
            for i in indices {
                let original = p.value.data[i]
                // GDN's off-diagonal gammas start at the reparametrisation's lower bound,
                // a kink where only one-sided derivatives exist: checked elsewhere.
                if (p.name.hasSuffix("gamma") || p.name.hasSuffix("beta")) && abs(original) < 1e-3 {
                    checked += 1
                    continue
                }
                // The loss is a float32 of about 200: steps of 1e-2 keep its rounding (~1e-5)
                // small against the differences.
                let h: Float = max(1e-2, abs(original) * 2e-2)
                p.value.data[i] = original + h
                let up = Double(trainer.gradients(x, noiseSeed: seed).loss)
                p.value.data[i] = original - h
                let down = Double(trainer.gradients(x, noiseSeed: seed).loss)
                p.value.data[i] = original
                let numeric = (up - down) / Double(2 * h)
                let a = Double(analytic.data[i])
                let scale = max(abs(numeric), abs(a), 2e-2)
                XCTAssertLessThan(abs(numeric - a) / scale, 0.05, "\(distortion) \(p.name)[\(i)]: analytic \(a), numeric \(numeric)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, model.parameters.count * 3)
    }

    /// Training lowers the loss; a larger lambda buys lower distortion with more bits;
    /// the quantised (codec) rate and MSE are close to the noisy training figures.
    func testLambdaTradesRateForDistortion() throws {
        let data = images(48, size: 16, seed: 9)
        let set = ImageSet(height: 16, width: 16, channels: 3,
                           pixels: data.data.map { UInt8(($0 * 255).rounded()) })
        func train(lambda: Double) throws -> (first: EpochRecord, last: EpochRecord) {
            var options = TrainingOptions()
            options.epochs = 30
            options.batchSize = 8
            options.validationSplit = 1.0 / 6
            options.learningRate = 3e-3
            options.seed = 1
            let trainer = Trainer(model: model(seed: 11), options: options, loss: RateDistortionLoss(lambda: lambda))
            let history = try trainer.fit(set)
            return (history[0], history[history.count - 1])
        }
        let low = try train(lambda: 0.001)
        let high = try train(lambda: 0.1)
        for run in [low, high] {
            XCTAssertLessThan(run.last.trainLoss, run.first.trainLoss)
            XCTAssertNotNil(run.last.validationBitsPerPixel)
            XCTAssertNotNil(run.last.validationMSE)
        }
        XCTAssertLessThan(try XCTUnwrap(high.last.validationMSE), try XCTUnwrap(low.last.validationMSE))
        XCTAssertGreaterThan(try XCTUnwrap(high.last.validationBitsPerPixel), try XCTUnwrap(low.last.validationBitsPerPixel))
    }

    /// The noise of a batch is a function of (seed, epoch, batch): two trainers from the
    /// same start take identical steps, and different batches get different noise.
    func testNoiseIsReproducible() {
        let x = images(2, size: 8, seed: 1)
        let a = Trainer(model: model(seed: 3), loss: RateDistortionLoss(lambda: 0.01))
        let b = Trainer(model: model(seed: 3), loss: RateDistortionLoss(lambda: 0.01))
        for step in 0 ..< 3 {
            let seed = a.noiseSeed(epoch: 0, batch: step)
            XCTAssertEqual(a.trainStep(x, noiseSeed: seed).loss, b.trainStep(x, noiseSeed: seed).loss)
        }
        XCTAssertEqual(a.model.parameters.map(\.value.data), b.model.parameters.map(\.value.data))
        XCTAssertNotEqual(a.noiseSeed(epoch: 0, batch: 1), a.noiseSeed(epoch: 0, batch: 2))
        XCTAssertNotEqual(a.noiseSeed(epoch: 1, batch: 0), a.noiseSeed(epoch: 0, batch: 1))
        // Default groups: the model, and the quantiles under their own Adam off the schedule.
        XCTAssertEqual(a.parameterGroups.map(\.name), ["model", "auxiliary"])
        XCTAssertFalse(a.parameterGroups[1].followsSchedule)
        XCTAssertEqual(a.parameterGroups[1].parameters.map(\.name), ["prior/quantiles"])
    }
}
