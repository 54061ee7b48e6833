/// The fully-convolutional photo codec of Balle et al. 2018 ("factorized prior";
/// CompressAI's `bmshj2018-factorized`):
///
///     analysis:  4 x [Conv2D 5x5 stride 2] with GDN between (none after the last);
///                N channels inside, M in the latent
///     synthesis: the mirror: 4 x [Conv2DTranspose 5x5 stride 2] with inverse GDN between,
///                3 channels out
///     prior:     a factorized prior over the M latent channels
///
/// Any image whose height and width are multiples of 16 goes through unchanged in size
/// (the codec pads to that by replicating edges). The synthesis output is not squashed
/// to [0, 1] (as in CompressAI): the codec clamps when it writes pixels.
public enum ConvolutionalCodecModel {
    /// Height and width must be multiples of this (four stride-2 steps).
    public static let stride = 16

    public static func build(channels n: Int, latentChannels m: Int, seed: UInt64 = 0,
                             threads: Int = 1) -> Autoencoder {
        build(channels: n, latentChannels: m, seed: seed, parallelism: Parallelism(threads: threads))
    }

    /// The model with its work split as `par` says (the codec splits at image rows).
    public static func build(channels n: Int, latentChannels m: Int, seed: UInt64 = 0,
                             parallelism par: Parallelism) -> Autoencoder {
        var rng = RandomGenerator(seed: seed)
        let (analysis, synthesis) = transforms(channels: n, latentChannels: m, rng: &rng, parallelism: par)
        let prior = FactorizedPrior(channels: m, rng: &rng, parallelism: par)
        return Autoencoder(encoder: analysis, decoder: synthesis, prior: prior)
    }

    /// The analysis and synthesis transforms (no entropy model), drawing their initial
    /// weights from `rng` (the hyperprior family shares them).
    static func transforms(channels n: Int, latentChannels m: Int, rng: inout RandomGenerator,
                           parallelism par: Parallelism) -> (analysis: Sequential, synthesis: Sequential) {
        precondition(n > 0 && m > 0, "channel counts must be positive")
        let widths = [3, n, n, n, m]
        var analysis: [Layer] = []
        for i in 0 ..< 4 {
            analysis.append(Convolution(name: "analysis_conv\(i)", inputChannels: widths[i], filters: widths[i + 1],
                                        kernelSize: 5, stride: 2, rng: &rng, parallelism: par))
            if i < 3 { analysis.append(GDN(name: "analysis_gdn\(i)", channels: widths[i + 1], parallelism: par)) }
        }
        let back = Array(widths.reversed())  // m, n, n, n, 3
        var synthesis: [Layer] = []
        for i in 0 ..< 4 {
            synthesis.append(TransposedConvolution(name: "synthesis_conv\(i)", inputChannels: back[i], filters: back[i + 1],
                                                   kernelSize: 5, stride: 2, rng: &rng, parallelism: par))
            if i < 3 { synthesis.append(GDN(name: "synthesis_igdn\(i)", channels: back[i + 1], inverse: true, parallelism: par)) }
        }
        return (Sequential(name: "analysis", layers: analysis), Sequential(name: "synthesis", layers: synthesis))
    }
}
