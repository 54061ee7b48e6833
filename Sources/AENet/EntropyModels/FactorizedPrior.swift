import Foundation

/// The learned factorized prior of Balle et al. 2018 (appendix 6.1; CompressAI's `EntropyBottleneck`,
/// tensorflow-compression's `NoisyDeepFactorized`): one non-parametric density per channel, the last
/// axis of the latent tensor ([N, C] dense latents and [N, H, W, C] convolutional ones alike).
///
/// Training (`forward(_:noise:)`) adds uniform noise U(-0.5, 0.5) in place of rounding; inference
/// (`forward(quantizing:)`) rounds around each channel's median, y_hat = round(y - median) + median.
/// Either way the likelihood of a value v is the density's mass on [v - 0.5, v + 0.5]:
///
///     likelihood = |sigmoid(s * upper) - sigmoid(s * lower)|,  lower/upper = logit(v -/+ 0.5),
///     s = -sign(lower + upper)  (+1 when the sum is 0)
///
/// (CompressAI's sign trick: it takes the difference where both sigmoids are small, not near 1),
/// bounded below by `likelihoodBound` (1e-9) as CompressAI's `LowerBound` does. The rate in bits is
/// -sum(log2 likelihood) (`Rate`).
///
/// Not a `Layer`: it has two outputs (values and likelihoods), draws noise, and works on any input
/// shape; `forward` and `backward` are explicit and `backward` accumulates into the parameters'
/// gradients as layers do. Both modes add an offset to y that the backward pass treats as a constant
/// (the noise; the rounding step, straight through), so dL/dy = dL/d(values) + dL/d(likelihoods) *
/// d(likelihood)/d(value).
///
/// The median and the table range come from per-channel quantiles (`quantiles`, an auxiliary
/// parameter trained by `auxiliaryLoss()` as in CompressAI), or can be set from the density by
/// bisection (`setQuantilesByBisection()`, as CompressAI PR #231): see FactorizedPrior+Quantiles.
public final class FactorizedPrior {
    public let name: String
    public let channels: Int
    /// The hidden widths of each channel's density network: (3, 3, 3) by default.
    public let filters: [Int]
    /// Total probability left outside the quantiles [lower, upper] (both tails together).
    public let tailMass: Double
    /// The smallest likelihood `forward` returns (keeps log2 finite).
    public let likelihoodBound: Double
    /// How `forward` and `backward` spread the values over threads: in fixed chunks of
    /// `chunk` values whatever the thread count, the parameter gradients summed chunk by
    /// chunk in order, so the results are the same bit for bit at any thread count.
    public let parallelism: Parallelism
    /// Values per chunk of work.
    static let chunk = 2048

    /// Per layer i: matrix [C, width(i+1), width(i)] (used through softplus), bias [C, width(i+1)],
    /// and for each layer but the last a factor [C, width(i+1)] (used through tanh).
    public let matrices: [Parameter]
    public let biases: [Parameter]
    public let factors: [Parameter]
    /// [C, 3]: per channel the lower tail quantile, the median and the upper tail quantile.
    public let quantiles: Parameter

    /// The density's parameters, trained with the rate (matrix, bias, factor of each layer in turn).
    public var parameters: [Parameter] {
        var list: [Parameter] = []
        for i in 0 ..< matrices.count {
            list += [matrices[i], biases[i]]
            if i < factors.count { list.append(factors[i]) }
        }
        return list
    }

    /// Trained only by `auxiliaryLoss()` (CompressAI gives them an optimizer of their own).
    public var auxiliaryParameters: [Parameter] { [quantiles] }

    /// Layer widths [1, filters..., 1].
    var widths: [Int] { [1] + filters + [1] }

