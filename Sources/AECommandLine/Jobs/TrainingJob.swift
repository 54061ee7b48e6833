import AEProcess
import AEBase
import AECodec
import AEData
import AEFormats
import AENet
import Foundation

/// One `aetrain` run: load and check everything, train with progress and
/// per-epoch checkpoints, evaluate, and write the bundle. The executable only
/// parses arguments into `TrainingJob.Settings` and calls `run`.
public struct TrainingJob {
    public struct Settings: Sendable {
        /// Data arguments (see `DataSource.syntaxHelp`), concatenated in order.
        public var data: [String] = []
        public var output = ""
        /// The model family (`ModelFamily.name`): the reference SVHN model, or the
        /// fully-convolutional photo codec "conv-factorized".
        public var family = ModelFamily.reference.name
        public var latentDim = 64
        /// oneDNN's kernels for the convolutions; false (the library's default): our engine, the same bits at any thread count. aetrain sets it from `--engine`.
        public var oneDNN = false
        /// conv-factorized: channels inside the transforms (N) and in the latent (M).
        public var channels = 128
        public var latentChannels = 192
        /// With a value, the loss is rate-distortion (lambda * 255^2 * MSE + bits per pixel)
        /// and the model gets a factorized prior on its latent (if it has none).
        public var lambda: Double?
        /// With `lambda`: what the distortion term measures (`Distortion`).
        public var distortion: Distortion = .mse
        /// Start from this bundle's weights (a built-in name or a file) instead of random ones.
        public var initFrom: String?
        /// With `initFrom` and `lambda`: before fine-tuning, rescale the dense latent so that
        /// each dimension's 0.1th-99.9th percentile range on the training data spans this
        /// many integer steps (`Autoencoder.rescaleLatent`; the network's output is unchanged).
        public var latentLevels: Int?
        /// With `initFrom` (a conv-factorized model): before fine-tuning, multiply the latent by
        /// this gain (`Autoencoder.scaleLatent(by:)`; the unrounded network is unchanged).
        public var latentGain: Double?
        /// A variational autoencoder (reference family): the loss adds `beta` times the KL
        /// divergence per image value (`VariationalLoss`).
        public var variational = false
        public var beta = 0.01
        /// A conditional model (reference family): the one-hot digit label goes into the
        /// encoder's and the decoder's Dense layers; every image needs a label.
        public var conditional = false
        public var options = TrainingOptions()
        /// Number of images kept from the data (the first ones).
        public var limit: Int? = 20_000
        /// Shuffle the loaded images once (seeded by `initSeed`) before the limit and
        /// the validation split, so validation mixes every source; off by default,
        /// as Keras's validation_split takes the last images as given.
        public var shuffleData = false
        /// Seed of the initial weights and of random data sources.
        public var initSeed: UInt64 = 0
        public var threads = Parallelism.availableCores
        /// Held-out test data evaluated at the end.
        public var test: String?
        /// How the written bundle stores its weights; nil: float32 for a trained bundle, the
        /// source's storage for `--stamp-quality` and `--quantize-from`.
        public var weights: BundleElementType?
        public var resume = false
        public var force = false
        /// Instead of training: read this bundle, measure its latent quantisation table on
        /// the data (`LatentQuantization.measure`) and write the bundle with it to `output`.
        public var quantizeFrom: String?
        /// The level of a quality set the bundle is (metadata `quality`), when training or
        /// with `stampQuality`.
        public var quality: BundleMetadata.QualityInfo?
        /// Instead of training: read this bundle and write it to `output` with `quality` in
        /// its metadata (weights, tables and fingerprint unchanged).
        public var stampQuality: String?

        public init() {}
    }

    /// The documented range of each numeric setting, checked before anything is allocated.
    public enum Limits {
        /// A latent vector longer than the 3,072 values of a 32x32 RGB tile compresses nothing.
        public static let latentDim = 1...4096
        public static let channels = 1...1024
        public static let latentLevels = 2...65_536
        public static let latentGain = 0.1...10.0
        public static let batchSize = 1...65_536
        public static let epochs = 1...1_000_000
        /// The thread count changes the order of the gradient sums, so it is kept as given.
        public static let threads = 1...256
    }

