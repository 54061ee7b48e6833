/// Keras `Dense(units, activation=...)`: y = act(x * K + b) with kernel
/// shape [inputs, units] and bias [units], on a batch of flat vectors.
/// (Its cost is tiny next to the convolutions, so it runs as one BLAS call.)
public final class Dense: Layer {
    public let name: String
    public let kind = "Dense"
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let kernel: Parameter
    public let bias: Parameter
    public let activation: Activation
    private var savedInput = Tensor(zeros: [0])
    private var savedOutput = Tensor(zeros: [0])
    private var gradZ: [Float] = []

    public var parameters: [Parameter] { [kernel, bias] }

    public init(name: String, inputs: Int, units: Int, activation: Activation = .linear,
                rng: inout RandomGenerator) {
        self.name = name
        self.inputShape = [inputs]
        self.outputShape = [units]
        self.activation = activation
        kernel = Parameter(name: "\(name)/kernel",
                           value: Initializer.glorotUniform(shape: [inputs, units], rng: &rng))
        bias = Parameter(name: "\(name)/bias", value: Tensor(zeros: [units]))
    }

    private var inputs: Int { inputShape[0] }
    private var units: Int { outputShape[0] }

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == inputs, "\(name): input shape \(input.shape)")
        let batch = input.batch
        let output = Tensor(uninitializedShape: [batch, units]) { out in
            input.data.withUnsafeBufferPointer { x in
                kernel.value.data.withUnsafeBufferPointer { k in
                    bias.value.data.withUnsafeBufferPointer { b in
                        let y = out.baseAddress!
                        for r in 0..<batch { (y + r * units).update(from: b.baseAddress!, count: units) }
                        sgemm(m: batch, n: units, k: inputs, a: x.baseAddress!, lda: inputs,
                              b: k.baseAddress!, ldb: units, beta: 1, c: y, ldc: units)
                        activation.apply(y, count: batch * units)
                    }
                }
            }
        }
        savedInput = input
        savedOutput = output
        return output
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor {
        precondition(gradOutput.shape == savedOutput.shape, "\(name): gradient shape \(gradOutput.shape)")
        let batch = gradOutput.batch
        gradZ = gradOutput.data
        gradZ.withUnsafeMutableBufferPointer { gz in
            savedOutput.data.withUnsafeBufferPointer { y in
                activation.backward(output: y.baseAddress!, grad: gz.baseAddress!, count: gz.count)
            }
        }
        var gradInput = needInputGradient ? Tensor(zeros: savedInput.shape) : Tensor(zeros: [0])
        gradZ.withUnsafeBufferPointer { gzb in
            let gz = gzb.baseAddress!
            savedInput.data.withUnsafeBufferPointer { x in
                kernel.grad.data.withUnsafeMutableBufferPointer { gk in
                    // dK += x^T * dz
                    sgemm(transA: true, m: inputs, n: units, k: batch, a: x.baseAddress!, lda: inputs,
                          b: gz, ldb: units, beta: 1, c: gk.baseAddress!, ldc: units)
                }
            }
            bias.grad.data.withUnsafeMutableBufferPointer { gb in
                for r in 0..<batch { for u in 0..<units { gb[u] += gz[r * units + u] } }
            }
            if needInputGradient {
                gradInput.data.withUnsafeMutableBufferPointer { gi in
                    kernel.value.data.withUnsafeBufferPointer { k in
                        // dx = dz * K^T
                        sgemm(transB: true, m: batch, n: inputs, k: units, a: gz, lda: units,
                              b: k.baseAddress!, ldb: units, beta: 0, c: gi.baseAddress!, ldc: inputs)
                    }
                }
            }
        }
        return gradInput
    }
}
