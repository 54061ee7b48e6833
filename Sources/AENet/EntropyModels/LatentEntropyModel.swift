/// An entropy model over an autoencoder's latent as training sees it: the factorized prior
/// (`FactorizedPrior`) or the scale hyperprior (`Hyperprior`). Its likelihood tensors are
/// everything it codes (the latent's; a hyperprior's also the hyper-latent's), and the rate
/// is the bits of all of them, so the trainer needs nothing else of it.
public protocol LatentEntropyModel: AnyObject {
    /// Training: the latent with uniform noise drawn from `rng`, and the likelihoods.
    func noisy(_ y: Tensor, rng: inout RandomGenerator) -> (values: Tensor, likelihoods: [Tensor])
    /// Inference: the latent rounded as the codec stores it, and the likelihoods.
    func quantized(_ y: Tensor) -> (values: Tensor, likelihoods: [Tensor])
    /// Given dL/d(values) (nil for none) and dL/d(each likelihood tensor) of the last call,
    /// adds every parameter's gradient and returns dL/dy.
    func backward(gradValues: Tensor?, gradLikelihoods: [Tensor]) -> Tensor
    /// CompressAI's auxiliary loss (the quantiles'), adding its gradient when asked.
    @discardableResult func auxiliaryLoss(addingGradient: Bool) -> Double
}

extension FactorizedPrior: LatentEntropyModel {
    public func noisy(_ y: Tensor, rng: inout RandomGenerator) -> (values: Tensor, likelihoods: [Tensor]) {
        let out = forward(y, noise: &rng)
        return (out.values, [out.likelihoods])
    }

    public func quantized(_ y: Tensor) -> (values: Tensor, likelihoods: [Tensor]) {
        let out = forward(quantizing: y)
        return (out.values, [out.likelihoods])
    }

    public func backward(gradValues: Tensor?, gradLikelihoods: [Tensor]) -> Tensor {
        precondition(gradLikelihoods.count == 1, "\(name): one likelihood tensor, got \(gradLikelihoods.count)")
        return backward(gradValues: gradValues, gradLikelihoods: gradLikelihoods[0])
    }
}

extension Hyperprior: LatentEntropyModel {
    public func noisy(_ y: Tensor, rng: inout RandomGenerator) -> (values: Tensor, likelihoods: [Tensor]) {
        let out = forward(y, noise: &rng)
        return (out.values, [out.likelihoods, out.hyperLikelihoods])
    }

    public func quantized(_ y: Tensor) -> (values: Tensor, likelihoods: [Tensor]) {
        let out = forward(quantizing: y)
        return (out.values, [out.likelihoods, out.hyperLikelihoods])
    }

    public func backward(gradValues: Tensor?, gradLikelihoods: [Tensor]) -> Tensor {
        precondition(gradLikelihoods.count == 2, "the hyperprior has two likelihood tensors, got \(gradLikelihoods.count)")
        return backward(gradValues: gradValues, gradLikelihoods: gradLikelihoods[0], gradHyperLikelihoods: gradLikelihoods[1])
    }
}
