import AEBase
import AEFormats
/// Cuts an image of any size into the square tiles a fixed-size network takes, and
/// puts decoded tiles back together.
///
/// Tiles are `tileSize` x `tileSize`, in row-major order (left to right, then top to
/// bottom), the first at the image's top-left corner. The image is padded on the right
/// and at the bottom to whole tiles by **edge replication**: a pixel outside the image
/// takes the value of the nearest pixel inside it (coordinates clamped). Replication
/// keeps the padded area close to the image content, so the network reconstructs the
/// visible part of an edge tile better than with black or grey padding, and the
/// padding is simply cropped away on decoding.
///
/// Network tiles hold RGB: gray images (1 or 2 channels) feed R = G = B and come back
/// as the mean of the three reconstructed channels; alpha is never fed to the network
/// (the codec keeps it losslessly beside the latents).
public struct ImageTiling: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let tileSize: Int

    public init(width: Int, height: Int, tileSize: Int = 32) {
        precondition(width > 0 && height > 0 && tileSize > 0, "tiling needs a positive size")
        self.width = width
        self.height = height
        self.tileSize = tileSize
    }

    /// Tiles per row and per column, and in all.
    public var across: Int { (width + tileSize - 1) / tileSize }
    public var down: Int { (height + tileSize - 1) / tileSize }
    public var count: Int { across * down }

    /// Floats per network tile (tileSize x tileSize x 3).
    public var valuesPerTile: Int { tileSize * tileSize * 3 }

    /// Writes tiles `range` of `image` (8-bit, 1...4 channels) as network input:
    /// `range.count` tiles of [tileSize, tileSize, 3] floats, one after the other, into
    /// `output` (which must hold `range.count * valuesPerTile` values).
    public func extract(_ range: Range<Int>, from image: PNGImage, normalization: PixelNormalization = .unitRange,
                        into output: UnsafeMutableBufferPointer<Float>) {
        precondition(image.width == width && image.height == height && image.bitDepth == 8, "image does not match the tiling")
        precondition(range.lowerBound >= 0 && range.upperBound <= count && output.count >= range.count * valuesPerTile)
        let table = normalization.table
        let channels = image.channels
        let gray = channels <= 2
        let t = tileSize
        image.pixels.withUnsafeBufferPointer { src in
            table.withUnsafeBufferPointer { lut in
                var o = 0
                for tile in range {
                    let x0 = (tile % across) * t, y0 = (tile / across) * t
                    for dy in 0..<t {
                        let row = min(y0 + dy, height - 1) * width
                        for dx in 0..<t {
                            let p = (row + min(x0 + dx, width - 1)) * channels
                            if gray {
                                let v = lut[Int(src[p])]
                                output[o] = v; output[o + 1] = v; output[o + 2] = v
                            } else {
                                output[o] = lut[Int(src[p])]
                                output[o + 1] = lut[Int(src[p + 1])]
                                output[o + 2] = lut[Int(src[p + 2])]
                            }
                            o += 3
                        }
                    }
                }
            }
        }
    }

    /// Writes the visible part of decoded tiles `range` (`range.count` tiles of
    /// [tileSize, tileSize, 3] network outputs in `tiles`) into the colour channels of
    /// `image`, cropping the padding. Gray images (1 or 2 channels) get the mean of
    /// R, G and B; an alpha channel is left as it is.
    public func place(_ range: Range<Int>, from tiles: UnsafeBufferPointer<Float>,
                      normalization: PixelNormalization = .unitRange, into image: inout PNGImage) {
        precondition(image.width == width && image.height == height && image.bitDepth == 8, "image does not match the tiling")
        let channels = image.channels
        image.pixels.withUnsafeMutableBufferPointer { dst in
            place(range, from: tiles, normalization: normalization, into: dst, channels: channels)
        }
    }

    /// As above, into the 8-bit samples of a `width` x `height` image with `channels`
    /// channels. Different tiles write disjoint pixels, so threads may place different
    /// tiles of one image at the same time.
    public func place(_ range: Range<Int>, from tiles: UnsafeBufferPointer<Float>,
                      normalization: PixelNormalization = .unitRange,
                      into dst: UnsafeMutableBufferPointer<UInt8>, channels: Int) {
        precondition(dst.count == width * height * channels, "pixel buffer does not match the tiling")
        precondition(range.lowerBound >= 0 && range.upperBound <= count && tiles.count >= range.count * valuesPerTile)
        let gray = channels <= 2
        let t = tileSize
        for (k, tile) in range.enumerated() {
            let x0 = (tile % across) * t, y0 = (tile / across) * t
            let w = min(t, width - x0), h = min(t, height - y0)
            let base = k * valuesPerTile
            for dy in 0..<h {
                var i = base + dy * t * 3
                var p = ((y0 + dy) * width + x0) * channels
                for _ in 0..<w {
                    if gray {
                        dst[p] = normalization.pixel((tiles[i] + tiles[i + 1] + tiles[i + 2]) / 3)
                    } else {
                        dst[p] = normalization.pixel(tiles[i])
                        dst[p + 1] = normalization.pixel(tiles[i + 1])
                        dst[p + 2] = normalization.pixel(tiles[i + 2])
                    }
                    i += 3
                    p += channels
                }
            }
        }
    }
}
