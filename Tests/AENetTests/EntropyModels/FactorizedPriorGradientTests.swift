import AENet
import XCTest

/// Finite-difference checks of `FactorizedPrior.backward` (input and every density parameter tensor)
/// and of the auxiliary loss's gradient with respect to the quantiles.
///
/// L = bits + sum(values * g) with the noise held fixed, so dL/dy covers both paths (the values'
/// identity and the likelihoods'). Central differences with h = 1e-3 in float32 inputs; the prior
/// computes in Double, so the error is float32 rounding of the likelihoods (about 1e-4 relative).
final class FactorizedPriorGradientTests: XCTestCase {
    let tolerance = 1e-2

    private func relativeError(_ a: Double, _ b: Double) -> Double {
        abs(a - b) / max(abs(a) + abs(b), 1e-3)
    }

    /// A prior with every parameter moved off its initial value, so no gradient is trivially shared.
    private func perturbedPrior(channels: Int, filters: [Int], rng: inout RandomGenerator) -> FactorizedPrior {
        let prior = FactorizedPrior(channels: channels, filters: filters, rng: &rng)
        for p in prior.parameters {
            for k in 0 ..< p.value.count { p.value.data[k] += rng.nextFloat(in: -0.5, 0.5) }
        }
        return prior
    }

    private func checkGradients(shape: [Int], filters: [Int], seed: UInt64, samples: Int = 12,
                                file: StaticString = #filePath, line: UInt = #line) {
        var rng = RandomGenerator(seed: seed)
        let prior = perturbedPrior(channels: shape.last!, filters: filters, rng: &rng)
        let y = randomTensor(shape, &rng, in: -6, 6)
        let noise = randomTensor(shape, &rng, in: -0.5, 0.5)
        let g = randomTensor(shape, &rng)
        func loss(_ input: Tensor) -> Double {
            let output = prior.forward(input, noise: noise)
            return output.bits + dot(output.values, g)
        }

        for p in prior.parameters { p.zeroGrad() }
        let output = prior.forward(y, noise: noise)
        let gradInput = prior.backward(gradValues: g,
                                       gradLikelihoods: Rate.bitsAndGradient(likelihoods: output.likelihoods).gradient)
        let h: Float = 1e-3
        for _ in 0 ..< samples {
            let i = rng.nextInt(below: y.count)
            var plus = y, minus = y
            plus.data[i] += h
            minus.data[i] -= h
            let numeric = (loss(plus) - loss(minus)) / Double(plus.data[i] - minus.data[i])
            XCTAssertLessThan(relativeError(Double(gradInput.data[i]), numeric), tolerance,
                              "d/dinput[\(i)]: analytic \(gradInput.data[i]) numeric \(numeric)", file: file, line: line)
        }
        for p in prior.parameters {
            XCTAssertTrue(p.grad.data.contains { $0 != 0 }, "\(p.name) got no gradient", file: file, line: line)
            for _ in 0 ..< samples {
                let i = rng.nextInt(below: p.value.count)
                let saved = p.value.data[i]
                p.value.data[i] = saved + h
                let up = loss(y)
                let stepUp = p.value.data[i] - saved
                p.value.data[i] = saved - h
                let down = loss(y)
                let stepDown = saved - p.value.data[i]
                p.value.data[i] = saved
                let numeric = (up - down) / Double(stepUp + stepDown)
                XCTAssertLessThan(relativeError(Double(p.grad.data[i]), numeric), tolerance,
                                  "\(p.name)[\(i)]: analytic \(p.grad.data[i]) numeric \(numeric)", file: file, line: line)
            }
        }
    }

    func testDenseLatentGradients() {
        checkGradients(shape: [6, 3], filters: [3, 3, 3], seed: 11)
    }

    func testConvolutionalLatentGradients() {
        checkGradients(shape: [2, 3, 2, 4], filters: [2, 5], seed: 12)
    }

