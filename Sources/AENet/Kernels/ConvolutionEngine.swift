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
/// grows when a call needs more. With `Parallelism.rowAligned` every sgemm covers a
/// piece of one row, cut the same way whatever the rows around it, so each output row
/// comes out the same bit for bit in a band of an image as in the whole image and at
/// any thread count (sgemm's rounding may depend on its matrix sizes).
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
        parallelism.forEachChunk(rows: g.batch * g.smallHeight, width: g.smallWidth, chunk: chunk) { pixels, worker in
            let col = g.isPointwise ? nil : self.scratch.buffer(Slot.columns.rawValue, worker: worker).reserve(chunk * kk)
            let a = self.columns(large, g, pixels: pixels, into: col)
            let out = small + pixels.lowerBound * cs
            sgemm(m: pixels.count, n: cs, k: kk, a: a, lda: kk, b: weight, ldb: cs, beta: 0, c: out, ldc: cs)
            if let bias {
                activation.applyWithBias(out, rows: pixels.count, cols: cs, bias: bias)
            } else {
                activation.apply(out, count: pixels.count * cs)
            }
        }
    }

    /// large = activation(col2im(small * weight^T) + bias); `bias` nil adds nothing.
    func scatter(_ small: UnsafePointer<Float>, _ g: ConvolutionGeometry, weight: UnsafePointer<Float>,
                 bias: UnsafePointer<Float>?, activation: Activation, into large: UnsafeMutablePointer<Float>) {
        let (kk, cs, cl, w, wo) = (g.patchSize, g.smallChannels, g.largeChannels, g.largeWidth, g.smallWidth)
        // Whole small rows per sgemm, or (row-aligned) one row in the same pieces always.
        let rowsPerChunk = parallelism.rowAligned ? 1 : max(1, chunkPixels(g) / wo)
        let pieces = parallelism.rowAligned ? Parallelism.pieces(width: wo, chunk: chunkPixels(g)) : 1
        parallelism.forEachRange(g.batch * g.largeHeight) { rows, worker in
            let out = large + rows.lowerBound * w * cl
            let pixels = rows.count * w
            if g.isPointwise {
                // The large image is the product itself: one sgemm, or (row-aligned) one per row.
                for r in (self.parallelism.rowAligned ? Array(rows) : [rows.lowerBound]) {
                    let m = self.parallelism.rowAligned ? w : pixels
                    sgemm(transB: true, m: m, n: cl, k: cs, a: small + r * w * cs, lda: cs,
                          b: weight, ldb: cs, beta: 0, c: large + r * w * cl, ldc: cl)
                }
            } else {
                out.update(repeating: 0, count: pixels * cl)
                let col = self.scratch.buffer(Slot.columns.rawValue, worker: worker)
                    .reserve(rowsPerChunk * ((wo + pieces - 1) / pieces) * kk)
                let needed = StridedIm2Col.smallRows(reaching: rows, g)
                var u = needed.lowerBound
                while u < needed.upperBound {
                    let v = min(u + rowsPerChunk, needed.upperBound)
                    for i in 0..<pieces {
                        // Small pixels in flat order, so each large value adds its terms in one order.
                        let p = pieces == 1 ? (u * wo)..<(v * wo) : Parallelism.piece(i, of: pieces, row: u, width: wo)
                        sgemm(transB: true, m: p.count, n: kk, k: cs, a: small + p.lowerBound * cs, lda: cs,
                              b: weight, ldb: cs, beta: 0, c: col, ldc: kk)
                        StridedIm2Col.collapse(col, g, pixels: p, largeRows: rows, into: large)
                    }
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
