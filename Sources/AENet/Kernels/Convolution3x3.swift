/// The shared engine of `Conv2D` and `Conv2DTranspose`: a 3x3, stride-1, 'same'
/// convolution over NHWC batches with a fused bias and activation, lowered to
/// matrix multiplies (sgemm).
///
/// The weight is an HWIO kernel viewed as a [9 * inChannels, outChannels] matrix.
/// Two lowerings, picked by channel counts (both compute the same thing):
/// - input columns (im2col): col[pixel, (tap, c)] = in[pixel + tap, c], then
///   out = col * W. Best when the layer widens (few input channels).
/// - output columns: Y[pixel, (tap', o)] = in * W' (W' the kernel with taps
///   reversed, [in, 9 * out]), then each output pixel sums its nine neighbours'
///   tap columns (col2im). Best when the layer narrows: the matrices are 9 * out
///   wide instead of 9 * in (the final 32 -> 3 convolution: 27 instead of 288).
///
/// The batch is split over the worker threads; each worker runs single-threaded
/// BLAS on chunks of whole images, so its scratch stays cache-sized and nothing
/// is shared until the final, fixed-order gradient reduction.
final class Convolution3x3 {
    enum Lowering { case inputColumns, outputColumns }

    let height: Int, width: Int, inChannels: Int, outChannels: Int
    let activation: Activation
    let parallelism: Parallelism
    let lowering: Lowering
    private let scratch: WorkerScratch
    private let imagesPerChunk: Int
    /// W' for the output-columns lowering: [in, 9 * out], taps reversed.
    private var reordered: [Float] = []

    // Scratch slots per worker.
    private enum Slot: Int { case columns = 0, gradZ, gradColumns, gradWeight, gradBias }

    init(height: Int, width: Int, inChannels: Int, outChannels: Int,
         activation: Activation, parallelism: Parallelism, lowering: Lowering? = nil) {
        self.height = height
        self.width = width
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.activation = activation
        self.parallelism = parallelism
        self.lowering = lowering ?? (outChannels < inChannels ? .outputColumns : .inputColumns)
        self.scratch = WorkerScratch(workers: parallelism.threads, buffersPerWorker: 5)
        // About 2,048 GEMM rows per chunk: big enough for BLAS efficiency,
        // small enough that the column matrix stays in L2/L3.
        self.imagesPerChunk = max(1, 2048 / (height * width))
    }

    private var pixels: Int { height * width }
    /// Width of the column matrices of the chosen lowering.
    private var columnWidth: Int { lowering == .inputColumns ? 9 * inChannels : 9 * outChannels }
    private var weightGradientCount: Int { 9 * inChannels * outChannels }

    /// W'[c, t * out + o] = W[8 - t, c, o].
    private func reorder(_ weight: UnsafePointer<Float>) {
        let (cin, cout) = (inChannels, outChannels)
        if reordered.count != 9 * cin * cout { reordered = [Float](repeating: 0, count: 9 * cin * cout) }
        reordered.withUnsafeMutableBufferPointer { w in
            for t in 0..<9 { for c in 0..<cin { for o in 0..<cout {
                w[c * 9 * cout + t * cout + o] = weight[((8 - t) * cin + c) * cout + o]
            } } }
        }
    }

