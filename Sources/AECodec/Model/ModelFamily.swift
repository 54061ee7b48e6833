import AEFormats
import AENet

/// One kind of network a model bundle can hold, named by the metadata's
/// `architecture.family` (a bundle without the key is of the reference family).
///
/// A family builds the untrained network a bundle's architecture section describes;
/// `ModelBundle.makeModel` then checks the built network's layer list against the
/// section, layer by layer, and loads the bundle's weights into it, whatever the
/// family. The codec takes its tile size and latent layout from the built network
/// (`Autoencoder.imageShape`, `latentDim`).
///
/// To add a family: write its builder (a network in `AENet/Models`, a `ModelFamily`
/// here) and add it to `ModelFamily.registry`.
public struct ModelFamily: Sendable {
    /// The `architecture.family` value that picks this family.
    public let name: String
    /// The untrained network `bundle` describes, its work split as `parallelism` says;
    /// throws `BundleError.architectureMismatch` for a description it cannot build.
    public let build: @Sendable (_ bundle: ModelBundle, _ parallelism: Parallelism) throws -> Autoencoder

    public init(name: String,
                build: @escaping @Sendable (_ bundle: ModelBundle, _ parallelism: Parallelism) throws -> Autoencoder) {
        self.name = name
        self.build = build
    }

    /// Every family this build can rebuild, the reference first.
    public static let registry: [ModelFamily] = [.reference, .convolutional, .hyperprior]

    /// The family called `name`, if this build knows it.
    public static func named(_ name: String) -> ModelFamily? {
        registry.first { $0.name == name }
    }
}

extension ModelFamily {
    /// The reference SVHN autoencoder (`ReferenceModel.build`) at the recorded latent
    /// size and hidden activation, plain or (`architecture.variant` "variational") variational.
    public static let reference = ModelFamily(name: BundleMetadata.Architecture.referenceFamily) { bundle, parallelism in
        let arch = bundle.metadata.architecture
        func mismatch(_ layer: String, _ reason: String) -> BundleError {
            .architectureMismatch(path: bundle.displayPath, layer: layer, reason: reason)
        }
        guard arch.inputShape == ReferenceModel.imageShape else {
            throw mismatch("(input)", "input shape \(arch.inputShape), the reference model takes \(ReferenceModel.imageShape)")
        }
        guard let hidden = Activation(rawValue: arch.hiddenActivation) else {
            throw mismatch("(model)", "unknown hidden activation \"\(arch.hiddenActivation)\"")
        }
        // Refuse latent sizes the stored weights cannot back before allocating a model:
        // the two Dense layers next to the latent hold over 4,096 weights per latent unit.
        let stored = bundle.weightTensors.reduce(0) { $0 + $1.values.count }
        guard arch.latentDim > 0, arch.latentDim <= ModelBundle.maximumLatentDim, arch.latentDim * 4096 <= stored else {
            throw mismatch("(latent)", "latent size \(arch.latentDim) does not fit the \(stored) stored weights")
        }
        let variational: Bool
        switch arch.variant {
        case nil: variational = false
        case BundleMetadata.Architecture.variationalVariant?: variational = true
        case let other?:
            throw mismatch("(model)", "variant \"\(other)\" of the reference family is not one this build can rebuild (\"\(BundleMetadata.Architecture.variationalVariant)\")")
        }
        if let classes = arch.conditionClasses, !(1...256).contains(classes) {
            throw mismatch("(model)", "a conditional model of \(classes) classes (1 to 256 supported)")
        }
        let model = ReferenceModel.build(latentDim: arch.latentDim, seed: 0, threads: parallelism.threads, hiddenActivation: hidden,
                                         variational: variational, conditionClasses: arch.conditionClasses)
        return try withEntropyModel(model, bundle: bundle, parallelism: parallelism)
    }

