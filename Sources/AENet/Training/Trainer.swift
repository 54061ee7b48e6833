import AEBase
import Foundation

/// Options of a training run; the defaults are the seed's recipe.
public struct TrainingOptions: Sendable {
    public var epochs = 20
    public var batchSize = 128
    /// Fraction of the data held out for validation: the last part, as Keras's
    /// `validation_split` does (taken before any shuffling).
    public var validationSplit = 0.1
    public var learningRate: Float = 1e-3
    /// With a value, the learning rate follows a cosine from `learningRate` in the
    /// first epoch down to this in the last (constant per epoch); nil keeps it constant.
    public var finalLearningRate: Float? = nil
    /// Seeds the per-epoch shuffles (the model's initial weights take their own seed).
    public var seed: UInt64 = 0
    /// Denoising: each training input is corrupted by this noise, drawn afresh per
    /// batch and epoch, while the target stays the clean image; validation measures
    /// noisy inputs (a fixed draw) against clean targets. Nil: plain reconstruction.
    public var inputNoise: InputNoise? = nil
    /// With a value, each step scales the gradients of the groups that follow the learning-rate
    /// schedule (the model's weights, not the quantiles' auxiliary group) down to this global
    /// L2 norm when theirs is larger, as PyTorch's `clip_grad_norm_` and CompressAI's training
    /// example (1.0) do: a batch with a huge gradient cannot throw GDN's parameters out of
    /// range. Nil: no clipping.
    public var gradientClipNorm: Double? = nil

    public init() {}
}

/// One epoch's figures, as Keras's History records them.
public struct EpochRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    /// Mean of the batch losses over the epoch (the trainer's loss: MSE by default).
    public var trainLoss: Double
    /// The loss over the validation images, after the epoch (nil without a validation split).
    public var validationLoss: Double?
    public var seconds: Double
    public var imagesPerSecond: Double
    /// For models with a prior: the epoch's mean MSE and rate (bits per pixel) in
    /// training (with noise), and on the validation images (quantised). Nil otherwise.
    public var trainMSE: Double? = nil
    public var trainBitsPerPixel: Double? = nil
    public var validationMSE: Double? = nil
    public var validationBitsPerPixel: Double? = nil
    /// For variational models: the epoch's mean KL divergence from the prior (nats per
    /// image) in training (sampled latents) and on the validation images; `trainMSE` and
    /// `validationMSE` then hold the reconstruction error (validation: decoded from the mean).
    public var trainKL: Double? = nil
    public var validationKL: Double? = nil

    public init(epoch: Int, trainLoss: Double, validationLoss: Double?, seconds: Double, imagesPerSecond: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.seconds = seconds
        self.imagesPerSecond = imagesPerSecond
    }
}

/// Hooks for progress display and checkpoints. All have empty defaults.
public protocol TrainingObserver: AnyObject {
    func trainingWillStartEpoch(_ epoch: Int, of epochs: Int, batches: Int)
    /// Throwing stops training (e.g. on Ctrl-C) and the error propagates out of `fit`.
    func trainingDidFinishBatch(_ batch: Int, of batches: Int, loss: Double, imagesPerSecond: Double) throws
    /// Called after validation; throwing stops training and the error propagates out of `fit`.
    func trainingDidFinishEpoch(_ record: EpochRecord) throws
}

extension TrainingObserver {
    public func trainingWillStartEpoch(_ epoch: Int, of epochs: Int, batches: Int) {}
    public func trainingDidFinishBatch(_ batch: Int, of batches: Int, loss: Double, imagesPerSecond: Double) throws {}
    public func trainingDidFinishEpoch(_ record: EpochRecord) throws {}
}

public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case emptyTrainingSet(images: Int, validationSplit: Double)
    case shapeMismatch(data: [Int], model: [Int])
    case missingLabels(classes: Int)

    public var description: String {
        switch self {
        case let .emptyTrainingSet(images, split):
            return "a validation split of \(split) leaves no training images out of \(images)"
        case let .shapeMismatch(data, model):
            return "images of shape \(data) do not fit a model taking \(model)"
        case let .missingLabels(classes):
            return "a conditional model needs a label in 0...\(classes - 1) for every image"
        }
    }
}

