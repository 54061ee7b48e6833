/// Keras `Conv2D(filters, (3, 3), padding="same", activation=...)`, stride 1.
///
/// Kernel shape [3, 3, inChannels, filters] (HWIO, as Keras stores it), bias [filters].
/// out[n, y, x, o] = act(b[o] + sum over i, j, c of in[n, y+i-1, x+j-1, c] * K[i, j, c, o]),
/// reading zeros outside the image.
public final class Conv2D: OneDNNConvertibleLayer, ActivationDerivativeSkippingLayer {
    public let name: String
    public let kind = "Conv2D"
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let kernel: Parameter
    public let bias: Parameter
    public let activation: Activation
    private let engine: Convolution3x3
    private let parallelism: Parallelism
    /// Set by `runOnOneDNN`: the passes run on oneDNN; nil: on `engine`.
    private var oneDNN: OneDNNConvolution?
    private var savedInput = Tensor(zeros: [0])
    private var savedOutput = Tensor(zeros: [0])

    public var parameters: [Parameter] { [kernel, bias] }

    public init(name: String, inputShape: [Int], filters: Int, activation: Activation = .linear,
                rng: inout RandomGenerator, parallelism: Parallelism = Parallelism(threads: 1)) {
        precondition(inputShape.count == 3, "Conv2D takes [height, width, channels]")
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        self.name = name
        self.inputShape = inputShape
        self.outputShape = [h, w, filters]
        self.activation = activation
        kernel = Parameter(name: "\(name)/kernel",
                           value: Initializer.glorotUniform(shape: [3, 3, c, filters], rng: &rng))
        bias = Parameter(name: "\(name)/bias", value: Tensor(zeros: [filters]))
        engine = Convolution3x3(height: h, width: w, inChannels: c, outChannels: filters,
                                activation: activation, parallelism: parallelism)
        self.parallelism = parallelism
    }

    public func runOnOneDNN(_ context: OneDNNContext) throws {
        oneDNN = try OneDNNConvolution(context: context, transposed: false, inputChannels: inputShape[2],
                                       filters: outputShape[2], kernelSize: 3, stride: 1, padding: .same,
                                       activation: activation, kernel: kernel, bias: bias, parallelism: parallelism)
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(Array(input.shape.dropFirst()) == inputShape, "\(name): input shape \(input.shape)")
        savedInput = input
        savedOutput = oneDNN?.forwardOrNil(input) ?? engine.forward(input, weight: kernel.value.data, bias: bias.value.data)
        return savedOutput
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor {
        backward(gradOutput, needInputGradient: needInputGradient, activationApplied: false)
    }

    /// On oneDNN the activation's derivative is a pass of its own, skipped here; our engine
    /// applies it with the bias gradient, and applying (output > 0) twice changes nothing.
    public func backward(preActivationGradient: Tensor, needInputGradient: Bool) -> Tensor {
        backward(preActivationGradient, needInputGradient: needInputGradient, activationApplied: true)
    }

    private func backward(_ gradOutput: Tensor, needInputGradient: Bool, activationApplied: Bool) -> Tensor {
        if let gradient = oneDNN?.backwardOrNil(input: savedInput, output: savedOutput, gradOutput: gradOutput,
                                                needInputGradient: needInputGradient, activationApplied: activationApplied) {
            return gradient
        }
        return engine.backward(input: savedInput, output: savedOutput, gradOutput: gradOutput,
                        weight: kernel.value.data, gradWeight: &kernel.grad.data,
                        gradBias: &bias.grad.data, needInputGradient: needInputGradient)
    }
}
