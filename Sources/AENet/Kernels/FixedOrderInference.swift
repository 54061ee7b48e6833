/// The forward pass of a stack of convolutions computed in a fixed order, the same bit for bit on
/// every IEEE-754 machine and at any thread count (`FixedOrderConvolution` says the order): for what
/// the decoder must reproduce exactly, such as the scale hyperprior's hyper-synthesis, whose output
/// picks each latent's coding table. Plain Swift loops, no BLAS.
///
/// Supported: `Convolution` and `TransposedConvolution` (any odd kernel, any stride, 'same' or
/// 'valid', linear or ReLU activation) and ReLU `ActivationLayer`s. Sigmoid is not: expf differs
/// between C libraries.
public enum FixedOrderInference {
    /// The output of `layers` applied in order to `input` [batch, height, width, channels], each
    /// layer's weights and bias read from its parameters now; output rows are split over `threads`.
    /// Preconditions that every layer is supported and takes its input.
    public static func run(_ layers: [Layer], input: Tensor, threads: Int = 1) -> Tensor {
        layers.reduce(input) { x, layer in apply(layer, x, threads: threads) }
    }

    /// Whether `run` can take `layer`.
    public static func supports(_ layer: Layer) -> Bool {
        switch layer {
        case let c as Convolution: return c.activation != .sigmoid
        case let t as TransposedConvolution: return t.activation != .sigmoid
        case let a as ActivationLayer: return a.activation != .sigmoid
        default: return false
        }
    }

    private static func apply(_ layer: Layer, _ x: Tensor, threads: Int) -> Tensor {
        precondition(supports(layer), "fixed-order inference: \(layer.name) (\(layer.kind)) is not supported")
        precondition(x.rank == 4, "fixed-order inference: \(layer.name) takes [batch, height, width, channels], got \(x.shape)")
        if let a = layer as? ActivationLayer {
            return Tensor(shape: x.shape, data: a.activation == .relu ? x.data.map { max($0, 0) } : x.data)
        }
        let convolution = plan(layer)
        let (batch, height, width) = (x.shape[0], x.shape[1], x.shape[2])
        guard let shape = convolution.outputShape(for: Array(x.shape.dropFirst())) else {
            preconditionFailure("fixed-order inference: \(layer.name) cannot take input \(x.shape)")
        }
        let inCount = height * width * convolution.inChannels, outCount = Tensor.elementCount(shape)
        return Tensor(uninitializedShape: [batch] + shape) { out in
            x.data.withUnsafeBufferPointer { input in
                for n in 0 ..< batch {
                    convolution.forward(input.baseAddress! + n * inCount, height: height, width: width, threads: threads,
                                        into: out.baseAddress! + n * outCount)
                }
            }
        }
    }

    /// A supported convolution layer's weights, packed for the fixed-order loops.
    private static func plan(_ layer: Layer) -> FixedOrderConvolution {
        if let c = layer as? Convolution {
            return FixedOrderConvolution(kernel: c.kernel.value, bias: c.bias.value, kernelSize: c.kernelSize, stride: c.stride,
                                         padding: c.padding, transposed: false, inChannels: c.inputChannels,
                                         outChannels: c.filters, relu: c.activation == .relu)
        }
        let t = layer as! TransposedConvolution
        return FixedOrderConvolution(kernel: t.kernel.value, bias: t.bias.value, kernelSize: t.kernelSize, stride: t.stride,
                                     padding: t.padding, transposed: true, inChannels: t.inputChannels,
                                     outChannels: t.filters, relu: t.activation == .relu)
    }
}
