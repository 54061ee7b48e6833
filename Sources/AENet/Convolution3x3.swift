/// The shared engine of `Conv2D` and `Conv2DTranspose`: a 3x3, stride-1, 'same'
/// convolution over NHWC batches with a fused bias and activation, lowered to
/// im2col + sgemm.
///
/// The weight is an HWIO kernel viewed as a [9 * inChannels, outChannels]
/// matrix. The batch is split over the worker threads; each worker runs
/// single-threaded BLAS on chunks of whole images, so its scratch stays
/// cache-sized and nothing is shared until the final gradient reduction.
final class Convolution3x3 {
    let height: Int, width: Int, inChannels: Int, outChannels: Int
    let activation: Activation
    let parallelism: Parallelism
    private let scratch: WorkerScratch
    private let imagesPerChunk: Int

    // Scratch slots per worker.
    private enum Slot: Int { case col = 0, gradZ, gradCol, gradWeight, gradBias }

    init(height: Int, width: Int, inChannels: Int, outChannels: Int,
         activation: Activation, parallelism: Parallelism) {
        self.height = height
        self.width = width
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.activation = activation
        self.parallelism = parallelism
        self.scratch = WorkerScratch(workers: parallelism.threads, buffersPerWorker: 5)
        // About 2,048 GEMM rows per chunk: big enough for BLAS efficiency,
        // small enough that the column matrix stays in L2/L3.
        self.imagesPerChunk = max(1, 2048 / (height * width))
    }

    private var kSize: Int { 9 * inChannels }
    private var pixels: Int { height * width }

    /// output[n] = activation(conv(input[n], weight) + bias) for `batch` images.
    func forward(input: UnsafePointer<Float>, batch: Int,
                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                 output: UnsafeMutablePointer<Float>) {
        let k = kSize, cout = outChannels, inSize = pixels * inChannels, outSize = pixels * cout
        parallelism.forEachRange(batch) { range, worker in
            let col = self.scratch.buffer(Slot.col.rawValue, worker: worker)
                .reserve(self.imagesPerChunk * self.pixels * k)
            var n = range.lowerBound
            while n < range.upperBound {
                let images = min(self.imagesPerChunk, range.upperBound - n)
                let m = images * self.pixels
                Im2Col.expand(input + n * inSize, images: images, height: self.height,
                              width: self.width, channels: self.inChannels, into: col)
                let out = output + n * outSize
                sgemm(m: m, n: cout, k: k, a: col, lda: k, b: weight, ldb: cout,
                      beta: 0, c: out, ldc: cout)
                for r in 0..<m {
                    let row = out + r * cout
                    for o in 0..<cout { row[o] += bias[o] }
                }
                self.activation.apply(out, count: m * cout)
                n += images
            }
        }
    }