    /// Initialised as CompressAI does: with scale = initScale^(1 / (layers)), every matrix entry
    /// log(expm1(1 / scale / width(i+1))) (so the stacked softplus matrices multiply to about
    /// 1 / initScale: a density about initScale wide), biases U(-0.5, 0.5), factors 0, quantiles
    /// (-initScale, 0, initScale).
    public init(name: String = "prior", channels: Int, filters: [Int] = [3, 3, 3], initScale: Double = 10,
                tailMass: Double = 1e-9, likelihoodBound: Double = 1e-9, rng: inout RandomGenerator,
                parallelism: Parallelism = Parallelism(threads: 1)) {
        precondition(channels > 0 && filters.allSatisfy { $0 > 0 }, "\(name): \(channels) channels, filters \(filters)")
        self.name = name
        self.channels = channels
        self.filters = filters
        self.tailMass = tailMass
        self.likelihoodBound = likelihoodBound
        self.parallelism = parallelism
        let widths = [1] + filters + [1]
        let scale = pow(initScale, 1 / Double(widths.count - 1))
        var matrices: [Parameter] = [], biases: [Parameter] = [], factors: [Parameter] = []
        for i in 0 ..< widths.count - 1 {
            let (nIn, nOut) = (widths[i], widths[i + 1])
            let initial = Float(log(expm1(1 / scale / Double(nOut))))
            matrices.append(Parameter(name: "\(name)/matrix\(i)",
                                      value: Tensor(shape: [channels, nOut, nIn],
                                                    data: [Float](repeating: initial, count: channels * nOut * nIn))))
            var bias = Tensor(zeros: [channels, nOut])
            for k in 0 ..< bias.count { bias.data[k] = rng.nextFloat(in: -0.5, 0.5) }
            biases.append(Parameter(name: "\(name)/bias\(i)", value: bias))
            if i + 1 < widths.count - 1 {
                factors.append(Parameter(name: "\(name)/factor\(i)", value: Tensor(zeros: [channels, nOut])))
            }
        }
        self.matrices = matrices
        self.biases = biases
        self.factors = factors
        var q = Tensor(zeros: [channels, 3])
        for c in 0 ..< channels {
            q.data[3 * c] = Float(-initScale)
            q.data[3 * c + 2] = Float(initScale)
        }
        quantiles = Parameter(name: "\(name)/quantiles", value: q)
    }

    /// Each channel's median (the middle quantile): the centre of rounding.
    public var medians: [Float] { (0 ..< channels).map { quantiles.value.data[3 * $0 + 1] } }

    /// The network in Double, from the current parameter values.
    var network: CumulativeDensityNetwork {
        CumulativeDensityNetwork(channels: channels, widths: widths, matrices: matrices.map(\.value),
                                 biases: biases.map(\.value), factors: factors.map(\.value))
    }

    // MARK: Forward and backward

    /// What `backward` needs from the last `forward`.
    private var savedValues = Tensor(zeros: [0])
    private var savedLikelihoods: [Double] = []

    /// Training: values = y + U(-0.5, 0.5) noise drawn from `rng`, and their likelihoods.
    public func forward(_ y: Tensor, noise rng: inout RandomGenerator) -> FactorizedPriorOutput {
        var noise = Tensor(zeros: y.shape)
        for i in 0 ..< noise.count { noise.data[i] = rng.nextFloat(in: -0.5, 0.5) }
        return forward(y, noise: noise)
    }

    /// Inference: values = round(y - median) + median per channel (ties to even), and their likelihoods.
    /// The backward pass takes the rounding straight through (d values / dy = 1).
    public func forward(quantizing y: Tensor) -> FactorizedPriorOutput {
        checkChannels(y)
        return evaluate(values: values(symbols: symbols(y), shape: y.shape))
    }

    /// values = y + noise (given, e.g. by a reference test), and their likelihoods. The backward pass
    /// treats the noise as a constant.
    public func forward(_ y: Tensor, noise: Tensor) -> FactorizedPriorOutput {
        precondition(y.shape == noise.shape, "\(name): noise \(noise.shape) for input \(y.shape)")
        checkChannels(y)
        var values = y
        for i in 0 ..< values.count { values.data[i] += noise.data[i] }
        return evaluate(values: values)
    }

    private func checkChannels(_ y: Tensor) {
        precondition(y.rank >= 1 && y.shape.last == channels, "\(name): input \(y.shape), expected \(channels) channels last")
    }

    /// The likelihoods of `values`, kept for `backward`.
    private func evaluate(values: Tensor) -> FactorizedPriorOutput {
        let network = self.network, bound = likelihoodBound, count = values.count
        let channels = self.channels, chunk = Self.chunk
        var raw = [Double](repeating: 0, count: count)
        var likelihoods = Tensor(zeros: values.shape)
        values.data.withUnsafeBufferPointer { vb in
            raw.withUnsafeMutableBufferPointer { rb in
                likelihoods.data.withUnsafeMutableBufferPointer { lb in
                    let (v, r, l) = (vb.baseAddress!, rb.baseAddress!, lb.baseAddress!)
                    parallelism.forEachRange((count + chunk - 1) / chunk) { chunks, _ in
                        var trace = CumulativeDensityNetwork.Trace(layout: network.layout)
                        for i in chunks.lowerBound * chunk ..< min(chunks.upperBound * chunk, count) {
                            let x = Double(v[i]), c = i % channels
                            let lower = network.logit(x - 0.5, channel: c, trace: &trace)
                            let upper = network.logit(x + 0.5, channel: c, trace: &trace)
                            let s: Double = lower + upper > 0 ? -1 : 1
                            r[i] = abs(Logistic.sigmoid(s * upper) - Logistic.sigmoid(s * lower))
                            l[i] = Float(max(r[i], bound))
                        }
                    }
                }
            }
        }
        savedValues = values
        savedLikelihoods = raw
        return FactorizedPriorOutput(values: values, likelihoods: likelihoods)
    }