/// Mini-batch training of an autoencoder to reproduce its input: a `Loss` (MSE by
/// default) minimised by the optimizers of one or more `ParameterGroup`s (by
/// default one Adam over all of the model's parameters).
public final class Trainer {
    public let model: Autoencoder
    public let options: TrainingOptions
    public let loss: Loss
    public let parameterGroups: [ParameterGroup]
    /// Completed epochs so far (resuming sets it).
    public private(set) var history: [EpochRecord] = []
    /// Every parameter whose gradient a step uses: the model's, then any others the groups hold.
    private let trainedParameters: [Parameter]

    /// `parameterGroups` nil: one group, "model", an Adam at `options.learningRate`
    /// over `model.parameters`, and for a model with a prior a second, "auxiliary", an
    /// Adam at `auxiliaryLearningRate` over the prior's quantiles (off the schedule).
    /// Groups must not share a parameter.
    public init(model: Autoencoder, options: TrainingOptions = TrainingOptions(),
                loss: Loss = MeanSquaredErrorLoss(), parameterGroups: [ParameterGroup]? = nil) {
        self.model = model
        self.options = options
        self.loss = loss
        var defaultGroups = [ParameterGroup(
            name: "model", optimizer: Adam(parameters: model.parameters, learningRate: options.learningRate))]
        if !model.auxiliaryParameters.isEmpty {
            defaultGroups.append(ParameterGroup(
                name: "auxiliary", optimizer: Adam(parameters: model.auxiliaryParameters, learningRate: Self.auxiliaryLearningRate),
                followsSchedule: false))
        }
        let groups = parameterGroups ?? defaultGroups
        precondition(!groups.isEmpty, "a trainer needs at least one parameter group")
        let grouped = groups.flatMap(\.parameters).map(ObjectIdentifier.init)
        precondition(Set(grouped).count == grouped.count, "parameter groups share a parameter")
        self.parameterGroups = groups
        let inModel = Set(model.parameters.map(ObjectIdentifier.init))
        trainedParameters = model.parameters
            + groups.flatMap(\.parameters).filter { !inModel.contains(ObjectIdentifier($0)) }
    }

    /// The first group's optimizer: for the default trainer, the one Adam over the
    /// model (what checkpoints record and `restore` restores).
    public var optimizer: Adam { parameterGroups[0].optimizer }

    /// CompressAI's learning rate for the quantiles' auxiliary loss.
    public static let auxiliaryLearningRate: Float = 1e-3

    /// Keras's split of `total` images: the first floor(n * (1 - split)) train,
    /// the rest validate.
    public func splitCounts(_ total: Int) -> (train: Int, validation: Int) {
        let train = Int((Double(total) * (1 - options.validationSplit)).rounded(.down))
        return (train, total - train)
    }

    /// Splits `data` into training and validation parts as Keras does.
    public func split(_ data: ImageSet) throws -> (train: ImageSet, validation: ImageSet?) {
        guard model.forwardShape(for: data.imageShape) == data.imageShape else {
            throw TrainingError.shapeMismatch(data: data.imageShape, model: model.imageShape)
        }
        if let classes = model.conditionClasses {
            guard let labels = data.labels, labels.allSatisfy({ Int($0) < classes }) else {
                throw TrainingError.missingLabels(classes: classes)
            }
        }
        let (trainCount, validationCount) = splitCounts(data.count)
        guard trainCount > 0 else {
            throw TrainingError.emptyTrainingSet(images: data.count, validationSplit: options.validationSplit)
        }
        return (data.subset(0..<trainCount),
                validationCount > 0 ? data.subset(trainCount..<data.count) : nil)
    }

    /// The order of training images in `epoch` (0-based), a pure function of the
    /// seed and the epoch, so a resumed run sees exactly the batches it would have.
    public func order(epoch: Int, count: Int) -> [Int] {
        var rng = RandomGenerator(seed: options.seed &+ 0x5DEE_CE66 &* UInt64(epoch + 1))
        var indices = Array(0..<count)
        rng.shuffle(&indices)
        return indices
    }

    /// The learning rate used during `epoch` (0-based): a pure function of the
    /// options and the epoch, so a resumed run uses the same schedule.
    public func learningRate(epoch: Int) -> Float {
        guard let final = options.finalLearningRate, options.epochs > 1 else { return options.learningRate }
        let t = Double(epoch) / Double(options.epochs - 1)
        let cosine = 0.5 * (1 + cos(Double.pi * min(t, 1)))
        return Float(Double(final) + (Double(options.learningRate) - Double(final)) * cosine)
    }

