import AEBase
import AENet

/// How well a representation tells the classes apart: a linear probe (softmax
/// regression) and k nearest neighbours, fitted on labelled training images' features and
/// scored on labelled test images. Features are standardised with the training set's
/// mean and deviation first. Labels are used here only, never to train an autoencoder.
public enum LatentProbe {
    public struct Options: Sendable {
        public var regression = SoftmaxRegression.Options()
        public var neighbours = 5
        public var threads = 1

        public init() {}
    }

    /// One representation's test accuracies.
    public struct Figures: Sendable, Equatable {
        /// What the features are, e.g. "svhn-64 latents" or "raw pixels".
        public var name: String
        public var dimensions: Int
        public var softmaxAccuracy: Double
        public var neighbourAccuracy: Double
        /// The k of k-NN.
        public var neighbours: Int
    }

    /// The latent vectors (the encoder's output; a variational model's mean) of every image,
    /// [N, latentDim], fed in the bundle's pixel normalisation.
    public static func latents(of images: ImageSet, model: Autoencoder,
                               normalization: PixelNormalization = .unitRange) -> Tensor {
        var data: [Float] = []
        data.reserveCapacity(images.count * model.latentDim)
        var start = 0
        while start < images.count {
            let end = min(start + 256, images.count)
            data += model.encode(images.batch(start..<end, normalization: normalization)).data
            start = end
        }
        return Tensor(shape: [images.count, model.latentDim], data: data)
    }

    /// The images' pixels in [0, 1] as features [N, H*W*C].
    public static func pixels(of images: ImageSet) -> Tensor {
        images.batch(0..<images.count).reshaped([images.count, images.imageSize])
    }

    /// Fits both classifiers on `train` and scores them on `test`.
    public static func measure(name: String, train: Tensor, trainLabels: [UInt8], test: Tensor, testLabels: [UInt8],
                               classes: Int, options: Options = Options()) -> Figures {
        let scaling = FeatureScaling(fitting: train)
        let (x, y) = (scaling.apply(train), scaling.apply(test))
        let regression = SoftmaxRegression(features: x.shape[1], classes: classes, seed: options.regression.seed)
        regression.fit(x, labels: trainLabels, options: options.regression)
        let neighbours = NearestNeighbours(training: x, labels: trainLabels, classes: classes)
        return Figures(name: name, dimensions: x.shape[1],
                       softmaxAccuracy: classificationAccuracy(regression.predict(y), testLabels),
                       neighbourAccuracy: classificationAccuracy(
                           neighbours.predict(y, k: options.neighbours, parallelism: Parallelism(threads: options.threads)), testLabels),
                       neighbours: options.neighbours)
    }

    /// The accuracy of always answering the training set's most frequent class.
    public static func majorityAccuracy(trainLabels: [UInt8], testLabels: [UInt8]) -> Double {
        var counts: [UInt8: Int] = [:]
        for l in trainLabels { counts[l, default: 0] += 1 }
        let majority = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? 0
        return Double(testLabels.filter { $0 == majority }.count) / Double(max(1, testLabels.count))
    }
}
