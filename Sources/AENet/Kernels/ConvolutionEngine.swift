/// The general convolution engine: any odd kernel, stride and padding, any batch
/// and image size per call, lowered to single-threaded sgemm calls on chunks of
/// pixels (the 3x3 stride-1 `Convolution3x3` is the reference model's fast path).
///
/// Everything is written in terms of a `ConvolutionGeometry`'s large and small sides
/// and one weight matrix W of [patchSize, smallChannels]:
/// - `gather`:  small = im2col(large) * W  (a convolution's forward pass; a
///   transposed convolution's input gradient),
/// - `scatter`: large = col2im(small * W^T)  (a transposed convolution's forward
///   pass; a convolution's input gradient),
/// - `weightGradient`: dW += im2col(large)^T * small (both layers' kernel gradient).
///
/// Work is split over the workers by flat pixel ranges (so one large image keeps
/// both cores busy as well as a batch does); `scatter` splits by large-side rows and
/// each worker adds only onto the rows it owns, recomputing the few small rows its
/// neighbour also needs, so no two workers ever write the same value. Partial
/// gradients are reduced in a fixed worker order. Scratch is kept per worker and only
/// grows when a call needs more.
final class ConvolutionEngine {
    let parallelism: Parallelism
    private let scratch: WorkerScratch
    private enum Slot: Int { case columns = 0, weightGradient, biasGradient }

    init(parallelism: Parallelism) {
        self.parallelism = parallelism
        scratch = WorkerScratch(workers: parallelism.threads, buffersPerWorker: 3)
    }

    /// Floats of scratch held (it grows only when a call needs more).
    var scratchCapacity: Int { scratch.capacity }

    /// Small pixels per GEMM: about 4 MB of column matrix, 64 to 4,096 rows.
    private func chunkPixels(_ g: ConvolutionGeometry) -> Int {
        max(64, min(4096, (1 << 20) / g.patchSize))
    }

    /// small = activation(im2col(large) * weight + bias); `bias` nil adds nothing.
    func gather(_ large: UnsafePointer<Float>, _ g: ConvolutionGeometry, weight: UnsafePointer<Float>,
                bias: UnsafePointer<Float>?, activation: Activation, into small: UnsafeMutablePointer<Float>) {
        let (kk, cs, chunk) = (g.patchSize, g.smallChannels, chunkPixels(g))
        parallelism.forEachRange(g.smallPixels) { range, worker in
            let col = g.isPointwise ? nil : self.scratch.buffer(Slot.columns.rawValue, worker: worker).reserve(chunk * kk)
            var p = range.lowerBound
            while p < range.upperBound {
                let q = min(p + chunk, range.upperBound)
                let a = self.columns(large, g, pixels: p..<q, into: col)
                let out = small + p * cs
                sgemm(m: q - p, n: cs, k: kk, a: a, lda: kk, b: weight, ldb: cs, beta: 0, c: out, ldc: cs)
                if let bias {
                    activation.applyWithBias(out, rows: q - p, cols: cs, bias: bias)
                } else {
                    activation.apply(out, count: (q - p) * cs)
                }
                p = q
            }
        }
    }

    /// large = activation(col2im(small * weight^T) + bias); `bias` nil adds nothing.
    func scatter(_ small: UnsafePointer<Float>, _ g: ConvolutionGeometry, weight: UnsafePointer<Float>,
                 bias: UnsafePointer<Float>?, activation: Activation, into large: UnsafeMutablePointer<Float>) {
        let (kk, cs, cl, w, wo) = (g.patchSize, g.smallChannels, g.largeChannels, g.largeWidth, g.smallWidth)
        let rowsPerChunk = max(1, chunkPixels(g) / wo)
        parallelism.forEachRange(g.batch * g.largeHeight) { rows, worker in
            let out = large + rows.lowerBound * w * cl
            let pixels = rows.count * w
            if g.isPointwise {
                sgemm(transB: true, m: pixels, n: cl, k: cs, a: small + rows.lowerBound * w * cs, lda: cs,
                      b: weight, ldb: cs, beta: 0, c: out, ldc: cl)
            } else {
                out.update(repeating: 0, count: pixels * cl)
                let col = self.scratch.buffer(Slot.columns.rawValue, worker: worker).reserve(rowsPerChunk * wo * kk)
                let needed = StridedIm2Col.smallRows(reaching: rows, g)
                var u = needed.lowerBound
                while u < needed.upperBound {
                    let v = min(u + rowsPerChunk, needed.upperBound)
                    sgemm(transB: true, m: (v - u) * wo, n: kk, k: cs, a: small + u * wo * cs, lda: cs,
                          b: weight, ldb: cs, beta: 0, c: col, ldc: kk)
                    StridedIm2Col.collapse(col, g, pixels: (u * wo)..<(v * wo), largeRows: rows, into: large)
                    u = v
                }
            }
            if let bias {
                activation.applyWithBias(out, rows: pixels, cols: cl, bias: bias)
            } else {
                activation.apply(out, count: pixels * cl)
            }
        }
    }

