/// im2col and col2im for 3x3, stride 1, 'same' (zero padding 1) over NHWC images.
///
/// A column matrix has one row per output pixel (image, y, x) and 9 * C
/// columns ordered (kernel row i, kernel column j, channel c), matching an HWIO
/// kernel flattened to a [9 * C, filters] matrix.
enum Im2Col {
    /// Writes the column matrix of `images` consecutive images starting at `input`.
    static func expand(_ input: UnsafePointer<Float>, images: Int, height h: Int, width w: Int,
                       channels c: Int, into col: UnsafeMutablePointer<Float>) {
        let k = 9 * c
        for n in 0..<images {
            let image = input + n * h * w * c
            for y in 0..<h {
                for x in 0..<w {
                    let row = col + ((n * h + y) * w + x) * k
                    for i in 0..<3 {
                        let yy = y + i - 1
                        for j in 0..<3 {
                            let xx = x + j - 1
                            let dst = row + (i * 3 + j) * c
                            if yy >= 0 && yy < h && xx >= 0 && xx < w {
                                dst.update(from: image + (yy * w + xx) * c, count: c)
                            } else {
                                dst.update(repeating: 0, count: c)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds every entry of a column matrix back onto the pixel it was copied
    /// from (the adjoint of `expand`). `output` must be zeroed by the caller.
    static func collapse(_ col: UnsafePointer<Float>, images: Int, height h: Int, width w: Int,
                         channels c: Int, into output: UnsafeMutablePointer<Float>) {
        let k = 9 * c
        for n in 0..<images {
            let image = output + n * h * w * c
            for y in 0..<h {
                for x in 0..<w {
                    let row = col + ((n * h + y) * w + x) * k
                    for i in 0..<3 {
                        let yy = y + i - 1
                        guard yy >= 0 && yy < h else { continue }
                        for j in 0..<3 {
                            let xx = x + j - 1
                            guard xx >= 0 && xx < w else { continue }
                            let src = row + (i * 3 + j) * c
                            let dst = image + (yy * w + xx) * c
                            for ch in 0..<c { dst[ch] += src[ch] }
                        }
                    }
                }
            }
        }
    }
}
