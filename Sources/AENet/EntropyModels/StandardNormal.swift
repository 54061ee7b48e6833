import Foundation

/// The standard normal distribution in Double, for the Gaussian conditional entropy model.
enum StandardNormal {
    /// Phi(x) = P(X <= x) = erfc(-x / sqrt 2) / 2: erfc keeps the lower tail accurate (relative)
    /// far out, where 1 - Phi(-x) would cancel to 0 (CompressAI's `_standardized_cumulative`).
    static func cumulative(_ x: Double) -> Double {
        0.5 * erfc(-x * 0.5.squareRoot())
    }

    /// phi(x) = exp(-x^2 / 2) / sqrt(2 pi), the derivative of `cumulative`.
    static func density(_ x: Double) -> Double {
        exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
    }

    /// Phi^-1(p) for 0 < p < 1: the x where `cumulative` crosses p, by bisection in Double (Phi
    /// increases, so the bracket halves until no Double lies between its ends). Exact to the last
    /// bits of erfc whatever p, and needs no tabled approximation; 0 < p < 1 is a precondition.
    static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normal quantile of \(p)")
        var low = -1.0, high = 1.0
        while cumulative(low) > p { low *= 2 }   // Phi(-40) underflows to 0 < p: stops by then
        while cumulative(high) < p { high *= 2 }
        while true {
            let middle = (low + high) / 2
            guard middle > low && middle < high else { return middle }
            if cumulative(middle) < p { low = middle } else { high = middle }
        }
    }
}
