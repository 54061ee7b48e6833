import Foundation

/// One channel's probabilities for the codec: symbol k (= round(y - median)) for k in
/// `minimum ... maximum` has probability `pmf[k - minimum]`; every other symbol shares `tailMass`.
/// The codec turns this into an integer table once, when a model is written (AEEntropyCoding's
/// `CDFTable(quantizing: pmf, tailMass:, offset: minimum)`), and stores the integers.
public struct FactorizedPriorTable: Equatable, Sendable {
    public let median: Float
    public let minimum: Int32
    public let pmf: [Double]
    public let tailMass: Double

    public var maximum: Int32 { minimum + Int32(pmf.count) - 1 }
}

extension FactorizedPrior {
    /// The most symbols a table covers on either side of the median: keeps a table within the range
    /// coder's 65,535 direct values even for a broken (huge) quantile; the tail mass still counts
    /// everything outside.
    public static let maximumTableSide = 32_000

    /// Each channel's table, from the current quantiles as CompressAI's `update()` does: symbols from
    /// -ceil(median - lower) to ceil(upper - median) (each side at least 0), the pmf of each the mass
    /// of [median + k - 0.5, median + k + 0.5], the tail mass that below the first and above the last.
    /// Call `setQuantilesByBisection()` first unless the quantiles were trained to convergence.
    public func probabilityTables() -> [FactorizedPriorTable] {
        let network = self.network
        func side(_ distance: Float) -> Int {
            guard distance.isFinite else { return distance > 0 ? Self.maximumTableSide : 0 }
            return min(max(Int(distance.rounded(.up)), 0), Self.maximumTableSide)
        }
        return (0 ..< channels).map { c in
            let (lower, median, upper) = (quantiles.value.data[3 * c], quantiles.value.data[3 * c + 1],
                                          quantiles.value.data[3 * c + 2])
            let below = side(median - lower), above = side(upper - median)
            let m = Double(median)
            let pmf = (-below ... above).map { k -> Double in
                let v = m + Double(k)
                let l = network.logit(v - 0.5, channel: c), u = network.logit(v + 0.5, channel: c)
                let s: Double = l + u > 0 ? -1 : 1
                return abs(Logistic.sigmoid(s * u) - Logistic.sigmoid(s * l))
            }
            let tail = Logistic.sigmoid(network.logit(m - Double(below) - 0.5, channel: c))
                + Logistic.sigmoid(-network.logit(m + Double(above) + 0.5, channel: c))
            return FactorizedPriorTable(median: median, minimum: Int32(-below), pmf: pmf, tailMass: tail)
        }
    }
}