    /// gradWeight += im2col(large)^T * small; with `product`, also
    /// product = im2col(large) * weight (a transposed convolution's input gradient,
    /// sharing the column matrix).
    func weightGradient(_ large: UnsafePointer<Float>, _ g: ConvolutionGeometry, small: UnsafePointer<Float>,
                        into gradWeight: UnsafeMutablePointer<Float>,
                        weight: UnsafePointer<Float>? = nil, product: UnsafeMutablePointer<Float>? = nil) {
        let (kk, cs, chunk) = (g.patchSize, g.smallChannels, chunkPixels(g))
        let count = kk * cs
        parallelism.forEachRange(g.smallPixels) { range, worker in
            let col = g.isPointwise ? nil : self.scratch.buffer(Slot.columns.rawValue, worker: worker).reserve(chunk * kk)
            let gw = self.scratch.buffer(Slot.weightGradient.rawValue, worker: worker).reserve(count)
            gw.update(repeating: 0, count: count)
            var p = range.lowerBound
            while p < range.upperBound {
                let q = min(p + chunk, range.upperBound)
                let a = self.columns(large, g, pixels: p..<q, into: col)
                sgemm(transA: true, m: kk, n: cs, k: q - p, a: a, lda: kk, b: small + p * cs, ldb: cs,
                      beta: 1, c: gw, ldc: cs)
                if let product, let weight {
                    sgemm(m: q - p, n: cs, k: kk, a: a, lda: kk, b: weight, ldb: cs, beta: 0,
                          c: product + p * cs, ldc: cs)
                }
                p = q
            }
        }
        for worker in 0..<min(parallelism.threads, g.smallPixels) {
            let gw = scratch.buffer(Slot.weightGradient.rawValue, worker: worker).pointer
            for i in 0..<count { gradWeight[i] += gw[i] }
        }
    }

    /// gz = dL/d(pre-activation) of `rows` x `cols` values from the saved output and
    /// dL/d(output); gradBias[c] += the column sums of gz.
    func biasActivationBackward(output: UnsafePointer<Float>, grad: UnsafePointer<Float>,
                                into gz: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                activation: Activation, gradBias: UnsafeMutablePointer<Float>) {
        parallelism.forEachRange(rows) { range, worker in
            let gb = self.scratch.buffer(Slot.biasGradient.rawValue, worker: worker).reserve(cols)
            gb.update(repeating: 0, count: cols)
            let offset = range.lowerBound * cols
            activation.backwardWithBias(output: output + offset, grad: grad + offset, into: gz + offset,
                                        rows: range.count, cols: cols, biasGrad: gb)
        }
        for worker in 0..<min(parallelism.threads, rows) {
            let gb = scratch.buffer(Slot.biasGradient.rawValue, worker: worker).pointer
            for c in 0..<cols { gradBias[c] += gb[c] }
        }
    }

    /// The column matrix of `pixels`: the large image itself for a pointwise geometry.
    private func columns(_ large: UnsafePointer<Float>, _ g: ConvolutionGeometry, pixels: Range<Int>,
                         into col: UnsafeMutablePointer<Float>?) -> UnsafePointer<Float> {
        guard let col else { return large + pixels.lowerBound * g.largeChannels }
        StridedIm2Col.expand(large, g, pixels: pixels, into: col)
        return UnsafePointer(col)
    }
}
