import AENet

/// The fully-convolutional codec model of the speed benchmark (issue 12): the
/// transforms of `ConvolutionalCodecModel` (CompressAI's `FactorizedPrior(N: 128, M: 192)`),
/// without the entropy model, as the peers run them.
enum CodecModel {
    static func build(channels n: Int = 128, latentChannels m: Int = 192, seed: UInt64, threads: Int) -> Autoencoder {
        let full = ConvolutionalCodecModel.build(channels: n, latentChannels: m, seed: seed, threads: threads)
        return Autoencoder(encoder: full.encoder, decoder: full.decoder)
    }
}

/// Multiply-add FLOPs (2 per MAC) of a stack's matrix work for one image of a given
/// shape: convolutions, transposed convolutions, dense layers and GDN's channel mix.
struct LayerFlops {
    /// FLOPs of each layer's forward pass, in order.
    let forward: [Double]

    init(layers: [Layer], imageShape: [Int]) {
        var shape = imageShape
        var costs: [Double] = []
        for layer in layers {
            let out = layer.outputShape(for: shape) ?? layer.outputShape
            costs.append(LayerFlops.cost(layer, input: shape, output: out))
            shape = out
        }
        forward = costs
    }

    var total: Double { forward.reduce(0, +) }
    /// Forward + backward: about 3x forward, less the first layer's unneeded input gradient.
    var training: Double { 3 * total - (forward.first ?? 0) }

    static func cost(_ layer: Layer, input: [Int], output: [Int]) -> Double {
        let pixels = { (s: [Int]) in Double(s.dropLast().reduce(1, *)) }
        switch layer {
        case let c as Conv2D:
            return 2 * pixels(output) * 9 * Double(c.inputShape[2] * c.outputShape[2])
        case let c as Conv2DTranspose:
            return 2 * pixels(output) * 9 * Double(c.inputShape[2] * c.outputShape[2])
        case let c as Convolution:
            return 2 * pixels(output) * Double(c.kernelSize * c.kernelSize * c.inputChannels * c.filters)
        case let c as TransposedConvolution:
            // Each input pixel meets every kernel tap once.
            return 2 * pixels(input) * Double(c.kernelSize * c.kernelSize * c.inputChannels * c.filters)
        case let d as Dense:
            return 2 * Double(d.inputShape[0] * d.outputShape[0])
        case let g as GDN:
            return 2 * pixels(input) * Double(g.channels * g.channels)
        default:
            return 0
        }
    }
}