    /// output[n] = activation(conv(input[n], weight) + bias) for `batch` images.
    func forward(input: UnsafePointer<Float>, batch: Int,
                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                 output: UnsafeMutablePointer<Float>) {
        if lowering == .outputColumns { reorder(weight) }
        reordered.withUnsafeBufferPointer { wr in
            let (cin, cout, kw) = (inChannels, outChannels, columnWidth)
            let inSize = pixels * cin, outSize = pixels * cout
            parallelism.forEachRange(batch) { range, worker in
                let col = self.scratch.buffer(Slot.columns.rawValue, worker: worker)
                    .reserve(self.imagesPerChunk * self.pixels * kw)
                var n = range.lowerBound
                while n < range.upperBound {
                    let images = min(self.imagesPerChunk, range.upperBound - n)
                    let m = images * self.pixels
                    let x = input + n * inSize, out = output + n * outSize
                    switch self.lowering {
                    case .inputColumns:
                        Im2Col.expand(x, images: images, height: self.height, width: self.width,
                                      channels: cin, into: col)
                        sgemm(m: m, n: cout, k: kw, a: col, lda: kw, b: weight, ldb: cout,
                              beta: 0, c: out, ldc: cout)
                    case .outputColumns:
                        sgemm(m: m, n: kw, k: cin, a: x, lda: cin, b: wr.baseAddress!, ldb: kw,
                              beta: 0, c: col, ldc: kw)
                        out.update(repeating: 0, count: m * cout)
                        Im2Col.collapse(col, images: images, height: self.height, width: self.width,
                                        channels: cout, into: out)
                    }
                    self.activation.applyWithBias(out, rows: m, cols: cout, bias: bias)
                    n += images
                }
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
        if lowering == .outputColumns { reorder(weight) }
        let (cin, cout, kw) = (inChannels, outChannels, columnWidth)
        let inSize = pixels * cin, outSize = pixels * cout, wCount = weightGradientCount
        let workers = min(parallelism.threads, max(batch, 1))
        reordered.withUnsafeBufferPointer { wr in
            parallelism.forEachRange(batch) { range, worker in
                let chunkRows = self.imagesPerChunk * self.pixels
                let col = self.scratch.buffer(Slot.columns.rawValue, worker: worker).reserve(chunkRows * kw)
                let gz = self.scratch.buffer(Slot.gradZ.rawValue, worker: worker).reserve(chunkRows * cout)
                let gw = self.scratch.buffer(Slot.gradWeight.rawValue, worker: worker).reserve(wCount)
                let gb = self.scratch.buffer(Slot.gradBias.rawValue, worker: worker).reserve(cout)
                gw.update(repeating: 0, count: wCount)
                gb.update(repeating: 0, count: cout)
                var n = range.lowerBound
                while n < range.upperBound {
                    let images = min(self.imagesPerChunk, range.upperBound - n)
                    let m = images * self.pixels
                    let x = input + n * inSize
                    // dL/dz, z being the pre-activation.
                    self.activation.backwardWithBias(output: output + n * outSize, grad: gradOutput + n * outSize,
                                                     into: gz, rows: m, cols: cout, biasGrad: gb)
                    switch self.lowering {
                    case .inputColumns:
                        Im2Col.expand(x, images: images, height: self.height, width: self.width,
                                      channels: cin, into: col)
                        // dW += col^T * dz
                        sgemm(transA: true, m: kw, n: cout, k: m, a: col, lda: kw, b: gz, ldb: cout,
                              beta: 1, c: gw, ldc: cout)
                        if let gradInput {
                            // dcol = dz * W^T, then scatter back onto the input pixels.
                            let gcol = self.scratch.buffer(Slot.gradColumns.rawValue, worker: worker)
                                .reserve(chunkRows * kw)
                            sgemm(transB: true, m: m, n: kw, k: cout, a: gz, lda: cout, b: weight, ldb: cout,
                                  beta: 0, c: gcol, ldc: kw)
                            let dst = gradInput + n * inSize
                            dst.update(repeating: 0, count: images * inSize)
                            Im2Col.collapse(gcol, images: images, height: self.height, width: self.width,
                                            channels: cin, into: dst)
                        }
                    case .outputColumns:
                        // dY = im2col(dz) (the adjoint of the forward col2im).
                        Im2Col.expand(gz, images: images, height: self.height, width: self.width,
                                      channels: cout, into: col)
                        // dW' += x^T * dY
                        sgemm(transA: true, m: cin, n: kw, k: m, a: x, lda: cin, b: col, ldb: kw,
                              beta: 1, c: gw, ldc: kw)
                        if let gradInput {
                            // dx = dY * W'^T
                            sgemm(transB: true, m: m, n: cin, k: kw, a: col, lda: kw, b: wr.baseAddress!, ldb: kw,
                                  beta: 0, c: gradInput + n * inSize, ldc: cin)
                        }
                    }
                    n += images
                }
            }
        }
        // Reduce the per-worker partial gradients in a fixed order (deterministic).
        for w in 0..<workers {
            let gw = scratch.buffer(Slot.gradWeight.rawValue, worker: w).pointer
            let gb = scratch.buffer(Slot.gradBias.rawValue, worker: w).pointer
            switch lowering {
            case .inputColumns:
                for i in 0..<wCount { gradWeight[i] += gw[i] }
            case .outputColumns:
                for t in 0..<9 { for c in 0..<cin { for o in 0..<cout {
                    gradWeight[((8 - t) * cin + c) * cout + o] += gw[c * kw + t * cout + o]
                } } }
            }
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
        // Every value of dL/d(input) is written by the backward pass (each chunk's
        // collapse zeroes its images first; the other lowering's sgemm has beta 0).
        var gradInput = needInputGradient ? Tensor(uninitializedShape: input.shape) { _ in } : Tensor(zeros: [0])
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
