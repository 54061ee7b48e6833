import Foundation

/// Adam with Keras's defaults and update rule (epsilon added to sqrt(v), bias
/// correction folded into the step size):
///
///     m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
///     w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
public final class Adam {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// Number of updates applied so far.
    public private(set) var step: Int = 0
    public private(set) var firstMoments: [[Float]]
    public private(set) var secondMoments: [[Float]]
    /// The parameters it updates, in the order of its moments.
    public let parameters: [Parameter]

    public init(parameters: [Parameter], learningRate: Float = 1e-3,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        secondMoments = firstMoments
    }

    /// Applies one update from the parameters' accumulated gradients.
    public func update() {
        step += 1
        let t = Double(step)
        let alpha = Float(Double(learningRate) * (1 - pow(Double(beta2), t)).squareRoot()
                          / (1 - pow(Double(beta1), t)))
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        for (index, p) in parameters.enumerated() {
            p.value.data.withUnsafeMutableBufferPointer { w in
                p.grad.data.withUnsafeBufferPointer { g in
                    firstMoments[index].withUnsafeMutableBufferPointer { m in
                        secondMoments[index].withUnsafeMutableBufferPointer { v in
                            for i in 0..<w.count {
                                let gi = g[i]
                                m[i] = b1 * m[i] + (1 - b1) * gi
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                w[i] -= alpha * m[i] / (v[i].squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Restores saved optimizer state (for resuming training).
    public func restore(step: Int, firstMoments: [[Float]], secondMoments: [[Float]]) {
        precondition(firstMoments.map(\.count) == self.firstMoments.map(\.count)
                     && secondMoments.map(\.count) == self.secondMoments.map(\.count),
                     "optimizer state does not match the model's parameters")
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }
}
