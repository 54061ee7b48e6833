import Foundation

/// Multinomial logistic regression on feature vectors, trained by the engine: one Dense
/// layer (features -> class scores), softmax cross-entropy, L2 weight decay on the
/// kernel, Adam on seeded mini-batches. The linear probe of a representation: how much
/// of the class a linear read-out of the features recovers.
public final class SoftmaxRegression {
    public struct Options: Sendable {
        public var epochs = 60
        public var batchSize = 128
        public var learningRate: Float = 1e-2
        /// Adds `l2 * kernel` to the kernel's gradient (the loss gains l2/2 |K|^2).
        public var l2: Float = 1e-3
        public var seed: UInt64 = 0

        public init() {}
    }

    public let classes: Int
    public let layer: Dense

    public init(features: Int, classes: Int, seed: UInt64 = 0) {
        precondition(features > 0 && classes > 1, "at least one feature and two classes")
        var rng = RandomGenerator(seed: seed)
        self.classes = classes
        layer = Dense(name: "probe", inputs: features, units: classes, activation: .linear, rng: &rng)
    }

    /// Trains on `features` [N, D] with `labels`; returns each epoch's mean batch loss.
    @discardableResult
    public func fit(_ features: Tensor, labels: [UInt8], options: Options = Options()) -> [Float] {
        precondition(features.batch == labels.count && features.batch > 0, "one label per feature vector")
        let adam = Adam(parameters: layer.parameters, learningRate: options.learningRate)
        let n = features.batch, d = features.shape[1]
        let batchSize = max(1, options.batchSize)
        var losses: [Float] = []
        for epoch in 0 ..< options.epochs {
            // A cosine from the full rate down to zero: the last steps are small enough to
            // settle even when thousands of features move one score together (raw pixels).
            adam.learningRate = options.learningRate * Float(0.5 * (1 + cos(Double.pi * Double(epoch) / Double(options.epochs))))
            var order = Array(0 ..< n)
            var rng = RandomGenerator(seed: options.seed &+ 0x9E37_79B9 &* UInt64(epoch + 1))
            rng.shuffle(&order)
            var sum: Float = 0, batches = 0
            for start in stride(from: 0, to: n, by: batchSize) {
                let rows = order[start ..< min(start + batchSize, n)]
                var x = Tensor(zeros: [rows.count, d])
                for (i, r) in rows.enumerated() {
                    x.data.replaceSubrange((i * d) ..< ((i + 1) * d), with: features.data[(r * d) ..< ((r + 1) * d)])
                }
                for p in layer.parameters { p.zeroGrad() }
                let (loss, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits: layer.forward(x), labels: rows.map { labels[$0] })
                _ = layer.backward(gradient, needInputGradient: false)
                for i in 0 ..< layer.kernel.grad.count { layer.kernel.grad.data[i] += options.l2 * layer.kernel.value.data[i] }
                adam.update()
                sum += loss
                batches += 1
            }
            losses.append(sum / Float(batches))
        }
        return losses
    }

    /// The most probable class of each feature vector.
    public func predict(_ features: Tensor) -> [UInt8] {
        SoftmaxCrossEntropy.predictions(layer.forward(features))
    }
}

/// The fraction of `predicted` equal to `actual`.
public func classificationAccuracy(_ predicted: [UInt8], _ actual: [UInt8]) -> Double {
    precondition(predicted.count == actual.count && !actual.isEmpty)
    return Double(zip(predicted, actual).filter { $0 == $1 }.count) / Double(actual.count)
}
