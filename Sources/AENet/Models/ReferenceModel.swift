/// The reference SVHN autoencoder (32x32 RGB), as in the seed's Keras notebook:
///
///     encoder: Conv2D(32)-MaxPool-Conv2D(64)-MaxPool-Conv2D(128)-MaxPool-Flatten-Dense(latent)
///     decoder: Dense(2048)-Reshape(4,4,128)-Conv2DTranspose(128)-UpSample-
///              Conv2DTranspose(64)-UpSample-Conv2DTranspose(32)-UpSample-Conv2D(3, sigmoid)
///
/// 3x3 kernels, 'same' padding, ReLU after every convolution and after the
/// decoder's Dense; the latent Dense is linear (an unbounded code); the last
/// convolution is sigmoid so pixels land in [0, 1]. 598,211 parameters at latent 64.
/// Layer names follow Keras's automatic naming across the whole model.
///
/// The variational variant (`variational: true`) has the encoder's Dense give 2 x latent
/// values (means and log variances) and ends the encoder with a `GaussianSampling` step
/// ("sampling"): the mean at encode time, a reparametrised draw in training.
///
/// The conditional variant (`conditionClasses: K`) feeds the one-hot class label to the
/// encoder's Dense (`LabelConcat` "label_concat" after the flatten) and to the decoder's
/// first Dense (`LabelConcat` "label_concat_1" before it): K more inputs to each.
public enum ReferenceModel {
    public static let imageShape = [32, 32, 3]

    /// `hiddenActivation` replaces the ReLUs (the reference uses ReLU; a smooth
    /// one lets tests check whole-model gradients away from ReLU kinks).
    public static func build(latentDim: Int = 64, seed: UInt64 = 0, threads: Int = 1,
                             hiddenActivation: Activation = .relu, variational: Bool = false,
                             conditionClasses: Int? = nil) -> Autoencoder {
        precondition(latentDim > 0, "latent size must be positive")
        var rng = RandomGenerator(seed: seed)
        let par = Parallelism(threads: threads)
        let act = hiddenActivation
        var encoderLayers: [Layer] = [
            Conv2D(name: "conv2d", inputShape: [32, 32, 3], filters: 32, activation: act, rng: &rng, parallelism: par),
            MaxPool2D(name: "max_pooling2d", inputShape: [32, 32, 32], parallelism: par),
            Conv2D(name: "conv2d_1", inputShape: [16, 16, 32], filters: 64, activation: act, rng: &rng, parallelism: par),
            MaxPool2D(name: "max_pooling2d_1", inputShape: [16, 16, 64], parallelism: par),
            Conv2D(name: "conv2d_2", inputShape: [8, 8, 64], filters: 128, activation: act, rng: &rng, parallelism: par),
            MaxPool2D(name: "max_pooling2d_2", inputShape: [8, 8, 128], parallelism: par),
            Reshape.flatten(name: "flatten", inputShape: [4, 4, 128]),
        ]
        let classes = conditionClasses ?? 0
        if classes > 0 { encoderLayers.append(LabelConcat(name: "label_concat", features: 2048, classes: classes)) }
        encoderLayers.append(Dense(name: "dense", inputs: 2048 + classes, units: variational ? 2 * latentDim : latentDim,
                                   activation: .linear, rng: &rng))
        if variational { encoderLayers.append(GaussianSampling(name: "sampling", latentDim: latentDim)) }
        let encoder = Sequential(name: "encoder", layers: encoderLayers)
        let condition: [Layer] = classes > 0 ? [LabelConcat(name: "label_concat_1", features: latentDim, classes: classes)] : []
        let decoder = Sequential(name: "decoder", layers: condition + [
            Dense(name: "dense_1", inputs: latentDim + classes, units: 2048, activation: act, rng: &rng),
            Reshape(name: "reshape", inputShape: [2048], targetShape: [4, 4, 128]),
            Conv2DTranspose(name: "conv2d_transpose", inputShape: [4, 4, 128], filters: 128, activation: act, rng: &rng, parallelism: par),
            UpSampling2D(name: "up_sampling2d", inputShape: [4, 4, 128], parallelism: par),
            Conv2DTranspose(name: "conv2d_transpose_1", inputShape: [8, 8, 128], filters: 64, activation: act, rng: &rng, parallelism: par),
            UpSampling2D(name: "up_sampling2d_1", inputShape: [8, 8, 64], parallelism: par),
            Conv2DTranspose(name: "conv2d_transpose_2", inputShape: [16, 16, 64], filters: 32, activation: act, rng: &rng, parallelism: par),
            UpSampling2D(name: "up_sampling2d_2", inputShape: [16, 16, 32], parallelism: par),
            Conv2D(name: "conv2d_3", inputShape: [32, 32, 32], filters: 3, activation: .sigmoid, rng: &rng, parallelism: par),
        ])
        return Autoencoder(encoder: encoder, decoder: decoder)
    }
}
