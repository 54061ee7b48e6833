import AEData
import AEBase
import AENet
import AEFormats

// The bridges between AENet's types and the bundle's metadata: the format (AEFormats)
// knows nothing of networks, so describing a network in metadata lives here.

extension BundleMetadata {
    /// Metadata describing `model`, with nothing known about its training.
    public init(describing model: Autoencoder, tool: ToolInfo = ToolInfo(name: "aecodec")) {
        self.init(architecture: Architecture(describing: model), tool: tool)
    }
}

extension BundleMetadata.Architecture {
    /// The description of `model`, a network of `family` (`ModelFamily.name`).
    public init(describing model: Autoencoder, family: String = Self.referenceFamily) {
        let hyper = model.hyperprior
        let layers = model.encoder.layers.map { BundleMetadata.LayerInfo(describing: $0, part: .encoder) }
            + model.decoder.layers.map { BundleMetadata.LayerInfo(describing: $0, part: .decoder) }
            + (hyper?.analysis.layers ?? []).map { BundleMetadata.LayerInfo(describing: $0, part: .hyperAnalysis) }
            + (hyper?.synthesis.layers ?? []).map { BundleMetadata.LayerInfo(describing: $0, part: .hyperSynthesis) }
        // A hyperprior's factorized prior is over z; the layers above hold h_a and h_s.
        let entropyModel = model.factorizedPrior.map {
            BundleMetadata.EntropyModelInfo(kind: hyper == nil ? BundleMetadata.EntropyModelInfo.factorized
                                                               : BundleMetadata.EntropyModelInfo.hyperprior,
                                            channels: $0.channels, filters: $0.filters,
                                            parameters: $0.parameters.map(\.name),
                                            auxiliaryParameters: $0.auxiliaryParameters.map(\.name))
        }
        self.init(family: family, inputShape: model.imageShape, latentDim: model.latentDim,
                  hiddenActivation: layers.first?.activation ?? Activation.relu.rawValue,
                  parameterCount: model.parameterCount, layers: layers, entropyModel: entropyModel,
                  variant: model.sampler == nil ? nil : Self.variationalVariant,
                  conditionClasses: model.conditionClasses)
    }
}

extension BundleMetadata.LayerInfo {
    public init(describing layer: Layer, part: Part) {
        self.init(name: layer.name, kind: layer.kind, part: part, inputShape: layer.inputShape,
                  outputShape: layer.outputShape, activation: Self.activation(of: layer)?.rawValue,
                  parameters: layer.parameters.map(\.name))
    }

    /// The activation fused into (or performed by) `layer`, if it has one.
    static func activation(of layer: Layer) -> Activation? {
        switch layer {
        case let l as Conv2D: return l.activation
        case let l as Conv2DTranspose: return l.activation
        case let l as Dense: return l.activation
        case let l as ActivationLayer: return l.activation
        // The general convolutions record only an activation they apply (the photo transforms'
        // are linear and recorded none before the hyperprior's ReLUs existed).
        case let l as Convolution: return l.activation == .linear ? nil : l.activation
        case let l as TransposedConvolution: return l.activation == .linear ? nil : l.activation
        default: return nil
        }
    }
}

extension BundleMetadata.OptimizerInfo {
    public init(_ adam: Adam) {
        self.init(learningRate: adam.learningRate, beta1: adam.beta1, beta2: adam.beta2, epsilon: adam.epsilon)
    }
}

