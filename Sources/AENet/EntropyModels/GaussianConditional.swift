import Foundation

/// The zero-mean Gaussian conditional entropy model of a scale hyperprior (Balle et al. 2018;
/// CompressAI's `GaussianConditional` with no means): every value of the latent y (any shape) has
/// its own scale, given by the hyper-synthesis, and the likelihood of a value v with scale s is the
/// mass of N(0, s^2) on [v - 0.5, v + 0.5]:
///
///     likelihood = Phi((0.5 - |v|) / s) - Phi((-0.5 - |v|) / s)
///
/// in Double, each Phi through erfc and taken on the side of |v| so that the difference is of two
/// small numbers in the tails (CompressAI's `_likelihood`). The scales are raised to `scaleBound`
/// (the smallest table scale) and the likelihoods to `likelihoodBound`, both as CompressAI's
/// `LowerBound`: the bound's gradient passes where the raw value is at least the bound or the
/// gradient would raise it. A NaN scale or likelihood stays NaN in training.
///
/// Training (`forward(_:scales:noise:)`) adds uniform noise U(-0.5, 0.5) in place of rounding;
/// inference (`forward(quantizing:scales:)`) rounds (ties to even; no median: the mean is 0).
/// Both take the offset straight through, so dL/dy = dL/d(values) + dL/d(likelihoods) *
/// d(likelihood)/d(value). There are no parameters: `backward` returns dL/dy and dL/d(scales).
///
/// The codec codes each value with the table of one of the fixed `scaleTable` scales
/// (`scaleIndices`, `probabilityTables()`), so the decoder needs only the same scale indices,
/// which are comparisons of the hyper-synthesis output with the table.
public final class GaussianConditional {
    /// CompressAI's `get_scale_table()`: 64 scales exp(linspace(log 0.11, log 256, 64)), computed
    /// in Double and stored as Float.
    public static let defaultScaleTable: [Float] = {
        let (first, last, levels) = (log(0.11), log(256.0), 64)
        return (0 ..< levels).map { i in
            Float(exp(i == levels - 1 ? last : first + Double(i) * (last - first) / Double(levels - 1)))
        }
    }()

    /// The scales of the codec's tables, increasing.
    public let scaleTable: [Float]
    /// The smallest scale a value is modelled with (scaleTable[0]).
    public let scaleBound: Float
    /// The smallest likelihood `forward` returns (keeps log2 finite).
    public let likelihoodBound: Double
    /// Probability left outside each table (both tails together, at most).
    public let tailMass: Double
    /// How `forward` and `backward` spread the values over threads: in fixed chunks of `chunk`
    /// values whatever the thread count (each value is computed on its own, so the results are the
    /// same bit for bit at any thread count).
    public let parallelism: Parallelism
    /// Values per chunk of work.
    static let chunk = 2048

    public init(scaleTable: [Float] = defaultScaleTable, likelihoodBound: Double = 1e-9, tailMass: Double = 1e-9,
                parallelism: Parallelism = Parallelism(threads: 1)) {
        precondition(!scaleTable.isEmpty && scaleTable.allSatisfy { $0.isFinite && $0 > 0 }
                     && zip(scaleTable, scaleTable.dropFirst()).allSatisfy { $0 < $1 },
                     "scale table: positive, finite and increasing, got \(scaleTable.count) scales")
        precondition(tailMass > 0 && tailMass < 1 && likelihoodBound >= 0, "tail mass \(tailMass), bound \(likelihoodBound)")
        self.scaleTable = scaleTable
        scaleBound = scaleTable[0]
        self.likelihoodBound = likelihoodBound
        self.tailMass = tailMass
        self.parallelism = parallelism
    }

    // MARK: Forward and backward

    /// What `backward` needs from the last `forward`.
    private var savedValues = Tensor(zeros: [0])
    private var savedScales = Tensor(zeros: [0])
    private var savedLikelihoods: [Double] = []

    /// Training: values = y + U(-0.5, 0.5) noise drawn from `rng` (one draw per value, in order, as
    /// `FactorizedPrior` draws it), and their likelihoods.
    public func forward(_ y: Tensor, scales: Tensor, noise rng: inout RandomGenerator) -> FactorizedPriorOutput {
        var noise = Tensor(zeros: y.shape)
        for i in 0 ..< noise.count { noise.data[i] = rng.nextFloat(in: -0.5, 0.5) }
        return forward(y, scales: scales, noise: noise)
    }

