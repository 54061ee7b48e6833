/// What a trainer minimises: a scalar over a batch of model outputs and their
/// targets, and its gradient with respect to the outputs, plus `rateWeight` times the
/// rate in bits per pixel for a model with a prior, and `klWeight` times the KL divergence
/// per image value for a variational model.
public protocol Loss {
    /// A short name for reports, e.g. "mse".
    var name: String { get }
    /// Weight of the bits per pixel in the loss (0: distortion only).
    var rateWeight: Double { get }
    /// Weight of a variational model's KL divergence (nats per image, `GaussianKL`) divided
    /// by the values per image (3,072 for 32x32 RGB), so that it adds to a mean per value.
    var klWeight: Double { get }
    func lossAndGradient(prediction: Tensor, target: Tensor) -> (loss: Float, gradient: Tensor)
    /// The loss alone (validation), without building the gradient.
    func loss(prediction: Tensor, target: Tensor) -> Float
}

extension Loss {
    public var rateWeight: Double { 0 }
    public var klWeight: Double { 0 }
}

/// Keras's mean squared error (`MeanSquaredError`) as a training loss.
public struct MeanSquaredErrorLoss: Loss {
    public let name = "mse"

    public init() {}

    public func lossAndGradient(prediction: Tensor, target: Tensor) -> (loss: Float, gradient: Tensor) {
        MeanSquaredError.lossAndGradient(prediction: prediction, target: target)
    }

    public func loss(prediction: Tensor, target: Tensor) -> Float {
        MeanSquaredError.loss(prediction: prediction, target: target)
    }
}

/// What the distortion term of a rate-distortion loss measures (pixels in [0, 1]).
public enum Distortion: String, Sendable, CaseIterable {
    /// The mean squared error over the batch, as Balle et al. and CompressAI train.
    case mse
    /// The geometric mean of the images' MSEs (`GeometricMeanSquaredError`): maximises
    /// the mean per-image PSNR, the figure codecs are compared by.
    case meanPSNR = "mean-psnr"

    func lossAndGradient(prediction: Tensor, target: Tensor) -> (loss: Float, gradient: Tensor) {
        switch self {
        case .mse: return MeanSquaredError.lossAndGradient(prediction: prediction, target: target)
        case .meanPSNR: return GeometricMeanSquaredError.lossAndGradient(prediction: prediction, target: target)
        }
    }

    func loss(prediction: Tensor, target: Tensor) -> Float {
        switch self {
        case .mse: return MeanSquaredError.loss(prediction: prediction, target: target)
        case .meanPSNR: return GeometricMeanSquaredError.loss(prediction: prediction, target: target)
        }
    }
}

/// The rate-distortion loss of Balle et al. and CompressAI: lambda * 255^2 * D + bits
/// per pixel, D the MSE over pixels in [0, 1] (so the distortion is in 8-bit units
/// squared), or its per-image geometric mean (`Distortion.meanPSNR`).
public struct RateDistortionLoss: Loss {
    public let name = "rd"
    public let rateWeight = 1.0
    public let lambda: Double
    public let distortion: Distortion

    public init(lambda: Double, distortion: Distortion = .mse) {
        self.lambda = lambda
        self.distortion = distortion
    }

    var scale: Float { Float(lambda * 255 * 255) }

    public func lossAndGradient(prediction: Tensor, target: Tensor) -> (loss: Float, gradient: Tensor) {
        var (d, gradient) = distortion.lossAndGradient(prediction: prediction, target: target)
        let s = scale
        for i in 0 ..< gradient.count { gradient.data[i] *= s }
        return (d * s, gradient)
    }

    public func loss(prediction: Tensor, target: Tensor) -> Float {
        distortion.loss(prediction: prediction, target: target) * scale
    }
}

/// The variational autoencoder's loss: MSE + beta * KL / D, D the values per image. With
/// beta = 1 it is the Keras VAE example's loss (MSE times D, plus KL) divided by D: the
/// negative evidence lower bound for a Gaussian decoder of variance 1/2, per value.
/// Smaller beta weighs reconstruction more (sharper images, a latent further from the prior);
/// beta = 2 sigma^2 for a Gaussian decoder of noise sigma (aetrain's default 0.01: sigma 0.07).
public struct VariationalLoss: Loss {
    public let name = "vae"
    public let beta: Double
    public var klWeight: Double { beta }

    public init(beta: Double) { self.beta = beta }

    public func lossAndGradient(prediction: Tensor, target: Tensor) -> (loss: Float, gradient: Tensor) {
        MeanSquaredError.lossAndGradient(prediction: prediction, target: target)
    }

    public func loss(prediction: Tensor, target: Tensor) -> Float {
        MeanSquaredError.loss(prediction: prediction, target: target)
    }
}