extension BundleMetadata.TrainingProvenance {
    /// Provenance recording `options` (Adam's betas and epsilon at Keras's defaults).
    public init(options: TrainingOptions, dataSource: BundleMetadata.DataSourceInfo? = nil, initSeed: UInt64? = nil,
                threads: Int? = nil, wallTimeSeconds: Double? = nil, loss: Loss? = nil) {
        self.init(dataSource: dataSource, epochs: options.epochs, batchSize: options.batchSize,
                  validationSplit: options.validationSplit,
                  optimizer: BundleMetadata.OptimizerInfo(learningRate: options.learningRate,
                                                          finalLearningRate: options.finalLearningRate),
                  seed: options.seed, initSeed: initSeed, threads: threads, wallTimeSeconds: wallTimeSeconds)
        lambda = (loss as? RateDistortionLoss)?.lambda
        distortion = (loss as? RateDistortionLoss).flatMap { $0.distortion == .mse ? nil : $0.distortion.rawValue }
        inputNoise = options.inputNoise?.description
        beta = (loss as? VariationalLoss)?.beta
        gradientClipNorm = options.gradientClipNorm
    }

    /// The loss this run minimised: rate-distortion with `lambda` (and `distortion`),
    /// variational with `beta`, else MSE. (`makeTrainer` refuses a distortion name this
    /// version does not know.)
    public var loss: Loss {
        if let lambda {
            return RateDistortionLoss(lambda: lambda, distortion: distortion.flatMap(Distortion.init(rawValue:)) ?? .mse)
        }
        if let beta { return VariationalLoss(beta: beta) }
        return MeanSquaredErrorLoss()
    }

    /// The `TrainingOptions` this run used.
    public var options: TrainingOptions {
        var o = TrainingOptions()
        o.epochs = epochs
        o.batchSize = batchSize
        o.validationSplit = validationSplit
        o.learningRate = optimizer.learningRate
        o.finalLearningRate = optimizer.finalLearningRate
        o.seed = seed
        // A noise this build cannot parse (a later writer's) is dropped here; a resume
        // then sees the difference and refuses.
        o.inputNoise = inputNoise.flatMap { try? InputNoise(parsing: $0) }
        o.gradientClipNorm = gradientClipNorm
        return o
    }
}

extension BundleMetadata.EpochMetrics {
    public init(_ r: EpochRecord) {
        self.init(epoch: r.epoch, trainLoss: r.trainLoss, validationLoss: r.validationLoss,
                  seconds: r.seconds, imagesPerSecond: r.imagesPerSecond)
        trainMSE = r.trainMSE
        trainBitsPerPixel = r.trainBitsPerPixel
        validationMSE = r.validationMSE
        validationBitsPerPixel = r.validationBitsPerPixel
        trainKL = r.trainKL
        validationKL = r.validationKL
    }

    /// The same figures as AENet's `EpochRecord`.
    public var record: EpochRecord {
        var r = EpochRecord(epoch: epoch, trainLoss: trainLoss, validationLoss: validationLoss,
                            seconds: seconds, imagesPerSecond: imagesPerSecond)
        r.trainMSE = trainMSE
        r.trainBitsPerPixel = trainBitsPerPixel
        r.validationMSE = validationMSE
        r.validationBitsPerPixel = validationBitsPerPixel
        r.trainKL = trainKL
        r.validationKL = validationKL
        return r
    }
}

extension BundleMetadata.Metrics {
    public init(history: [EpochRecord], testMSE: Double? = nil) {
        self.init(epochs: history.map(BundleMetadata.EpochMetrics.init), testMSE: testMSE,
                  testPSNR: testMSE.map { PSNR.decibels(mse: $0) })
    }

    public var history: [EpochRecord] { epochs.map(\.record) }
}

extension ModelBundle {
    /// A bundle of `model`'s current weights (float32). `metadata` supplies provenance
    /// and metrics; its architecture section is replaced by the model's description
    /// (keeping its family name).
    public init(model: Autoencoder, metadata: BundleMetadata? = nil) {
        var m = metadata ?? BundleMetadata(describing: model)
        m.architecture = BundleMetadata.Architecture(describing: model, family: m.architecture.family)
        self.init(metadata: m, tensors: (model.parameters + model.auxiliaryParameters).map {
            BundleTensor(name: $0.name, shape: $0.value.shape, values: $0.value.data)
        })
    }
}