    /// values = y + noise (given, e.g. by a reference test), and their likelihoods. The backward pass
    /// treats the noise as a constant.
    public func forward(_ y: Tensor, scales: Tensor, noise: Tensor) -> FactorizedPriorOutput {
        precondition(y.shape == noise.shape, "Gaussian conditional: noise \(noise.shape) for input \(y.shape)")
        var values = y
        for i in 0 ..< values.count { values.data[i] += noise.data[i] }
        return evaluate(values: values, scales: scales)
    }

    /// Inference: values = round(y) (ties to even), and their likelihoods. The backward pass takes the
    /// rounding straight through (d values / dy = 1).
    public func forward(quantizing y: Tensor, scales: Tensor) -> FactorizedPriorOutput {
        evaluate(values: values(symbols: symbols(y), shape: y.shape), scales: scales)
    }

    /// The likelihoods of `values` under `scales`, kept for `backward`.
    private func evaluate(values: Tensor, scales: Tensor) -> FactorizedPriorOutput {
        precondition(values.shape == scales.shape, "Gaussian conditional: scales \(scales.shape) for input \(values.shape)")
        let (scaleBound, bound, count, chunk) = (scaleBound, likelihoodBound, values.count, Self.chunk)
        var raw = [Double](repeating: 0, count: count)
        var likelihoods = Tensor(zeros: values.shape)
        values.data.withUnsafeBufferPointer { vb in
            scales.data.withUnsafeBufferPointer { sb in
                raw.withUnsafeMutableBufferPointer { rb in
                    likelihoods.data.withUnsafeMutableBufferPointer { lb in
                        let (v, sc, r, l) = (vb.baseAddress!, sb.baseAddress!, rb.baseAddress!, lb.baseAddress!)
                        parallelism.forEachRange((count + chunk - 1) / chunk) { chunks, _ in
                            for i in chunks.lowerBound * chunk ..< min(chunks.upperBound * chunk, count) {
                                let s = Double(Self.lowerBound(sc[i], scaleBound)), x = abs(Double(v[i]))
                                r[i] = StandardNormal.cumulative((0.5 - x) / s) - StandardNormal.cumulative((-0.5 - x) / s)
                                l[i] = Float(Self.lowerBound(r[i], bound))
                            }
                        }
                    }
                }
            }
        }
        savedValues = values
        savedScales = scales
        savedLikelihoods = raw
        return FactorizedPriorOutput(values: values, likelihoods: likelihoods)
    }

    /// max(x, bound) that keeps NaN (as torch.max does).
    @inline(__always)
    private static func lowerBound<T: FloatingPoint>(_ x: T, _ bound: T) -> T { x < bound ? bound : x }