    /// The fully-convolutional photo codec (`ConvolutionalCodecModel`), its channel counts
    /// read from the recorded layers (the first convolution's outputs, the latent's channels).
    public static let convolutional = ModelFamily(name: "conv-factorized") { bundle, parallelism in
        let (n, m) = try photoChannels(bundle, family: "conv-factorized", entropyKind: BundleMetadata.EntropyModelInfo.factorized)
        return ConvolutionalCodecModel.build(channels: n, latentChannels: m, parallelism: parallelism)
    }

    /// The photo codec with a scale hyperprior (`ConvolutionalHyperpriorModel`), its channel
    /// counts read as for `convolutional`.
    public static let hyperprior = ModelFamily(name: "conv-hyperprior") { bundle, parallelism in
        let (n, m) = try photoChannels(bundle, family: "conv-hyperprior", entropyKind: BundleMetadata.EntropyModelInfo.hyperprior)
        let model = ConvolutionalHyperpriorModel.build(channels: n, latentChannels: m, parallelism: parallelism)
        let info = bundle.metadata.architecture.entropyModel
        guard info?.channels == n, info?.filters == model.hyperprior?.prior.filters else {
            throw BundleError.architectureMismatch(path: bundle.displayPath, layer: "(entropy model)", reason:
                "the conv-hyperprior family needs a hyperprior over \(n) channels with filters \(model.hyperprior?.prior.filters ?? [])")
        }
        return model
    }

    /// N and M of a photo-codec bundle (the first analysis convolution's output channels, the
    /// last one's), after checking that the family has no variant and the entropy model's kind.
    static func photoChannels(_ bundle: ModelBundle, family: String, entropyKind: String) throws -> (Int, Int) {
        let arch = bundle.metadata.architecture
        func mismatch(_ layer: String, _ reason: String) -> BundleError {
            .architectureMismatch(path: bundle.displayPath, layer: layer, reason: reason)
        }
        func channels(_ layer: String) throws -> Int {
            guard let l = arch.layers.first(where: { $0.name == layer }), let c = l.outputShape.last, c > 0, c <= 4096 else {
                throw mismatch(layer, "the \(family) family needs layer \(layer) with 1 to 4096 output channels")
            }
            return c
        }
        if arch.conditionClasses != nil { throw mismatch("(model)", "the \(family) family has no conditional variant") }
        if let variant = arch.variant { throw mismatch("(model)", "the \(family) family has no variant \"\(variant)\"") }
        guard let kind = arch.entropyModel?.kind else {
            throw mismatch("(entropy model)", "the \(family) family needs an entropy model")
        }
        guard kind == entropyKind else {
            throw mismatch("(entropy model)", "the \(family) family needs an entropy model of kind \"\(entropyKind)\", not \"\(kind)\"")
        }
        return (try channels("analysis_conv0"), try channels("analysis_conv3"))
    }

    /// `model` with the factorized prior the bundle's `architecture.entropyModel` describes
    /// (unchanged when there is none).
    static func withEntropyModel(_ model: Autoencoder, bundle: ModelBundle,
                                 parallelism: Parallelism) throws -> Autoencoder {
        guard let info = bundle.metadata.architecture.entropyModel else { return model }
        guard info.kind == BundleMetadata.EntropyModelInfo.factorized, info.channels == model.encoder.outputShape.last,
              !info.filters.isEmpty, info.filters.allSatisfy({ (1...64).contains($0) }) else {
            throw BundleError.architectureMismatch(path: bundle.displayPath, layer: "(entropy model)", reason:
                "entropy model \(info.kind) over \(info.channels) channels with filters \(info.filters) does not fit the latent \(model.encoder.outputShape)")
        }
        var rng = RandomGenerator(seed: 0)
        let prior = FactorizedPrior(channels: info.channels, filters: info.filters, rng: &rng, parallelism: parallelism)
        return Autoencoder(encoder: model.encoder, decoder: model.decoder, prior: prior)
    }
}
