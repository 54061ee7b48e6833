import AEProcess
import AEBase
import AECodec
import AEData
import AEFormats
import AENet
import Foundation

/// Resuming: what a checkpoint must share with this run, and the history file beside it.
extension TrainingJob {
    /// A checkpoint continues only the run that made it: same model, options and data.
    func checkResumable(_ checkpoint: ModelBundle, data: LoadedData) throws {
        func differs(_ what: String, _ was: String, _ now: String) -> ToolError {
            ToolError(path: checkpointPath,
                      reason: "was made with \(what) \(was), this run has \(now); resume with the original options")
        }
        let m = checkpoint.metadata
        if m.architecture.family != settings.family { throw differs("--family", m.architecture.family, settings.family) }
        if settings.family == ModelFamily.reference.name && settings.initFrom == nil && m.architecture.latentDim != settings.latentDim {
            throw differs("--latent-dim", "\(m.architecture.latentDim)", "\(settings.latentDim)")
        }
        if settings.initFrom == nil && (m.architecture.conditionClasses != nil) != settings.conditional {
            throw differs("--conditional", m.architecture.conditionClasses != nil ? "on" : "off", settings.conditional ? "on" : "off")
        }
        let variational = m.architecture.variant == BundleMetadata.Architecture.variationalVariant
        if settings.initFrom == nil && variational != settings.variational {
            throw differs("--variational", variational ? "on" : "off", settings.variational ? "on" : "off")
        }
        if variational && m.training?.beta != settings.beta {
            throw differs("--beta", m.training?.beta.map { "\($0)" } ?? "none", "\(settings.beta)")
        }
        if m.training?.lambda != settings.lambda {
            throw differs("--lambda", m.training?.lambda.map { "\($0)" } ?? "none", settings.lambda.map { "\($0)" } ?? "none")
        }
        if (m.training?.distortion ?? Distortion.mse.rawValue) != settings.distortion.rawValue {
            throw differs("--distortion", m.training?.distortion ?? Distortion.mse.rawValue, settings.distortion.rawValue)
        }
        guard let t = m.training else { throw ToolError(path: checkpointPath, reason: "records no training options") }
        let o = settings.options
        if t.batchSize != o.batchSize { throw differs("--batch-size", "\(t.batchSize)", "\(o.batchSize)") }
        if t.validationSplit != o.validationSplit {
            throw differs("--validation-split", "\(t.validationSplit)", "\(o.validationSplit)")
        }
        if Float(t.optimizer.learningRate) != o.learningRate {
            throw differs("--learning-rate", "\(t.optimizer.learningRate)", "\(o.learningRate)")
        }
        if t.seed != o.seed { throw differs("--seed", "\(t.seed)", "\(o.seed)") }
        if t.inputNoise != o.inputNoise?.description {
            throw differs("--noise", t.inputNoise ?? "none", o.inputNoise?.description ?? "none")
        }
        if t.gradientClipNorm != o.gradientClipNorm {
            throw differs("--clip-gradient-norm", t.gradientClipNorm.map { "\($0)" } ?? "none",
                          o.gradientClipNorm.map { "\($0)" } ?? "none")
        }
        if t.optimizer.finalLearningRate != o.finalLearningRate {
            throw differs("--final-learning-rate", "\(t.optimizer.finalLearningRate.map { "\($0)" } ?? "none")",
                          "\(o.finalLearningRate.map { "\($0)" } ?? "none")")
        }
        let description = TrainingJob.describe(data)
        if let recorded = t.dataSource?.description, recorded != description {
            throw differs("data", recorded, description)
        }
    }

    /// epoch,train_loss,val_loss,seconds,images_per_second — one row per epoch; a
    /// variational run adds train_mse,train_kl,val_mse,val_kl (KL in nats per image).
    func writeHistory(_ history: [EpochRecord]) throws {
        let variational = history.contains { $0.trainKL != nil }
        var csv = "epoch,train_loss,val_loss,seconds,images_per_second" + (variational ? ",train_mse,train_kl,val_mse,val_kl" : "") + "\n"
        func text(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
        for r in history {
            csv += "\(r.epoch),\(r.trainLoss),\(text(r.validationLoss)),"
                + String(format: "%.3f,%.1f", r.seconds, r.imagesPerSecond)
                + (variational ? ",\(text(r.trainMSE)),\(text(r.trainKL)),\(text(r.validationMSE)),\(text(r.validationKL))" : "") + "\n"
        }
        try AtomicFile.store(Array(csv.utf8), at: historyPath, force: true)
    }
}
