import Foundation

/// What `aeenc --size`, `--bpp` or `--psnr` asks of each image: the quality set's level
/// is chosen per image by binary search over the levels, which are ordered by rate
/// (level 1 the smallest files, each higher level larger files and a higher PSNR), as
/// cwebp's `-size` and `-psnr` search its quality factor.
public enum QualityTarget: Equatable, Sendable {
    /// The latent file in at most this many bytes: the largest level that fits.
    case size(Int)
    /// At most this many bits per pixel (the whole file's bits over width x height): the
    /// largest level that fits.
    case bitsPerPixel(Double)
    /// At least this PSNR in dB (RGB, the 8-bit decoded image against the input): the
    /// smallest level that reaches it.
    case psnr(Double)

    /// What one level gave on one image.
    public struct Trial: Equatable, Sendable {
        public var bytes: Int
        /// Measured only for a PSNR target.
        public var psnr: Double?

        public init(bytes: Int, psnr: Double? = nil) {
            self.bytes = bytes
            self.psnr = psnr
        }
    }

    /// Whether the target needs each trial decoded and measured.
    public var needsPSNR: Bool {
        if case .psnr = self { return true }
        return false
    }

    /// Whether `trial` meets the target for an image of `pixels` pixels.
    public func isMet(by trial: Trial, pixels: Int) -> Bool {
        switch self {
        case let .size(bytes): return trial.bytes <= bytes
        case let .bitsPerPixel(bpp): return Double(trial.bytes * 8) <= bpp * Double(pixels)
        case let .psnr(db): return (trial.psnr ?? -.infinity) >= db
        }
    }

    /// The option as the user gave it: "--size 20000".
    public var option: String {
        switch self {
        case let .size(bytes): return "--size \(bytes)"
        case let .bitsPerPixel(bpp): return "--bpp \(bpp)"
        case let .psnr(db): return "--psnr \(db)"
        }
    }

    /// The level (an index into `count` levels ordered by rate) this target picks, and
    /// whether it meets the target: for a size, the largest level that fits, else level 0;
    /// for a PSNR, the smallest level that reaches it, else the top one. Binary search:
    /// `trial` runs for about log2(count) + 1 levels, and always for the level returned
    /// (so a caller that keeps its trials has the chosen one's output).
    public func choose(count: Int, pixels: Int, trial: (Int) throws -> Trial) rethrows -> (index: Int, met: Bool) {
        precondition(count > 0, "a quality set has at least one level")
        var low = 0, high = count - 1
        var found: Int? = nil
        let largest = !needsPSNR
        while low <= high {
            let mid = (low + high) / 2
            let met = isMet(by: try trial(mid), pixels: pixels)
            // Sizes: a level that fits moves the search up; PSNR: one that reaches it, down.
            if met { found = mid }
            if met == largest { low = mid + 1 } else { high = mid - 1 }
        }
        if let found { return (found, true) }
        // Nothing fits: the nearest level, which the search tried last.
        return (largest ? 0 : count - 1, false)
    }
}
