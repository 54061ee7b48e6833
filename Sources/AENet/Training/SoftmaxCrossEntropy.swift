import Foundation

/// Softmax cross-entropy of class scores (logits) [N, K] against class labels (Keras's
/// `SparseCategoricalCrossentropy(from_logits=True)`): the batch mean of
/// -log softmax(z)[label], and its gradient (softmax(z) - onehot(label)) / N. The
/// largest logit is subtracted first, so large scores do not overflow.
public enum SoftmaxCrossEntropy {
    public static func lossAndGradient(logits: Tensor, labels: [UInt8]) -> (loss: Float, gradient: Tensor) {
        precondition(logits.rank == 2 && logits.batch == labels.count, "logits [N, K] and N labels")
        let (n, k) = (logits.shape[0], logits.shape[1])
        precondition(labels.allSatisfy { Int($0) < k }, "a label outside the \(k) classes")
        var gradient = Tensor(zeros: logits.shape)
        var sum = 0.0
        let scale = 1 / Float(max(n, 1))
        for r in 0 ..< n {
            let row = logits.data[(r * k) ..< ((r + 1) * k)]
            let top = row.max()!
            var total = 0.0
            for z in row { total += exp(Double(z - top)) }
            let label = Int(labels[r])
            sum += log(total) - Double(row[row.startIndex + label] - top)
            for c in 0 ..< k {
                let p = Float(exp(Double(row[row.startIndex + c] - top)) / total)
                gradient.data[r * k + c] = (p - (c == label ? 1 : 0)) * scale
            }
        }
        return (Float(sum / Double(max(n, 1))), gradient)
    }

    /// The class with the largest score in each row (the first on ties).
    public static func predictions(_ logits: Tensor) -> [UInt8] {
        let k = logits.shape[1]
        return (0 ..< logits.batch).map { r in
            var best = 0
            for c in 1 ..< k where logits.data[r * k + c] > logits.data[r * k + best] { best = c }
            return UInt8(best)
        }
    }
}
