import AEBase
import Foundation

/// The metadata sections of how a model was trained: its data, optimizer and options
/// (`training`), its per-epoch figures (`metrics`) and a checkpoint's state
/// (`checkpoint`). Specs/model-bundle.md sections 5.5 to 5.7.
extension BundleMetadata {
    /// Where the training images came from.
    public struct DataSourceInfo: Codable, Equatable, Sendable {
        /// Reader that loaded them, e.g. "svhn-mat", "npy", "png-folder", "synthetic".
        public var kind: String
        /// Human-readable description, e.g. the file name(s) or generator settings.
        public var description: String
        /// Images used in total (training plus validation).
        public var sampleCount: Int
        public var trainCount: Int?
        public var validationCount: Int?
        /// Images of the separate test set behind `Metrics.testMSE`, if any.
        public var testCount: Int?

        public init(kind: String, description: String, sampleCount: Int, trainCount: Int? = nil,
                    validationCount: Int? = nil, testCount: Int? = nil) {
            self.kind = kind
            self.description = description
            self.sampleCount = sampleCount
            self.trainCount = trainCount
            self.validationCount = validationCount
            self.testCount = testCount
        }
    }

    public struct OptimizerInfo: Codable, Equatable, Sendable {
        /// "adam".
        public var name: String
        public var learningRate: Float
        /// Format 1.1: with a value, the rate decays by a cosine from `learningRate`
        /// (first epoch) to this (last epoch); absent, it is constant.
        public var finalLearningRate: Float?
        public var beta1: Float
        public var beta2: Float
        public var epsilon: Float

        public init(name: String = "adam", learningRate: Float, finalLearningRate: Float? = nil,
                    beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
            self.name = name
            self.learningRate = learningRate
            self.finalLearningRate = finalLearningRate
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
        }
    }

    /// The training run: its data and recipe (`TrainingOptions`) and cost.
    public struct TrainingProvenance: Codable, Equatable, Sendable {
        public var dataSource: DataSourceInfo?
        /// Epochs asked for (a checkpoint has completed `CheckpointInfo.completedEpochs` of them).
        public var epochs: Int
        public var batchSize: Int
        public var validationSplit: Double
        public var optimizer: OptimizerInfo
        /// `TrainingOptions.seed`: seeds the per-epoch shuffles.
        public var seed: UInt64
        /// Seed of the initial weights (`ReferenceModel.build(seed:)`), when known.
        public var initSeed: UInt64?
        public var threads: Int?
        /// Wall-clock seconds spent training (all sessions, including resumed ones).
        public var wallTimeSeconds: Double?
        /// Format 1.4: the rate-distortion loss's lambda (loss = lambda * 255^2 * MSE + bits
        /// per pixel); absent for the MSE loss.
        public var lambda: Double?
        /// Format 1.5: what the rate-distortion loss's distortion measured, when not the
        /// MSE: "mean-psnr" (the geometric mean of the images' MSEs); absent: MSE.
        public var distortion: String?
        /// Format 1.6: denoising training, the corruption of the inputs in the command-line
        /// syntax ("gaussian:0.1", "salt-pepper:0.05", "mask:0.25"); absent: clean inputs.
        public var inputNoise: String?
        /// Format 1.6: a variational model's loss, MSE + beta * KL / (values per image).
        public var beta: Double?
        /// Format 1.7: each step's gradient of the model's weights was scaled down to this
        /// global L2 norm when larger (aetrain --clip-gradient-norm); absent: no clipping.
        public var gradientClipNorm: Double?

        public init(dataSource: DataSourceInfo? = nil, epochs: Int, batchSize: Int, validationSplit: Double,
                    optimizer: OptimizerInfo, seed: UInt64, initSeed: UInt64? = nil, threads: Int? = nil,
                    wallTimeSeconds: Double? = nil) {
            self.dataSource = dataSource
            self.epochs = epochs
            self.batchSize = batchSize
            self.validationSplit = validationSplit
            self.optimizer = optimizer
            self.seed = seed
            self.initSeed = initSeed
            self.threads = threads
            self.wallTimeSeconds = wallTimeSeconds
        }
    }

    /// One epoch's figures (mirrors AENet's `EpochRecord`, with its own stable keys).
    public struct EpochMetrics: Codable, Equatable, Sendable {
        /// 1-based epoch number.
        public var epoch: Int
        /// Mean training batch loss (MSE) over the epoch.
        public var trainLoss: Double
        public var validationLoss: Double?
        public var seconds: Double
        public var imagesPerSecond: Double
        /// Format 1.4, entropy-coded models: MSE and bits per pixel in training (noisy
        /// latent) and validation (quantised latent).
        public var trainMSE: Double?
        public var trainBitsPerPixel: Double?
        public var validationMSE: Double?
        public var validationBitsPerPixel: Double?
        /// Format 1.6, variational models: the KL divergence from the prior, nats per image,
        /// in training (sampled latents; `trainMSE` the reconstruction error) and on the
        /// validation images (`validationMSE` decoded from the mean).
        public var trainKL: Double?
        public var validationKL: Double?

        public init(epoch: Int, trainLoss: Double, validationLoss: Double?, seconds: Double, imagesPerSecond: Double) {
            self.epoch = epoch
            self.trainLoss = trainLoss
            self.validationLoss = validationLoss
            self.seconds = seconds
            self.imagesPerSecond = imagesPerSecond
        }
    }

    public struct Metrics: Codable, Equatable, Sendable {
        /// Completed epochs, in order.
        public var epochs: [EpochMetrics]
        /// Mean squared error on the test set, pixels in [0, 1].
        public var testMSE: Double?
        /// 10 log10(1 / testMSE), in dB.
        public var testPSNR: Double?
        /// Format 1.4, entropy-coded models: the test images' rate with quantised latents
        /// (the prior's ideal code length), bits per pixel.
        public var testBitsPerPixel: Double?

        public init(epochs: [EpochMetrics] = [], testMSE: Double? = nil, testPSNR: Double? = nil) {
            self.epochs = epochs
            self.testMSE = testMSE
            self.testPSNR = testPSNR
        }
    }

    /// Training state beyond the weights; its tensors are "optimizer/m/<parameter>"
    /// and "optimizer/v/<parameter>" (float32), one pair per weight tensor, and for the
    /// entropy model's auxiliary parameters (their own Adam, the same step count)
    /// "optimizer/auxiliary/m/<parameter>" and "optimizer/auxiliary/v/<parameter>".
    public struct CheckpointInfo: Codable, Equatable, Sendable {
        /// Adam updates applied so far.
        public var optimizerStep: Int
        /// Epochs completed; equals `metrics.epochs.count`.
        public var completedEpochs: Int

        public init(optimizerStep: Int, completedEpochs: Int) {
            self.optimizerStep = optimizerStep
            self.completedEpochs = completedEpochs
        }
    }
}
