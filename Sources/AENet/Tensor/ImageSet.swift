import AEBase

/// A set of same-sized 8-bit images held as bytes (N x H x W x C, row-major),
/// converted to float [0, 1] one batch at a time so 20,000 images cost 61 MB, not 245.
public struct ImageSet: Sendable {
    public let height: Int
    public let width: Int
    public let channels: Int
    public private(set) var pixels: [UInt8]

    public init(height: Int, width: Int, channels: Int, pixels: [UInt8]) {
        precondition(height > 0 && width > 0 && channels > 0)
        precondition(pixels.count % (height * width * channels) == 0,
                     "pixel count is not a whole number of images")
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
    }

    public var imageSize: Int { height * width * channels }
    public var count: Int { pixels.count / imageSize }
    public var imageShape: [Int] { [height, width, channels] }

    /// The images at `indices` as network inputs (by default in [0, 1]), shape
    /// [indices.count, H, W, C].
    public func batch<C: Collection>(_ indices: C, normalization: PixelNormalization = .unitRange) -> Tensor
        where C.Element == Int {
        let size = imageSize
        let table = normalization.table
        return Tensor(uninitializedShape: [indices.count, height, width, channels]) { out in
            pixels.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { lut in
                    var o = 0
                    for i in indices {
                        let s = src.baseAddress! + i * size
                        for j in 0..<size { out[o + j] = lut[Int(s[j])] }
                        o += size
                    }
                }
            }
        }
    }

    /// Images `range`, as a new set.
    public func subset(_ range: Range<Int>) -> ImageSet {
        ImageSet(height: height, width: width, channels: channels,
                 pixels: Array(pixels[(range.lowerBound * imageSize)..<(range.upperBound * imageSize)]))
    }

    /// This set followed by `other` (same image shape).
    public func appending(_ other: ImageSet) -> ImageSet {
        precondition(imageShape == other.imageShape, "image shapes differ")
        return ImageSet(height: height, width: width, channels: channels, pixels: pixels + other.pixels)
    }
}
