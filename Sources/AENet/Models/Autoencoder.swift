/// An encoder and a decoder that meet at a latent (a vector, or channels-last maps for a
/// fully-convolutional model). The codec encodes with one half and decodes with the
/// other; training runs both. With a `prior` the latent is quantised and entropy-coded:
/// training adds uniform noise in its place and minimises rate and distortion together.
/// The entropy model is a factorized `prior` or a scale `hyperprior` (at most one).
public final class Autoencoder {
    public let encoder: Sequential
    public let decoder: Sequential
    /// The learned density of the latent (channels last), for rate-distortion models.
    public let prior: FactorizedPrior?
    /// The scale hyperprior over the latent (a second latent and a Gaussian conditional).
    public let hyperprior: Hyperprior?

    public init(encoder: Sequential, decoder: Sequential, prior: FactorizedPrior? = nil, hyperprior: Hyperprior? = nil) {
        precondition(shapesFit(encoder.outputShape, decoder.inputShape),
                     "encoder outputs \(encoder.outputShape), decoder takes \(decoder.inputShape)")
        precondition(shapesFit(encoder.inputShape, decoder.outputShape),
                     "decoder output \(decoder.outputShape) differs from encoder input \(encoder.inputShape)")
        if let prior {
            precondition(encoder.outputShape.last == prior.channels,
                         "the prior has \(prior.channels) channels, the latent \(encoder.outputShape)")
        }
        if let hyperprior {
            precondition(prior == nil, "a model has a factorized prior or a hyperprior, not both")
            precondition(encoder.outputShape.last == hyperprior.channels,
                         "the hyperprior takes \(hyperprior.channels) channels, the latent \(encoder.outputShape)")
        }
        self.encoder = encoder
        self.decoder = decoder
        self.prior = prior
        self.hyperprior = hyperprior
    }

    /// The entropy model the latent is trained and coded with: the prior or the hyperprior.
    public var entropyModel: LatentEntropyModel? { prior ?? hyperprior }
    /// Whether the latent is entropy-coded (trained for rate and distortion).
    public var hasEntropyModel: Bool { entropyModel != nil }
    /// The factorized prior of the first latent coded: the model's prior, or the hyperprior's over z.
    public var factorizedPrior: FactorizedPrior? { prior ?? hyperprior?.prior }

    public var imageShape: [Int] { encoder.inputShape }
    /// The sampling step that ends a variational model's encoder (nil for a plain model).
    public var sampler: GaussianSampling? { encoder.layers.last as? GaussianSampling }
    /// A conditional model's label inputs (empty for an unconditional one).
    public var labelInputs: [LabelConcat] { layers.compactMap { $0 as? LabelConcat } }
    /// The classes a conditional model is conditioned on (nil: unconditional).
    public var conditionClasses: Int? { labelInputs.first?.classes }

    /// Sets the labels of the next batch for a conditional model (a no-op for others).
    public func setLabels(_ labels: [UInt8]) {
        for layer in labelInputs { layer.labels = labels }
    }
    public var latentDim: Int { encoder.outputShape.reduce(1, *) }
    /// Both halves' layers, then the hyperprior's (h_a, h_s).
    public var layers: [Layer] { encoder.layers + decoder.layers + (hyperprior?.layers ?? []) }
    /// The trained parameters: both halves, the hyperprior's transforms and the prior's
    /// density (its quantiles are `auxiliaryParameters`, trained by their own loss).
    public var parameters: [Parameter] {
        encoder.parameters + decoder.parameters + (prior?.parameters ?? []) + (hyperprior?.parameters ?? [])
    }
    public var auxiliaryParameters: [Parameter] { factorizedPrior?.auxiliaryParameters ?? [] }
    public var parameterCount: Int {
        encoder.parameterCount + decoder.parameterCount + (prior?.parameters.reduce(0) { $0 + $1.value.count } ?? 0)
            + (hyperprior?.parameterCount ?? 0)
    }

    /// The per-sample reconstruction shape for a per-sample image shape; nil when the
    /// model cannot take it (a fully-convolutional model takes any size its strides allow).
    public func forwardShape(for imageShape: [Int]) -> [Int]? {
        encoder.outputShape(for: imageShape).flatMap { decoder.outputShape(for: $0) }
    }

    /// Images [N, H, W, C] in [0, 1] to latents [N, latentDim].
    public func encode(_ images: Tensor) -> Tensor { encoder.forward(images) }

    /// Latents [N, latentDim] to images [N, H, W, C].
    public func decode(_ latents: Tensor) -> Tensor { decoder.forward(latents) }

    /// Reconstruction of a batch (keeps what `backward` needs).
    public func forward(_ images: Tensor) -> Tensor { decoder.forward(encoder.forward(images)) }

    /// Backpropagates dL/d(reconstruction) through both halves, accumulating parameter gradients.
    public func backward(_ gradOutput: Tensor) {
        let gradLatent = decoder.backward(gradOutput, needInputGradient: true)
        encoder.backward(gradLatent, needInputGradient: false)
    }

    /// Moves the convolutions (`OneDNNConvertibleLayer`) of the model, its hyperprior's
    /// included, onto oneDNN's kernels through `context`: faster training (Benchmarks/dnnl_probe.md),
    /// results within float32 rounding of our engine's, the same bits at a fixed thread
    /// count. Layers with fewer than `OneDNNConvolution.minimumFilters` output channels
    /// (the last, to RGB) stay on our engine, which is faster there. Returns how many moved.
    @discardableResult
    public func runConvolutionsOnOneDNN(_ context: OneDNNContext) throws -> Int {
        let layers = self.layers.compactMap { $0 as? OneDNNConvertibleLayer }
            .filter { ($0.outputShape.last ?? 0) >= OneDNNConvolution.minimumFilters }
        for layer in layers { try layer.runOnOneDNN(context) }
        return layers.count
    }

    public func zeroGradients() {
        for p in parameters { p.zeroGrad() }
    }
}
