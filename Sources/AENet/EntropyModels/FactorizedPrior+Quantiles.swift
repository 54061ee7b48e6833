import Foundation

/// The quantiles that fix each channel's median (the centre of rounding) and the range its table
/// covers. Both ways CompressAI has are here:
///
/// - `auxiliaryLoss()`: the quantiles are a parameter trained alongside the model (CompressAI's
///   `EntropyBottleneck.loss`), with targets logit = -log(2/tailMass - 1), 0, +log(2/tailMass - 1),
///   i.e. cumulative probabilities tailMass/2, 1/2, 1 - tailMass/2. The gradient reaches only the
///   quantiles: the density is held fixed.
/// - `setQuantilesByBisection()`: the same three points solved directly from the trained density
///   (the density's logit increases with x), as CompressAI PR #231 does. Exact whatever the training,
///   so the codec should call it once before `probabilityTables()`.
extension FactorizedPrior {
    /// The logits the three quantiles aim at.
    public var quantileTargets: [Double] {
        let t = log(2 / tailMass - 1)
        return [-t, 0, t]
    }

    /// sum over channels and the three quantiles of |logit(quantile) - target|; adds its gradient with
    /// respect to `quantiles` (only) into `quantiles.grad` unless `addingGradient` is false.
    @discardableResult
    public func auxiliaryLoss(addingGradient: Bool = true) -> Double {
        let network = self.network, targets = quantileTargets
        var loss = 0.0
        for c in 0 ..< channels {
            for j in 0 ..< 3 {
                let q = Double(quantiles.value.data[3 * c + j])
                let difference = network.logit(q, channel: c) - targets[j]
                loss += abs(difference)
                if addingGradient && difference != 0 {
                    let sign: Double = difference > 0 ? 1 : -1
                    quantiles.grad.data[3 * c + j] += Float(sign * network.derivative(at: q, channel: c))
                }
            }
        }
        return loss
    }

    /// Sets every channel's quantiles to where the density's logit equals the targets, by bisection in Double.
    public func setQuantilesByBisection() {
        let network = self.network, targets = quantileTargets
        for c in 0 ..< channels {
            for j in 0 ..< 3 {
                quantiles.value.data[3 * c + j] = Float(FactorizedPrior.solve(targets[j]) { network.logit($0, channel: c) })
            }
        }
    }

    /// x with f(x) = target for an increasing f: bracket by doubling, then halve the bracket until it
    /// stops shrinking in Double. Gives up at |x| = 2^40 (a density that wide is broken anyway).
    static func solve(_ target: Double, _ f: (Double) -> Double) -> Double {
        var low = -1.0, high = 1.0
        while f(low) > target && low > -0x1p40 { low *= 2 }
        while f(high) < target && high < 0x1p40 { high *= 2 }
        while true {
            let middle = (low + high) / 2
            guard middle > low && middle < high else { return middle }
            if f(middle) < target { low = middle } else { high = middle }
        }
    }
}