    /// Given dL/d(values) (nil for none) and dL/d(likelihoods) of the last `forward`, adds dL/d(each
    /// density parameter) into their gradients and returns dL/dy. Through the likelihood bound the
    /// gradient passes where the likelihood is at least the bound or the gradient would raise it
    /// (CompressAI's `LowerBound`), so a rate always pulls a likelihood up.
    public func backward(gradValues: Tensor?, gradLikelihoods: Tensor) -> Tensor {
        precondition(gradLikelihoods.shape == savedValues.shape,
                     "\(name): likelihood gradient \(gradLikelihoods.shape), forward gave \(savedValues.shape)")
        if let gradValues { precondition(gradValues.shape == savedValues.shape, "\(name): value gradient \(gradValues.shape)") }
        let network = self.network, bound = likelihoodBound, count = savedValues.count
        let channels = self.channels, chunk = Self.chunk, chunks = (count + chunk - 1) / chunk
        // One gradient accumulator per chunk, summed in chunk order below.
        var partials = [CumulativeDensityGradients](repeating: CumulativeDensityGradients(like: network), count: chunks)
        var gradInput = gradValues ?? Tensor(zeros: savedValues.shape)
        savedValues.data.withUnsafeBufferPointer { vb in
            savedLikelihoods.withUnsafeBufferPointer { rb in
                gradLikelihoods.data.withUnsafeBufferPointer { gb in
                    gradInput.data.withUnsafeMutableBufferPointer { xb in
                        partials.withUnsafeMutableBufferPointer { pb in
                            let (v, r, gl, gx, parts) = (vb.baseAddress!, rb.baseAddress!, gb.baseAddress!, xb.baseAddress!, pb.baseAddress!)
                            parallelism.forEachRange(chunks) { range, _ in
                                var trace = CumulativeDensityNetwork.Trace(layout: network.layout)
                                for k in range {
                                    for i in k * chunk ..< min((k + 1) * chunk, count) {
                                        let g = Double(gl[i])
                                        guard g != 0, r[i] >= bound || g < 0 else { continue }
                                        let x = Double(v[i]), c = i % channels
                                        // likelihood = sigmoid(upper) - sigmoid(lower) whatever the sign trick picked.
                                        let upper = network.logit(x + 0.5, channel: c, trace: &trace)
                                        let gradUpper = g * Logistic.sigmoid(upper) * Logistic.sigmoid(-upper)
                                        var gradV = network.backward(gradUpper, channel: c, trace: &trace, into: &parts[k])
                                        let lower = network.logit(x - 0.5, channel: c, trace: &trace)
                                        let gradLower = -g * Logistic.sigmoid(lower) * Logistic.sigmoid(-lower)
                                        gradV += network.backward(gradLower, channel: c, trace: &trace, into: &parts[k])
                                        gx[i] += Float(gradV)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var gradients = CumulativeDensityGradients(like: network)
        for part in partials { gradients.add(part) }
        gradients.addTo(matrices: matrices, biases: biases, factors: factors)
        return gradInput
    }

    // MARK: Symbols for the codec

    /// The integer symbols the codec stores: round(y - median) per value (ties to even), channel last.
    /// Values beyond Int32 are clamped (the range coder escapes anything outside a table anyway).
    public func symbols(_ y: Tensor) -> [Int32] {
        checkChannels(y)
        let medians = self.medians
        return (0 ..< y.count).map { i in
            let r = Double((y.data[i] - medians[i % channels]).rounded(.toNearestOrEven))
            return r.isNaN ? 0 : Int32(max(min(r, Double(Int32.max)), Double(Int32.min)))
        }
    }

    /// The latent the decoder reconstructs from symbols: symbol + median per value, in `shape`.
    public func values(symbols: [Int32], shape: [Int]) -> Tensor {
        precondition(Tensor.elementCount(shape) == symbols.count && shape.last == channels,
                     "\(name): \(symbols.count) symbols for shape \(shape)")
        let medians = self.medians
        return Tensor(shape: shape, data: symbols.indices.map { Float(symbols[$0]) + medians[$0 % channels] })
    }
}

/// The prior's output: the noisy or quantised values (what the decoder gets) and their likelihoods.
public struct FactorizedPriorOutput: Sendable {
    public let values: Tensor
    public let likelihoods: Tensor

    /// The rate: -sum(log2 likelihood).
    public var bits: Double { Rate.bits(likelihoods: likelihoods) }
}
