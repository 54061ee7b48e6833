import Foundation

/// The KL divergence of a variational autoencoder's posterior N(mu, exp(v)) from the prior
/// N(0, 1), in closed form, summed over the latent dimensions of a sample:
///
///     KL = 1/2 sum_d (mu_d^2 + exp(v_d) - 1 - v_d)
///
/// on statistics [N, 2L] laid out as `GaussianSampling` reads them (means, then log
/// variances). Returned: the batch mean (nats per sample) and its gradient,
/// dKL/dmu = mu / N, dKL/dv = (exp(v) - 1) / (2N).
public enum GaussianKL {
    public static func lossAndGradient(statistics: Tensor) -> (kl: Float, gradient: Tensor) {
        precondition(statistics.rank == 2 && statistics.shape[1] % 2 == 0, "statistics [N, 2L]")
        let n = statistics.batch, l = statistics.shape[1] / 2
        var gradient = Tensor(zeros: statistics.shape)
        var sum = 0.0
        let scale = 1 / Double(max(n, 1))
        for r in 0 ..< n {
            for d in 0 ..< l {
                let mu = Double(statistics.data[r * 2 * l + d]), v = Double(statistics.data[r * 2 * l + l + d])
                let e = exp(v)
                sum += 0.5 * (mu * mu + e - 1 - v)
                gradient.data[r * 2 * l + d] = Float(mu * scale)
                gradient.data[r * 2 * l + l + d] = Float(0.5 * (e - 1) * scale)
            }
        }
        return (Float(sum * scale), gradient)
    }
}
