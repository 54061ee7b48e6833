/// im2col and its adjoint for 3x3, stride 1, 'same' (zero padding 1) over NHWC images.
///
/// A column matrix has one row per pixel (image, y, x) and 9 * C columns ordered
/// (kernel row i, kernel column j, channel c), matching an HWIO kernel flattened
/// to a [9 * C, filters] matrix: col[(y, x), (i, j, c)] = image[y+i-1, x+j-1, c].
/// For each kernel row the three taps j = 0, 1, 2 read 3 * C contiguous floats,
/// so interior pixels copy one run per kernel row instead of three.
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
                        let dst = row + i * 3 * c
                        if yy < 0 || yy >= h {
                            zero(dst, 3 * c)
                        } else if x > 0 && x < w - 1 {
                            copy(dst, image + (yy * w + x - 1) * c, 3 * c)
                        } else {
                            for j in 0..<3 {
                                let xx = x + j - 1
                                if xx >= 0 && xx < w {
                                    copy(dst + j * c, image + (yy * w + xx) * c, c)
                                } else {
                                    zero(dst + j * c, c)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds every entry of a column matrix back onto the pixel it was copied from
    /// (the adjoint of `expand`). `output` must be zeroed by the caller.
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
                        let src = row + i * 3 * c
                        if x > 0 && x < w - 1 {
                            add(image + (yy * w + x - 1) * c, src, 3 * c)
                        } else {
                            for j in 0..<3 {
                                let xx = x + j - 1
                                if xx >= 0 && xx < w { add(image + (yy * w + xx) * c, src + j * c, c) }
                            }
                        }
                    }
                }
            }
        }
    }

    // Plain loops: the runs are short (3 to 384 floats), where a memcpy call costs
    // more than the copy; the compiler vectorises these.
    @inline(__always)
    static func copy(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n { dst[i] = src[i] }
    }

    @inline(__always)
    static func zero(_ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { dst[i] = 0 }
    }

    @inline(__always)
    static func add(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n { dst[i] += src[i] }
    }
}
