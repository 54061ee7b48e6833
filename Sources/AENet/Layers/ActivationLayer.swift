/// A standalone elementwise activation layer (Keras `ReLU()` or `Activation("sigmoid")`).
/// The reference model fuses its activations into Conv2D / Dense instead.
public final class ActivationLayer: Layer {
    public let name: String
    public let activation: Activation
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    public var parameters: [Parameter] { [] }
    public var kind: String { activation == .relu ? "ReLU" : "Activation" }
    private var savedOutput = Tensor(zeros: [0])

    public init(name: String, inputShape: [Int], activation: Activation) {
        self.name = name
        self.inputShape = inputShape
        self.activation = activation
    }

    public static func relu(name: String, inputShape: [Int]) -> ActivationLayer {
        ActivationLayer(name: name, inputShape: inputShape, activation: .relu)
    }

    public static func sigmoid(name: String, inputShape: [Int]) -> ActivationLayer {
        ActivationLayer(name: name, inputShape: inputShape, activation: .sigmoid)
    }

    public func forward(_ input: Tensor) -> Tensor {
        var y = input
        y.data.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
        savedOutput = y
        return y
    }

    public func forgetForwardPass() {
        savedOutput = Tensor(zeros: [0])
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor {
        guard needInputGradient else { return Tensor(zeros: [0]) }
        precondition(gradOutput.shape == savedOutput.shape, "\(name): gradient shape \(gradOutput.shape)")
        var g = gradOutput
        g.data.withUnsafeMutableBufferPointer { gb in
            savedOutput.data.withUnsafeBufferPointer { y in
                activation.backward(output: y.baseAddress!, grad: gb.baseAddress!, count: gb.count)
            }
        }
        return g
    }
}
