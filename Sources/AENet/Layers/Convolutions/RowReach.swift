/// Which rows of a layer stack's input its output rows depend on: what a banded run (a
/// tall image through a fully-convolutional network a few rows at a time) must feed
/// each band so that the rows the band keeps equal those of one run over the whole image.
///
/// Only row-local layers qualify: `Convolution` and `TransposedConvolution` with 'same'
/// padding, on heights that are multiples of their stride (then the padding before is
/// (kernel - stride) / 2 whatever the height, so a band whose first row is a multiple of
/// the stack's total stride is laid out like the whole image), and layers that act on
/// each pixel alone (`GDN`, `ActivationLayer`). With kernel k, stride s and padding p:
/// - a convolution's output row o reads input rows o*s - p ..< o*s - p + k;
/// - a transposed convolution's output row y receives the input rows o whose window
///   o*s - p ..< o*s - p + k covers it: ceil((y + p - k + 1) / s) ... floor((y + p) / s).
public enum RowReach {
    /// The input rows that output rows `rows` of `layers` (applied in order) depend on,
    /// not clamped to the image (rows outside it are zeros in a whole run and in a band
    /// alike); nil when a layer is not row-local.
    public static func inputRows(of rows: Range<Int>, through layers: [Layer]) -> Range<Int>? {
        var needed = rows
        for layer in layers.reversed() {
            guard let r = inputRows(of: needed, through: layer) else { return nil }
            needed = r
        }
        return needed
    }

    /// The input rows that output rows `rows` of one layer depend on.
    static func inputRows(of rows: Range<Int>, through layer: Layer) -> Range<Int>? {
        guard !rows.isEmpty else { return rows }
        switch layer {
        case is GDN, is ActivationLayer:
            return rows
        case let c as Convolution where c.padding == .same:
            let p = padBefore(kernel: c.kernelSize, stride: c.stride)
            return (rows.lowerBound * c.stride - p)..<((rows.upperBound - 1) * c.stride - p + c.kernelSize)
        case let t as TransposedConvolution where t.padding == .same:
            let (k, s) = (t.kernelSize, t.stride)
            let p = padBefore(kernel: k, stride: s)
            return ceilDiv(rows.lowerBound + p - k + 1, s)..<(floorDiv(rows.upperBound - 1 + p, s) + 1)
        default:
            return nil
        }
    }

    /// 'same' padding before the first row on a height that is a multiple of the stride
    /// (as `ConvolutionAxis` lays it out).
    static func padBefore(kernel: Int, stride: Int) -> Int { max(kernel - stride, 0) / 2 }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    private static func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }
}
