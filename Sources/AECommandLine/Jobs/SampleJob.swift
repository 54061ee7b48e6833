import AEProcess
import AEBase
import AECodec
import AEFormats
import AENet
import Foundation

/// `aetrain sample`: decodes draws from a variational model's prior N(0, I) into one
/// picture grid. The draws are a pure function of the seed.
public struct SampleJob {
    public struct Settings: Sendable {
        /// A bundle file or built-in name.
        public var model = ""
        public var count = 64
        public var output = ""
        public var seed: UInt64 = 0
        /// Images per row (nil: the square root of the count, rounded up).
        public var columns: Int?
        /// Each pixel drawn as a scale x scale block.
        public var scale = 2
        public var force = false
        public var threads = 1

        public init() {}
    }

    public struct Result: Sendable {
        public var path: String
        public var count: Int
        public var latentDim: Int
    }

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    public func run() throws -> Result {
        try PictureOutput.check(settings.output, force: settings.force, reads: [settings.model])
        let (bundle, _) = try ModelLookup.load(settings.model)
        let model = try bundle.makeModel(threads: settings.threads)
        guard model.sampler != nil else {
            throw ToolError(path: settings.model, reason:
                "is not a variational model (train one with aetrain --variational): it has no prior to sample from")
        }
        let images = Self.draws(model: model, normalization: bundle.metadata.normalization.pixelNormalization,
                                count: settings.count, seed: settings.seed)
        let columns = settings.columns ?? Int(Double(settings.count).squareRoot().rounded(.up))
        let rows = stride(from: 0, to: images.count, by: columns).map { Array(images[$0 ..< min($0 + columns, images.count)]) }
        try PictureOutput.write(ReportPictures.grid(rows: rows, scale: settings.scale), to: settings.output, force: settings.force)
        return Result(path: settings.output, count: settings.count, latentDim: model.latentDim)
    }

    /// `count` draws from the prior of a variational `model`, decoded (in batches of 64).
    static func draws(model: Autoencoder, normalization: PixelNormalization, count: Int, seed: UInt64) -> [PNGImage] {
        let z = LatentSpace.priorDraws(count: count, dimensions: model.latentDim, seed: seed)
        var images: [PNGImage] = []
        for start in stride(from: 0, to: count, by: 64) {
            images += model.decode(z.slice(batch: start ..< min(start + 64, count))).pngImages(normalization: normalization)
        }
        return images
    }
}
