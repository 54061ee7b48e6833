/// The shape of the latent a format 2.0 file codes, which the model fixes
/// (Specs/latent-file.md section 12.2), for the families the spec names. AECodec's
/// `EntropyCodec.latentShape` gives the same from the network (a test holds them equal);
/// this one needs no network, for readers such as `aeinfo --latents`.
extension BundleMetadata.Architecture {
    /// The downsampling of the fully-convolutional family (4 stride-2 layers).
    public static let convolutionalStride = 16
    /// The family of the fully-convolutional photo codec.
    public static let convolutionalFamily = "conv-factorized"

    /// [tiles, channels] for the tile family (tiles of `inputShape[0]` pixels, raster
    /// order), [1, ceil(height / 16), ceil(width / 16), channels] for the fully-convolutional
    /// family; nil for a family this reader does not know.
    public func codedLatentShape(width: Int, height: Int, channels: Int) -> [Int]? {
        switch family {
        case Self.referenceFamily:
            guard let tile = inputShape.first, tile > 0 else { return nil }
            return [((width + tile - 1) / tile) * ((height + tile - 1) / tile), channels]
        case Self.convolutionalFamily:
            let s = Self.convolutionalStride
            return [1, (height + s - 1) / s, (width + s - 1) / s, channels]
        default:
            return nil
        }
    }
}
