/// Conditions a network on a class label: appends the one-hot vector of each sample's
/// label to its feature vector, [N, F] -> [N, F + classes] (a conditional autoencoder
/// feeds the digit to its encoder's and its decoder's Dense layers this way).
///
/// The labels are not part of the tensor flow: whoever runs the model sets them for the
/// batch first (`labels`, or `Autoencoder.setLabels`); a forward without one label per
/// sample is a programming error. `backward` drops the label columns (labels are given,
/// not learned).
public final class LabelConcat: Layer {
    public let name: String
    public let kind = "LabelConcat"
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let classes: Int
    public var parameters: [Parameter] { [] }
    /// The current batch's labels, each in 0..<classes.
    public var labels: [UInt8] = []

    public init(name: String, features: Int, classes: Int) {
        precondition(features > 0 && classes > 0)
        self.name = name
        self.classes = classes
        inputShape = [features]
        outputShape = [features + classes]
    }

    public func forward(_ input: Tensor) -> Tensor {
        let f = inputShape[0], width = outputShape[0]
        precondition(input.rank == 2 && input.shape[1] == f, "\(name): input shape \(input.shape)")
        precondition(labels.count == input.batch, "\(name): \(labels.count) labels set for a batch of \(input.batch)")
        var out = Tensor(zeros: [input.batch, width])
        for r in 0 ..< input.batch {
            precondition(Int(labels[r]) < classes, "\(name): label \(labels[r]) outside \(classes) classes")
            out.data.replaceSubrange((r * width) ..< (r * width + f), with: input.data[(r * f) ..< ((r + 1) * f)])
            out.data[r * width + f + Int(labels[r])] = 1
        }
        return out
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor {
        guard needInputGradient else { return Tensor(zeros: [0]) }
        let f = inputShape[0], width = outputShape[0]
        return Tensor(shape: [gradOutput.batch, f],
                      data: (0 ..< gradOutput.batch).flatMap { r in gradOutput.data[(r * width) ..< (r * width + f)] })
    }
}