    /// d(aux loss)/d(quantiles) against central differences, and nothing reaches the density.
    func testAuxiliaryLossGradient() {
        var rng = RandomGenerator(seed: 13)
        let prior = perturbedPrior(channels: 3, filters: [3, 3, 3], rng: &rng)
        for p in prior.auxiliaryParameters + prior.parameters { p.zeroGrad() }
        prior.auxiliaryLoss()
        let analytic = prior.quantiles.grad
        XCTAssertTrue(prior.parameters.allSatisfy { $0.grad.data.allSatisfy { $0 == 0 } })
        let h: Float = 1e-2
        for i in 0 ..< prior.quantiles.value.count {
            let saved = prior.quantiles.value.data[i]
            prior.quantiles.value.data[i] = saved + h
            let up = prior.auxiliaryLoss(addingGradient: false)
            prior.quantiles.value.data[i] = saved - h
            let down = prior.auxiliaryLoss(addingGradient: false)
            prior.quantiles.value.data[i] = saved
            let numeric = (up - down) / Double(2 * h)
            XCTAssertNotEqual(analytic.data[i], 0, "quantile \(i) got no gradient")
            XCTAssertLessThan(relativeError(Double(analytic.data[i]), numeric), tolerance,
                              "quantiles[\(i)]: analytic \(analytic.data[i]) numeric \(numeric)")
        }
    }

    /// Rounding is taken straight through: after `forward(quantizing:)` the backward pass is the one of
    /// the rounded values with no noise.
    func testQuantizedBackwardIsStraightThrough() {
        var rng = RandomGenerator(seed: 14)
        let prior = perturbedPrior(channels: 2, filters: [3, 3, 3], rng: &rng)
        let y = randomTensor([5, 2], &rng, in: -4, 4), g = randomTensor([5, 2], &rng)
        func gradients(_ output: FactorizedPriorOutput) -> [Tensor] {
            for p in prior.parameters { p.zeroGrad() }
            let gradInput = prior.backward(gradValues: g, gradLikelihoods: Rate.bitsAndGradient(likelihoods: output.likelihoods).gradient)
            return [gradInput] + prior.parameters.map(\.grad)
        }
        let quantized = prior.forward(quantizing: y)
        XCTAssertNotEqual(quantized.values, y)
        let viaRounding = gradients(quantized)
        let viaValues = gradients(prior.forward(quantized.values, noise: Tensor(zeros: y.shape)))
        XCTAssertEqual(viaRounding, viaValues)
    }

    /// The values are spread over threads in fixed chunks and the parameter gradients summed chunk by
    /// chunk in order: the same likelihoods and gradients, bit for bit, at 1, 2 and 3 threads.
    func testSameResultsAtAnyThreadCount() {
        func run(threads: Int) -> [Tensor] {
            var rng = RandomGenerator(seed: 21)
            let prior = FactorizedPrior(channels: 6, rng: &rng, parallelism: Parallelism(threads: threads))
            for p in prior.parameters {
                for k in 0 ..< p.value.count { p.value.data[k] += rng.nextFloat(in: -0.5, 0.5) }
            }
            // 3 images of 20x24x6: 8,640 values, over four chunks.
            let y = randomTensor([3, 20, 24, 6], &rng, in: -6, 6), g = randomTensor([3, 20, 24, 6], &rng)
            let output = prior.forward(y, noise: &rng)
            let gradInput = prior.backward(gradValues: g, gradLikelihoods: Rate.bitsAndGradient(likelihoods: output.likelihoods).gradient)
            return [output.likelihoods, gradInput] + prior.parameters.map(\.grad)
        }
        let one = run(threads: 1)
        XCTAssertGreaterThan(one[0].count, 2 * 2048)
        for threads in [2, 3] {
            let other = run(threads: threads)
            XCTAssertEqual(other.count, one.count)
            for (a, b) in zip(one, other) {
                XCTAssertEqual(a.data.map(\.bitPattern), b.data.map(\.bitPattern), "\(threads) threads")
            }
        }
    }
}
