import AEBase
import AEFormats
import AENet

extension Tensor {
    /// Each image of a batch [N, H, W, C] of network values as an 8-bit `PNGImage`, the
    /// pixels rounded and clamped by `normalization` as the decoders write them.
    public func pngImages(normalization: PixelNormalization = .unitRange) -> [PNGImage] {
        precondition(rank == 4, "images are [N, H, W, C], got \(shape)")
        let size = sampleSize
        return (0 ..< batch).map { k in
            PNGImage(width: shape[2], height: shape[1], channels: shape[3],
                     pixels: data[(k * size) ..< ((k + 1) * size)].map { normalization.pixel($0) })
        }
    }
}
