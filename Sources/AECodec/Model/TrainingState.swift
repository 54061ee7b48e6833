import AEFormats
import AENet

/// The state a `Trainer` needs, beyond the weights, to continue a run bit for bit:
/// Adam's step and moments (in the model's parameter order) and the completed epochs.
public struct TrainingState: Equatable, Sendable {
    public var step: Int
    public var firstMoments: [[Float]]
    public var secondMoments: [[Float]]
    public var history: [EpochRecord]

    public init(step: Int, firstMoments: [[Float]], secondMoments: [[Float]], history: [EpochRecord]) {
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
        self.history = history
    }

    /// The current state of `trainer`.
    public init(trainer: Trainer) {
        self.init(step: trainer.optimizer.step, firstMoments: trainer.optimizer.firstMoments,
                  secondMoments: trainer.optimizer.secondMoments, history: trainer.history)
    }

    /// Tensor names of the moments of the parameter `name` (in the first group's Adam, or
    /// in `group`'s).
    public static func firstMomentName(_ name: String, group: String? = nil) -> String {
        BundleTensor.optimizerPrefix + (group.map { $0 + "/" } ?? "") + "m/" + name
    }
    public static func secondMomentName(_ name: String, group: String? = nil) -> String {
        BundleTensor.optimizerPrefix + (group.map { $0 + "/" } ?? "") + "v/" + name
    }
}

extension ModelBundle {
    /// A checkpoint of `trainer`: its model's weights (float32), Adam's moments as
    /// "optimizer/m/<name>" and "optimizer/v/<name>" tensors, and in the metadata the
    /// options (`training`), completed epochs (`metrics.epochs`) and Adam's step.
    /// `metadata` supplies what the trainer does not know (data source, seeds, wall time);
    /// its architecture, options, history and checkpoint fields are replaced.
    public init(checkpointOf trainer: Trainer, metadata: BundleMetadata? = nil) {
        self.init(model: trainer.model, metadata: metadata)
        let old = self.metadata.training
        var training = BundleMetadata.TrainingProvenance(
            options: trainer.options, dataSource: old?.dataSource, initSeed: old?.initSeed,
            threads: old?.threads, wallTimeSeconds: old?.wallTimeSeconds, loss: trainer.loss)
        // The recipe's rates (Adam's current rate follows the schedule), Adam's constants.
        let adam = trainer.optimizer
        training.optimizer = BundleMetadata.OptimizerInfo(
            learningRate: trainer.options.learningRate, finalLearningRate: trainer.options.finalLearningRate,
            beta1: adam.beta1, beta2: adam.beta2, epsilon: adam.epsilon)
        self.metadata.kind = .checkpoint
        self.metadata.training = training
        var metrics = self.metadata.metrics ?? BundleMetadata.Metrics()
        metrics.epochs = trainer.history.map(BundleMetadata.EpochMetrics.init)
        self.metadata.metrics = metrics
        self.metadata.checkpoint = BundleMetadata.CheckpointInfo(
            optimizerStep: trainer.optimizer.step, completedEpochs: trainer.history.count)
        let parameters = trainer.model.parameters
        for (p, m) in zip(parameters, trainer.optimizer.firstMoments) {
            tensors.append(BundleTensor(name: TrainingState.firstMomentName(p.name), shape: p.value.shape, values: m))
        }
        for (p, v) in zip(parameters, trainer.optimizer.secondMoments) {
            tensors.append(BundleTensor(name: TrainingState.secondMomentName(p.name), shape: p.value.shape, values: v))
        }
        // The other groups' Adams (an entropy model's quantiles) take the same steps.
        for group in trainer.parameterGroups.dropFirst() {
            for (p, (m, v)) in zip(group.parameters, zip(group.optimizer.firstMoments, group.optimizer.secondMoments)) {
                tensors.append(BundleTensor(name: TrainingState.firstMomentName(p.name, group: group.name), shape: p.value.shape, values: m))
                tensors.append(BundleTensor(name: TrainingState.secondMomentName(p.name, group: group.name), shape: p.value.shape, values: v))
            }
        }
    }

    /// Whether the bundle is a training checkpoint.
    public var isCheckpoint: Bool { metadata.kind == .checkpoint }