    /// Refuses settings outside `Limits` (and a limit above `DataSource.maxImages`).
    public func checkSettings() throws {
        func check(_ value: Int, _ range: ClosedRange<Int>, _ option: String) throws {
            guard range.contains(value) else {
                throw ToolError(path: option, reason: "must be in \(range.lowerBound)...\(NumberText.grouped(range.upperBound)), got \(value)")
            }
        }
        try check(settings.latentDim, Limits.latentDim, "--latent-dim")
        try check(settings.channels, Limits.channels, "--channels")
        try check(settings.latentChannels, Limits.channels, "--latent-channels")
        guard ModelFamily.named(settings.family) != nil else {
            throw ToolError(path: "--family", reason: "unknown family \(settings.family) (known: \(ModelFamily.registry.map(\.name).joined(separator: ", ")))")
        }
        if let l = settings.lambda, !(l > 0 && l.isFinite && l <= 1000) {
            throw ToolError(path: "--lambda", reason: "must be in (0, 1000], got \(l)")
        }
        if settings.distortion != .mse && settings.lambda == nil {
            throw ToolError(path: "--distortion", reason: "is the distortion of the rate-distortion loss: give --lambda")
        }
        if settings.family != ModelFamily.reference.name && settings.lambda == nil {
            throw ToolError(path: "--lambda", reason: "the \(settings.family) family trains for rate and distortion: give --lambda")
        }
        if let levels = settings.latentLevels {
            try check(levels, Limits.latentLevels, "--latent-levels")
            guard settings.initFrom != nil && settings.lambda != nil else {
                throw ToolError(path: "--latent-levels", reason: "rescales a trained model's latent for rate-distortion fine-tuning: give --init-from and --lambda")
            }
        }
        if let gain = settings.latentGain {
            guard Limits.latentGain.contains(gain) else {
                throw ToolError(path: "--latent-gain", reason: "must be in 0.1...10, got \(gain)")
            }
            guard settings.initFrom != nil else {
                throw ToolError(path: "--latent-gain", reason: "scales a trained model's latent: give --init-from")
            }
        }
        if settings.variational {
            guard settings.family == ModelFamily.reference.name && settings.lambda == nil else {
                throw ToolError(path: "--variational", reason: "applies to the reference family without --lambda")
            }
        }
        if settings.conditional {
            guard settings.family == ModelFamily.reference.name && settings.lambda == nil else {
                throw ToolError(path: "--conditional", reason: "applies to the reference family without --lambda")
            }
        }
        guard settings.beta >= 0 && settings.beta.isFinite && settings.beta <= 1e6 else {
            throw ToolError(path: "--beta", reason: "must be in [0, 1,000,000], got \(settings.beta)")
        }
        try check(settings.options.batchSize, Limits.batchSize, "--batch-size")
        try check(settings.options.epochs, Limits.epochs, "--epochs")
        try check(settings.threads, Limits.threads, "--threads")
        if let limit = settings.limit { try check(limit, 1...DataSource.maxImages, "--limit") }
    }

    /// What a finished run reports.
    public struct Result: Sendable {
        public var bundlePath: String
        public var fingerprint: String
        public var history: [EpochRecord]
        public var testMSE: Double?
        /// Denoising runs: the MSE against the clean test images of the model's output for
        /// corrupted ones (`InputNoise.evaluationSeed`).
        public var testNoisyMSE: Double?
        public var wallSeconds: Double
    }

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    /// `MODEL.aemodel` -> `MODEL.aemodel.checkpoint`.
    public var checkpointPath: String { settings.output + ".checkpoint" }
    /// `MODEL.aemodel` -> `MODEL.history.csv`.
    public var historyPath: String {
        let url = URL(fileURLWithPath: settings.output)
        let base = url.pathExtension == ModelBundle.fileExtension ? url.deletingPathExtension().path : url.path
        return base + ".history.csv"
    }

