import AENet
import XCTest

/// Denoising training: the corruption's statistics and reproducibility, and a trainer
/// that feeds the corrupted image but compares with the clean one.
final class InputNoiseTests: XCTestCase {
    /// `count` images of `side` x `side` x 3, every value `value`.
    private func flat(_ value: Float, count: Int = 64, side: Int = 16) -> Tensor {
        Tensor(shape: [count, side, side, 3], data: [Float](repeating: value, count: count * side * side * 3))
    }

    func testParsingRoundTripsAndRefusesBadValues() throws {
        for text in ["gaussian:0.1", "salt-pepper:0.05", "mask:0.25", "gaussian:1.0"] {
            let noise = try InputNoise(parsing: text)
            XCTAssertEqual(try InputNoise(parsing: noise.description), noise, text)
        }
        XCTAssertEqual(try InputNoise(parsing: "gaussian:0.1"), .gaussian(sigma: 0.1))
        XCTAssertEqual(try InputNoise(parsing: "salt-pepper:0.05"), .saltAndPepper(probability: 0.05))
        XCTAssertEqual(try InputNoise(parsing: "mask:0.25"), .mask(fraction: 0.25))
        for bad in ["gaussian", "gaussian:", "gaussian:0", "gaussian:-0.1", "gaussian:1.5", "gaussian:nan",
                    "salt-pepper:1", "mask:0", "mask:1", "blur:0.1", "", ":0.1"] {
            XCTAssertThrowsError(try InputNoise(parsing: bad), bad)
        }
    }

    func testStandardNormalDraws() {
        var rng = RandomGenerator(seed: 11)
        let n = 200_000
        var sum = 0.0, squares = 0.0, withinOne = 0
        for _ in 0 ..< n {
            let z = Double(rng.nextGaussian())
            sum += z
            squares += z * z
            if abs(z) < 1 { withinOne += 1 }
        }
        let mean = sum / Double(n), variance = squares / Double(n) - mean * mean
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        XCTAssertEqual(variance, 1, accuracy: 0.015)
        XCTAssertEqual(Double(withinOne) / Double(n), 0.6827, accuracy: 0.005, "normal, not just unit variance")
    }

