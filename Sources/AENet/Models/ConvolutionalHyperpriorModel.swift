/// The photo codec with a scale hyperprior (Balle et al. 2018, "scale hyperprior";
/// CompressAI's `bmshj2018-hyperprior`): the analysis and synthesis transforms of
/// `ConvolutionalCodecModel` (N channels inside, M in the latent y), and the hyperprior
/// (`Hyperprior`):
///
///     hyper-analysis:  Conv2D 3x3 stride 1 (M -> N) + ReLU, Conv2D 5x5 stride 2 (N -> N) + ReLU,
///                      Conv2D 5x5 stride 2 (N -> N), on |y|
///     hyper-synthesis: Conv2DTranspose 5x5 stride 2 (N -> N) + ReLU, Conv2DTranspose 5x5
///                      stride 2 (N -> N) + ReLU, Conv2D 3x3 stride 1 (N -> M) + ReLU: the scales
///     entropy models:  a factorized prior over z's N channels; a zero-mean Gaussian
///                      conditional over y with a table of scales (`GaussianConditional`)
///
/// Images go through at any size that is a multiple of 16, as for the factorized model.
public enum ConvolutionalHyperpriorModel {
    public static func build(channels n: Int, latentChannels m: Int, seed: UInt64 = 0,
                             threads: Int = 1) -> Autoencoder {
        build(channels: n, latentChannels: m, seed: seed, parallelism: Parallelism(threads: threads))
    }

    /// The model with its work split as `par` says.
    public static func build(channels n: Int, latentChannels m: Int, seed: UInt64 = 0,
                             parallelism par: Parallelism) -> Autoencoder {
        var rng = RandomGenerator(seed: seed)
        let (analysis, synthesis) = ConvolutionalCodecModel.transforms(channels: n, latentChannels: m, rng: &rng, parallelism: par)
        let hyper = hyperprior(channels: n, latentChannels: m, rng: &rng, parallelism: par)
        return Autoencoder(encoder: analysis, decoder: synthesis, hyperprior: hyper)
    }

    /// The hyperprior over an M-channel latent with N channels inside.
    static func hyperprior(channels n: Int, latentChannels m: Int, rng: inout RandomGenerator,
                           parallelism par: Parallelism) -> Hyperprior {
        let analysis = Sequential(name: "hyper_analysis", layers: [
            Convolution(name: "hyper_analysis_conv0", inputChannels: m, filters: n, kernelSize: 3, stride: 1,
                        activation: .relu, rng: &rng, parallelism: par),
            Convolution(name: "hyper_analysis_conv1", inputChannels: n, filters: n, kernelSize: 5, stride: 2,
                        activation: .relu, rng: &rng, parallelism: par),
            Convolution(name: "hyper_analysis_conv2", inputChannels: n, filters: n, kernelSize: 5, stride: 2,
                        rng: &rng, parallelism: par),
        ])
        let synthesis = Sequential(name: "hyper_synthesis", layers: [
            TransposedConvolution(name: "hyper_synthesis_conv0", inputChannels: n, filters: n, kernelSize: 5, stride: 2,
                                  activation: .relu, rng: &rng, parallelism: par),
            TransposedConvolution(name: "hyper_synthesis_conv1", inputChannels: n, filters: n, kernelSize: 5, stride: 2,
                                  activation: .relu, rng: &rng, parallelism: par),
            Convolution(name: "hyper_synthesis_conv2", inputChannels: n, filters: m, kernelSize: 3, stride: 1,
                        activation: .relu, rng: &rng, parallelism: par),
        ])
        let prior = FactorizedPrior(name: "hyper_prior", channels: n, rng: &rng, parallelism: par)
        return Hyperprior(analysis: analysis, synthesis: synthesis, prior: prior,
                          conditional: GaussianConditional(parallelism: par))
    }
}
