import Foundation

/// An elementwise activation fused into a layer (Keras's `activation=` argument).
/// Fusing saves a pass over memory; standalone `ReLU` and `Sigmoid` layers exist too.
public enum Activation: String, Sendable, CaseIterable {
    case linear, relu, sigmoid

    /// Applies the activation in place to `count` values.
    func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .linear:
            break
        case .relu:
            for i in 0..<count where x[i] < 0 { x[i] = 0 }
        case .sigmoid:
            for i in 0..<count { x[i] = 1 / (1 + expf(-x[i])) }
        }
    }

    /// Turns the gradient with respect to the activation's output into the
    /// gradient with respect to its input, in place, using the saved output `y`.
    func backward(output y: UnsafePointer<Float>, grad g: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .linear:
            break
        case .relu:
            for i in 0..<count where y[i] <= 0 { g[i] = 0 }
        case .sigmoid:
            for i in 0..<count { g[i] *= y[i] * (1 - y[i]) }
        }
    }
}
