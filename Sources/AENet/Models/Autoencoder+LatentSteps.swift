/// Changing the units of a dense latent without changing what the network computes.
///
/// A rate-distortion model rounds its latent to integers, so the latent's units decide
/// how fine the quantisation is. A model trained without a prior (svhn-64) has latents
/// of any range; before fine-tuning it for rate and distortion, `rescaleLatent(steps:)`
/// makes one integer step of dimension d worth `steps[d]` of the old latent: the
/// encoder's last Dense divides its outputs by the steps, the decoder's first Dense
/// multiplies its inputs back. Reconstructions stay the same up to float rounding.
extension Autoencoder {
    /// Whether `rescaleLatent(steps:)` applies: a linear Dense ends the encoder and a
    /// Dense starts the decoder.
    public var hasDenseLatent: Bool {
        guard let last = encoder.layers.last as? Dense, last.activation == .linear,
              encoder.layers.last?.outputShape == decoder.layers.first?.inputShape else { return false }
        return decoder.layers.first is Dense
    }

    /// Divides latent dimension d by `steps[d]` (positive and finite) in the encoder and
    /// multiplies it back in the decoder.
    public func rescaleLatent(steps: [Float]) {
        precondition(hasDenseLatent, "rescaling needs a dense latent between two Dense layers")
        precondition(steps.count == latentDim && steps.allSatisfy { $0 > 0 && $0.isFinite },
                     "one positive step per latent dimension")
        let out = encoder.layers.last as! Dense, into = decoder.layers.first as! Dense
        let dim = latentDim
        // Encoder kernel [inputs, dim]: column d and bias d divided by the step.
        var k = out.kernel.value.data
        for i in 0..<(k.count / dim) {
            for d in 0..<dim { k[i * dim + d] /= steps[d] }
        }
        out.kernel.value = Tensor(shape: out.kernel.value.shape, data: k)
        out.bias.value = Tensor(shape: [dim], data: zip(out.bias.value.data, steps).map { $0 / $1 })
        // Decoder kernel [dim, units]: row d multiplied by the step.
        var v = into.kernel.value.data
        let units = v.count / dim
        for d in 0..<dim {
            for j in 0..<units { v[d * units + j] *= steps[d] }
        }
        into.kernel.value = Tensor(shape: into.kernel.value.shape, data: v)
    }
}
