/// Keras `MaxPooling2D((2, 2))`: 2x2 windows, stride 2, on even-sized inputs.
/// Backward routes each window's gradient to the position of its maximum
/// (the first one in row-major window order on ties).
public final class MaxPool2D: PositiveInputMaskingLayer {
    public let name: String
    public let kind = "MaxPooling2D"
    public let inputShape: [Int]
    public let outputShape: [Int]
    public var parameters: [Parameter] { [] }
    private let parallelism: Parallelism
    /// Offset (0...3: dy * 2 + dx) of each output value's source in its window.
    private var argmax: [UInt8] = []
    private var savedInputShape: [Int] = []
    /// The last output: the maximum of each window, for `backwardMaskingNonPositiveInputs`.
    private var savedOutput = Tensor(zeros: [0])

    public init(name: String, inputShape: [Int], parallelism: Parallelism = Parallelism(threads: 1)) {
        precondition(inputShape.count == 3 && inputShape[0] % 2 == 0 && inputShape[1] % 2 == 0,
                     "MaxPool2D takes [height, width, channels] with even height and width")
        self.name = name
        self.inputShape = inputShape
        self.outputShape = [inputShape[0] / 2, inputShape[1] / 2, inputShape[2]]
        self.parallelism = parallelism
    }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(Array(input.shape.dropFirst()) == inputShape, "\(name): input shape \(input.shape)")
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        let (oh, ow) = (h / 2, w / 2)
        let batch = input.batch
        savedInputShape = input.shape
        // Every entry is written below, so skip zeroing it.
        argmax = [UInt8](unsafeUninitializedCapacity: batch * oh * ow * c) { _, n in n = batch * oh * ow * c }
        let output = Tensor(uninitializedShape: [batch] + outputShape) { out in
            input.data.withUnsafeBufferPointer { xb in
                argmax.withUnsafeMutableBufferPointer { ab in
                    let x = xb.baseAddress!, y = out.baseAddress!, arg = ab.baseAddress!
                    parallelism.forEachRange(batch) { range, _ in
                        for n in range { for py in 0..<oh { for px in 0..<ow {
                            let o = ((n * oh + py) * ow + px) * c
                            let base = ((n * h + 2 * py) * w + 2 * px) * c
                            for ch in 0..<c {
                                let p = x + base + ch
                                // Window order: (0,0), (0,1), (1,0), (1,1).
                                var best = p[0], bestAt: UInt8 = 0
                                if p[c] > best { best = p[c]; bestAt = 1 }
                                if p[w * c] > best { best = p[w * c]; bestAt = 2 }
                                if p[w * c + c] > best { best = p[w * c + c]; bestAt = 3 }
                                y[o + ch] = best
                                arg[o + ch] = bestAt
                            }
                        } } }
                    }
                }
            }
        }
        savedOutput = output
        return output
    }

    public func forgetForwardPass() {
        argmax = []
        savedOutput = Tensor(zeros: [0])
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor {
        guard needInputGradient else { return Tensor(zeros: [0]) }
        return scatter(gradOutput, masking: false)
    }

    /// The window's maximum is the input at the position the gradient goes to: where it is not
    /// positive, the gradient is zero.
    public func backwardMaskingNonPositiveInputs(_ gradOutput: Tensor) -> Tensor {
        scatter(gradOutput, masking: true)
    }

    /// Each output's gradient onto its window's maximum (multiplied by (maximum > 0) when
    /// `masking`), zeros elsewhere.
    private func scatter(_ gradOutput: Tensor, masking: Bool) -> Tensor {
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        let (oh, ow) = (h / 2, w / 2)
        var gradInput = Tensor(zeros: savedInputShape)
        precondition(gradOutput.count == argmax.count && savedOutput.count == argmax.count,
                     "\(name): gradient shape \(gradOutput.shape)")
        gradInput.data.withUnsafeMutableBufferPointer { gib in
            gradOutput.data.withUnsafeBufferPointer { gob in
                savedOutput.data.withUnsafeBufferPointer { yb in
                    argmax.withUnsafeBufferPointer { ab in
                        let gi = gib.baseAddress!, go = gob.baseAddress!, y = yb.baseAddress!, arg = ab.baseAddress!
                        parallelism.forEachRange(gradOutput.batch) { range, _ in
                            for n in range { for py in 0..<oh { for px in 0..<ow {
                                let o = ((n * oh + py) * ow + px) * c
                                let base = ((n * h + 2 * py) * w + 2 * px) * c
                                for ch in 0..<c {
                                    let q = Int(arg[o + ch])
                                    let at = base + (q >> 1) * w * c + (q & 1) * c + ch
                                    gi[at] = !masking || y[o + ch] > 0 ? go[o + ch] : 0
                                }
                            } } }
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
