import AEProcess
import AEData
import AEFormats
import AECodec
import AECommandLine
import AENet
import ArgumentParser
import Foundation

/// `aetrain`: training (the default subcommand) and the report on trained models.
struct AETrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aetrain",
        abstract: "Train the autoencoders used by aeenc/aedec (the SVHN tile models and the photo codec), and report on trained models.",
        discussion: """
            `aetrain DATA... -o MODEL.aemodel` trains (the `train` subcommand is the default); \
            `aetrain report` writes an HTML report on one or more model bundles; `aetrain probe` \
            measures how well latents classify digits; `aetrain sample` draws from a variational \
            model; `aetrain interpolate` decodes the path between two pictures' latents. \
            See `aetrain SUBCOMMAND --help`.
            """,
        version: AECodecVersion.string,
        subcommands: [Train.self, Report.self, Probe.self, Sample.self, Interpolate.self],
        defaultSubcommand: Train.self)
}

/// Trains the reference autoencoder and writes a model bundle. Argument parsing
/// only: the work is `TrainingJob` in AECodec.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an autoencoder for aeenc/aedec (--family: the SVHN tile model or the photo codec) and write a model bundle.",
        usage: """
            aetrain DATA... -o MODEL.aemodel [options]
            aetrain --quantize-from MODEL.aemodel DATA... -o OUT.aemodel [--limit N] [--shuffle]
            aetrain --stamp-quality MODEL.aemodel --quality-set SET --quality-level N [--kodak-bpp X --kodak-psnr DB] [--weights f16] -o OUT.aemodel
            aetrain --summary [--latent-dim N] [--variational] [--conditional]
            """,
        discussion: """
            The reference family (the default, --family reference-svhn) codes 32x32 tiles: \
            encoder Conv2D(32)-MaxPool-Conv2D(64)-MaxPool-Conv2D(128)-MaxPool-Flatten-Dense(latent), \
            decoder Dense(2048)-Reshape(4,4,128)-Conv2DTranspose(128)-UpSample-Conv2DTranspose(64)-UpSample-\
            Conv2DTranspose(32)-UpSample-Conv2D(3, sigmoid); 3x3 kernels, 'same' padding, ReLU, MSE loss, Adam. \
            Labels are used only with --conditional. The defaults are the seed's recipe: 20,000 images, 20 epochs, batch 128, \
            10% validation split, learning rate 1e-3.

            The photo codec (--family conv-factorized, with --lambda) is fully convolutional and \
            codes whole images: analysis 4 x [5x5 stride-2 convolution, GDN] with --channels N \
            (--latent-channels M in the last), synthesis the mirror with transposed convolutions \
            and inverse GDN, a factorized prior on the rounded latent; it trains on crops \
            (PNG sources with size=) for lambda * 255^2 * MSE + bits per pixel. The README's \
            "Rate-distortion training" has the commands the built-in photo levels were trained with.
            --family conv-hyperprior adds a scale hyperprior (Balle et al. 2018): a second latent \
            z from |y| (3x3 and two 5x5 stride-2 convolutions, N channels) coded first, whose \
            synthesis gives each latent value the scale of a zero-mean Gaussian it is coded with. \
            --init-from a conv-factorized model starts it from that model's transforms.

            \(DataSource.syntaxHelp)

            Quality levels: --quality-set SET --quality-level N records in the bundle that it is \
            level N of the set SET (1 gives the smallest files; train each level with its own \
            --lambda, larger for higher levels), so `aeenc --model SET -q N`, --size, --bpp and \
            --psnr find it among the built-in models and the --model-path / AECODEC_MODEL_PATH \
            folders. --stamp-quality MODEL writes an existing bundle to -o with that record (and \
            with --kodak-bpp and --kodak-psnr, the level's measured mean bits per pixel and PSNR \
            on the 24 Kodak photos, which `aeinfo --models` lists); the weights and so the \
            fingerprint stay the same, and latent files made with MODEL decode with the new bundle \
            (unless --weights f16 converts a float32 bundle's weights: half the size, a new fingerprint).

            A checkpoint MODEL.aemodel.checkpoint is written after every epoch and removed when the \
            bundle is written; per-epoch losses go to MODEL.history.csv. Ctrl-C stops between two \
            batches; run the same command with --resume to continue exactly where the last \
            checkpoint left off. An epoch whose loss is not finite or over ten times the best \
            earlier one's stops the run before its checkpoint is written (the checkpoint keeps \
            the last good epoch).

            Example (the seed recipe on the SVHN data beside this checkout):
              aetrain ../shared/datasets/svhn/cropped_subset/train_32x32_subset.mat+svhn-photos:../shared/datasets/svhn/format1_subset,count=15566,seed=1 \\
                      --shuffle -o svhn-64.aemodel --test ../shared/datasets/svhn/cropped_subset/test_32x32_subset.mat

            Exit status: 0 done, 1 bad input or failure, 64 usage error (bad option or value), \
            130 interrupted (checkpoint kept).
            """)

    @Argument(help: "Training data sources (see below).")
    var data: [String] = []

    @Option(name: .shortAndLong, help: "Output model bundle (.aemodel).")
    var output: String?

    @Option(name: .customLong("quantize-from"),
            help: "Do not train: measure the latent quantisation table of this bundle on DATA and write the bundle with it to -o.")
    var quantizeFrom: String?

    @Option(name: .customLong("stamp-quality"),
            help: "Do not train: write this bundle to -o with the --quality-set and --quality-level (and --kodak-bpp, --kodak-psnr) record; the fingerprint is unchanged.")
    var stampQuality: String?

    @Option(name: .customLong("quality-set"),
            help: "The quality set the bundle is a level of (lowercase letters, digits, '-', '_'; e.g. photo); with --quality-level.")
    var qualitySet: String?

    @Option(name: .customLong("quality-level"), help: "The bundle's level in --quality-set (1 to 99; 1 gives the smallest files).")
    var qualityLevel: Int?

    @Option(name: .customLong("kodak-bpp"), help: "With --stamp-quality: the level's measured mean bits per pixel on the 24 Kodak photos.")
    var kodakBpp: Double?

    @Option(name: .customLong("kodak-psnr"), help: "With --stamp-quality: the level's measured mean PSNR (dB, RGB) on the 24 Kodak photos.")
    var kodakPSNR: Double?

    @Flag(help: "Print the model's layer table (Keras-style) and exit.")
    var summary = false

    @Option(name: .customLong("latent-dim"), help: "Size of the latent vector (1 to 4096; reference family).")
    var latentDim = 64

    @Option(help: "Model family: reference-svhn (32x32 tiles), conv-factorized (the fully-convolutional photo codec; needs --lambda and PNG sources with size=) or conv-hyperprior (the photo codec with a scale hyperprior; the same needs).")
    var family = "reference-svhn"

    @Option(help: "Photo families: channels inside the transforms (N, 1 to 1024; also the hyperprior's).")
    var channels = 128

    @Option(name: .customLong("latent-channels"), help: "Photo families: latent channels (M, 1 to 1024).")
    var latentChannels = 192

    @Option(help: "Train for rate and distortion: loss = lambda * 255^2 * MSE + bits per pixel, with a learned prior on the latent (e.g. 0.0018 to 0.0483 for photos).")
    var lambda: Double?

    @Option(help: "With --lambda: the distortion term, mse (the batch's MSE, as CompressAI) or mean-psnr (the geometric mean of the images' MSEs, which maximises the mean per-image PSNR).")
    var distortion = "mse"

    @Option(name: .customLong("init-from"), help: "Start from this bundle's weights (file or built-in name), e.g. to fine-tune svhn-64 with --lambda.")
    var initFrom: String?

    @Option(name: .customLong("latent-levels"),
            help: "With --init-from and --lambda: first rescale the model's latent so each dimension's range on DATA (0.1th to 99.9th percentile) spans this many integer steps (2 to 65,536); the network's output is unchanged. Use it to fine-tune svhn-64 or svhn-16 for rate and distortion.")
    var latentLevels: Int?

    @Option(name: .customLong("latent-gain"),
            help: "With --init-from a conv-factorized model: first multiply its latent by this gain (0.1 to 10), adapting the synthesis and the prior so the unrounded network is unchanged; rounding then loses less (a gain above 1 gives a higher rate). Use it to start a higher quality level from a lower one.")
    var latentGain: Double?

    @Flag(help: "A variational autoencoder (reference family): the encoder's Dense gives means and log variances, training decodes a reparametrised draw and adds beta * KL divergence from N(0, 1) per image value to the MSE; aeenc encodes the mean. The bundle can be sampled (aetrain sample).")
    var variational = false

    @Flag(help: "A conditional model (reference family): the one-hot digit label goes into the encoder's and the decoder's Dense layers. Every training (and --test) image needs a label: MAT files (y), npy sources with labels=, svhn-photos:. With --variational, aetrain sample --digit D draws that digit. Not a codec model (aeenc needs the digit).")
    var conditional = false

    @Option(help: "With --variational: the KL weight; loss = MSE + beta * KL / 3072. Beta 1 is the Keras VAE example's loss per value (a decoder noise of variance 1/2), which on SVHN keeps about 8 nats per image and decodes blurs; the default 0.01 is a decoder noise of sd 0.07.")
    var beta = 0.01

    @Option(help: "Training epochs (1 to 1,000,000).")
    var epochs = 20

    @Option(name: .customLong("batch-size"), help: "Images per mini-batch (1 to 65,536).")
    var batchSize = 128

    @Option(name: .customLong("validation-split"), help: "Fraction of the images (the last ones) held out for validation.")
    var validationSplit = 0.1

    @Option(help: "Use only the first N images of the data (0: all; at most 4,000,000). Without --shuffle, generated sources make only these.")
    var limit = 20_000

    @Flag(help: "Shuffle the images once (seeded) before --limit and the validation split, so validation mixes all sources.")
    var shuffle = false

    @Option(name: .customLong("learning-rate"), help: "Adam learning rate.")
    var learningRate: Float = 1e-3

    @Option(name: .customLong("final-learning-rate"),
            help: "Decay the learning rate by a cosine to this value in the last epoch (default: constant).")
    var finalLearningRate: Float?

    @Option(name: .customLong("clip-gradient-norm"),
            help: ArgumentHelp("Scale each step's gradient of the weights down to this global L2 norm when larger (CompressAI's training example uses 1.0; recorded in the bundle).", valueName: "NORM"))
    var clipGradientNorm: Double?

    @Option(help: "Seed of the initial weights, the shuffles and random data sources.")
    var seed: UInt64 = 0

    @Option(help: "The convolutions' engine: onednn (oneDNN's direct kernels, the faster: the same bits at a fixed --threads, not across thread counts) or builtin (im2col + OpenBLAS: the same bits at any --threads, as the codec tools; results within float32 rounding of onednn's). Not recorded in the bundle: resume with the same engine for a bit-exact continuation.")
    var engine = "onednn"

    @Option(help: "Worker threads, 1 to 256 (default: all cores). The count changes the order of the gradient sums, so it is recorded and --resume needs the same.")
    var threads: Int?  // nil: all cores (an optional, so the help states no machine's count)

    @Option(help: ArgumentHelp("Denoising: corrupt every training input afresh each epoch (seeded) and train to give back the clean image: gaussian:SIGMA (added to values in [0, 1], then clamped), salt-pepper:P (pixels turned black or white), mask:FRACTION (pixels set to black).", valueName: "NOISE"))
    var noise: String?

    @Option(help: "Held-out test data, evaluated once at the end (MSE and PSNR go into the bundle).")
    var test: String?

    @Option(help: "Weight storage in the bundle: f32, or f16 (half the size). Default: f32 for a trained bundle; with --stamp-quality and --quantize-from, the source's (f16 there converts it, and the fingerprint changes).")
    var weights: String?

    @Flag(help: "Continue an interrupted run from MODEL.aemodel.checkpoint (same command line).")
    var resume = false

    @Flag(help: "Overwrite an existing output bundle.")
    var force = false

    @Flag(help: "No progress output.")
    var quiet = false

    /// The `quality` record the options give (nil without --quality-set).
    var quality: BundleMetadata.QualityInfo? {
        qualitySet.map { BundleMetadata.QualityInfo(set: $0, level: qualityLevel ?? 0, kodakBitsPerPixel: kodakBpp, kodakPSNR: kodakPSNR) }
    }

    func validate() throws {
        guard ["builtin", "onednn"].contains(engine) else {
            throw ValidationError("--engine must be builtin or onednn, got \(engine)")
        }
        guard Distortion(rawValue: distortion) != nil else {
            throw ValidationError("--distortion must be mse or mean-psnr, got \(distortion)")
        }
        if (qualitySet == nil) != (qualityLevel == nil) {
            throw ValidationError("--quality-set and --quality-level go together")
        }
        if let qualitySet, let problem = BundleMetadata.QualityInfo.setNameProblem(qualitySet) {
            throw ValidationError("--quality-set '\(qualitySet)': \(problem)")
        }
        let levels = BundleMetadata.QualityInfo.levels
        if let qualityLevel, !levels.contains(qualityLevel) {
            throw ValidationError("--quality-level must be in \(levels.lowerBound)...\(levels.upperBound), got \(qualityLevel)")
        }
        if (kodakBpp != nil || kodakPSNR != nil) && stampQuality == nil {
            throw ValidationError("--kodak-bpp and --kodak-psnr record measured figures: use them with --stamp-quality")
        }
        if let kodakBpp, !(kodakBpp > 0 && kodakBpp.isFinite) { throw ValidationError("--kodak-bpp must be a positive number") }
        if let kodakPSNR, !(kodakPSNR > 0 && kodakPSNR.isFinite) { throw ValidationError("--kodak-psnr must be a positive number") }
        if let weights, !["f32", "f16"].contains(weights) { throw ValidationError("--weights must be f32 or f16") }
        if stampQuality != nil {
            guard qualitySet != nil else { throw ValidationError("--stamp-quality needs --quality-set and --quality-level") }
            guard quantizeFrom == nil else { throw ValidationError("--stamp-quality and --quantize-from exclude each other") }
            guard data.isEmpty else { throw ValidationError("--stamp-quality reads no training data") }
            return
        }
        guard TrainingJob.Limits.latentDim.contains(latentDim) else {
            throw ValidationError("--latent-dim must be in 1...4096, got \(latentDim)")
        }
        if summary { return }
        guard beta >= 0 && beta.isFinite && beta <= 1e6 else { throw ValidationError("--beta must be in [0, 1,000,000], got \(beta)") }
        guard TrainingJob.Limits.epochs.contains(epochs) else {
            throw ValidationError("--epochs must be in 1...1,000,000, got \(epochs)")
        }
        guard TrainingJob.Limits.batchSize.contains(batchSize) else {
            throw ValidationError("--batch-size must be in 1...65,536, got \(batchSize)")
        }
        guard validationSplit >= 0 && validationSplit < 1 else {
            throw ValidationError("--validation-split must be in [0, 1), got \(validationSplit)")
        }
        guard limit >= 0 && limit <= DataSource.maxImages else {
            throw ValidationError("--limit must be in 1...4,000,000, or 0 for all images, got \(limit)")
        }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        if let f = finalLearningRate, !(f > 0 && f.isFinite) { throw ValidationError("--final-learning-rate must be positive") }
        if let c = clipGradientNorm, !(c > 0 && c.isFinite) { throw ValidationError("--clip-gradient-norm must be a positive number") }
        guard TrainingJob.Limits.threads.contains(threads ?? 1) else { throw ValidationError("--threads must be in 1...256, got \(threads ?? 0)") }
        if let noise {
            do { _ = try InputNoise(parsing: noise) } catch { throw ValidationError("--noise \(error)") }
        }
    }

    /// `--weights` as a storage type (nil: not given).
    var weightStorage: BundleElementType? { weights.map { $0 == "f16" ? .f16 : .f32 } }

    func run() throws {
        if engine == "onednn" { OpenMPTuning.sleepBetweenCalls() }
        if summary {
            print(Summary.table(for: ReferenceModel.build(latentDim: latentDim, variational: variational,
                                                          conditionClasses: conditional ? 10 : nil)))
            return
        }
        // Checked here, not in validate(), so an unknown option is reported before these.
        guard output != nil else { Self.exit(withError: ValidationError("missing -o MODEL.aemodel")) }
        if let stampQuality {
            var settings = TrainingJob.Settings()
            settings.output = output!
            settings.force = force
            settings.stampQuality = stampQuality
            settings.quality = quality
            settings.weights = weightStorage
            do {
                let r = try TrainingJob(settings: settings).stamp()
                TerminalOutput.standardError(quiet: quiet).line("Wrote \(r.path) as \(quality!.label) (fingerprint \(r.fingerprint), "
                    + (r.fingerprint == r.sourceFingerprint ? "unchanged)"
                       : "was \(r.sourceFingerprint): weights converted to \(weights ?? "f32"))"))
            } catch {
                ToolReporter.report(tool: "aetrain", error: error)
                throw ExitCode.failure
            }
            return
        }
        guard !data.isEmpty else { Self.exit(withError: ValidationError("no training data given")) }
        AllocatorTuning.keepFreedMemory()
        Parallelism.useSingleThreadedBLAS()
        var settings = TrainingJob.Settings()
        settings.data = data
        settings.output = output!
        settings.latentDim = latentDim
        settings.family = family
        settings.channels = channels
        settings.latentChannels = latentChannels
        settings.lambda = lambda
        settings.initFrom = initFrom
        settings.latentLevels = latentLevels
        settings.latentGain = latentGain
        settings.distortion = Distortion(rawValue: distortion) ?? .mse  // checked in validate()
        settings.variational = variational
        settings.beta = beta
        settings.conditional = conditional
        settings.options.epochs = epochs
        settings.options.batchSize = batchSize
        settings.options.validationSplit = validationSplit
        settings.options.learningRate = learningRate
        settings.options.finalLearningRate = finalLearningRate
        settings.options.gradientClipNorm = clipGradientNorm
        settings.options.seed = seed
        settings.options.inputNoise = try noise.map { try InputNoise(parsing: $0) }
        settings.limit = limit == 0 ? nil : limit
        settings.shuffleData = shuffle
        settings.initSeed = seed
        settings.threads = threads ?? Parallelism.availableCores
        settings.oneDNN = engine == "onednn"
        settings.test = test
        settings.weights = weightStorage
        settings.resume = resume
        settings.force = force
        settings.quantizeFrom = quantizeFrom
        settings.quality = quality

        if quantizeFrom != nil {
            do {
                let r = try TrainingJob(settings: settings).quantize(output: TerminalOutput.standardError(quiet: quiet))
                TerminalOutput.standardError(quiet: quiet).line(
                    "Wrote \(r.path) with a latent quantisation table (fingerprint \(r.fingerprint), unchanged)")
            } catch {
                ToolReporter.report(tool: "aetrain", error: error)
                throw ExitCode.failure
            }
            return
        }
        let interrupt = InterruptFlag.installForTool()
        let output = TerminalOutput.standardError(quiet: quiet)
        let job = TrainingJob(settings: settings)
        do {
            let result = try job.run(output: output, shouldStop: { interrupt.isRaised })
            var line = "Wrote \(result.bundlePath) (fingerprint \(result.fingerprint))"
            if let mse = result.history.last?.validationMSE, let kl = result.history.last?.validationKL {
                line += String(format: ", val MSE %.6f, KL %.2f nats", mse, kl) + (noise == nil ? "" : " (noisy inputs)")
            } else if let last = result.history.last?.validationLoss {
                line += String(format: ", val MSE %.6f", last) + (noise == nil ? "" : " (noisy inputs)")
            }
            if let mse = result.testMSE {
                line += String(format: ", test MSE %.6f (PSNR %.2f dB)", mse, 10 * log10(1 / mse))
            }
            if let mse = result.testNoisyMSE {
                line += String(format: ", test MSE %.6f for noisy inputs", mse)
            }
            line += String(format: ", %.0f s", result.wallSeconds)
            output.line(line)
        } catch let error as TrainingInterrupted {
            if FileManager.default.fileExists(atPath: job.checkpointPath) {
                ToolReporter.report(tool: "aetrain", error: ToolError(
                    path: job.checkpointPath,
                    reason: "\(error); the checkpoint holds every finished epoch: rerun with --resume to continue"))
            } else {
                ToolReporter.report(tool: "aetrain", error: ToolError(
                    path: settings.output,
                    reason: "\(error) before the first epoch finished, so there is no checkpoint: rerun without --resume to start again"))
            }
            throw ExitCode(130)
        } catch {
            ToolReporter.report(tool: "aetrain", error: error)
            throw ExitCode.failure
        }
    }
}

AETrain.mainCheckingArguments()
