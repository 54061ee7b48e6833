/// A trainable tensor with its accumulated gradient.
public final class Parameter {
    public let name: String
    /// The values; every change (an optimiser step, a load) counts up `version`.
    public var value: Tensor { didSet { version &+= 1 } }
    public var grad: Tensor
    /// Counts the changes of `value`, so copies of it (oneDNN's weight layouts) know when
    /// they are stale. (A `didSet` that does not read the old value leaves in-place
    /// mutation in place.)
    public private(set) var version: UInt64 = 0

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: value.shape)
    }

    public func zeroGrad() {
        grad.data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}

/// A network layer with its forward and backward pass side by side.
///
/// Shapes exclude the batch dimension: a layer maps per-sample shape
/// `inputShape` to `outputShape`; tensors passed in carry the batch first.
/// A fully-convolutional layer leaves height and width free (`anySize` in those
/// shapes, Keras's None) and maps whatever it is called with: `outputShape(for:)`
/// says what comes out of a given input.
/// `forward` keeps what `backward` needs; `backward` takes dL/d(output), adds the
/// parameter gradients into each `Parameter.grad`, and returns dL/d(input).
public protocol Layer: AnyObject {
    /// Layer name, unique inside a model (as in Keras's summary).
    var name: String { get }
    /// Kind as Keras names it, e.g. "Conv2D".
    var kind: String { get }
    var inputShape: [Int] { get }
    var outputShape: [Int] { get }
    /// The per-sample output shape for a per-sample input shape; nil when the layer
    /// cannot take that input. Fixed-shape layers take only `inputShape`.
    func outputShape(for inputShape: [Int]) -> [Int]?
    var parameters: [Parameter] { get }

    func forward(_ input: Tensor) -> Tensor
    /// `needInputGradient: false` lets the first layer skip work nobody uses;
    /// it then returns an empty tensor.
    func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor
    /// Drops what `forward` kept for `backward` (an inference pass needs none of it;
    /// `Sequential.infer`); `backward` then needs another `forward`. Scratch is kept.
    func forgetForwardPass()
}

extension Layer {
    /// Layers that keep nothing beyond scratch have nothing to forget.
    public func forgetForwardPass() {}

    public func outputShape(for inputShape: [Int]) -> [Int]? {
        inputShape == self.inputShape ? outputShape : nil
    }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
    public func backward(_ gradOutput: Tensor) -> Tensor {
        backward(gradOutput, needInputGradient: true)
    }
}
