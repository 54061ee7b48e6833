import AEFormats
import AENet

extension ModelBundle {
    /// Largest latent size a bundle may ask for (the rebuilt model is allocated from it).
    public static let maximumLatentDim = 1 << 20

    /// Rebuilds the network the bundle describes and loads its weights.
    ///
    /// Builds with the bundle's family (`ModelFamily`, from `architecture.family`), then
    /// checks that the layer list (names, kinds, shapes, activations, parameter names)
    /// and every weight tensor's name and shape match before loading the weights
    /// (float16 weights arrive widened to float32). Throws
    /// `BundleError.architectureMismatch` naming the first layer that differs.
    public func makeModel(threads: Int = 1) throws -> Autoencoder {
        try makeModel(parallelism: Parallelism(threads: threads))
    }

    /// The network with its work split as `parallelism` says (see `makeModel(threads:)`).
    public func makeModel(parallelism: Parallelism) throws -> Autoencoder {
        let arch = metadata.architecture
        func mismatch(_ layer: String, _ reason: String) -> BundleError {
            .architectureMismatch(path: displayPath, layer: layer, reason: reason)
        }
        guard let family = ModelFamily.named(arch.family) else {
            let known = ModelFamily.registry.map { "\"\($0.name)\"" }.joined(separator: ", ")
            throw mismatch("(model)", "family \"\(arch.family)\" is not one this build can rebuild (\(known))")
        }
        let model = try family.build(self, parallelism)

        let expected = BundleMetadata.Architecture(describing: model, family: family.name).layers
        for (i, built) in expected.enumerated() {
            guard i < arch.layers.count else {
                throw mismatch(built.name, "the bundle lists \(arch.layers.count) layers, the model has \(expected.count)")
            }
            let recorded = arch.layers[i]
            guard recorded == built else {
                throw mismatch(recorded.name == built.name ? built.name : "\(recorded.name) (expected \(built.name))",
                               "bundle has \(Self.describe(recorded)), the model has \(Self.describe(built))")
            }
        }
        if arch.layers.count > expected.count {
            throw mismatch(arch.layers[expected.count].name,
                           "the bundle lists \(arch.layers.count) layers, the model has \(expected.count)")
        }

        var byName: [String: BundleTensor] = [:]
        for t in weightTensors { byName[t.name] = t }
        for layer in model.layers {
            for p in layer.parameters {
                guard let t = byName.removeValue(forKey: p.name) else {
                    throw mismatch(layer.name, "tensor \(p.name) is missing from the bundle")
                }
                guard t.shape == p.value.shape else {
                    throw mismatch(layer.name, "tensor \(p.name) has shape \(t.shape) in the bundle, the model expects \(p.value.shape)")
                }
                p.value = Tensor(shape: t.shape, data: t.values)
            }
        }
        if let prior = model.factorizedPrior {
            let info = arch.entropyModel
            guard info?.parameters == prior.parameters.map(\.name),
                  info?.auxiliaryParameters == prior.auxiliaryParameters.map(\.name) else {
                throw mismatch("(entropy model)", "the bundle's entropy model lists \(info?.parameters ?? []), the model has \(prior.parameters.map(\.name))")
            }
            for p in prior.parameters + prior.auxiliaryParameters {
                guard let t = byName.removeValue(forKey: p.name) else {
                    throw mismatch("(entropy model)", "tensor \(p.name) is missing from the bundle")
                }
                guard t.shape == p.value.shape else {
                    throw mismatch("(entropy model)", "tensor \(p.name) has shape \(t.shape) in the bundle, the model expects \(p.value.shape)")
                }
                p.value = Tensor(shape: t.shape, data: t.values)
            }
        } else if arch.entropyModel != nil {
            throw mismatch("(entropy model)", "the family \(family.name) built no entropy model")
        }
        // Leftover tensors under a layer's name (or with no namespace) mean another
        // architecture; tensors in other namespaces are reserved for later minor
        // versions and ignored here.
        let layerNames = Set(model.layers.map(\.name))
        for extra in byName.keys.sorted() {
            let parts = extra.split(separator: "/", maxSplits: 1)
            if parts.count < 2 || layerNames.contains(String(parts[0])) {
                throw mismatch(String(parts[0]), "the bundle holds tensor \(extra), which the model does not have")
            }
        }
        guard arch.parameterCount == model.parameterCount else {
            throw mismatch("(model)", "the bundle records \(arch.parameterCount) parameters, the model has \(model.parameterCount)")
        }
        return model
    }

    static func describe(_ l: BundleMetadata.LayerInfo) -> String {
        let act = l.activation.map { " \($0)" } ?? ""
        return "\(l.part.rawValue) \(l.kind)\(act) \(l.inputShape) -> \(l.outputShape) with [\(l.parameters.joined(separator: ", "))]"
    }
}
