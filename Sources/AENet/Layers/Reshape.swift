/// Keras `Reshape(targetShape)` (and, with a flat target, `Flatten()`): the same
/// values in row-major order under another per-sample shape. No parameters.
public final class Reshape: Layer {
    public let name: String
    public let kind: String
    public let inputShape: [Int]
    public let outputShape: [Int]
    public var parameters: [Parameter] { [] }

    public init(name: String, inputShape: [Int], targetShape: [Int], kind: String = "Reshape") {
        precondition(Tensor.elementCount(inputShape) == Tensor.elementCount(targetShape),
                     "Reshape \(inputShape) -> \(targetShape) changes the element count")
        self.name = name
        self.kind = kind
        self.inputShape = inputShape
        self.outputShape = targetShape
    }

    /// Keras `Flatten()`.
    public static func flatten(name: String, inputShape: [Int]) -> Reshape {
        Reshape(name: name, inputShape: inputShape, targetShape: [Tensor.elementCount(inputShape)],
                kind: "Flatten")
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(Array(input.shape.dropFirst()) == inputShape, "\(name): input shape \(input.shape)")
        return input.reshaped([input.batch] + outputShape)
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor {
        guard needInputGradient else { return Tensor(zeros: [0]) }
        return gradOutput.reshaped([gradOutput.batch] + inputShape)
    }
}
