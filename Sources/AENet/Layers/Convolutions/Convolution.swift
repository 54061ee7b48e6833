/// Keras `Conv2D(filters, kernel_size, strides, padding, activation=...)` on images of
/// any size: the general layer (odd kernels, any stride, 'same' or 'valid'), run by
/// `ConvolutionEngine`. (`Conv2D` is the reference model's fixed-size 3x3 fast path.)
///
/// Kernel [k, k, inChannels, filters] (HWIO, as Keras stores it), bias [filters].
/// out[n, y, x, o] = act(b[o] + sum over i, j, c of in[n, y*s + i - padTop, x*s + j - padLeft, c] * K[i, j, c, o]),
/// reading zeros outside the image; 'same' pads TensorFlow's way (the odd pixel of
/// padding at the bottom / right).
public final class Convolution: OneDNNConvertibleLayer {
    public let name: String
    public let kind = "Conv2D"
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
            shape: [kernelSize, kernelSize, inputChannels, filters], rng: &rng))
        bias = Parameter(name: "\(name)/bias", value: Tensor(zeros: [filters]))
        engine = ConvolutionEngine(parallelism: parallelism)
        self.parallelism = parallelism
    }

    public func runOnOneDNN(_ context: OneDNNContext) throws {
        oneDNN = try OneDNNConvolution(context: context, transposed: false, inputChannels: inputChannels,
                                       filters: filters, kernelSize: kernelSize, stride: stride, padding: padding,
                                       activation: activation, kernel: kernel, bias: bias, parallelism: parallelism)
    }

    /// The geometry of a call on `batch` images of per-sample shape `shape`.
    private func geometry(_ shape: [Int], batch: Int) -> ConvolutionGeometry? {
        guard shape.count == 3, shape[2] == inputChannels,
              let rows = ConvolutionAxis(convolutionInput: shape[0], kernel: kernelSize, stride: stride, padding: padding),
              let columns = ConvolutionAxis(convolutionInput: shape[1], kernel: kernelSize, stride: stride, padding: padding)
        else { return nil }
        return ConvolutionGeometry(batch: batch, rows: rows, columns: columns, kernel: kernelSize, stride: stride,
                                   largeChannels: inputChannels, smallChannels: filters)
    }

    public func outputShape(for inputShape: [Int]) -> [Int]? {
        geometry(inputShape, batch: 1).map { [$0.smallHeight, $0.smallWidth, filters] }
    }

    public func forward(_ input: Tensor) -> Tensor {
        guard let g = geometry(Array(input.shape.dropFirst()), batch: input.batch) else {
            preconditionFailure("\(name): cannot take input shape \(input.shape)")
        }
        if let output = oneDNN?.forwardOrNil(input) {
            (savedInput, savedOutput, savedGeometry) = (input, output, g)
            return output
        }
        let output = Tensor(uninitializedShape: [g.batch, g.smallHeight, g.smallWidth, filters]) { out in
            input.data.withUnsafeBufferPointer { x in
                kernel.value.data.withUnsafeBufferPointer { k in
                    bias.value.data.withUnsafeBufferPointer { b in
                        engine.gather(x.baseAddress!, g, weight: k.baseAddress!, bias: b.baseAddress!,
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
        let gz = gradZ.reserve(g.smallCount)
        savedOutput.data.withUnsafeBufferPointer { y in
            gradOutput.data.withUnsafeBufferPointer { gy in
                bias.grad.data.withUnsafeMutableBufferPointer { gb in
                    engine.biasActivationBackward(output: y.baseAddress!, grad: gy.baseAddress!, into: gz,
                                                  rows: g.smallPixels, cols: filters, activation: activation,
                                                  gradBias: gb.baseAddress!)
                }
            }
        }
        savedInput.data.withUnsafeBufferPointer { x in
            kernel.grad.data.withUnsafeMutableBufferPointer { gk in
                engine.weightGradient(x.baseAddress!, g, small: gz, into: gk.baseAddress!)
            }
        }
        guard needInputGradient else { return Tensor(zeros: [0]) }
        return Tensor(uninitializedShape: savedInput.shape) { gx in
            kernel.value.data.withUnsafeBufferPointer { k in
                engine.scatter(gz, g, weight: k.baseAddress!, bias: nil, activation: .linear, into: gx.baseAddress!)
            }
        }
    }
}
