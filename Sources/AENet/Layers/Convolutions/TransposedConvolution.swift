/// Keras `Conv2DTranspose(filters, kernel_size, strides, padding, activation=...)` on
/// images of any size (no output_padding): the general layer, run by
/// `ConvolutionEngine`. (`Conv2DTranspose` is the reference model's fixed-size 3x3
/// stride-1 fast path.)
///
/// Kernel [k, k, filters, inChannels] (HWOI, as Keras stores it), bias [filters].
/// Exactly TensorFlow's conv2d_transpose: the gradient, with respect to its input,
/// of the `Convolution` with the same kernel, stride and padding whose input has
/// this layer's output size. Each input pixel (y, x) adds K[i, j, :, :] * in[y, x, :]
/// onto output pixel (y*s + i - padTop, x*s + j - padLeft). The output is
/// size * stride per axis for 'same' (stride 2 doubles height and width) and
/// size * stride + max(k - stride, 0) for 'valid'.
public final class TransposedConvolution: OneDNNConvertibleLayer {
    public let name: String
    public let kind = "Conv2DTranspose"
    public let inputChannels: Int
    public let filters: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Padding
    public let activation: Activation
    public let kernel: Parameter
    public let bias: Parameter
    private let engine: ConvolutionEngine
    private let parallelism: Parallelism
    /// Set by `runOnOneDNN`: the passes run on oneDNN; nil: on `engine`.
    private var oneDNN: OneDNNConvolution?
    private var savedInput = Tensor(zeros: [0])
    private var savedOutput = Tensor(zeros: [0])
    private var savedGeometry: ConvolutionGeometry?
    /// dL/d(pre-activation output), reused between calls.
    private let gradZ = ScratchBuffer()

    public var inputShape: [Int] { [anySize, anySize, inputChannels] }
    public var outputShape: [Int] { [anySize, anySize, filters] }
    public var parameters: [Parameter] { [kernel, bias] }
    /// Floats of scratch memory held between calls.
    var scratchCapacity: Int { engine.scratchCapacity + gradZ.capacity }

    public init(name: String, inputChannels: Int, filters: Int, kernelSize: Int = 3, stride: Int = 1,
                padding: Padding = .same, activation: Activation = .linear,
                rng: inout RandomGenerator, parallelism: Parallelism = Parallelism(threads: 1)) {
        precondition(kernelSize > 0 && kernelSize % 2 == 1, "\(name): kernel size must be odd")
        precondition(stride > 0 && inputChannels > 0 && filters > 0, "\(name): stride and channels must be positive")
        self.name = name
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.activation = activation
        kernel = Parameter(name: "\(name)/kernel", value: Initializer.glorotUniform(
            shape: [kernelSize, kernelSize, filters, inputChannels], rng: &rng))
        bias = Parameter(name: "\(name)/bias", value: Tensor(zeros: [filters]))
        engine = ConvolutionEngine(parallelism: parallelism)
        self.parallelism = parallelism
    }

    public func runOnOneDNN(_ context: OneDNNContext) throws {
        oneDNN = try OneDNNConvolution(context: context, transposed: true, inputChannels: inputChannels,
                                       filters: filters, kernelSize: kernelSize, stride: stride, padding: padding,
                                       activation: activation, kernel: kernel, bias: bias, parallelism: parallelism)
    }

    /// The geometry of a call on `batch` images of per-sample shape `shape` (the small side).
    private func geometry(_ shape: [Int], batch: Int) -> ConvolutionGeometry? {
        guard shape.count == 3, shape[2] == inputChannels,
              let rows = ConvolutionAxis(transposedInput: shape[0], kernel: kernelSize, stride: stride, padding: padding),
              let columns = ConvolutionAxis(transposedInput: shape[1], kernel: kernelSize, stride: stride, padding: padding)
        else { return nil }
        return ConvolutionGeometry(batch: batch, rows: rows, columns: columns, kernel: kernelSize, stride: stride,
                                   largeChannels: filters, smallChannels: inputChannels)
    }

    public func outputShape(for inputShape: [Int]) -> [Int]? {
        geometry(inputShape, batch: 1).map { [$0.largeHeight, $0.largeWidth, filters] }
    }

    public func forward(_ input: Tensor) -> Tensor {
        guard let g = geometry(Array(input.shape.dropFirst()), batch: input.batch) else {
            preconditionFailure("\(name): cannot take input shape \(input.shape)")
        }
        if let output = oneDNN?.forwardOrNil(input) {
            (savedInput, savedOutput, savedGeometry) = (input, output, g)
            return output
        }
        let output = Tensor(uninitializedShape: [g.batch, g.largeHeight, g.largeWidth, filters]) { out in
            input.data.withUnsafeBufferPointer { x in
                kernel.value.data.withUnsafeBufferPointer { k in
                    bias.value.data.withUnsafeBufferPointer { b in
                        engine.scatter(x.baseAddress!, g, weight: k.baseAddress!, bias: b.baseAddress!,
                                       activation: activation, into: out.baseAddress!)
                    }
                }
            }
        }
        savedInput = input
        savedOutput = output
        savedGeometry = g
        return output
    }

    public func forgetForwardPass() {
        savedInput = Tensor(zeros: [0])
        savedOutput = Tensor(zeros: [0])
        savedGeometry = nil
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor {
        guard let g = savedGeometry else { preconditionFailure("\(name): backward before forward") }
        precondition(gradOutput.shape == savedOutput.shape, "\(name): gradient shape \(gradOutput.shape)")
        if let gradient = oneDNN?.backwardOrNil(input: savedInput, output: savedOutput, gradOutput: gradOutput,
                                                needInputGradient: needInputGradient) {
            return gradient
        }
        let gz = gradZ.reserve(g.largeCount)
        savedOutput.data.withUnsafeBufferPointer { y in
            gradOutput.data.withUnsafeBufferPointer { gy in
                bias.grad.data.withUnsafeMutableBufferPointer { gb in
                    engine.biasActivationBackward(output: y.baseAddress!, grad: gy.baseAddress!, into: gz,
                                                  rows: g.largePixels, cols: filters, activation: activation,
                                                  gradBias: gb.baseAddress!)
                }
            }
        }
        // One pass over im2col(dz): the kernel gradient and, when asked, dL/d(input).
        var gradInput = Tensor(zeros: [0])
        if needInputGradient { gradInput = Tensor(uninitializedShape: savedInput.shape) { _ in } }
        savedInput.data.withUnsafeBufferPointer { x in
            kernel.value.data.withUnsafeBufferPointer { k in
                kernel.grad.data.withUnsafeMutableBufferPointer { gk in
                    gradInput.data.withUnsafeMutableBufferPointer { gx in
                        engine.weightGradient(UnsafePointer(gz), g, small: x.baseAddress!, into: gk.baseAddress!,
                                              weight: k.baseAddress!,
                                              product: needInputGradient ? gx.baseAddress! : nil)
                    }
                }
            }
        }
        return gradInput
    }
}