    /// Given the forward pass's input and (post-activation) output and
    /// dL/d(output), adds dL/d(weight) and dL/d(bias) into `gradWeight` and
    /// `gradBias`, and writes dL/d(input) into `gradInput` when it is non-nil.
    func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                  gradOutput: UnsafePointer<Float>, batch: Int,
                  weight: UnsafePointer<Float>,
                  gradWeight: UnsafeMutablePointer<Float>, gradBias: UnsafeMutablePointer<Float>,
                  gradInput: UnsafeMutablePointer<Float>?) {
        let k = kSize, cout = outChannels, inSize = pixels * inChannels, outSize = pixels * cout
        let workers = min(parallelism.threads, max(batch, 1))
        parallelism.forEachRange(batch) { range, worker in
            let chunkRows = self.imagesPerChunk * self.pixels
            let col = self.scratch.buffer(Slot.col.rawValue, worker: worker).reserve(chunkRows * k)
            let gz = self.scratch.buffer(Slot.gradZ.rawValue, worker: worker).reserve(chunkRows * cout)
            let gw = self.scratch.buffer(Slot.gradWeight.rawValue, worker: worker).reserve(k * cout)
            let gb = self.scratch.buffer(Slot.gradBias.rawValue, worker: worker).reserve(cout)
            gw.update(repeating: 0, count: k * cout)
            gb.update(repeating: 0, count: cout)
            var n = range.lowerBound
            while n < range.upperBound {
                let images = min(self.imagesPerChunk, range.upperBound - n)
                let m = images * self.pixels
                // dL/dz, z being the pre-activation.
                gz.update(from: gradOutput + n * outSize, count: m * cout)
                self.activation.backward(output: output + n * outSize, grad: gz, count: m * cout)
                for r in 0..<m {
                    let row = gz + r * cout
                    for o in 0..<cout { gb[o] += row[o] }
                }
                Im2Col.expand(input + n * inSize, images: images, height: self.height,
                              width: self.width, channels: self.inChannels, into: col)
                // dW += col^T * dz
                sgemm(transA: true, m: k, n: cout, k: m, a: col, lda: k, b: gz, ldb: cout,
                      beta: 1, c: gw, ldc: cout)
                if let gradInput {
                    // dcol = dz * W^T, then scatter back onto the input pixels.
                    let gcol = self.scratch.buffer(Slot.gradCol.rawValue, worker: worker)
                        .reserve(chunkRows * k)
                    sgemm(transB: true, m: m, n: k, k: cout, a: gz, lda: cout, b: weight, ldb: cout,
                          beta: 0, c: gcol, ldc: k)
                    let dst = gradInput + n * inSize
                    dst.update(repeating: 0, count: images * inSize)
                    Im2Col.collapse(gcol, images: images, height: self.height, width: self.width,
                                    channels: self.inChannels, into: dst)
                }
                n += images
            }
        }
        // Reduce the per-worker partial gradients in a fixed order (deterministic).
        for w in 0..<workers {
            let gw = scratch.buffer(Slot.gradWeight.rawValue, worker: w).pointer
            let gb = scratch.buffer(Slot.gradBias.rawValue, worker: w).pointer
            for i in 0..<(k * cout) { gradWeight[i] += gw[i] }
            for o in 0..<cout { gradBias[o] += gb[o] }
        }
    }
}

extension Convolution3x3 {
    /// Tensor-level forward: `weight` is the [9 * in, out] HWIO matrix.
    func forward(_ input: Tensor, weight: [Float], bias: [Float]) -> Tensor {
        let batch = input.batch
        return Tensor(uninitializedShape: [batch, height, width, outChannels]) { out in
            input.data.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { k in
                    bias.withUnsafeBufferPointer { b in
                        forward(input: x.baseAddress!, batch: batch, weight: k.baseAddress!,
                                bias: b.baseAddress!, output: out.baseAddress!)
                    }
                }
            }
        }
    }

    /// Tensor-level backward: accumulates into `gradWeight` / `gradBias` and
    /// returns dL/d(input) (an empty tensor when `needInputGradient` is false).
    func backward(input: Tensor, output: Tensor, gradOutput: Tensor, weight: [Float],
                  gradWeight: inout [Float], gradBias: inout [Float],
                  needInputGradient: Bool) -> Tensor {
        precondition(gradOutput.shape == output.shape, "gradient shape \(gradOutput.shape) != \(output.shape)")
        var gradInput = needInputGradient ? Tensor(zeros: input.shape) : Tensor(zeros: [0])
        gradInput.data.withUnsafeMutableBufferPointer { gi in
            input.data.withUnsafeBufferPointer { x in
                output.data.withUnsafeBufferPointer { y in
                    gradOutput.data.withUnsafeBufferPointer { gy in
                        weight.withUnsafeBufferPointer { k in
                            gradWeight.withUnsafeMutableBufferPointer { gk in
                                gradBias.withUnsafeMutableBufferPointer { gb in
                                    backward(input: x.baseAddress!, output: y.baseAddress!,
                                             gradOutput: gy.baseAddress!, batch: gradOutput.batch,
                                             weight: k.baseAddress!, gradWeight: gk.baseAddress!,
                                             gradBias: gb.baseAddress!,
                                             gradInput: needInputGradient ? gi.baseAddress! : nil)
                                }
                            }
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
