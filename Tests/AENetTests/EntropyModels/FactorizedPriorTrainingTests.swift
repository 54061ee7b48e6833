import AENet
import Foundation
import XCTest

/// Known distributions for fitting a prior: samples and the entropy of the variable rounded around an offset.
enum TestDistribution {
    case laplace(scale: Double)
    case gaussian(mean: Double, deviation: Double)

    func sample(_ rng: inout RandomGenerator) -> Float {
        // Two uniforms in (0, 1), never 0.
        let u1 = (Double(rng.next() >> 11) + 0.5) / 0x1p53, u2 = (Double(rng.next() >> 11) + 0.5) / 0x1p53
        switch self {
        case .laplace(let b):
            return Float(u1 < 0.5 ? b * log(2 * u1) : -b * log(2 - 2 * u1))
        case .gaussian(let mean, let deviation):
            return Float(mean + deviation * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
    }

    func cdf(_ x: Double) -> Double {
        switch self {
        case .laplace(let b): return x < 0 ? 0.5 * exp(x / b) : 1 - 0.5 * exp(-x / b)
        case .gaussian(let mean, let deviation): return 0.5 * erfc(-(x - mean) / (deviation * 2.0.squareRoot()))
        }
    }

    /// Entropy in bits of round(x - median) (the symbol the codec stores): the least rate any model of
    /// it can reach on average.
    func quantizedEntropy(median: Double) -> Double {
        var h = 0.0
        for k in -200 ... 200 {
            let p = cdf(median + Double(k) + 0.5) - cdf(median + Double(k) - 0.5)
            if p > 0 { h -= p * log2(p) }
        }
        return h
    }
}

/// Fits a prior to samples of known distributions and checks that its rate on rounded samples comes
/// close to the entropy of the rounded variable: the density, the noise-based training and Adam work together.
final class FactorizedPriorTrainingTests: XCTestCase {
    static let distributions: [TestDistribution] = [.laplace(scale: 2), .gaussian(mean: 3, deviation: 1)]

    /// A prior over one channel per distribution, trained `steps` times with Adam on batches of noisy
    /// samples (mean bits per value), its quantiles by the auxiliary loss with an Adam of their own.
    static func trainedPrior(steps: Int, batch: Int = 256, seed: UInt64 = 5) -> FactorizedPrior {
        var rng = RandomGenerator(seed: seed)
        let channels = distributions.count
        let prior = FactorizedPrior(channels: channels, rng: &rng)
        let adam = Adam(parameters: prior.parameters, learningRate: 1e-2)
        let auxiliaryAdam = Adam(parameters: prior.auxiliaryParameters, learningRate: 1e-1)
        for _ in 0 ..< steps {
            var y = Tensor(zeros: [batch, channels])
            for i in 0 ..< y.count { y.data[i] = distributions[i % channels].sample(&rng) }
            let output = prior.forward(y, noise: &rng)
            var gradient = Rate.bitsAndGradient(likelihoods: output.likelihoods).gradient
            for i in 0 ..< gradient.count { gradient.data[i] /= Float(y.count) }
            for p in prior.parameters + prior.auxiliaryParameters { p.zeroGrad() }
            _ = prior.backward(gradValues: nil, gradLikelihoods: gradient)
            adam.update()
            prior.auxiliaryLoss()
            auxiliaryAdam.update()
        }
        return prior
    }

    /// Mean bits per value of each channel on `count` fresh rounded samples.
    static func evaluate(_ prior: FactorizedPrior, count: Int, seed: UInt64) -> [Double] {
        var rng = RandomGenerator(seed: seed)
        let channels = distributions.count
        var y = Tensor(zeros: [count, channels])
        for i in 0 ..< y.count { y.data[i] = distributions[i % channels].sample(&rng) }
        let likelihoods = prior.forward(quantizing: y).likelihoods
        return (0 ..< channels).map { c in
            stride(from: c, to: likelihoods.count, by: channels).reduce(0.0) { $0 - log2(Double(likelihoods.data[$1])) }
                / Double(count)
        }
    }

    /// 400 steps: the rate on 20,000 fresh rounded samples per channel ends within 0.05 bits of the
    /// entropy of the rounded variable (observed: about 0.015), from over 0.5 bits above it untrained;
    /// and the quantiles trained by the auxiliary loss agree with the bisection ones.
    func testRateApproachesEntropyOfRoundedVariable() {
        let untrained = Self.evaluate(Self.trainedPrior(steps: 0), count: 20_000, seed: 77)
        let prior = Self.trainedPrior(steps: 400)
        let trained = prior.quantiles.value
        let rates = Self.evaluate(prior, count: 20_000, seed: 77)
        prior.setQuantilesByBisection()
        let solved = prior.quantiles.value
        for (c, distribution) in Self.distributions.enumerated() {
            let median = Double(trained.data[3 * c + 1])
            let entropy = distribution.quantizedEntropy(median: median)
            let message = "channel \(c) \(distribution): rate \(rates[c]) bits (untrained \(untrained[c])), "
                + "entropy \(entropy) bits at median \(median); quantiles trained "
                + "\(trained.data[3 * c ..< 3 * c + 3]), by bisection \(solved.data[3 * c ..< 3 * c + 3])"
            XCTAssertLessThan(rates[c], entropy + 0.05, message)
            XCTAssertGreaterThan(rates[c], entropy - 0.03, message)  // sampling noise only: no model beats the entropy
            XCTAssertGreaterThan(untrained[c], entropy + 0.5, message)
            XCTAssertEqual(trained.data[3 * c + 1], solved.data[3 * c + 1], accuracy: 0.3, message)
            for j in [0, 2] {
                XCTAssertEqual(trained.data[3 * c + j], solved.data[3 * c + j], accuracy: 0.05 * abs(solved.data[3 * c + j]), message)
            }
            if ProcessInfo.processInfo.environment["AE_PRINT_FIGURES"] != nil { print(message) }
        }
    }
}
