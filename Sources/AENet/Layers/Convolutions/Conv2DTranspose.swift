/// Keras `Conv2DTranspose(filters, (3, 3), padding="same", activation=...)`, stride 1.
///
/// Kernel shape [3, 3, filters, inChannels] (HWOI, as Keras stores it), bias [filters].
/// Each input pixel (y, x) adds K[i, j, :, :] * in[y, x, :] onto output pixel
/// (y+i-1, x+j-1). At stride 1 that is exactly a 'same' Conv2D whose kernel is
/// flipped in both spatial axes with its last two axes swapped:
/// W[i, j, c, o] = K[2-i, 2-j, o, c]. So this layer keeps Keras's kernel as the
/// parameter, builds the flipped HWIO copy for the shared convolution engine, and
/// maps the engine's weight gradient back through the same permutation.
public final class Conv2DTranspose: OneDNNConvertibleLayer, ActivationDerivativeSkippingLayer {
    public let name: String
    public let kind = "Conv2DTranspose"
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let kernel: Parameter
    public let bias: Parameter
    public let activation: Activation
    private let engine: Convolution3x3
    private let parallelism: Parallelism
    /// Set by `runOnOneDNN`: the passes run on oneDNN; nil: on `engine`.
    private var oneDNN: OneDNNConvolution?
    private var flipped: [Float]
    private var flippedGrad: [Float]
    private var savedInput = Tensor(zeros: [0])
    private var savedOutput = Tensor(zeros: [0])

    public var parameters: [Parameter] { [kernel, bias] }

    public init(name: String, inputShape: [Int], filters: Int, activation: Activation = .linear,
                rng: inout RandomGenerator, parallelism: Parallelism = Parallelism(threads: 1)) {
        precondition(inputShape.count == 3, "Conv2DTranspose takes [height, width, channels]")
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        self.name = name
        self.inputShape = inputShape
        self.outputShape = [h, w, filters]
        self.activation = activation
        kernel = Parameter(name: "\(name)/kernel",
                           value: Initializer.glorotUniform(shape: [3, 3, filters, c], rng: &rng))
        bias = Parameter(name: "\(name)/bias", value: Tensor(zeros: [filters]))
        engine = Convolution3x3(height: h, width: w, inChannels: c, outChannels: filters,
                                activation: activation, parallelism: parallelism)
        flipped = [Float](repeating: 0, count: 9 * filters * c)
        flippedGrad = flipped
        self.parallelism = parallelism
    }

    public func runOnOneDNN(_ context: OneDNNContext) throws {
        oneDNN = try OneDNNConvolution(context: context, transposed: true, inputChannels: inChannels, filters: filters,
                                       kernelSize: 3, stride: 1, padding: .same, activation: activation,
                                       kernel: kernel, bias: bias, parallelism: parallelism)
    }

    private var inChannels: Int { inputShape[2] }
    private var filters: Int { outputShape[2] }

    /// Calls `body(k, w)` for every kernel entry, k indexing K[i, j, o, c] in the
    /// Keras kernel and w indexing W[2-i, 2-j, c, o] in the flipped one.
    @inline(__always)
    private func forEachEntry(_ body: (Int, Int) -> Void) {
        let (cin, cout) = (inChannels, filters)
        for i in 0..<3 { for j in 0..<3 { for o in 0..<cout { for c in 0..<cin {
            body(((i * 3 + j) * cout + o) * cin + c, (((2 - i) * 3 + (2 - j)) * cin + c) * cout + o)
        } } } }
    }

    /// The kernel's `Parameter.version` `flipped` was built from.
    private var flippedVersion: UInt64?

    /// Rebuilds `flipped` when the kernel changed since it was built (an optimiser step, a
    /// load), not on every pass: inference runs many batches on the same weights.
    private func buildFlippedKernel() {
        guard flippedVersion != kernel.version else { return }
        kernel.value.data.withUnsafeBufferPointer { k in
            flipped.withUnsafeMutableBufferPointer { w in forEachEntry { w[$1] = k[$0] } }
        }
        flippedVersion = kernel.version
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(Array(input.shape.dropFirst()) == inputShape, "\(name): input shape \(input.shape)")
        if let output = oneDNN?.forwardOrNil(input) {
            (savedInput, savedOutput) = (input, output)
            return output
        }
        buildFlippedKernel()
        savedInput = input
        savedOutput = engine.forward(input, weight: flipped, bias: bias.value.data)
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
        buildFlippedKernel()  // (current already, unless the forward pass ran on oneDNN)
        flippedGrad.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        let gradInput = engine.backward(input: savedInput, output: savedOutput, gradOutput: gradOutput,
                                        weight: flipped, gradWeight: &flippedGrad,
                                        gradBias: &bias.grad.data, needInputGradient: needInputGradient)
        kernel.grad.data.withUnsafeMutableBufferPointer { gk in
            flippedGrad.withUnsafeBufferPointer { gw in forEachEntry { gk[$0] += gw[$1] } }
        }
        return gradInput
    }
}
