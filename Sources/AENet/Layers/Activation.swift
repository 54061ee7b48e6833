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
            // Branch-free so it vectorises (a branch mispredicts on half the values).
            for i in 0..<count { x[i] = max(x[i], 0) }
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
            for i in 0..<count { g[i] = y[i] > 0 ? g[i] : 0 }
        case .sigmoid:
            for i in 0..<count { g[i] *= y[i] * (1 - y[i]) }
        }
    }

    /// rows x cols values: x[r, c] = act(x[r, c] + bias[c]), in one pass.
    func applyWithBias(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>) {
        switch self {
        case .linear:
            for r in 0..<rows { let row = x + r * cols; for c in 0..<cols { row[c] += bias[c] } }
        case .relu:
            for r in 0..<rows { let row = x + r * cols; for c in 0..<cols { row[c] = max(row[c] + bias[c], 0) } }
        case .sigmoid:
            for r in 0..<rows {
                let row = x + r * cols
                for c in 0..<cols { row[c] = 1 / (1 + expf(-(row[c] + bias[c]))) }
            }
        }
    }

    /// One pass over rows x cols values: gz = dL/d(pre-activation) from the saved
    /// output y and dL/d(output) g, and biasGrad[c] += sum over rows of gz[r, c].
    func backwardWithBias(output y: UnsafePointer<Float>, grad g: UnsafePointer<Float>,
                          into gz: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                          biasGrad: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let (yr, gr, zr) = (y + r * cols, g + r * cols, gz + r * cols)
            switch self {
            case .linear:
                for c in 0..<cols { zr[c] = gr[c]; biasGrad[c] += gr[c] }
            case .relu:
                for c in 0..<cols { let v = yr[c] > 0 ? gr[c] : 0; zr[c] = v; biasGrad[c] += v }
            case .sigmoid:
                for c in 0..<cols { let v = gr[c] * yr[c] * (1 - yr[c]); zr[c] = v; biasGrad[c] += v }
            }
        }
    }
}