    /// Given dL/d(values) (nil for none) and dL/d(likelihoods) of the last `forward`, returns dL/dy
    /// and dL/d(scales). With a = (0.5 - |v|) / s, b = (-0.5 - |v|) / s:
    ///
    ///     d likelihood / dv = sign(v) (phi(b) - phi(a)) / s,   d likelihood / ds = (b phi(b) - a phi(a)) / s
    ///
    /// Through the likelihood bound the gradient passes where the raw likelihood is at least the bound
    /// or dL/d(likelihood) < 0; through the scale bound where the raw scale is at least the bound or
    /// dL/ds < 0 (CompressAI's `LowerBound`); elsewhere it is 0.
    public func backward(gradValues: Tensor?, gradLikelihoods: Tensor) -> (input: Tensor, scales: Tensor) {
        precondition(gradLikelihoods.shape == savedValues.shape,
                     "Gaussian conditional: likelihood gradient \(gradLikelihoods.shape), forward gave \(savedValues.shape)")
        if let gradValues {
            precondition(gradValues.shape == savedValues.shape, "Gaussian conditional: value gradient \(gradValues.shape)")
        }
        let (scaleBound, bound, count, chunk) = (scaleBound, likelihoodBound, savedValues.count, Self.chunk)
        var gradInput = gradValues ?? Tensor(zeros: savedValues.shape)
        var gradScales = Tensor(zeros: savedValues.shape)
        savedValues.data.withUnsafeBufferPointer { vb in
            savedScales.data.withUnsafeBufferPointer { sb in
                savedLikelihoods.withUnsafeBufferPointer { rb in
                    gradLikelihoods.data.withUnsafeBufferPointer { gb in
                        gradInput.data.withUnsafeMutableBufferPointer { xb in
                            gradScales.data.withUnsafeMutableBufferPointer { ssb in
                                let (v, sc, r, gl) = (vb.baseAddress!, sb.baseAddress!, rb.baseAddress!, gb.baseAddress!)
                                let (gx, gs) = (xb.baseAddress!, ssb.baseAddress!)
                                parallelism.forEachRange((count + chunk - 1) / chunk) { chunks, _ in
                                    for i in chunks.lowerBound * chunk ..< min(chunks.upperBound * chunk, count) {
                                        let g = Double(gl[i])
                                        guard g != 0, r[i] >= bound || g < 0 else { continue }
                                        let s = Double(Self.lowerBound(sc[i], scaleBound)), x = Double(v[i])
                                        let a = (0.5 - abs(x)) / s, b = (-0.5 - abs(x)) / s
                                        let (pa, pb) = (StandardNormal.density(a), StandardNormal.density(b))
                                        let sign: Double = x > 0 ? 1 : x < 0 ? -1 : 0
                                        gx[i] += Float(g * sign * (pb - pa) / s)
                                        let gradS = g * (b * pb - a * pa) / s
                                        if sc[i] >= scaleBound || gradS < 0 { gs[i] = Float(gradS) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (gradInput, gradScales)
    }

    // MARK: Symbols and tables for the codec

    /// The integer symbols the codec stores: round(y) per value (ties to even). Values beyond Int32
    /// are clamped and NaN gives 0 (the range coder escapes anything outside a table anyway).
    public func symbols(_ y: Tensor) -> [Int32] {
        y.data.map { v in
            let r = Double(v.rounded(.toNearestOrEven))
            return r.isNaN ? 0 : Int32(max(min(r, Double(Int32.max)), Double(Int32.min)))
        }
    }

    /// The latent the decoder reconstructs from symbols, in `shape`.
    public func values(symbols: [Int32], shape: [Int]) -> Tensor {
        precondition(Tensor.elementCount(shape) == symbols.count, "Gaussian conditional: \(symbols.count) symbols for shape \(shape)")
        return Tensor(shape: shape, data: symbols.map(Float.init))
    }

    /// The table each value is coded with: the first j with max(scale, scaleBound) <= scaleTable[j],
    /// else the last (CompressAI's `build_indexes`). Float comparisons only, so the same scales give
    /// the same indices on every machine. A NaN scale compares false with every entry: the last
    /// (widest) table, as in CompressAI; so do +infinity and scales above the top.
    public func scaleIndices(_ scales: Tensor) -> [Int32] {
        let table = scaleTable, last = table.count - 1
        return scales.data.map { scale in
            // Binary search for the first entry >= scale in the increasing table.
            var low = 0, high = last  // the answer lies in low ... high
            while low < high {
                let middle = (low + high) / 2
                if scale <= table[middle] { high = middle } else { low = middle + 1 }
            }
            return Int32(low)
        }
    }

    /// The most symbols a table covers on either side of 0 (as `FactorizedPrior`'s tables): only a
    /// custom table with scales above about 5,000 reaches it.
    public static let maximumTableSide = FactorizedPrior.maximumTableSide

    /// One table per `scaleTable` entry s, in the factorized prior's table form (median 0): symbols
    /// -c ... c with c = ceil(s * -Phi^-1(tailMass / 2)) (CompressAI's `update()`; at most
    /// `maximumTableSide`), pmf[k] = Phi((0.5 - |k|) / s) - Phi((-0.5 - |k|) / s), and the tail mass
    /// 2 Phi((-0.5 - c) / s) (at most `tailMass`), so pmf and tail sum to 1. AECodec quantises each
    /// with `CDFTable(quantizing: pmf, tailMass:, offset: minimum)` as for the factorized prior.
    public func probabilityTables() -> [FactorizedPriorTable] {
        let multiplier = -StandardNormal.quantile(tailMass / 2)
        return scaleTable.map { scale in
            let s = Double(scale)
            let c = min(Int((s * multiplier).rounded(.up)), Self.maximumTableSide)
            let pmf = (-c ... c).map { k -> Double in
                let x = Double(abs(k))
                return StandardNormal.cumulative((0.5 - x) / s) - StandardNormal.cumulative((-0.5 - x) / s)
            }
            let tail = 2 * StandardNormal.cumulative((-0.5 - Double(c)) / s)
            return FactorizedPriorTable(median: 0, minimum: Int32(-c), pmf: pmf, tailMass: tail)
        }
    }
}
