/// What a trainer minimises: a scalar over a batch of model outputs and their
/// targets, and its gradient with respect to the outputs.
public protocol Loss {
    /// A short name for reports, e.g. "mse".
    var name: String { get }
    func lossAndGradient(prediction: Tensor, target: Tensor) -> (loss: Float, gradient: Tensor)
    /// The loss alone (validation), without building the gradient.
    func loss(prediction: Tensor, target: Tensor) -> Float
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