    /// Trains for the remaining epochs (from `history.count` to `options.epochs`).
    @discardableResult
    public func fit(_ data: ImageSet, observer: TrainingObserver? = nil) throws -> [EpochRecord] {
        let (train, validation) = try split(data)
        let batchSize = max(1, options.batchSize)
        let batches = (train.count + batchSize - 1) / batchSize
        while history.count < options.epochs {
            let epoch = history.count
            for group in parameterGroups where group.followsSchedule {
                group.optimizer.learningRate = learningRate(epoch: epoch)
            }
            observer?.trainingWillStartEpoch(epoch, of: options.epochs, batches: batches)
            let start = Date()
            let order = self.order(epoch: epoch, count: train.count)
            var lossSum = 0.0, mseSum = 0.0, bppSum = 0.0, klSum = 0.0
            for b in 0..<batches {
                let indices = order[(b * batchSize)..<min((b + 1) * batchSize, train.count)]
                if model.conditionClasses != nil { model.setLabels(Self.labels(of: train, at: indices)) }
                let step = trainStep(train.batch(indices), noiseSeed: noiseSeed(epoch: epoch, batch: b))
                lossSum += Double(step.loss)
                mseSum += step.mse
                bppSum += step.bitsPerPixel
                klSum += step.kl
                let elapsed = Date().timeIntervalSince(start)
                try observer?.trainingDidFinishBatch(b, of: batches, loss: lossSum / Double(b + 1),
                                                 imagesPerSecond: Double(min((b + 1) * batchSize, train.count)) / max(elapsed, 1e-9))
            }
            let seconds = Date().timeIntervalSince(start)
            let measured = validation.map {
                Trainer.measure(model, on: $0, loss: loss, batchSize: 256, inputNoise: options.inputNoise)
            }
            var record = EpochRecord(
                epoch: epoch + 1, trainLoss: lossSum / Double(batches),
                validationLoss: measured?.loss,
                seconds: seconds, imagesPerSecond: Double(train.count) / max(seconds, 1e-9))
            if model.hasEntropyModel {
                record.trainMSE = mseSum / Double(batches)
                record.trainBitsPerPixel = bppSum / Double(batches)
                record.validationMSE = measured?.mse
                record.validationBitsPerPixel = measured?.bitsPerPixel
            }
            if model.sampler != nil {
                record.trainMSE = mseSum / Double(batches)
                record.trainKL = klSum / Double(batches)
                record.validationMSE = measured?.mse
                record.validationKL = measured?.kl
            }
            history.append(record)
            try observer?.trainingDidFinishEpoch(record)
        }
        return history
    }

