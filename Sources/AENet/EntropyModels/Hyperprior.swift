/// The scale hyperprior of Balle et al. 2018 (CompressAI's `ScaleHyperprior`): a second,
/// smaller latent z = h_a(|y|) is coded first under a factorized prior, and the hyper-synthesis
/// h_s(z_hat) gives every value of the main latent y its own scale, under which y is coded by a
/// zero-mean Gaussian conditional:
///
///     z = h_a(|y|),  z_hat = Q(z)  (factorized prior, `prior`)
///     scales = h_s(z_hat), cropped to y's height and width
///     y_hat = Q(y)  (Gaussian conditional with those scales, `conditional`)
///
/// Q adds uniform noise in training and rounds at inference (z around its medians, y around 0).
/// The rate is the bits of both. h_s's output covers 4 times z's height and width, z being
/// y halved twice (rounded up), so it is cropped to y's size at the bottom and right.
///
/// Not a `Layer` (three outputs, noise); `forward` and `backward` are explicit and `backward`
/// accumulates into every parameter's gradient as layers do.
public final class Hyperprior {
    /// h_a: |y| to z.
    public let analysis: Sequential
    /// h_s: z_hat to the scales of y (non-negative: it ends in a ReLU).
    public let synthesis: Sequential
    /// The factorized prior of z.
    public let prior: FactorizedPrior
    public let conditional: GaussianConditional

    public init(analysis: Sequential, synthesis: Sequential, prior: FactorizedPrior, conditional: GaussianConditional) {
        precondition(analysis.outputShape.last == prior.channels,
                     "h_a gives \(analysis.outputShape), the hyper prior has \(prior.channels) channels")
        precondition(synthesis.inputShape.last == prior.channels && synthesis.outputShape.last == analysis.inputShape.last,
                     "h_s maps \(synthesis.inputShape) to \(synthesis.outputShape), h_a takes \(analysis.inputShape)")
        self.analysis = analysis
        self.synthesis = synthesis
        self.prior = prior
        self.conditional = conditional
    }

    /// Channels of y (h_a's input, h_s's output).
    public var channels: Int { analysis.inputShape.last ?? 0 }
    public var layers: [Layer] { analysis.layers + synthesis.layers }
    /// h_a's, h_s's, then the factorized prior's density parameters.
    public var parameters: [Parameter] { analysis.parameters + synthesis.parameters + prior.parameters }
    public var auxiliaryParameters: [Parameter] { prior.auxiliaryParameters }
    public var parameterCount: Int {
        analysis.parameterCount + synthesis.parameterCount + prior.parameters.reduce(0) { $0 + $1.value.count }
    }

    // MARK: Forward and backward

    /// What `backward` needs: y (for the sign of |y|) and the scales' uncropped shape.
    private var savedY = Tensor(zeros: [0])
    private var savedScaleShape: [Int] = []

    /// Training: both latents with uniform noise from `rng` (z's first, then y's).
    public func forward(_ y: Tensor, noise rng: inout RandomGenerator) -> HyperpriorOutput {
        let z = analysis.forward(Self.absolute(y))
        let zOut = prior.forward(z, noise: &rng)
        let scales = scalesForTraining(zOut.values, y: y)
        let yOut = conditional.forward(y, scales: scales, noise: &rng)
        savedY = y
        return HyperpriorOutput(values: yOut.values, likelihoods: yOut.likelihoods, hyperLikelihoods: zOut.likelihoods)
    }

    /// Inference: both latents rounded, as the codec stores them (for measuring; the codec
    /// computes the scales with `FixedOrderInference` so that they agree across machines).
    public func forward(quantizing y: Tensor) -> HyperpriorOutput {
        let z = analysis.forward(Self.absolute(y))
        let zOut = prior.forward(quantizing: z)
        let scales = scalesForTraining(zOut.values, y: y)
        let yOut = conditional.forward(quantizing: y, scales: scales)
        savedY = y
        return HyperpriorOutput(values: yOut.values, likelihoods: yOut.likelihoods, hyperLikelihoods: zOut.likelihoods)
    }

