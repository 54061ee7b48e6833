import AEFormats
/// Cuts fixed-size square crops out of larger 8-bit interleaved images (row-major,
/// `channels` samples per pixel). Outside the image the nearest edge pixel is repeated.
///
/// Resampling uses an antialiased triangle filter (bilinear when enlarging; when
/// shrinking by a factor s the triangle is widened to s pixels, an area-like average,
/// so small digits and large windows both come out without aliasing). It is separable:
/// horizontal pass, then vertical, in float, rounded once at the end (round half up,
/// clamped to 0...255). It is simpler than MATLAB's antialiased bicubic `imresize`
/// (which made the official SVHN crops): results differ from it by a few grey levels,
/// mostly on sharp edges, where bicubic is slightly sharper.
enum CropResampler {
    /// Copies the `size` x `size` window whose top-left pixel is (`x0`, `y0`) (may lie
    /// partly or wholly outside the image) into `out` (size * size * channels bytes).
    static func copyWindow(_ image: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int,
                           x0: Int, y0: Int, size: Int, into out: UnsafeMutablePointer<UInt8>) {
        precondition(image.count >= width * height * channels && width > 0 && height > 0)
        let src = image.baseAddress!
        var o = 0
        for y in 0..<size {
            let sy = min(max(y0 + y, 0), height - 1)
            let row = src + sy * width * channels
            if x0 >= 0 && x0 + size <= width {
                (out + o).update(from: row + x0 * channels, count: size * channels)
                o += size * channels
                continue
            }
            for x in 0..<size {
                let sx = min(max(x0 + x, 0), width - 1)
                for c in 0..<channels { out[o + c] = row[sx * channels + c] }
                o += channels
            }
        }
    }

    /// Filter taps of one axis: output sample j reads source indices
    /// `index[j * stride ..< j * stride + count[j]]` (already clamped into the image)
    /// with `weight`s summing to 1.
    private struct Taps {
        var stride: Int
        var count: [Int]
        var index: [Int]
        var weight: [Float]

        /// Taps mapping the continuous source span [origin, origin + span) onto `outputs`
        /// samples of an axis `length` pixels long.
        init(origin: Double, span: Double, outputs: Int, length: Int) {
            let scale = span / Double(outputs)
            let support = max(1.0, scale)
            stride = Int(2 * support.rounded(.up)) + 2
            count = [Int](repeating: 0, count: outputs)
            index = [Int](repeating: 0, count: outputs * stride)
            weight = [Float](repeating: 0, count: outputs * stride)
            for j in 0..<outputs {
                let centre = origin + (Double(j) + 0.5) * scale - 0.5
                let lo = Int((centre - support).rounded(.down)) + 1
                let hi = max(lo, Int((centre + support).rounded(.up)) - 1)
                var sum: Double = 0
                for i in lo...hi { sum += max(0, 1 - abs(Double(i) - centre) / support) }
                if sum == 0 { sum = 1 }  // cannot happen for support >= 1
                let base = j * stride
                count[j] = hi - lo + 1
                for (t, i) in (lo...hi).enumerated() {
                    index[base + t] = min(max(i, 0), length - 1)
                    weight[base + t] = Float(max(0, 1 - abs(Double(i) - centre) / support) / sum)
                }
            }
        }

        /// The smallest and largest source index used (indices never decrease along the axis).
        var lowest: Int { index[0] }
        var highest: Int { index[(count.count - 1) * stride + count[count.count - 1] - 1] }
    }

    /// Resamples the square window with top-left corner (`x0`, `y0`) and side `side`
    /// (continuous pixel coordinates: pixel i covers [i, i + 1)) to `outSize` x `outSize`
    /// pixels written to `out`. An integer window with `side == outSize` is an exact copy.
    static func resample(_ image: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int,
                         x0: Double, y0: Double, side: Double, outSize: Int,
                         into out: UnsafeMutablePointer<UInt8>) {
        precondition(image.count >= width * height * channels && width > 0 && height > 0 && side > 0)
        let src = image.baseAddress!
        let columns = Taps(origin: x0, span: side, outputs: outSize, length: width)
        let rows = Taps(origin: y0, span: side, outputs: outSize, length: height)

        // Source rows the vertical pass touches: a contiguous band.
        let rowLo = rows.lowest, rowHi = rows.highest
        let bandRows = rowHi - rowLo + 1
        let rowBytes = outSize * channels

        // Horizontal pass over the band: bandRows x outSize x channels floats.
        var band = [Float](repeating: 0, count: bandRows * rowBytes)
        band.withUnsafeMutableBufferPointer { b in
            columns.weight.withUnsafeBufferPointer { w in
                columns.index.withUnsafeBufferPointer { idx in
                    for r in 0..<bandRows {
                        let row = src + (rowLo + r) * width * channels
                        let dst = b.baseAddress! + r * rowBytes
                        for j in 0..<outSize {
                            let base = j * columns.stride, n = columns.count[j]
                            for c in 0..<channels {
                                var acc: Float = 0
                                for t in 0..<n {
                                    acc += w[base + t] * Float(row[idx[base + t] * channels + c])
                                }
                                dst[j * channels + c] = acc
                            }
                        }
                    }
                }
            }
        }

        // Vertical pass from the band into the output bytes.
        band.withUnsafeBufferPointer { b in
            rows.weight.withUnsafeBufferPointer { w in
                rows.index.withUnsafeBufferPointer { idx in
                    for i in 0..<outSize {
                        let base = i * rows.stride, n = rows.count[i]
                        let dst = out + i * rowBytes
                        for k in 0..<rowBytes {
                            var acc: Float = 0
                            for t in 0..<n {
                                acc += w[base + t] * b[(idx[base + t] - rowLo) * rowBytes + k]
                            }
                            dst[k] = UInt8(min(255, max(0, (acc + 0.5).rounded(.down))))
                        }
                    }
                }
            }
        }
    }
}