    /// Everything that can be checked before training starts; throws the first problem.
    public func checkOutput() throws {
        try checkSettings()
        let out = settings.output
        guard !out.isEmpty else { throw ToolError(path: "-o", reason: "no output path given") }
        let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw ToolError(path: out, reason: "the output folder \(folder) does not exist")
        }
        guard access(folder, W_OK) == 0 else {
            throw ToolError(path: out, reason: "the output folder \(folder) is not writable")
        }
        let resumable = settings.resume && FileManager.default.fileExists(atPath: checkpointPath)
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir) {
            if isDir.boolValue { throw ToolError(path: out, reason: "is a folder, not a bundle path") }
            // With --resume a bundle beside the checkpoint is either the resumed run's own
            // (written just before a kill that left its checkpoint) or one that run was
            // started with --force to replace (a new run refuses an existing bundle
            // otherwise): in both cases resuming may replace it.
            if !settings.force && !resumable {
                throw ToolError(path: out, reason: FileErrorText.alreadyExists)
            }
        }
        if settings.resume {
            guard FileManager.default.fileExists(atPath: checkpointPath) else {
                throw ToolError(path: checkpointPath, reason: "no checkpoint to resume from")
            }
        } else if FileManager.default.fileExists(atPath: checkpointPath) && !settings.force {
            throw ToolError(path: checkpointPath,
                            reason: "a checkpoint of an unfinished run exists (use --resume to continue it, or --force to start over)")
        }
        if FileManager.default.fileExists(atPath: historyPath, isDirectory: &isDir) {
            if isDir.boolValue { throw ToolError(path: historyPath, reason: "is a folder, not a history file path") }
            // The history beside a checkpoint is the resumed run's own.
            if !settings.force && !resumable {
                throw ToolError(path: historyPath, reason: FileErrorText.alreadyExists)
            }
        }
        try checkNotRead([out, checkpointPath, historyPath])
    }

    /// Refuses any of `outputs` that is a file this run reads (training or test data, a
    /// file inside a data folder, the `--quantize-from` model), even with --force.
    func checkNotRead(_ outputs: [String]) throws {
        var read: [String] = []
        for argument in settings.data + (settings.test.map { [$0] } ?? []) {
            if FileBytes.kind(of: argument).exists { read.append(argument); continue }
            let specs = (try? DataSourceSpec.parse(argument)) ?? []
            read += specs.filter { $0.kind != .synthetic }.map(\.path)
        }
        if let q = settings.quantizeFrom { read.append(q) }
        if let q = settings.stampQuality { read.append(q) }
        let readIDs = FileBytes.identities(of: read)
        for path in outputs {
            if let id = FileBytes.identity(of: path), readIDs.contains(id) {
                throw ToolError(path: path, reason: "is read by this run (training or test data, or the model); refusing to overwrite it")
            }
        }
    }

    /// The loss of these settings for `model`: rate-distortion with `lambda` (and
    /// `distortion`), variational (with `beta`) for a variational model, else MSE.
    func loss(for model: Autoencoder) -> Loss {
        if let lambda = settings.lambda { return RateDistortionLoss(lambda: lambda, distortion: settings.distortion) }
        return model.sampler != nil ? VariationalLoss(beta: settings.beta) : MeanSquaredErrorLoss()
    }

    /// The untrained model (or `initFrom`'s weights), with a factorized prior when the
    /// loss is rate-distortion. `images` calibrate `latentLevels`.
    func makeModel(images: ImageSet) throws -> Autoencoder {
        var model: Autoencoder
        if let from = settings.initFrom {
            let (bundle, _) = try ModelLookup.load(from)
            model = try bundle.makeModel(threads: settings.threads)
            if settings.family == ModelFamily.hyperprior.name && model.hyperprior == nil {
                model = try hyperpriorModel(transforms: model, from: from)
            }
            if settings.variational && model.sampler == nil {
                throw ToolError(path: from, reason: "is not a variational model; --variational with --init-from needs one")
            }
            if settings.conditional != (model.conditionClasses != nil) {
                throw ToolError(path: from, reason: settings.conditional
                    ? "is not a conditional model; --conditional with --init-from needs one"
                    : "is a conditional model; give --conditional to continue training it")
            }
            if let levels = settings.latentLevels {
                guard model.hasDenseLatent, model.prior == nil else {
                    throw ToolError(path: from, reason: "--latent-levels needs a model with a dense latent and no prior yet (the reference family)")
                }
                // The 8-bit table's step spans the range in 255 steps; `levels` steps instead.
                let table = LatentQuantization.measure(model: model, images: images)
                model.rescaleLatent(steps: table.scale.map { $0 * 255 / Float(levels) })
            }
            if let gain = settings.latentGain {
                guard model.hasScalableLatent else {
                    throw ToolError(path: from, reason: "--latent-gain needs a conv-factorized model")
                }
                model.scaleLatent(by: Float(gain))
            }
        } else if settings.family == ModelFamily.hyperprior.name {
            model = ConvolutionalHyperpriorModel.build(channels: settings.channels, latentChannels: settings.latentChannels,
                                                       seed: settings.initSeed, threads: settings.threads)
        } else if settings.family == ModelFamily.convolutional.name {
            model = ConvolutionalCodecModel.build(channels: settings.channels, latentChannels: settings.latentChannels,
                                                  seed: settings.initSeed, threads: settings.threads)
        } else {
            model = ReferenceModel.build(latentDim: settings.latentDim, seed: settings.initSeed, threads: settings.threads,
                                         variational: settings.variational,
                                         conditionClasses: settings.conditional ? DigitLabels.classCount : nil)
        }
        if settings.lambda != nil && !model.hasEntropyModel, let channels = model.encoder.outputShape.last {
            var rng = RandomGenerator(seed: settings.initSeed &+ 1)
            model = Autoencoder(encoder: model.encoder, decoder: model.decoder,
                                prior: FactorizedPrior(channels: channels, rng: &rng,
                                                     parallelism: Parallelism(threads: settings.threads)))
        }
        return model
    }

    /// A new hyperprior model (initialised from `initSeed`) that starts from the analysis and
    /// synthesis transforms of `transforms`, a conv-factorized model (`--init-from`): its
    /// factorized prior is left behind, the hyperprior is trained from scratch.
    func hyperpriorModel(transforms: Autoencoder, from path: String) throws -> Autoencoder {
        guard transforms.prior != nil, let m = transforms.encoder.outputShape.last,
              let n = (transforms.encoder.layers.first as? Convolution)?.filters else {
            throw ToolError(path: path, reason: "is not a conv-factorized model; --family conv-hyperprior --init-from takes one (or a conv-hyperprior model)")
        }
        let model = ConvolutionalHyperpriorModel.build(channels: n, latentChannels: m, seed: settings.initSeed,
                                                       threads: settings.threads)
        for (to, from) in zip(model.encoder.parameters + model.decoder.parameters,
                              transforms.encoder.parameters + transforms.decoder.parameters) {
            precondition(to.name == from.name && to.value.shape == from.value.shape, "\(to.name) vs \(from.name)")
            to.value = from.value
        }
        return model
    }

    /// Loads the training data (and test data), checking shapes and counts.
    public func loadData() throws -> (train: LoadedData, test: LoadedData?) {
        guard !settings.data.isEmpty else { throw ToolError(path: "DATA", reason: "no training data given") }
        let specs = try settings.data.flatMap { try DataSourceSpec.parse($0) }
        let train = try DataSource.load(specs: specs, limit: settings.limit,
                                        shuffleSeed: settings.shuffleData ? settings.initSeed : nil,
                                        seed: settings.initSeed, threads: settings.threads)
        guard train.images.count > 0 else {
            throw ToolError(path: settings.data.joined(separator: " "), reason: "the data set is empty")
        }
        let test = try settings.test.map {
            try DataSource.load($0, seed: settings.initSeed, threads: settings.threads)
        }
        if settings.conditional {
            for (argument, data) in [(settings.data.joined(separator: " "), train), (settings.test ?? "", test)] {
                guard let images = data?.images else { continue }
                guard let labels = images.labels else {
                    throw ToolError(path: argument, reason:
                        "has no labels; --conditional needs a label for every image (MAT files with y, npy:IMAGES.npy,labels=LABELS.npy, svhn-photos:)")
                }
                guard labels.allSatisfy({ Int($0) < DigitLabels.classCount }) else {
                    throw ToolError(path: argument, reason: "holds labels outside 0...\(DigitLabels.classCount - 1)")
                }
            }
        }
        return (train, test)
    }

    /// A one-line description of the training data for the bundle's provenance.
    static func describe(_ data: LoadedData) -> String {
        data.sources.map(\.description).joined(separator: " + ")
            + (data.shuffleSeed.map { ", shuffled (seed \($0))" } ?? "")
            + (data.limit.flatMap { $0 < data.totalBeforeLimit ? ", first \($0) images" : nil } ?? "")
    }

    /// Runs the whole job. `shouldStop` is polled between batches (Ctrl-C); when it
    /// returns true the run ends with `TrainingInterrupted`, its checkpoint intact.
    public func run(output: TerminalOutput, shouldStop: @escaping () -> Bool = { false }) throws -> Result {
        let start = Date()
        try checkOutput()
        // A killed run may have left temporary files beside its outputs: remove them.
        AtomicFile.removeStaleTemporaries(for: [settings.output, checkpointPath, historyPath])
        let (train, test) = try loadData()
        output.line("Data: \(train.images.count) images (\(TrainingJob.describe(train)))"
                    + (test.map { "; test: \($0.images.count) images" } ?? ""))

        // The model and trainer: fresh, or restored from the checkpoint.
        var trainer: Trainer
        var previousSeconds = 0.0
        if settings.resume {
            let checkpoint = try ModelBundle.read(path: checkpointPath)
            guard checkpoint.isCheckpoint else {
                throw ToolError(path: checkpointPath, reason: "is a finished model bundle, not a checkpoint")
            }
            try checkResumable(checkpoint, data: train)
            let finished = checkpoint.metadata.checkpoint?.completedEpochs ?? 0
            if finished > settings.options.epochs {
                throw ToolError(path: checkpointPath, reason:
                    "holds \(finished) finished epochs, more than --epochs \(settings.options.epochs): resume with --epochs \(finished) or more")
            }
            trainer = try checkpoint.makeTrainer(threads: settings.threads, epochs: settings.options.epochs)
            previousSeconds = checkpoint.metadata.training?.wallTimeSeconds ?? 0
            output.line("Resuming from \(checkpointPath) after epoch \(trainer.history.count)")
        } else {
            let model = try makeModel(images: train.images)
            trainer = Trainer(model: model, options: settings.options, loss: loss(for: model))
        }
        if settings.oneDNN {
            // Faster convolutions (Benchmarks/dnnl_probe.md); results within float32 rounding of
            // our engine's, the same bits at a fixed thread count (not across counts).
            try trainer.model.runConvolutionsOnOneDNN(try OneDNNContext())
        }
        // Fail before training on a bad split; `fit` does the split itself.
        let counts = trainer.splitCounts(train.images.count)
        guard counts.train > 0 else {
            throw TrainingError.emptyTrainingSet(images: train.images.count,
                                                 validationSplit: trainer.options.validationSplit)
        }
        let source = BundleMetadata.DataSourceInfo(
            kind: train.sources.map(\.kind.rawValue).joined(separator: "+"),
            description: TrainingJob.describe(train), sampleCount: train.images.count,
            trainCount: counts.train, validationCount: counts.validation,
            testCount: test?.images.count)
        func metadata(kind: BundleMetadata.Kind, testMSE: Double? = nil, testBitsPerPixel: Double? = nil) -> BundleMetadata {
            var m = BundleMetadata(describing: trainer.model,
                                   tool: BundleMetadata.ToolInfo(name: "aetrain", version: AECodecVersion.string))
            m.kind = kind
            m.architecture.family = settings.family
            m.training = BundleMetadata.TrainingProvenance(
                options: trainer.options, dataSource: source, initSeed: settings.initSeed,
                threads: settings.threads, wallTimeSeconds: previousSeconds + Date().timeIntervalSince(start),
                loss: trainer.loss)
            m.metrics = BundleMetadata.Metrics(history: trainer.history, testMSE: testMSE)
            m.metrics?.testBitsPerPixel = testBitsPerPixel
            m.quality = settings.quality
            return m
        }

        let progress = TrainingProgress(output: output, shouldStop: shouldStop) { record in
            if let reason = TrainingDivergence.reason(trainer.history) {
                let kept = record.epoch > 1 ? "the checkpoint keeps epoch \(record.epoch - 1)" : "there is no checkpoint"
                throw ToolError(path: self.checkpointPath, reason: "training diverged in epoch \(record.epoch): \(reason); "
                    + "\(kept) (train again with a lower --learning-rate; --init-from takes a checkpoint's weights)")
            }
            var checkpointMetadata = metadata(kind: .checkpoint)
            checkpointMetadata.createdAt = BundleMetadata.timestamp()
            _ = try ModelBundle(checkpointOf: trainer, metadata: checkpointMetadata)
                .write(to: self.checkpointPath, force: true)
            try self.writeHistory(trainer.history)
        }
        if trainer.history.count < trainer.options.epochs {
            try trainer.fit(train.images, observer: progress)
        }

        // An entropy-coded model's quantiles (the medians its symbols are centred on, and
        // the tables' ranges) solved from the trained density, then the integer tables.
        trainer.model.factorizedPrior?.setQuantilesByBisection()
        let measured = test.map { Trainer.measure(trainer.model, on: $0.images, loss: MeanSquaredErrorLoss()) }
        let testMSE = measured?.mse
        let testNoisyMSE = trainer.options.inputNoise.flatMap { noise in
            test.map { Trainer.measure(trainer.model, on: $0.images, loss: MeanSquaredErrorLoss(), inputNoise: noise).mse }
        }
        var final = metadata(kind: .model, testMSE: testMSE,
                             testBitsPerPixel: trainer.model.hasEntropyModel ? measured?.bitsPerPixel : nil)
        final.createdAt = BundleMetadata.timestamp()
        var bundle = ModelBundle(model: trainer.model, metadata: final)
        if let prior = trainer.model.prior {
            bundle = bundle.withEntropyTables(try EntropyTables(prior: prior))
        } else if let hyperprior = trainer.model.hyperprior {
            bundle = bundle.withEntropyTables(try EntropyTables(hyperprior: hyperprior))
        }
        if settings.family == ModelFamily.reference.name && trainer.model.conditionClasses == nil {
            // The latent quantisation table (aeenc --bits 8), measured on the training images.
            // (A conditional model is no codec: a picture does not carry its class.)
            bundle = bundle.withQuantization(LatentQuantization.measure(model: trainer.model, images: train.images))
        }
        let fingerprint = try bundle.write(to: settings.output, weights: settings.weights ?? .f32, force: settings.force || settings.resume)
        try writeHistory(trainer.history)
        try? FileManager.default.removeItem(atPath: checkpointPath)
        return Result(bundlePath: settings.output, fingerprint: fingerprint, history: trainer.history,
                      testMSE: testMSE, testNoisyMSE: testNoisyMSE,
                      wallSeconds: previousSeconds + Date().timeIntervalSince(start))
    }
}
