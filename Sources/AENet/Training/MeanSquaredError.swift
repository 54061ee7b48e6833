/// Keras `MeanSquaredError`: the mean of (prediction - target)^2 over every
/// element of the batch, and its gradient 2 (prediction - target) / count.
public enum MeanSquaredError {
    public static func loss(prediction: Tensor, target: Tensor) -> Float {
        lossAndGradient(prediction: prediction, target: target, wantGradient: false).loss
    }

    public static func lossAndGradient(prediction: Tensor, target: Tensor,
                                       wantGradient: Bool = true) -> (loss: Float, gradient: Tensor) {
        precondition(prediction.shape == target.shape,
                     "MSE shapes differ: \(prediction.shape) vs \(target.shape)")
        let n = prediction.count
        var grad = Tensor(zeros: wantGradient ? prediction.shape : [0])
        var sum: Double = 0
        let scale = Float(2.0 / Double(max(n, 1)))
        prediction.data.withUnsafeBufferPointer { p in
            target.data.withUnsafeBufferPointer { t in
                grad.data.withUnsafeMutableBufferPointer { g in
                    for i in 0..<n {
                        let d = p[i] - t[i]
                        sum += Double(d * d)
                        if wantGradient { g[i] = scale * d }
                    }
                }
            }
        }
        return (Float(sum / Double(max(n, 1))), grad)
    }
}
