/// A `Convolution` or `TransposedConvolution` forward pass whose every output value is computed by
/// one fixed sequence of float32 operations, so that it comes out bit for bit the same on every
/// IEEE-754 machine (in the default floating-point environment: round to nearest, subnormals kept),
/// at any thread count. The codec's decoder needs this where a value picks a table (the scale
/// hyperprior's scale indices); BLAS cannot give it (its kernels, blocking and FMA use differ
/// per CPU).
///
/// The order, for output value (y, x, o):
///
///     acc = bias[o]
///     for each tap (i, j) of the value's taps, i ascending, then j ascending:
///         for c in 0 ..< inChannels:
///             acc = acc + in[tap's input pixel, c] * K(i, j, c, o)   (product rounded, then sum rounded: no FMA)
///     out = relu ? max(acc, 0) : acc
///
/// - Convolution: every tap of the k x k kernel; input pixel (y*s + i - padTop, x*s + j - padLeft),
///   K(i, j, c, o) = kernel[i, j, c, o] (HWIO).
/// - Transposed convolution: the taps whose input pixel exists in the stride grid, i = (y + padTop)
///   mod s, + s, + 2s, ... < k (likewise j); input pixel ((y + padTop - i) / s, (x + padLeft - j) / s),
///   K(i, j, c, o) = kernel[i, j, o, c] (Keras's HWOI). The same sum TensorFlow's conv2d_transpose
///   scatters, gathered per output value.
///
/// In both, input pixels outside the image read 0 (their products, +-0, are added like any other).
/// The padding is the layer's ('same' as TensorFlow lays it out, or 'valid').
///
/// Speed comes from doing several values at once without changing any value's sequence: 8 output
/// channels in the lanes of a SIMD8 (each lane its own sum) and 4 output pixels with the same taps
/// side by side. Swift does not contract a * b + c into a fused multiply-add (LLVM fuses only
/// operations marked `contract`, which Swift never emits); `FixedOrderInferenceTests` checks it.
struct FixedOrderConvolution {
    let kernelSize: Int
    let stride: Int
    let padding: Padding
    let transposed: Bool
    let inChannels: Int
    let outChannels: Int
    let relu: Bool
    /// The kernel as [blocks][k * k taps][inChannels] of SIMD8: block b holds output channels
    /// 8b ..< 8b + 8 (zeros beyond `outChannels`), tap t = i * k + j.
    let packed: [SIMD8<Float>]
    /// The bias in blocks of 8 output channels (zeros beyond `outChannels`).
    let bias: [SIMD8<Float>]

    var blocks: Int { (outChannels + 7) / 8 }

    /// `kernel` is [k, k, a, b] with (a, b) = (in, out) for a convolution and (out, in) for a
    /// transposed one.
    init(kernel: Tensor, bias: Tensor, kernelSize k: Int, stride: Int, padding: Padding, transposed: Bool,
         inChannels: Int, outChannels: Int, relu: Bool) {
        precondition(kernel.count == k * k * inChannels * outChannels && bias.count == outChannels,
                     "fixed-order convolution: kernel \(kernel.shape), bias \(bias.shape)")
        (kernelSize, self.stride, self.padding, self.transposed) = (k, stride, padding, transposed)
        (self.inChannels, self.outChannels, self.relu) = (inChannels, outChannels, relu)
        let blocks = (outChannels + 7) / 8
        var packed = [SIMD8<Float>](repeating: .zero, count: blocks * k * k * inChannels)
        var packedBias = [SIMD8<Float>](repeating: .zero, count: blocks)
        for o in 0 ..< outChannels {
            packedBias[o / 8][o % 8] = bias.data[o]
            for t in 0 ..< k * k {
                for c in 0 ..< inChannels {
                    let source = transposed ? (t * outChannels + o) * inChannels + c : (t * inChannels + c) * outChannels + o
                    packed[((o / 8) * k * k + t) * inChannels + c][o % 8] = kernel.data[source]
                }
            }
        }
        self.packed = packed
        self.bias = packedBias
    }

    /// One axis of a call, as the layer lays it out (sizes and padding before).
    private func axis(_ size: Int) -> ConvolutionAxis? {
        transposed ? ConvolutionAxis(transposedInput: size, kernel: kernelSize, stride: stride, padding: padding)
                   : ConvolutionAxis(convolutionInput: size, kernel: kernelSize, stride: stride, padding: padding)
    }

    /// Per-sample output shape, nil when the layer cannot take the input.
    func outputShape(for shape: [Int]) -> [Int]? {
        guard shape.count == 3, shape[2] == inChannels, let rows = axis(shape[0]), let columns = axis(shape[1]) else { return nil }
        return transposed ? [rows.large, columns.large, outChannels] : [rows.small, columns.small, outChannels]
    }

    /// The taps of output index `o` along one axis: (kernel index, input index) in kernel order.
    private func taps(output o: Int, _ axis: ConvolutionAxis) -> [(kernel: Int, input: Int)] {
        if !transposed { return (0 ..< kernelSize).map { ($0, o * stride - axis.padBefore + $0) } }
        let first = (o + axis.padBefore) % stride
        return Swift.stride(from: first, to: kernelSize, by: stride).map { ($0, (o + axis.padBefore - $0) / stride) }
    }

