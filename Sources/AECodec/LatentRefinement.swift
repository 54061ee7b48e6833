import AENet
import Foundation

/// Encoder-side refinement of a whole image's latent (Yang, Bamler and Mandt 2020,
/// "Improving inference for neural image compression"): the analysis transform gives a
/// latent that is good for images on average; a few gradient steps on this image's own
/// rate-distortion cost, the model's training objective
///
///     lambda * 255^2 * MSE(image, synthesis(round(y))) + bits(round(y)) / pixels,
///
/// fit it to the image. The latent is rounded as the codec rounds it (around each
/// channel's median, the gradient taken straight through) and the rate is the entropy
/// model's code length (a hyperprior's: both latents, the scales from the engine rather
/// than the codec's table, so a little below the coded size), so each step's cost is the
/// cost of the latent it would code; the
/// best latent seen is kept, so refining never makes an image's cost worse than plain
/// encoding. The MSE counts the image's own pixels, not the edge padding. The decoder is
/// unchanged: it decodes whatever latent it gets.
///
/// Adam on the latent (Keras's update rule), step size `learningRate` in latent units (a
/// quantisation step is 1). Runs on a single-threaded, row-aligned copy of the model, so
/// the result does not depend on the thread count. Memory: the synthesis keeps its
/// activations for the backward pass, so the whole image is one band (`maxPixels`).
struct LatentRefinement {
    /// The largest padded image (pixels) refined: about 1.2 GB of activations for an
    /// N = 128 model (a 768 x 512 photo takes about 0.3 GB).
    static let maxPixels = 1 << 21

    let model: Autoencoder
    let entropyModel: LatentEntropyModel
    let lambda: Double
    let steps: Int
    var learningRate: Float = 0.05

    /// The cost of each step (the first: the analysis transform's latent) and the best latent.
    struct Result {
        let latent: Tensor
        let costs: [Double]
        let bestStep: Int
    }

    /// Refines `latent` ([1, h, w, M]) for `target` ([1, H, W, 3], the padded network input,
    /// of which the top-left `width` x `height` pixels are the image). nil when `shouldStop`
    /// said so between two steps.
    func refine(_ latent: Tensor, target: Tensor, width: Int, height: Int, shouldStop: () -> Bool) -> Result? {
        let y = Parameter(name: "latent", value: latent)
        let adam = Adam(parameters: [y], learningRate: learningRate)
        var best = latent, bestCost = Double.infinity, bestStep = 0
        var costs: [Double] = []
        defer { for layer in model.decoder.layers { layer.forgetForwardPass() } }
        for step in 0...steps {
            guard !shouldStop() else { return nil }
            let quantized = entropyModel.quantized(y.value)
            let output = model.decoder.forward(quantized.values)
            let (distortion, gradOutput) = Self.distortion(output, target, width: width, height: height,
                                                           scale: lambda * 255 * 255)
            let pixels = Double(width * height)
            let rates = quantized.likelihoods.map { Rate.bitsAndGradient(likelihoods: $0) }
            let cost = distortion + rates.reduce(0) { $0 + $1.bits } / pixels
            costs.append(cost)
            if cost < bestCost { (best, bestCost, bestStep) = (y.value, cost, step) }
            if step == steps { break }
            let gradLikelihoods = rates.map { rate in
                var g = rate.gradient
                for i in 0 ..< g.count { g.data[i] /= Float(pixels) }
                return g
            }
            let gradValues = model.decoder.backward(gradOutput, needInputGradient: true)
            y.grad = entropyModel.backward(gradValues: gradValues, gradLikelihoods: gradLikelihoods)
            adam.update()
        }
        return Result(latent: best, costs: costs, bestStep: bestStep)
    }

    /// scale * MSE over the image's own pixels (the top-left `width` x `height` of the padded
    /// [1, H, W, C] tensors) and its gradient (zero on the padding).
    static func distortion(_ output: Tensor, _ target: Tensor, width: Int, height: Int,
                           scale: Double) -> (Double, Tensor) {
        precondition(output.shape == target.shape && output.rank == 4, "refinement: \(output.shape) vs \(target.shape)")
        let (w, c) = (output.shape[2], output.shape[3])
        let n = Double(width * height * c)
        var gradient = Tensor(zeros: output.shape)
        var sum = 0.0
        for row in 0 ..< height {
            for i in row * w * c ..< (row * w + width) * c {
                let d = Double(output.data[i]) - Double(target.data[i])
                sum += d * d
                gradient.data[i] = Float(scale * 2 * d / n)
            }
        }
        return (scale * sum / n, gradient)
    }
}
