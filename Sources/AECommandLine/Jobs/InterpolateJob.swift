import AEProcess
import AEBase
import AECodec
import AEFormats
import AENet
import Foundation

/// `aetrain interpolate`: encodes two pictures, decodes points on the path between their
/// latents and writes them as a strip, the two originals at its ends: one row along the
/// straight line, and for a variational model a second along the great circle.
public struct InterpolateJob {
    public struct Settings: Sendable {
        public var model = ""
        /// The two pictures (PNG, the model's image size).
        public var first = ""
        public var second = ""
        /// Decoded points, both ends included.
        public var steps = 8
        public var output = ""
        public var scale = 2
        public var force = false
        public var threads = 1

        public init() {}
    }

    public struct Result: Sendable {
        public var path: String
        /// "linear", then "great circle" for a variational model.
        public var rows: [String]
    }

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    public func run() throws -> Result {
        try PictureOutput.check(settings.output, force: settings.force,
                                reads: [settings.model, settings.first, settings.second])
        let (bundle, _) = try ModelLookup.load(settings.model)
        let model = try bundle.makeModel(threads: settings.threads)
        guard model.conditionClasses == nil else {
            throw ToolError(path: settings.model, reason: "is a conditional model: encoding needs each image's class, which a picture does not carry; interpolation takes unconditional models")
        }
        let shape = model.imageShape
        guard shape.count == 3, shape[0] > 0, shape[1] > 0 else {
            throw ToolError(path: settings.model, reason: "takes images of any size; interpolation needs a tile model (the reference family)")
        }
        let pictures = try [settings.first, settings.second].map { path -> PNGImage in
            let image: PNGImage
            do { image = try PNGImage.read(path: path, channels: shape[2]) } catch let e as PathReportable { throw e } catch {
                throw ToolError(path: path, reason: "\(error)")
            }
            guard image.width == shape[1] && image.height == shape[0] else {
                throw ToolError(path: path, reason: "is \(image.width)x\(image.height); the model takes \(shape[1])x\(shape[0]) images")
            }
            return image
        }
        let strip = Self.strip(model: model, normalization: bundle.metadata.normalization.pixelNormalization,
                               from: pictures[0], to: pictures[1], steps: settings.steps)
        try PictureOutput.write(ReportPictures.grid(rows: strip.map(\.images), scale: settings.scale),
                                to: settings.output, force: settings.force)
        return Result(path: settings.output, rows: strip.map(\.path))
    }

    /// The strip's rows, each A, the decoded points from A's latent to B's, then B: along
    /// the straight line, and for a variational model along the great circle.
    static func strip(model: Autoencoder, normalization: PixelNormalization, from first: PNGImage, to second: PNGImage,
                      steps: Int) -> [(path: String, images: [PNGImage])] {
        let shape = model.imageShape
        let set = ImageSet(height: shape[0], width: shape[1], channels: shape[2], pixels: first.pixels + second.pixels)
        let z = model.encode(set.batch(0 ..< 2, normalization: normalization))
        let d = model.latentDim
        let (a, b) = (Array(z.data[0 ..< d]), Array(z.data[d ..< 2 * d]))
        var paths = [("linear", LatentSpace.linearPath(from: a, to: b, steps: steps))]
        if model.sampler != nil {
            paths.append(("great circle", LatentSpace.greatCirclePath(from: a, to: b, steps: steps)))
        }
        return paths.map { ($0.0, [first] + model.decode($0.1).pngImages(normalization: normalization) + [second]) }
    }
}