    /// The recorded training options (nil when the bundle records no training).
    public var trainingOptions: TrainingOptions? { metadata.training?.options }

    /// The checkpoint's optimizer state and history, in the order of the parameters
    /// the bundle's layers list.
    public func trainingState() throws -> TrainingState {
        func missing(_ reason: String) -> BundleError { .missingTrainingState(path: displayPath, reason: reason) }
        guard isCheckpoint, let info = metadata.checkpoint else {
            throw missing("the bundle is a \(metadata.kind.rawValue), not a checkpoint")
        }
        let history = metadata.metrics?.history ?? []
        guard history.count == info.completedEpochs else {
            throw missing("checkpoint says \(info.completedEpochs) completed epochs, the metrics list \(history.count)")
        }
        var first: [[Float]] = [], second: [[Float]] = []
        for name in metadata.architecture.parameterNames {
            guard let weight = self[name] else { throw missing("no weight tensor \(name)") }
            for (momentName, into) in [(TrainingState.firstMomentName(name), 0), (TrainingState.secondMomentName(name), 1)] {
                guard let t = self[momentName] else { throw missing("no tensor \(momentName)") }
                guard t.shape == weight.shape else {
                    throw missing("tensor \(momentName) has shape \(t.shape), its weight \(weight.shape)")
                }
                if into == 0 { first.append(t.values) } else { second.append(t.values) }
            }
        }
        return TrainingState(step: info.optimizerStep, firstMoments: first, secondMoments: second, history: history)
    }

    /// Restores the checkpoint's optimizer state and history into `trainer`, whose
    /// model must be the one `makeModel` rebuilt from this bundle (same parameter order).
    public func restore(into trainer: Trainer) throws {
        let state = try trainingState()
        let names = trainer.model.parameters.map(\.name)
        let recorded = metadata.architecture.parameterNames
        guard names == recorded else {
            throw BundleError.missingTrainingState(path: displayPath, reason:
                "the trainer's parameters \(names.prefix(3))... do not match the checkpoint's \(recorded.prefix(3))...")
        }
        guard state.firstMoments.map(\.count) == trainer.optimizer.firstMoments.map(\.count),
              state.secondMoments.map(\.count) == trainer.optimizer.secondMoments.map(\.count) else {
            throw BundleError.missingTrainingState(path: displayPath, reason: "optimizer state sizes differ from the model's")
        }
        trainer.restore(history: state.history, step: state.step,
                        firstMoments: state.firstMoments, secondMoments: state.secondMoments)
        for group in trainer.parameterGroups.dropFirst() {
            var first: [[Float]] = [], second: [[Float]] = []
            for p in group.parameters {
                guard let m = self[TrainingState.firstMomentName(p.name, group: group.name)],
                      let v = self[TrainingState.secondMomentName(p.name, group: group.name)],
                      m.shape == p.value.shape, v.shape == p.value.shape else {
                    throw BundleError.missingTrainingState(path: displayPath, reason:
                        "no optimizer state for \(p.name) in group \(group.name)")
                }
                first.append(m.values)
                second.append(v.values)
            }
            group.optimizer.restore(step: state.step, firstMoments: first, secondMoments: second)
        }
    }

    /// For `aetrain --resume`: the model with the checkpoint's weights and a trainer
    /// with its options and restored optimizer state. `epochs` overrides the number of
    /// epochs to reach (to extend a finished run).
    public func makeTrainer(threads: Int = 1, epochs: Int? = nil) throws -> Trainer {
        guard var options = trainingOptions else {
            throw BundleError.missingTrainingState(path: displayPath, reason: "the metadata records no training options")
        }
        if let epochs { options.epochs = epochs }
        if let d = metadata.training?.distortion, Distortion(rawValue: d) == nil {
            throw BundleError.invalidMetadata(path: displayPath, reason:
                "training.distortion \"\(d)\" is not one this version can resume (known: \(Distortion.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let loss = metadata.training?.loss ?? MeanSquaredErrorLoss()
        let trainer = Trainer(model: try makeModel(threads: threads), options: options, loss: loss)
        try restore(into: trainer)
        return trainer
    }
}
