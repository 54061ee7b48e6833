import AEFormats
import AENet

extension ImageSet {
    /// Image `i` as a `PNGImage` (8-bit, the set's channels), e.g. to feed the codec or draw it.
    public func pngImage(at i: Int) -> PNGImage {
        PNGImage(width: width, height: height, channels: channels,
                 pixels: Array(pixels[(i * imageSize)..<((i + 1) * imageSize)]))
    }
}
