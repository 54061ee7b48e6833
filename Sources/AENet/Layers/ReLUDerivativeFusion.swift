/// The ReLU derivative of a convolution, taken over by the layer after it (`Sequential.backward`).
///
/// A convolution with a ReLU multiplies dL/d(output) by relu'(output) before its own backward
/// passes. On oneDNN that is a pass of its own over every activation (reading the output and the
/// gradient, writing the product): 8% of a reference-model training step (Benchmarks/dnnl_probe.md).
/// When the next layer is max-pooling or upsampling, its input is the ReLU's output x >= 0, whose
/// derivative is (x > 0): it applies that as it writes dL/d(input), and the convolution skips it.
/// The result is the same bits either way (each value multiplied by 1 or 0 once).
///
/// No state is kept between calls: `Sequential.backward` decides per call, for a neighbouring
/// pair inside the range it runs.

/// A layer whose dL/d(input) can come out already multiplied by (input > 0).
public protocol PositiveInputMaskingLayer: Layer {
    /// `backward(gradOutput, needInputGradient: true)`, with dL/d(input) zero wherever the input
    /// (of the last `forward`) was not positive.
    func backwardMaskingNonPositiveInputs(_ gradOutput: Tensor) -> Tensor
}

/// A layer with an activation that can take dL/d(pre-activation) in place of dL/d(output).
public protocol ActivationDerivativeSkippingLayer: Layer {
    var activation: Activation { get }
    /// `backward` for a gradient that already includes the activation's derivative.
    func backward(preActivationGradient: Tensor, needInputGradient: Bool) -> Tensor
}

extension Sequential {
    /// Whether `layers[index]` can apply the ReLU derivative of `layers[index - 1]` in a
    /// backward pass over `range`.
    func takesOverReLUDerivative(at index: Int, in range: Range<Int>) -> Bool {
        guard index > range.lowerBound, layers[index] is PositiveInputMaskingLayer,
              let before = layers[index - 1] as? ActivationDerivativeSkippingLayer else { return false }
        return before.activation == .relu
    }
}