    /// The seed of the uniform noise of one batch: a pure function of the options, the
    /// epoch and the batch, so a resumed run draws the same noise.
    public func noiseSeed(epoch: Int, batch: Int) -> UInt64 {
        (options.seed ^ 0xA5A5_5A5A_0F0F_F0F0) &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch &* 1_000_003 &+ batch &+ 1)
    }

    /// What one training step gave: the loss, and its distortion (MSE), rate (bits
    /// per pixel; 0 without a prior) and KL divergence (nats per image; 0 unless variational).
    public struct StepResult: Sendable {
        public var loss: Float
        public var mse: Double
        public var bitsPerPixel: Double
        public var kl: Double = 0
    }

    /// One step of every group's optimizer on one batch (`gradients`, then the updates).
    @discardableResult
    public func trainStep(_ images: Tensor, noiseSeed: UInt64 = 0) -> StepResult {
        let result = gradients(images, noiseSeed: noiseSeed)
        if let maxNorm = options.gradientClipNorm {
            for group in parameterGroups where group.followsSchedule {
                Self.clipGradients(group.parameters, maxNorm: maxNorm)
            }
        }
        for group in parameterGroups { group.optimizer.update() }
        return result
    }

    /// Scales the gradients of `parameters` by maxNorm / (norm + 1e-6) when their global L2
    /// norm (summed in Double, in order) is over `maxNorm`, as PyTorch's `clip_grad_norm_`.
    /// Returns the norm before clipping.
    @discardableResult
    public static func clipGradients(_ parameters: [Parameter], maxNorm: Double) -> Double {
        var sum = 0.0
        for p in parameters {
            for g in p.grad.data { sum += Double(g) * Double(g) }
        }
        let norm = sum.squareRoot()
        let scale = maxNorm / (norm + 1e-6)
        if scale < 1 {
            let s = Float(scale)
            for p in parameters {
                p.grad.data.withUnsafeMutableBufferPointer { g in for i in g.indices { g[i] *= s } }
            }
        }
        return norm
    }

    /// The seed of a batch's input corruption (`options.inputNoise`), derived from its
    /// `noiseSeed` so that it differs from the latent's noise.
    public static func corruptionSeed(noiseSeed: UInt64) -> UInt64 {
        SplitMix64.mix(noiseSeed ^ 0xC022_0B7E_D1A9_0153)
    }

    /// The batch loss and the gradients of every trained parameter (zeroed first). With
    /// `options.inputNoise` the network sees `images` corrupted (seeded by `noiseSeed`)
    /// and the loss compares its output with the clean `images`. With an entropy model (a
    /// prior or a hyperprior) the latent gets uniform noise drawn from `noiseSeed`, the loss
    /// adds `loss.rateWeight` times the bits per pixel of everything it codes, and the
    /// quantiles get the gradient of their auxiliary loss.
    @discardableResult
    public func gradients(_ images: Tensor, noiseSeed: UInt64 = 0) -> StepResult {
        for p in trainedParameters { p.zeroGrad() }
        let input = options.inputNoise.map { $0.corrupt(images, seed: Self.corruptionSeed(noiseSeed: noiseSeed)) } ?? images
        if let sampler = model.sampler {
            return variationalGradients(input: input, target: images, sampler: sampler, noiseSeed: noiseSeed)
        }
        guard let entropyModel = model.entropyModel else {
            let reconstruction = model.forward(input)
            let (value, grad) = loss.lossAndGradient(prediction: reconstruction, target: images)
            model.backward(grad)
            return StepResult(loss: value, mse: Double(value), bitsPerPixel: 0)
        }
        let latent = model.encoder.forward(input)
        var rng = RandomGenerator(seed: noiseSeed)
        let noisy = entropyModel.noisy(latent, rng: &rng)
        let reconstruction = model.decoder.forward(noisy.values)
        let (distortion, gradReconstruction) = loss.lossAndGradient(prediction: reconstruction, target: images)
        let pixels = Double(images.count / images.shape[images.rank - 1])
        let w = Float(loss.rateWeight / pixels)
        var bits = 0.0
        let gradLikelihoods = noisy.likelihoods.map { likelihoods in
            var (b, grad) = Rate.bitsAndGradient(likelihoods: likelihoods)
            bits += b
            for i in 0 ..< grad.count { grad.data[i] *= w }
            return grad
        }
        let gradValues = model.decoder.backward(gradReconstruction, needInputGradient: true)
        let gradLatent = entropyModel.backward(gradValues: gradValues, gradLikelihoods: gradLikelihoods)
        model.encoder.backward(gradLatent, needInputGradient: false)
        entropyModel.auxiliaryLoss(addingGradient: true)
        let bpp = bits / pixels
        return StepResult(loss: distortion + Float(loss.rateWeight * bpp),
                          mse: Double(MeanSquaredError.loss(prediction: reconstruction, target: images)),
                          bitsPerPixel: bpp)
    }

    /// A variational model's step: the encoder up to its sampling step gives the posterior's
    /// statistics, a reparametrised draw (seeded by `noiseSeed`) feeds the decoder, and the
    /// loss is the reconstruction loss plus `loss.klWeight` times the KL per image value.
    private func variationalGradients(input: Tensor, target: Tensor, sampler: GaussianSampling,
                                      noiseSeed: UInt64) -> StepResult {
        let body = 0 ..< (model.encoder.layers.count - 1)
        let statistics = model.encoder.forward(input, layers: body)
        var rng = RandomGenerator(seed: noiseSeed)
        let z = sampler.forward(statistics, noise: &rng)
        let reconstruction = model.decoder.forward(z)
        let (distortion, gradReconstruction) = loss.lossAndGradient(prediction: reconstruction, target: target)
        let (kl, gradKL) = GaussianKL.lossAndGradient(statistics: statistics)
        let w = Float(loss.klWeight / Double(target.sampleSize))
        var gradStatistics = sampler.backward(model.decoder.backward(gradReconstruction, needInputGradient: true),
                                              needInputGradient: true)
        for i in 0 ..< gradStatistics.count { gradStatistics.data[i] += w * gradKL.data[i] }
        model.encoder.backward(gradStatistics, layers: body, needInputGradient: false)
        return StepResult(loss: distortion + w * kl,
                          mse: Double(MeanSquaredError.loss(prediction: reconstruction, target: target)),
                          bitsPerPixel: 0, kl: Double(kl))
    }

    /// The trainer's loss over `data` (the mean of per-batch losses weighted by batch size).
    public func evaluate(_ data: ImageSet, batchSize: Int = 256) -> Double {
        Trainer.measure(model, on: data, loss: loss, batchSize: batchSize).loss
    }

    /// `loss` of the model's reconstructions over `data` (MSE by default).
    public static func evaluate(_ model: Autoencoder, on data: ImageSet, loss: Loss,
                                batchSize: Int = 256) -> Double {
        measure(model, on: data, loss: loss, batchSize: batchSize).loss
    }

    /// The loss, MSE and bits per pixel over `data` (means weighted by batch size). With a
    /// prior the latent is quantised (rounded around the medians), as the codec stores it.
    /// With `inputNoise` the model sees the images corrupted (the fixed draw
    /// `InputNoise.evaluationSeed`, the same for any batch size) and is compared with the
    /// clean ones. A variational model decodes the mean (as the codec does) and its loss adds
    /// `loss.klWeight` times the KL per image value; `kl` is the KL in nats per image.
    public static func measure(_ model: Autoencoder, on data: ImageSet, loss: Loss, batchSize: Int = 256,
                               inputNoise: InputNoise? = nil)
        -> (loss: Double, mse: Double, bitsPerPixel: Double, kl: Double) {
        var lossSum = 0.0, mseSum = 0.0, bitSum = 0.0, klSum = 0.0
        var start = 0
        while start < data.count {
            let end = min(start + batchSize, data.count)
            let images = data.batch(start..<end)
            if model.conditionClasses != nil { model.setLabels(labels(of: data, at: start..<end)) }
            let input = inputNoise.map { $0.corrupt(images, seed: InputNoise.evaluationSeed, firstIndex: start) } ?? images
            let n = Double(end - start)
            if let entropyModel = model.entropyModel {
                let quantized = entropyModel.quantized(model.encoder.forward(input))
                let reconstruction = model.decoder.forward(quantized.values)
                let pixels = Double(images.count / images.shape[images.rank - 1])
                let bpp = quantized.likelihoods.reduce(0) { $0 + Rate.bits(likelihoods: $1) } / pixels
                lossSum += (Double(loss.loss(prediction: reconstruction, target: images)) + loss.rateWeight * bpp) * n
                mseSum += Double(MeanSquaredError.loss(prediction: reconstruction, target: images)) * n
                bitSum += bpp * n
            } else if model.sampler != nil {
                let body = 0 ..< (model.encoder.layers.count - 1)
                let statistics = model.encoder.forward(input, layers: body)
                let reconstruction = model.decoder.forward(model.encoder.forward(statistics, layers: body.upperBound ..< body.upperBound + 1))
                let kl = Double(GaussianKL.lossAndGradient(statistics: statistics).kl)
                let mse = Double(MeanSquaredError.loss(prediction: reconstruction, target: images))
                lossSum += (Double(loss.loss(prediction: reconstruction, target: images))
                            + loss.klWeight * kl / Double(images.sampleSize)) * n
                mseSum += mse * n
                klSum += kl * n
            } else {
                let reconstruction = model.forward(input)
                lossSum += Double(loss.loss(prediction: reconstruction, target: images)) * n
                mseSum += Double(MeanSquaredError.loss(prediction: reconstruction, target: images)) * n
            }
            start = end
        }
        let count = Double(data.count)
        return data.count > 0 ? (lossSum / count, mseSum / count, bitSum / count, klSum / count) : (.nan, .nan, .nan, .nan)
    }

    /// The labels of images `indices` of `data` (a conditional model's batch).
    static func labels<C: Collection>(of data: ImageSet, at indices: C) -> [UInt8] where C.Element == Int {
        guard let labels = data.labels else { preconditionFailure("a conditional model needs labelled images") }
        return indices.map { labels[$0] }
    }

    /// Mean squared error of the model's reconstructions over `data`.
    public static func evaluate(_ model: Autoencoder, on data: ImageSet, batchSize: Int = 256) -> Double {
        evaluate(model, on: data, loss: MeanSquaredErrorLoss(), batchSize: batchSize)
    }

    /// Restores the state of an interrupted run: completed epochs and the first
    /// group's optimizer state.
    public func restore(history: [EpochRecord], step: Int, firstMoments: [[Float]], secondMoments: [[Float]]) {
        self.history = history
        optimizer.restore(step: step, firstMoments: firstMoments, secondMoments: secondMoments)
    }
}