    func testGaussianNoiseHasItsSigmaAndStaysInTheUnitInterval() {
        let clean = flat(0.5)
        let noisy = InputNoise.gaussian(sigma: 0.1).corrupt(clean, seed: 3)
        let deltas = zip(noisy.data, clean.data).map { Double($0 - $1) }
        let mean = deltas.reduce(0, +) / Double(deltas.count)
        let sd = (deltas.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(deltas.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.002)
        XCTAssertEqual(sd, 0.1, accuracy: 0.002)
        // Channels draw on their own: a pixel's three values differ.
        XCTAssertNotEqual(noisy.data[0], noisy.data[1])
        // Near black, half the draws would go negative: they are clamped to 0.
        let dark = InputNoise.gaussian(sigma: 0.5).corrupt(flat(0), seed: 3)
        XCTAssertGreaterThanOrEqual(dark.data.min()!, 0)
        XCTAssertLessThanOrEqual(dark.data.max()!, 1)
        let zeros = Double(dark.data.filter { $0 == 0 }.count) / Double(dark.count)
        XCTAssertEqual(zeros, 0.5, accuracy: 0.01)
    }

    func testSaltAndPepperTurnsWholePixelsBlackOrWhite() {
        let clean = flat(0.5)
        let noisy = InputNoise.saltAndPepper(probability: 0.2).corrupt(clean, seed: 4)
        var black = 0, white = 0, pixels = 0
        for p in stride(from: 0, to: noisy.count, by: 3) {
            let rgb = noisy.data[p ..< p + 3]
            XCTAssertTrue(rgb.allSatisfy { $0 == rgb.first! }, "all channels of a pixel change together")
            pixels += 1
            if rgb.first == 0 { black += 1 } else if rgb.first == 1 { white += 1 } else { XCTAssertEqual(rgb.first, 0.5) }
        }
        XCTAssertEqual(Double(black + white) / Double(pixels), 0.2, accuracy: 0.01)
        XCTAssertEqual(Double(black) / Double(pixels), 0.1, accuracy: 0.008)
        XCTAssertEqual(Double(white) / Double(pixels), 0.1, accuracy: 0.008)
    }

    func testMaskSetsItsFractionOfPixelsToBlack() {
        let clean = flat(0.5)
        let noisy = InputNoise.mask(fraction: 0.3).corrupt(clean, seed: 5)
        var masked = 0
        for p in stride(from: 0, to: noisy.count, by: 3) {
            let rgb = noisy.data[p ..< p + 3]
            XCTAssertTrue(rgb == [0, 0, 0] || rgb == [0.5, 0.5, 0.5])
            if rgb.first == 0 { masked += 1 }
        }
        XCTAssertEqual(Double(masked) / Double(noisy.count / 3), 0.3, accuracy: 0.01)
    }

    func testNoiseIsReproducibleAndPerImage() {
        var rng = RandomGenerator(seed: 1)
        var images = Tensor(zeros: [6, 8, 8, 3])
        for i in 0 ..< images.count { images.data[i] = rng.nextUnitFloat() }
        for noise in [InputNoise.gaussian(sigma: 0.2), .saltAndPepper(probability: 0.3), .mask(fraction: 0.4)] {
            let a = noise.corrupt(images, seed: 42)
            XCTAssertEqual(a, noise.corrupt(images, seed: 42), "\(noise): same seed, same noise")
            XCTAssertNotEqual(a, noise.corrupt(images, seed: 43), "\(noise): another seed, other noise")
            XCTAssertNotEqual(a, images)
            // Image 4 is corrupted the same way in any batch that holds it at index 4.
            let tail = noise.corrupt(images.slice(batch: 3 ..< 6), seed: 42, firstIndex: 3)
            XCTAssertEqual(tail.slice(batch: 1 ..< 2), a.slice(batch: 4 ..< 5), "\(noise)")
            // Images differ in their noise.
            XCTAssertNotEqual(noise.corrupt(flat(0.5, count: 2, side: 8), seed: 42).slice(batch: 0 ..< 1).data,
                              noise.corrupt(flat(0.5, count: 2, side: 8), seed: 42).slice(batch: 1 ..< 2).data)
        }
    }

    /// The trainer's gradients are those of MSE(model(corrupted), clean): not of the
    /// clean input, not against the corrupted target.
    func testTrainingFeedsNoisyInputsAndComparesWithCleanImages() {
        let images = syntheticImages(4, seed: 9).batch(0 ..< 4)
        let noise = InputNoise.gaussian(sigma: 0.2)
        var options = TrainingOptions()
        options.inputNoise = noise
        let model = ReferenceModel.build(latentDim: 4, seed: 2)
        let trainer = Trainer(model: model, options: options)
        let result = trainer.gradients(images, noiseSeed: 77)
        let trainerGradients = model.parameters.map(\.grad)

        let corrupted = noise.corrupt(images, seed: Trainer.corruptionSeed(noiseSeed: 77))
        model.zeroGradients()
        let reconstruction = model.forward(corrupted)
        let (loss, gradient) = MeanSquaredError.lossAndGradient(prediction: reconstruction, target: images)
        model.backward(gradient)
        XCTAssertEqual(result.loss, loss)
        XCTAssertEqual(model.parameters.map(\.grad), trainerGradients, "the same gradients, bit for bit")

        XCTAssertNotEqual(loss, MeanSquaredError.loss(prediction: reconstruction, target: corrupted), "target is clean")
        XCTAssertNotEqual(loss, MeanSquaredError.loss(prediction: model.forward(images), target: images), "input is noisy")
        // Another batch seed, another corruption.
        XCTAssertNotEqual(trainer.gradients(images, noiseSeed: 78).loss, result.loss)
        XCTAssertNotEqual(Trainer.corruptionSeed(noiseSeed: trainer.noiseSeed(epoch: 0, batch: 0)),
                          Trainer.corruptionSeed(noiseSeed: trainer.noiseSeed(epoch: 1, batch: 0)))
    }

    /// Validation measures noisy inputs against clean targets, with a draw that does not
    /// depend on the batch size.
    func testMeasuringOnNoisyInputs() {
        let data = syntheticImages(10, seed: 3)
        let model = ReferenceModel.build(latentDim: 4, seed: 2)
        let noise = InputNoise.mask(fraction: 0.5)
        let clean = Trainer.measure(model, on: data, loss: MeanSquaredErrorLoss())
        let noisy = Trainer.measure(model, on: data, loss: MeanSquaredErrorLoss(), batchSize: 4, inputNoise: noise)
        let other = Trainer.measure(model, on: data, loss: MeanSquaredErrorLoss(), batchSize: 10, inputNoise: noise)
        XCTAssertNotEqual(noisy.mse, clean.mse)
        XCTAssertEqual(noisy.mse, other.mse, accuracy: 1e-7)
        let corrupted = noise.corrupt(data.batch(0 ..< 10), seed: InputNoise.evaluationSeed)
        let byHand = MeanSquaredError.loss(prediction: model.forward(corrupted), target: data.batch(0 ..< 10))
        XCTAssertEqual(noisy.mse, Double(byHand), accuracy: 1e-7)
    }
}
