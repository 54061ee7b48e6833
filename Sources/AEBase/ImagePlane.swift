/// One channel of an image as the quality metrics (`SSIM`, `MSSSIM`) see it: `width` x
/// `height` samples, row by row, on the scale of the metric's `dataRange` (0...255 for
/// 8-bit pixels).
public struct ImagePlane: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var samples: [Double]

    public init(width: Int, height: Int, samples: [Double]) {
        precondition(width > 0 && height > 0 && samples.count == width * height, "plane size does not match its samples")
        self.width = width
        self.height = height
        self.samples = samples
    }

    /// The colour planes of interleaved 8-bit pixels with `channels` samples per pixel
    /// (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA), values 0...255: R, G and B, or the gray
    /// plane alone (repeated three times with `grayAsRGB`, to compare it with a colour
    /// image). Alpha is left out: the metrics compare colour only.
    public static func colourPlanes(pixels: [UInt8], width: Int, height: Int, channels: Int,
                                    grayAsRGB: Bool = false) -> [ImagePlane] {
        precondition((1...4).contains(channels) && pixels.count == width * height * channels, "pixels do not match the size")
        let colours = channels <= 2 ? 1 : 3
        let planes = (0..<colours).map { c in
            ImagePlane(width: width, height: height, samples: (0..<(width * height)).map {
                Double(pixels[$0 * channels + c])
            })
        }
        return colours == 1 && grayAsRGB ? Array(repeating: planes[0], count: 3) : planes
    }
}
