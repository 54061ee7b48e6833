import Foundation

/// The latent step of a variational autoencoder (Kingma and Welling 2014; Keras's VAE
/// example's `Sampling` layer): its input holds, per sample, the mean mu and the log
/// variance v of a diagonal Gaussian, [mu_0 ... mu_{L-1}, v_0 ... v_{L-1}] (the encoder's
/// last Dense gives 2L values), its output is an L-vector.
///
/// - `forward(_:)` (inference, the codec, `Sequential.forward`) gives the mean, so encoding
///   is deterministic.
/// - `forward(_:noise:)` (training) draws z = mu + exp(v / 2) * eps, eps ~ N(0, 1) from the
///   generator (the reparametrisation trick: the draw is a constant to the gradient).
///
/// `backward` takes dL/dz: dL/dmu = dL/dz and dL/dv = dL/dz * eps * exp(v / 2) / 2 (zero
/// after a mean-only forward). The KL term of the loss is `GaussianKL`'s, added by the trainer.
public final class GaussianSampling: Layer {
    public let name: String
    public let kind = "GaussianSampling"
    public let inputShape: [Int]
    public let outputShape: [Int]
    public var parameters: [Parameter] { [] }
    /// The draws and standard deviations of the last sampling forward; empty after a mean-only one.
    private var epsilon: [Float] = []
    private var deviation: [Float] = []
    private var batch = 0

    public init(name: String, latentDim: Int) {
        precondition(latentDim > 0)
        self.name = name
        inputShape = [2 * latentDim]
        outputShape = [latentDim]
    }

    public var latentDim: Int { outputShape[0] }

    /// The mean: the first half of each input row.
    public func forward(_ input: Tensor) -> Tensor {
        let l = latentDim
        precondition(input.rank == 2 && input.shape[1] == 2 * l, "\(name): input shape \(input.shape)")
        batch = input.batch
        epsilon = []
        deviation = []
        return Tensor(shape: [batch, l], data: (0 ..< batch).flatMap { r in input.data[(r * 2 * l) ..< (r * 2 * l + l)] })
    }

    /// A draw z = mu + exp(v / 2) * eps with eps from `rng` (row by row, dimension by dimension).
    public func forward(_ input: Tensor, noise rng: inout RandomGenerator) -> Tensor {
        var eps = Tensor(zeros: [input.batch, latentDim])
        for i in 0 ..< eps.count { eps.data[i] = rng.nextGaussian() }
        return forward(input, epsilon: eps)
    }

    /// z = mu + exp(v / 2) * eps for a given eps [N, L] (tests, the numpy reference).
    public func forward(_ input: Tensor, epsilon eps: Tensor) -> Tensor {
        let mean = forward(input)
        let l = latentDim
        precondition(eps.shape == mean.shape, "\(name): epsilon shape \(eps.shape)")
        var z = mean
        deviation = [Float](repeating: 0, count: z.count)
        for r in 0 ..< batch {
            for d in 0 ..< l {
                let sd = Float(exp(0.5 * Double(input.data[r * 2 * l + l + d])))
                deviation[r * l + d] = sd
                z.data[r * l + d] += sd * eps.data[r * l + d]
            }
        }
        epsilon = eps.data
        return z
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor {
        let l = latentDim
        precondition(gradOutput.shape == [batch, l], "\(name): gradient shape \(gradOutput.shape)")
        guard needInputGradient else { return Tensor(zeros: [0]) }
        var grad = Tensor(zeros: [batch, 2 * l])
        for r in 0 ..< batch {
            for d in 0 ..< l {
                let g = gradOutput.data[r * l + d]
                grad.data[r * 2 * l + d] = g
                if !epsilon.isEmpty { grad.data[r * 2 * l + l + d] = g * epsilon[r * l + d] * deviation[r * l + d] / 2 }
            }
        }
        return grad
    }
}