    /// z = h_a(|y|) for the codec (inference: nothing kept for a backward pass).
    public func hyperLatent(of y: Tensor) -> Tensor {
        analysis.infer(Self.absolute(y))
    }

    /// h_s through the engine, cropped to y's size (kept for `backward`).
    private func scalesForTraining(_ zHat: Tensor, y: Tensor) -> Tensor {
        let raw = synthesis.forward(zHat)
        savedScaleShape = raw.shape
        return Self.crop(raw, toRows: y.shape[1], columns: y.shape[2])
    }

    /// Given dL/d(values of y) and dL/d(each likelihood) of the last `forward`, adds every
    /// parameter's gradient and returns dL/dy (the Gaussian conditional's, plus h_a's through
    /// |y|, whose derivative is sign(y), 0 at 0 as PyTorch's `abs`).
    public func backward(gradValues: Tensor?, gradLikelihoods: Tensor, gradHyperLikelihoods: Tensor) -> Tensor {
        let (gradY, gradScales) = conditional.backward(gradValues: gradValues, gradLikelihoods: gradLikelihoods)
        let gradRaw = Self.uncrop(gradScales, to: savedScaleShape)
        let gradZHat = synthesis.backward(gradRaw, needInputGradient: true)
        let gradZ = prior.backward(gradValues: gradZHat, gradLikelihoods: gradHyperLikelihoods)
        let gradAbs = analysis.backward(gradZ, needInputGradient: true)
        var result = gradY
        for i in 0 ..< result.count {
            let v = savedY.data[i]
            result.data[i] += v > 0 ? gradAbs.data[i] : (v < 0 ? -gradAbs.data[i] : 0)
        }
        return result
    }

    /// CompressAI's auxiliary loss: the factorized prior's quantiles.
    public func auxiliaryLoss(addingGradient: Bool) -> Double {
        prior.auxiliaryLoss(addingGradient: addingGradient)
    }

    // MARK: Shapes

    /// The height or width of z for a y of `size` (two stride-2 'same' steps).
    public static func hyperSize(_ size: Int) -> Int { ((size + 1) / 2 + 1) / 2 }

    static func absolute(_ y: Tensor) -> Tensor {
        var a = y
        for i in 0 ..< a.count { a.data[i] = abs(a.data[i]) }
        return a
    }

    /// [N, H', W', C] to its top-left [N, rows, columns, C].
    public static func crop(_ t: Tensor, toRows rows: Int, columns: Int) -> Tensor {
        let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        precondition(rows <= h && columns <= w, "cannot crop \(t.shape) to \(rows) x \(columns)")
        if rows == h && columns == w { return t }
        var out = Tensor(zeros: [n, rows, columns, c])
        for b in 0 ..< n {
            for r in 0 ..< rows {
                let from = ((b * h + r) * w) * c, to = ((b * rows + r) * columns) * c
                for k in 0 ..< columns * c { out.data[to + k] = t.data[from + k] }
            }
        }
        return out
    }

    /// The gradient of `crop`: `t` placed top-left in zeros of `shape`.
    static func uncrop(_ t: Tensor, to shape: [Int]) -> Tensor {
        if t.shape == shape { return t }
        let (n, rows, columns, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        let (h, w) = (shape[1], shape[2])
        var out = Tensor(zeros: shape)
        for b in 0 ..< n {
            for r in 0 ..< rows {
                let from = ((b * rows + r) * columns) * c, to = ((b * h + r) * w) * c
                for k in 0 ..< columns * c { out.data[to + k] = t.data[from + k] }
            }
        }
        return out
    }
}

/// The hyperprior's output: y's noisy or rounded values (what the decoder gets) and their
/// likelihoods, and z's likelihoods.
public struct HyperpriorOutput: Sendable {
    public let values: Tensor
    public let likelihoods: Tensor
    public let hyperLikelihoods: Tensor

    /// The rate of both latents: -sum(log2 likelihood).
    public var bits: Double { Rate.bits(likelihoods: likelihoods) + Rate.bits(likelihoods: hyperLikelihoods) }
}
