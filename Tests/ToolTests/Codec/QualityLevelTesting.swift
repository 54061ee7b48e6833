import AECodec
import AEFormats
import AENet
import Foundation

/// Tiny quality levels for the tests, built in set-up (a few milliseconds each, exactly
/// the same every time): a `conv-factorized` model with N = M = 3 whose weights are set by
/// hand, not trained. Its analysis transform averages each 16x16 block (every stride-2
/// convolution takes the mean of a 2x2 block per channel; GDN is the identity with
/// gamma = 0), its latent is that mean colour times a scale s, and its synthesis spreads
/// each latent back over its block (nearest-neighbour upsampling, divided by s). Rounding
/// the latent to integers then rounds each block's colour to steps of 1/s: on a picture of
/// flat 16x16 blocks (`picture`), a larger s gives larger files and a higher PSNR, as a
/// higher lambda would. The prior's density is stretched by s too (its first layer's
/// weights softplus(m) divided by s), and its quantiles and entropy tables solved again.
enum QualityLevelTesting {
    /// Level k's scale: steps of 1/8, 1/32 and 1/128 of the pixel range.
    static let scales: [Float] = [8, 32, 128]

    /// The block-mean model with latent scale `scale`, recorded as level `level` of `set`.
    static func level(scale: Float, set: String, level: Int) throws -> ModelBundle {
        let model = ConvolutionalCodecModel.build(channels: 3, latentChannels: 3, seed: 1)
        for p in model.parameters + model.auxiliaryParameters {
            let name = p.name
            if name.hasSuffix("/gamma") { p.value = Tensor(zeros: p.value.shape) }
            if name.hasSuffix("/bias") && !name.hasPrefix("prior/") { p.value = Tensor(zeros: p.value.shape) }
            guard name.hasSuffix("/kernel") else { continue }
            // [5, 5, 3, 3]: taps at rows and columns 1 and 2 (the 2x2 block a stride-2 'same'
            // convolution's output pixel sits on), channel to the same channel.
            let weight: Float = name.hasPrefix("analysis") ? (name == "analysis_conv3/kernel" ? 0.25 * scale : 0.25)
                : (name == "synthesis_conv0/kernel" ? 1 / scale : 1)
            var k = Tensor(zeros: p.value.shape)
            for r in 1...2 {
                for c in 1...2 {
                    for i in 0..<3 { k.data[((r * 5 + c) * 3 + i) * 3 + i] = weight }
                }
            }
            p.value = k
        }
        let prior = model.prior!
        // softplus(m') = softplus(m) / scale: the density's cumulative F'(v) = F(v / scale).
        let m0 = prior.matrices[0]
        m0.value = Tensor(shape: m0.value.shape, data: m0.value.data.map { m in
            let softplus = Double(m) > 30 ? Double(m) : log1p(exp(Double(m)))
            return Float(log(expm1(softplus / Double(scale))))
        })
        prior.setQuantilesByBisection()
        var metadata = BundleMetadata(describing: model)
        metadata.architecture.family = ModelFamily.convolutional.name
        metadata.createdAt = "2026-01-01T00:00:00Z"
        metadata.quality = BundleMetadata.QualityInfo(set: set, level: level)
        return ModelBundle(model: model, metadata: metadata).withEntropyTables(try EntropyTables(prior: prior))
    }

    /// Writes the levels of `set` to `folder` as `<set>-<level>.aemodel` and returns their paths.
    @discardableResult
    static func writeLevels(to folder: String, set: String = "tiny", scales: [Float] = scales) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try scales.enumerated().map { i, scale in
            let path = folder + "/\(set)-\(i + 1).aemodel"
            try level(scale: scale, set: set, level: i + 1).write(to: path)
            return path
        }
    }

    /// A w x h RGB picture of flat 16x16 blocks of varied colours (what the block-mean
    /// model codes exactly, but for the rounding of its latent).
    static func picture(width w: Int = 128, height h: Int = 96) -> PNGImage {
        var pixels: [UInt8] = []
        for y in 0..<h {
            for x in 0..<w {
                let block = (y / 16) * 31 + (x / 16) * 7
                pixels += [UInt8((block * 53) % 256), UInt8((block * 97 + 40) % 256), UInt8((block * 29 + 90) % 256)]
            }
        }
        return PNGImage(width: w, height: h, channels: 3, pixels: pixels)
    }
}
