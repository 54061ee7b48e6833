import AEProcess
import AEBase
import AECodec
import AEFormats
import AENet
import Foundation

/// `aetrain sample`: decodes draws from a variational model's prior N(0, I) into one
/// picture grid. The draws are a pure function of the seed. A conditional model decodes
/// them as the digits asked for: one digit fills the grid; several give a row per digit,
/// every row the same draws (the columns share a latent, the rows a digit).
public struct SampleJob {
    public struct Settings: Sendable {
        /// A bundle file or built-in name.
        public var model = ""
        public var count = 64
        public var output = ""
        public var seed: UInt64 = 0
        /// The digits to draw, for a conditional model (nil for an unconditional one).
        public var digits: [UInt8]?
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
        let normalization = bundle.metadata.normalization.pixelNormalization
        let columns = settings.columns
        func grid(_ images: [PNGImage]) -> [[PNGImage]] { Self.grid(images, columns: columns) }
        let rows: [[PNGImage]]
        switch (model.conditionClasses, settings.digits) {
        case (nil, nil):
            rows = grid(Self.draws(model: model, normalization: normalization, count: settings.count, seed: settings.seed))
        case let (classes?, digits?):
            guard let bad = digits.first(where: { Int($0) >= classes }) else {
                let perDigit = digits.map { Self.draws(model: model, normalization: normalization, count: settings.count,
                                                        seed: settings.seed, label: $0) }
                rows = digits.count == 1 ? grid(perDigit[0]) : perDigit
                break
            }
            throw ToolError(path: "--digit", reason: "\(bad) is not one of the model's \(classes) classes")
        case (_?, nil):
            throw ToolError(path: settings.model, reason: "is a conditional model: give --digit D (or --digit all)")
        case (nil, _?):
            throw ToolError(path: settings.model, reason: "is not a conditional model: --digit needs one trained with --conditional")
        }
        try PictureOutput.write(ReportPictures.grid(rows: rows, scale: settings.scale), to: settings.output, force: settings.force)
        return Result(path: settings.output, count: settings.count, latentDim: model.latentDim)
    }

    /// `count` draws from the prior of a variational `model`, decoded (in batches of 64);
    /// a conditional model decodes them as `label`.
    static func draws(model: Autoencoder, normalization: PixelNormalization, count: Int, seed: UInt64,
                      label: UInt8? = nil) -> [PNGImage] {
        let z = LatentSpace.priorDraws(count: count, dimensions: model.latentDim, seed: seed)
        var images: [PNGImage] = []
        for start in stride(from: 0, to: count, by: 64) {
            let end = min(start + 64, count)
            if let label { model.setLabels([UInt8](repeating: label, count: end - start)) }
            images += model.decode(z.slice(batch: start ..< end)).pngImages(normalization: normalization)
        }
        return images
    }

    /// `images` in rows of `columns` (default: the square root of the count, rounded up).
    static func grid(_ images: [PNGImage], columns: Int? = nil) -> [[PNGImage]] {
        let columns = columns ?? Int(Double(images.count).squareRoot().rounded(.up))
        return stride(from: 0, to: images.count, by: columns).map { Array(images[$0 ..< min($0 + columns, images.count)]) }
    }
}
