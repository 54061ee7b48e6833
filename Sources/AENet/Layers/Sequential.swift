/// A stack of layers applied in order (Keras `Sequential`).
public final class Sequential {
    public let name: String
    public let layers: [Layer]

    public init(name: String, layers: [Layer]) {
        precondition(!layers.isEmpty, "a model needs at least one layer")
        for (a, b) in zip(layers, layers.dropFirst()) {
            precondition(shapesFit(a.outputShape, b.inputShape),
                         "\(a.name) outputs \(a.outputShape) but \(b.name) takes \(b.inputShape)")
        }
        self.name = name
        self.layers = layers
    }

    public var inputShape: [Int] { layers[0].inputShape }
    public var outputShape: [Int] { layers[layers.count - 1].outputShape }
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// The per-sample output shape for a per-sample input shape; nil when a layer cannot take it.
    public func outputShape(for inputShape: [Int]) -> [Int]? {
        layers.reduce(Optional(inputShape)) { shape, layer in shape.flatMap { layer.outputShape(for: $0) } }
    }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    public func forward(_ input: Tensor) -> Tensor {
        forward(input, layers: layers.indices)
    }

    /// Layers `range` only, e.g. an encoder up to its sampling step.
    public func forward(_ input: Tensor, layers range: Range<Int>) -> Tensor {
        layers[range].reduce(input) { $1.forward($0) }
    }

    /// `forward` for inference: each layer forgets its pass as soon as it has run, so only
    /// its input and output (and its scratch) are alive at a time, not every activation.
    public func infer(_ input: Tensor) -> Tensor {
        layers.reduce(input) { x, layer in
            defer { layer.forgetForwardPass() }
            return layer.forward(x)
        }
    }

    /// Backpropagates dL/d(output); returns dL/d(input) when asked for it.
    @discardableResult
    public func backward(_ gradOutput: Tensor, needInputGradient: Bool = false) -> Tensor {
        backward(gradOutput, layers: layers.indices, needInputGradient: needInputGradient)
    }

    /// Backpropagates through layers `range` only (after `forward(_:layers:)` of the same range).
    @discardableResult
    public func backward(_ gradOutput: Tensor, layers range: Range<Int>, needInputGradient: Bool = false) -> Tensor {
        var g = gradOutput
        var preActivation = false  // g already holds the ReLU derivative of layers[index]'s output
        for index in range.reversed() {
            let need = index > range.lowerBound || needInputGradient
            if preActivation, let layer = layers[index] as? ActivationDerivativeSkippingLayer {
                g = layer.backward(preActivationGradient: g, needInputGradient: need)
                preActivation = false
            } else if let layer = layers[index] as? PositiveInputMaskingLayer, takesOverReLUDerivative(at: index, in: range) {
                g = layer.backwardMaskingNonPositiveInputs(g)
                preActivation = true
            } else {
                g = layers[index].backward(g, needInputGradient: need)
            }
        }
        return g
    }
}
