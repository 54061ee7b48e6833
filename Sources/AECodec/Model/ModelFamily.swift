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
    /// The untrained network `bundle` describes, with `threads` workers; throws
    /// `BundleError.architectureMismatch` for a description it cannot build.
    public let build: @Sendable (_ bundle: ModelBundle, _ threads: Int) throws -> Autoencoder

    public init(name: String, build: @escaping @Sendable (_ bundle: ModelBundle, _ threads: Int) throws -> Autoencoder) {
        self.name = name
        self.build = build
    }

    /// Every family this build can rebuild, the reference first.
    public static let registry: [ModelFamily] = [.reference]

    /// The family called `name`, if this build knows it.
    public static func named(_ name: String) -> ModelFamily? {
        registry.first { $0.name == name }
    }
}

extension ModelFamily {
    /// The reference SVHN autoencoder (`ReferenceModel.build`) at the recorded latent
    /// size and hidden activation.
    public static let reference = ModelFamily(name: BundleMetadata.Architecture.referenceFamily) { bundle, threads in
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
        return ReferenceModel.build(latentDim: arch.latentDim, seed: 0, threads: threads, hiddenActivation: hidden)
    }
}