    /// One image [h, w, inChannels] to [H, W, outChannels], rows split over `threads`.
    func forward(_ input: UnsafePointer<Float>, height: Int, width: Int, threads: Int,
                 into output: UnsafeMutablePointer<Float>) {
        guard let rows = axis(height), let columns = axis(width) else {
            preconditionFailure("fixed-order convolution: cannot take \(height) x \(width)")
        }
        let (outHeight, outWidth) = transposed ? (rows.large, columns.large) : (rows.small, columns.small)
        let rowTaps = (0 ..< outHeight).map { taps(output: $0, rows) }
        let columnTaps = (0 ..< outWidth).map { taps(output: $0, columns) }
        // The input with zeros around it, wide enough for every tap.
        func margins(_ taps: [[(kernel: Int, input: Int)]], size: Int) -> (before: Int, after: Int) {
            let inputs = taps.flatMap { $0.map(\.input) }
            return (max(0, -(inputs.min() ?? 0)), max(0, (inputs.max() ?? 0) - (size - 1)))
        }
        let (top, bottom) = margins(rowTaps, size: height), (left, right) = margins(columnTaps, size: width)
        let paddedWidth = left + width + right, cin = inChannels
        var padded = [Float](repeating: 0, count: (top + height + bottom) * paddedWidth * cin)
        padded.withUnsafeMutableBufferPointer { p in
            for y in 0 ..< height {
                (p.baseAddress! + ((y + top) * paddedWidth + left) * cin).update(from: input + y * width * cin, count: width * cin)
            }
        }
        // Output columns in phases with the same kernel columns: all of them for a convolution (input
        // columns `stride` apart), one per stride phase for a transposed one (input columns 1 apart,
        // output columns `stride` apart).
        let phases = transposed ? stride : 1
        let (inputStep, outputStep) = transposed ? (cin, stride * outChannels) : (stride * cin, outChannels)
        padded.withUnsafeBufferPointer { p in
            packed.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    Parallelism(threads: threads).forEachRange(outHeight) { range, _ in
                        var tapInput: [Int] = [], tapWeight: [Int] = []
                        for y in range {
                            for phase in 0 ..< phases {
                                let first = transposed ? ((phase - columns.padBefore) % stride + stride) % stride : 0
                                guard first < outWidth else { continue }
                                let pixels = (outWidth - first + phases - 1) / phases
                                // Taps as offsets of the first pixel's input.
                                tapInput.removeAll(keepingCapacity: true)
                                tapWeight.removeAll(keepingCapacity: true)
                                for (i, row) in rowTaps[y] {
                                    for (j, column) in columnTaps[first] {
                                        tapInput.append(((row + top) * paddedWidth + column + left) * cin)
                                        tapWeight.append(i * kernelSize + j)
                                    }
                                }
                                accumulate(pixels: pixels, input: p.baseAddress!, inputStep: inputStep,
                                           tapInput: tapInput, tapWeight: tapWeight, weights: w.baseAddress!,
                                           bias: b.baseAddress!,
                                           output: output + (y * outWidth + first) * outChannels, outputStep: outputStep)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `pixels` output pixels with the same taps, `inputStep` and `outputStep` floats apart: every
    /// block of 8 output channels, 4 pixels at a time, then one at a time.
    private func accumulate(pixels: Int, input: UnsafePointer<Float>, inputStep: Int, tapInput: [Int], tapWeight: [Int],
                            weights: UnsafePointer<SIMD8<Float>>, bias: UnsafePointer<SIMD8<Float>>,
                            output: UnsafeMutablePointer<Float>, outputStep: Int) {
        let (cin, taps, tapsPerBlock) = (inChannels, tapInput.count, kernelSize * kernelSize)
        tapInput.withUnsafeBufferPointer { ti in
            tapWeight.withUnsafeBufferPointer { tw in
                for block in 0 ..< blocks {
                    let lanes = min(8, outChannels - 8 * block)
                    let blockWeights = weights + block * tapsPerBlock * cin
                    var pixel = 0
                    while pixel + 4 <= pixels {
                        var a0 = bias[block], a1 = a0, a2 = a0, a3 = a0
                        let base = input + pixel * inputStep
                        for t in 0 ..< taps {
                            let x0 = base + ti[t], x1 = x0 + inputStep, x2 = x1 + inputStep, x3 = x2 + inputStep
                            let w = blockWeights + tw[t] * cin
                            for c in 0 ..< cin {
                                let wc = w[c]
                                a0 = a0 + x0[c] * wc
                                a1 = a1 + x1[c] * wc
                                a2 = a2 + x2[c] * wc
                                a3 = a3 + x3[c] * wc
                            }
                        }
                        let out = output + pixel * outputStep + block * 8
                        store(a0, out, lanes)
                        store(a1, out + outputStep, lanes)
                        store(a2, out + 2 * outputStep, lanes)
                        store(a3, out + 3 * outputStep, lanes)
                        pixel += 4
                    }
                    while pixel < pixels {
                        var a0 = bias[block]
                        let base = input + pixel * inputStep
                        for t in 0 ..< taps {
                            let x0 = base + ti[t], w = blockWeights + tw[t] * cin
                            for c in 0 ..< cin { a0 = a0 + x0[c] * w[c] }
                        }
                        store(a0, output + pixel * outputStep + block * 8, lanes)
                        pixel += 1
                    }
                }
            }
        }
    }

    /// The first `lanes` lanes (the real output channels), through the activation. ReLU is
    /// max(v, 0), as the engine's: a comparison, exact.
    @inline(__always)
    private func store(_ v: SIMD8<Float>, _ out: UnsafeMutablePointer<Float>, _ lanes: Int) {
        for lane in 0 ..< lanes { out[lane] = relu ? max(v[lane], 0) : v[lane] }
    }
}
