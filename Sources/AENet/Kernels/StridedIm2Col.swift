/// im2col and its adjoint for any odd kernel, stride and padding over NHWC images
/// (the general counterpart of the 3x3 `Im2Col`).
///
/// The column matrix has one row per small-side pixel p = (n, oy, ox), taken in
/// flat order, and `patchSize` columns ordered (kernel row i, kernel column j,
/// channel c): col[p, (i, j, c)] = large[n, oy*s + i - padTop, ox*s + j - padLeft, c],
/// zero outside the image. For each kernel row the taps inside the image are one
/// contiguous run of the large image's row.
enum StridedIm2Col {
    /// Writes the rows of small pixels `pixels` (flat indices) into `col`.
    static func expand(_ large: UnsafePointer<Float>, _ g: ConvolutionGeometry, pixels: Range<Int>,
                       into col: UnsafeMutablePointer<Float>) {
        let (k, s, c) = (g.kernel, g.stride, g.largeChannels)
        let (h, w, ho, wo) = (g.largeHeight, g.largeWidth, g.smallHeight, g.smallWidth)
        let run = k * c
        var row = col
        for p in pixels {
            let n = p / (ho * wo), oy = p / wo % ho, ox = p % wo
            let x0 = ox * s - g.columns.padBefore
            let jlo = max(0, -x0), jhi = min(k, w - x0)
            for i in 0..<k {
                let iy = oy * s + i - g.rows.padBefore
                let dst = row + i * run
                if iy < 0 || iy >= h || jhi <= jlo {
                    Im2Col.zero(dst, run)
                    continue
                }
                Im2Col.zero(dst, jlo * c)
                Im2Col.copy(dst + jlo * c, large + ((n * h + iy) * w + x0 + jlo) * c, (jhi - jlo) * c)
                Im2Col.zero(dst + jhi * c, (k - jhi) * c)
            }
            row += g.patchSize
        }
    }

    /// Adds the rows of small pixels `pixels` of `col` back onto the large pixels they
    /// were read from (the adjoint of `expand`), but only onto the flat large rows
    /// (n * height + y) in `largeRows`, so that workers owning disjoint row ranges
    /// never write the same value.
    static func collapse(_ col: UnsafePointer<Float>, _ g: ConvolutionGeometry, pixels: Range<Int>,
                         largeRows: Range<Int>, into large: UnsafeMutablePointer<Float>) {
        let (k, s, c) = (g.kernel, g.stride, g.largeChannels)
        let (h, w, ho, wo) = (g.largeHeight, g.largeWidth, g.smallHeight, g.smallWidth)
        let run = k * c
        var row = col
        for p in pixels {
            let n = p / (ho * wo), oy = p / wo % ho, ox = p % wo
            let x0 = ox * s - g.columns.padBefore
            let jlo = max(0, -x0), jhi = min(k, w - x0)
            if jhi > jlo {
                for i in 0..<k {
                    let iy = oy * s + i - g.rows.padBefore
                    guard iy >= 0 && iy < h && largeRows.contains(n * h + iy) else { continue }
                    Im2Col.add(large + ((n * h + iy) * w + x0 + jlo) * c, row + i * run + jlo * c, (jhi - jlo) * c)
                }
            }
            row += g.patchSize
        }
    }

    /// The flat small-side rows (n * smallHeight + oy) whose windows reach the flat
    /// large rows `largeRows`.
    static func smallRows(reaching largeRows: Range<Int>, _ g: ConvolutionGeometry) -> Range<Int> {
        guard !largeRows.isEmpty else { return 0..<0 }
        let (h, ho, k, s, pad) = (g.largeHeight, g.smallHeight, g.kernel, g.stride, g.rows.padBefore)
        // Small row oy reaches large rows oy*s - pad ..< oy*s - pad + k.
        let first = largeRows.lowerBound, last = largeRows.upperBound - 1
        let firstImage = first / h, lastImage = last / h
        let lo = max(0, ceilDiv(first % h + pad - k + 1, s))
        let hi = min(ho - 1, floorDiv(last % h + pad, s))
        return (firstImage * ho + lo)..<max(firstImage * ho + lo, lastImage * ho + hi + 1)
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    private static func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }
}
