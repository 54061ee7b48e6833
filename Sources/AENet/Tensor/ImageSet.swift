import AEBase

/// A set of same-sized 8-bit images held as bytes (N x H x W x C, row-major),
/// converted to float [0, 1] one batch at a time so 20,000 images cost 61 MB, not 245.
public struct ImageSet: Sendable {
    public let height: Int
    public let width: Int
    public let channels: Int
    public private(set) var pixels: [UInt8]
    /// The class of each image (SVHN: the digit 0...9), when the source has labels. Only
    /// the latent probe and conditional models read them.
    public private(set) var labels: [UInt8]?

    public init(height: Int, width: Int, channels: Int, pixels: [UInt8], labels: [UInt8]? = nil) {
        precondition(height > 0 && width > 0 && channels > 0)
        precondition(pixels.count % (height * width * channels) == 0,
                     "pixel count is not a whole number of images")
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
        self.labels = labels
        precondition(labels.map { $0.count == count } ?? true, "one label per image")
    }

    /// The same images with `labels` (one per image), or none.
    public func withLabels(_ labels: [UInt8]?) -> ImageSet {
        ImageSet(height: height, width: width, channels: channels, pixels: pixels, labels: labels)
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
                 pixels: Array(pixels[(range.lowerBound * imageSize)..<(range.upperBound * imageSize)]),
                 labels: labels.map { Array($0[range]) })
    }

    /// This set followed by `other` (same image shape); labelled when both are.
    public func appending(_ other: ImageSet) -> ImageSet {
        precondition(imageShape == other.imageShape, "image shapes differ")
        let joined = labels.flatMap { mine in other.labels.map { mine + $0 } }
        return ImageSet(height: height, width: width, channels: channels, pixels: pixels + other.pixels, labels: joined)
    }
}
