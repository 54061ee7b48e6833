/// A convolution layer whose forward and backward passes can move to oneDNN's kernels
/// (`OneDNNConvolution`) for speed: training and `aebench` opt in through
/// `Autoencoder.runConvolutionsOnOneDNN`; the codec keeps our engine, whose results are
/// the same bits at any thread count (oneDNN's kernel gradients are not; Benchmarks/dnnl_probe.md).
/// Should oneDNN fail on a call (it does not on the shapes tested), the layer computes
/// that call with our engine instead.
public protocol OneDNNConvertibleLayer: Layer {
    /// From now on, run on oneDNN through `context`.
    func runOnOneDNN(_ context: OneDNNContext) throws
}

extension OneDNNConvolution {
    /// The forward pass, or nil when oneDNN failed (the layer then uses its own engine).
    func forwardOrNil(_ input: Tensor) -> Tensor? {
        try? forward(input)
    }

    /// The backward pass's input gradient (an empty tensor when not asked for), or nil
    /// when oneDNN failed.
    func backwardOrNil(input: Tensor, output: Tensor, gradOutput: Tensor, needInputGradient: Bool,
                       activationApplied: Bool = false) -> Tensor? {
        do {
            let gradient = try backward(input: input, output: output, gradOutput: gradOutput,
                                        needInputGradient: needInputGradient, activationApplied: activationApplied)
            return gradient ?? Tensor(zeros: [0])
        } catch {
            return nil
        }
    }
}
