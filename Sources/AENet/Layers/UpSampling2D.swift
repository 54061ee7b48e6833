/// Keras `UpSampling2D((2, 2))` with nearest-neighbour interpolation:
/// out[n, 2y+a, 2x+b, c] = in[n, y, x, c]. Backward sums the four copies' gradients.
public final class UpSampling2D: PositiveInputMaskingLayer {
    public let name: String
    public let kind = "UpSampling2D"
    public let inputShape: [Int]
    public let outputShape: [Int]
    public var parameters: [Parameter] { [] }
    private let parallelism: Parallelism
    /// The last input, for `backwardMaskingNonPositiveInputs`.
    private var savedInput = Tensor(zeros: [0])

    public init(name: String, inputShape: [Int], parallelism: Parallelism = Parallelism(threads: 1)) {
        precondition(inputShape.count == 3, "UpSampling2D takes [height, width, channels]")
        self.name = name
        self.inputShape = inputShape
        self.outputShape = [inputShape[0] * 2, inputShape[1] * 2, inputShape[2]]
        self.parallelism = parallelism
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(Array(input.shape.dropFirst()) == inputShape, "\(name): input shape \(input.shape)")
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        savedInput = input
        return Tensor(uninitializedShape: [input.batch] + outputShape) { out in
            input.data.withUnsafeBufferPointer { xb in
                let x = xb.baseAddress!, y = out.baseAddress!
                parallelism.forEachRange(input.batch) { range, _ in
                    for n in range { for iy in 0..<h { for ix in 0..<w {
                        let src = x + ((n * h + iy) * w + ix) * c
                        for a in 0..<2 { for b in 0..<2 {
                            (y + ((n * 2 * h + 2 * iy + a) * 2 * w + 2 * ix + b) * c).update(from: src, count: c)
                        } }
                    } } }
                }
            }
        }
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor {
        guard needInputGradient else { return Tensor(zeros: [0]) }
        return sum(gradOutput, masking: false)
    }

    public func backwardMaskingNonPositiveInputs(_ gradOutput: Tensor) -> Tensor {
        sum(gradOutput, masking: true)
    }

    public func forgetForwardPass() { savedInput = Tensor(zeros: [0]) }

    /// Each input's four copies' gradients summed (times (input > 0) when `masking`).
    private func sum(_ gradOutput: Tensor, masking: Bool) -> Tensor {
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        precondition(Array(gradOutput.shape.dropFirst()) == outputShape, "\(name): gradient shape \(gradOutput.shape)")
        precondition(!masking || savedInput.count * 4 == gradOutput.count, "\(name): no forward pass for this gradient")
        return Tensor(uninitializedShape: [gradOutput.batch] + inputShape) { gib in
            gradOutput.data.withUnsafeBufferPointer { gob in
                savedInput.data.withUnsafeBufferPointer { xb in
                    let gi = gib.baseAddress!, go = gob.baseAddress!, x = xb.baseAddress
                    parallelism.forEachRange(gradOutput.batch) { range, _ in
                        for n in range { for iy in 0..<h { for ix in 0..<w {
                            let at = ((n * h + iy) * w + ix) * c
                            let dst = gi + at
                            let p00 = go + ((n * 2 * h + 2 * iy) * 2 * w + 2 * ix) * c
                            let p10 = p00 + 2 * w * c
                            if masking, let x {
                                for ch in 0..<c {
                                    dst[ch] = x[at + ch] > 0 ? p00[ch] + p00[c + ch] + p10[ch] + p10[c + ch] : 0
                                }
                            } else {
                                for ch in 0..<c { dst[ch] = p00[ch] + p00[c + ch] + p10[ch] + p10[c + ch] }
                            }
                        } } }
                    }
                }
            }
        }
    }
}
