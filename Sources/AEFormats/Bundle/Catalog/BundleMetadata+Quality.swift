import Foundation

extension BundleMetadata {
    /// Format 1.5: the bundle is level `level` of the quality set `set` (Specs/model-bundle.md
    /// section 5.10). A set is one model per rate point, trained alike with different lambdas;
    /// level 1 gives the smallest files and each higher level larger files and a higher PSNR,
    /// so `aeenc --model SET` can pick a level by number or search the levels for a size or a
    /// PSNR. The figures, when present, are measured on the 24 Kodak photos through the tools.
    /// Metadata only: the fingerprint (weights) does not cover it, so stamping a level onto a
    /// bundle (`aetrain --stamp-quality`) leaves every latent file it made valid.
    public struct QualityInfo: Codable, Equatable, Sendable {
        /// The set's name, as `aeenc --model` takes it: see `setNameProblem`.
        public var set: String
        /// 1 (smallest files) and up, within `levels`.
        public var level: Int
        /// Mean bits per pixel of the 24 Kodak photos' latent files at this level.
        public var kodakBitsPerPixel: Double?
        /// Mean PSNR over RGB, in dB, of the 24 decoded Kodak photos at this level.
        public var kodakPSNR: Double?

        /// The levels a set may number.
        public static let levels = 1...99
        /// The longest set name.
        public static let maxSetNameLength = 64

        public init(set: String, level: Int, kodakBitsPerPixel: Double? = nil, kodakPSNR: Double? = nil) {
            self.set = set
            self.level = level
            self.kodakBitsPerPixel = kodakBitsPerPixel
            self.kodakPSNR = kodakPSNR
        }

        /// Why `name` cannot name a set (nil: it can): 1 to 64 characters, lowercase ASCII
        /// letters, digits, '-' and '_', starting with a letter, so a set name is never a
        /// path and reads the same everywhere.
        public static func setNameProblem(_ name: String) -> String? {
            let bytes = Array(name.utf8)
            guard !bytes.isEmpty, bytes.count <= maxSetNameLength else {
                return "a set name has 1 to \(maxSetNameLength) characters"
            }
            let allowed = { (c: UInt8) in (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) || c == 0x2D || c == 0x5F }
            guard (0x61...0x7A).contains(bytes[0]), bytes.allSatisfy(allowed) else {
                return "a set name is lowercase letters, digits, '-' and '_', starting with a letter"
            }
            return nil
        }

        /// Refuses values outside the spec (section 5.10), naming the field.
        func check(path: String) throws {
            func invalid(_ reason: String) -> BundleError { .invalidMetadata(path: path, reason: reason) }
            if let problem = Self.setNameProblem(set) { throw invalid("quality.set \"\(set)\": \(problem)") }
            guard Self.levels.contains(level) else {
                throw invalid("quality.level \(level) is not in \(Self.levels.lowerBound)...\(Self.levels.upperBound)")
            }
            if let bpp = kodakBitsPerPixel, !(bpp.isFinite && bpp > 0) {
                throw invalid("quality.kodakBitsPerPixel \(bpp) is not a positive number")
            }
            if let psnr = kodakPSNR, !(psnr.isFinite && psnr > 0) {
                throw invalid("quality.kodakPSNR \(psnr) is not a positive number")
            }
        }

        /// "level 3 of photo".
        public var label: String { "level \(level) of \(set)" }

        /// "0.412 bpp, 29.10 dB on Kodak", or nil when neither figure is recorded.
        public var kodakFigures: String? {
            switch (kodakBitsPerPixel, kodakPSNR) {
            case let (bpp?, psnr?): return String(format: "%.3f bpp, %.2f dB on Kodak", bpp, psnr)
            case let (bpp?, nil): return String(format: "%.3f bpp on Kodak", bpp)
            case let (nil, psnr?): return String(format: "%.2f dB on Kodak", psnr)
            case (nil, nil): return nil
            }
        }
    }
}
