import AEBase
import AEFormats
import AENet

/// A whole image padded to a multiple of `multiple` on each side, as a fully-convolutional
/// model takes it: the padding on the right and at the bottom replicates the edge pixels
/// (coordinates clamped, as `ImageTiling` pads its tiles), and is cropped again on decoding.
/// Gray images feed R = G = B and come back as the mean of the three channels; alpha is
/// never fed to the network.
public struct PaddedImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let paddedWidth: Int
    public let paddedHeight: Int

    public init(width: Int, height: Int, multiple: Int) {
        precondition(width > 0 && height > 0 && multiple > 0, "padding needs a positive size")
        self.width = width
        self.height = height
        paddedWidth = (width + multiple - 1) / multiple * multiple
        paddedHeight = (height + multiple - 1) / multiple * multiple
    }

    /// The network input [1, rows.count, paddedWidth, 3] of the padded image's rows `rows`
    /// (all of them by default; a band of them for a banded run) of `image` (8-bit, 1...4
    /// channels).
    public func input(_ image: PNGImage, normalization: PixelNormalization, rows: Range<Int>? = nil) -> Tensor {
        precondition(image.width == width && image.height == height && image.bitDepth == 8, "image does not match")
        let rows = rows ?? 0..<paddedHeight
        precondition(rows.lowerBound >= 0 && rows.upperBound <= paddedHeight, "rows \(rows) outside the padded image")
        let table = normalization.table
        let channels = image.channels
        let gray = channels <= 2
        return Tensor(uninitializedShape: [1, rows.count, paddedWidth, 3]) { out in
            image.pixels.withUnsafeBufferPointer { src in
                var o = 0
                for y in rows {
                    let row = min(y, height - 1) * width
                    for x in 0..<paddedWidth {
                        let p = (row + min(x, width - 1)) * channels
                        if gray {
                            let v = table[Int(src[p])]
                            out[o] = v; out[o + 1] = v; out[o + 2] = v
                        } else {
                            out[o] = table[Int(src[p])]
                            out[o + 1] = table[Int(src[p + 1])]
                            out[o + 2] = table[Int(src[p + 2])]
                        }
                        o += 3
                    }
                }
            }
        }
    }

    /// Writes the image rows `rows` (all of them by default) of the network output into
    /// the colour channels of `dst` (`width * height * channels` samples), rounding and
    /// clamping as `ImageTiling.place` does; an alpha channel is left as it is. `output`
    /// is [1, n, paddedWidth, 3] and holds the padded rows `firstRow ..< firstRow + n`
    /// (the whole padded image by default; a band of it for a banded run), which must
    /// include `rows`.
    public func place(_ output: Tensor, firstRow: Int = 0, rows: Range<Int>? = nil,
                      normalization: PixelNormalization,
                      into dst: UnsafeMutableBufferPointer<UInt8>, channels: Int) {
        precondition(output.shape.count == 4 && output.shape[0] == 1 && output.shape[2] == paddedWidth
                     && output.shape[3] == 3, "output \(output.shape) does not match")
        let visible = firstRow..<min(height, firstRow + output.shape[1])
        let rows = rows ?? visible
        precondition(rows.isEmpty || (visible.contains(rows.lowerBound) && rows.upperBound <= visible.upperBound),
                     "rows \(rows) are not among the output's visible rows \(visible)")
        precondition(dst.count == width * height * channels, "pixel buffer does not match")
        let gray = channels <= 2
        output.data.withUnsafeBufferPointer { v in
            for y in rows {
                var i = (y - firstRow) * paddedWidth * 3
                var p = y * width * channels
                for _ in 0..<width {
                    if gray {
                        dst[p] = normalization.pixel((v[i] + v[i + 1] + v[i + 2]) / 3)
                    } else {
                        dst[p] = normalization.pixel(v[i])
                        dst[p + 1] = normalization.pixel(v[i + 1])
                        dst[p + 2] = normalization.pixel(v[i + 2])
                    }
                    i += 3
                    p += channels
                }
            }
        }
    }
}
