import AEBase

/// The corruption a denoising autoencoder is trained against (Vincent et al. 2008): the
/// network sees a corrupted image and is asked for the clean one.
///
/// Inputs are network values in [0, 1], batches NHWC. Every image of a batch draws its
/// own noise from `seed` and its index, so the same seed corrupts the same image the
/// same way whatever the batch holds; the trainer draws a fresh seed per (run seed,
/// epoch, batch), so a resumed run sees exactly the noise of an uninterrupted one.
public enum InputNoise: Equatable, Sendable, CustomStringConvertible {
    /// Adds N(0, sigma^2) to every value (each channel on its own), then clamps to
    /// [0, 1] so the input is still an image.
    case gaussian(sigma: Float)
    /// Turns each pixel (all its channels) black with probability p/2 and white with p/2.
    case saltAndPepper(probability: Float)
    /// Sets each pixel (all its channels) to 0 with probability `fraction` (masking noise).
    case mask(fraction: Float)

    /// The command-line syntax, `gaussian:SIGMA`, `salt-pepper:P` or `mask:FRACTION`.
    public static let syntax = "gaussian:SIGMA (0 < SIGMA <= 1), salt-pepper:P or mask:FRACTION (0 < P, FRACTION < 1)"

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let text: String
        public let reason: String
        public var description: String { "'\(text)': \(reason)" }
    }

    /// Parses the command-line syntax (`description` writes it back).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        func fail(_ reason: String) -> ParseError { ParseError(text: text, reason: reason) }
        guard parts.count == 2, let value = Float(parts[1]), value.isFinite else {
            throw fail("expected \(Self.syntax)")
        }
        switch parts[0] {
        case "gaussian":
            guard value > 0 && value <= 1 else { throw fail("SIGMA must be in (0, 1]") }
            self = .gaussian(sigma: value)
        case "salt-pepper":
            guard value > 0 && value < 1 else { throw fail("P must be in (0, 1)") }
            self = .saltAndPepper(probability: value)
        case "mask":
            guard value > 0 && value < 1 else { throw fail("FRACTION must be in (0, 1)") }
            self = .mask(fraction: value)
        default:
            throw fail("unknown noise '\(parts[0])'; expected \(Self.syntax)")
        }
    }

    public var description: String {
        switch self {
        case let .gaussian(sigma): return "gaussian:\(sigma)"
        case let .saltAndPepper(p): return "salt-pepper:\(p)"
        case let .mask(fraction): return "mask:\(fraction)"
        }
    }

    /// The generator of image `index` under `seed`.
    static func generator(seed: UInt64, index: Int) -> RandomGenerator {
        RandomGenerator(seed: SplitMix64.mix(seed &+ UInt64(index)))
    }

    /// `images` [N, ..., C] corrupted; image k draws from (`seed`, `firstIndex` + k).
    public func corrupt(_ images: Tensor, seed: UInt64, firstIndex: Int = 0) -> Tensor {
        precondition(images.rank >= 2, "corrupt takes a batch of images")
        var out = images
        let size = images.sampleSize, channels = images.shape[images.rank - 1]
        out.data.withUnsafeMutableBufferPointer { x in
            for k in 0 ..< images.batch {
                var rng = Self.generator(seed: seed, index: firstIndex + k)
                let base = k * size
                switch self {
                case let .gaussian(sigma):
                    for i in base ..< base + size {
                        x[i] = min(1, max(0, x[i] + sigma * rng.nextGaussian()))
                    }
                case let .saltAndPepper(p):
                    for pixel in stride(from: base, to: base + size, by: channels) {
                        let u = rng.nextUnitFloat()
                        guard u < p else { continue }
                        let value: Float = u < p / 2 ? 0 : 1
                        for c in 0 ..< channels { x[pixel + c] = value }
                    }
                case let .mask(fraction):
                    for pixel in stride(from: base, to: base + size, by: channels) where rng.nextUnitFloat() < fraction {
                        for c in 0 ..< channels { x[pixel + c] = 0 }
                    }
                }
            }
        }
        return out
    }

    /// The seed of the fixed corruption used to measure a model on noisy inputs
    /// (validation in training, `aetrain report --noise`): the same for every model and
    /// run, so their figures compare.
    public static let evaluationSeed: UInt64 = 0xDE_0015_E5EE_D000
}
