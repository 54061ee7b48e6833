import Foundation

/// Multiplying a convolutional latent by a gain without changing what the network computes
/// before rounding.
///
/// A rate-distortion model rounds its latent to integers, so the latent's scale sets the
/// quantisation step. A model trained at one lambda puts little rate into its latent; fine-tuned
/// for a higher lambda, Adam grows the latent's scale by about one learning rate a step, so the
/// rate moves slowly (the photo levels gained 0.04 bpp in 5 epochs). `scaleLatent(by:)` makes the
/// step `1/gain` of the old one at once, as the gain units of Cui et al. 2021 do, and fine-tuning
/// starts from there:
///
/// - the analysis' last convolution: kernel and bias times the gain (y' = gain * y);
/// - the synthesis' first transposed convolution: kernel divided by the gain (the same output);
/// - the factorized prior's density of y' = gain * y: its first layer's softplus matrix divided by
///   the gain (the density network sees y'/gain), its quantiles times the gain.
///
/// Only the continuous model is unchanged; rounding then loses less (a higher rate, less distortion).
extension Autoencoder {
    /// Whether `scaleLatent(by:)` applies: a linear convolution ends the analysis, a transposed
    /// convolution starts the synthesis, and the entropy model is a factorized prior.
    public var hasScalableLatent: Bool {
        guard let last = encoder.layers.last as? Convolution, last.activation == .linear,
              decoder.layers.first is TransposedConvolution, prior != nil, hyperprior == nil else { return false }
        return true
    }

    /// Multiplies the latent by `gain` (positive and finite) and adapts the synthesis and the prior.
    public func scaleLatent(by gain: Float) {
        precondition(hasScalableLatent, "scaling the latent needs a conv-factorized model")
        precondition(gain > 0 && gain.isFinite, "the gain must be positive and finite, got \(gain)")
        let analysis = encoder.layers.last as! Convolution, synthesis = decoder.layers.first as! TransposedConvolution
        func map(_ p: Parameter, _ f: (Float) -> Float) { p.value = Tensor(shape: p.value.shape, data: p.value.data.map(f)) }
        map(analysis.kernel) { $0 * gain }
        map(analysis.bias) { $0 * gain }
        map(synthesis.kernel) { $0 / gain }
        let prior = self.prior!
        // softplus(M') = softplus(M) / gain; in Double, M' = log(expm1(softplus(M) / gain)).
        map(prior.matrices[0]) { Float(log(expm1(Logistic.softplus(Double($0)) / Double(gain)))) }
        map(prior.quantiles) { $0 * gain }
    }
}
