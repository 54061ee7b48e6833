import CModels
import Foundation

/// The model bundles built into the executables (Sources/CModels/models, embedded
/// by Sources/CModels/models.c), so the tools work with no flags, from any folder,
/// and from a copied binary. `--model NAME` picks one; `aeinfo --models` lists them.
public enum EmbeddedModels {
    /// The photo codec's quality set.
    public static let photoSetName = "photo"

    /// The reference tile model for 32x32 digits.
    public static let digitModelName = "svhn-64"

    /// The photo set when its levels are built in (found by their metadata, as `-q` finds them).
    private static let photoSet = ModelCatalog().qualitySet(named: photoSetName)

    /// What the tools use when `--model` is not given: the photo codec's quality set (its
    /// default level) when its levels are built in, else the digit model svhn-64.
    public static let defaultName = photoSet == nil ? digitModelName : photoSetName

    /// The built-in model `defaultName` comes to: itself, or the default level of the set.
    public static let defaultModelName = photoSet?.defaultLevel.builtInName ?? digitModelName

    /// "photo at level 4 (built-in photo-4)" or "svhn-64": the default, for listings.
    public static var defaultDescription: String {
        guard let level = photoSet?.defaultLevel.metadata.quality?.level else { return defaultName }
        return "\(defaultName) at level \(level) (built-in \(defaultModelName))"
    }

    /// One built-in model.
    public struct Entry: Sendable {
        public let name: String
        /// The bundle's bytes.
        public let bytes: [UInt8]

        /// The bundle, read and checked like a file (its path is "built-in NAME").
        public func bundle() throws -> ModelBundle {
            try ModelBundle.decode(bytes, path: "built-in \(name)")
        }
    }

    /// Every built-in model, in the order models.c lists them.
    public static let all: [Entry] = (0..<aecodec_embedded_model_count()).compactMap { i in
        guard let m = aecodec_embedded_model_at(i)?.pointee, let name = m.name, let start = m.bytes else { return nil }
        return Entry(name: String(cString: name), bytes: Array(UnsafeBufferPointer(start: start, count: m.size)))
    }

    public static var names: [String] { all.map(\.name) }

    /// The built-in model called `name`.
    public static func entry(named name: String) -> Entry? {
        all.first { $0.name == name }
    }

    /// The bundle of the built-in model `name`; nil when there is none by that name.
    public static func bundle(named name: String) throws -> ModelBundle? {
        try entry(named: name)?.bundle()
    }

    /// Fingerprints of the built-in models (32 hex digits; nil for one that does not read).
    static let fingerprints: [String?] = all.map { entry in
        (try? BundleContainer.parse(entry.bytes, path: "built-in \(entry.name)")).map { SHA256.hex(ModelFingerprint.bytes(of: $0)) }
    }

    /// The built-in model whose fingerprint starts with `prefix` (the 8 bytes a latent
    /// file keeps, or all 16), if any.
    public static func name(matching prefix: [UInt8]) -> String? {
        let hex = SHA256.hex(prefix)
        guard !hex.isEmpty else { return nil }
        return zip(all, fingerprints).first { $0.1?.hasPrefix(hex) == true }?.0.name
    }

    /// The `aeinfo --models` lines of the built-in models: one per model with its latent
    /// size, weight type, bundle size, test PSNR when recorded, fingerprint, and quality
    /// level when it has one (`ModelListing` adds the quality sets).
    public static func listing() -> String {
        var lines = ["Built-in models (aeenc/aedec --model NAME; default \(defaultDescription)):"]
        for (entry, fingerprint) in zip(all, fingerprints) {
            guard let bundle = try? entry.bundle(), let fingerprint else {
                lines.append("  \(entry.name)  (unreadable bundle, \(entry.bytes.count) bytes)")
                continue
            }
            let m = bundle.metadata
            var line = "  \(entry.name)  latent \(m.architecture.latentDim), \(bundle.weightType.name) weights, "
                + "\(entry.bytes.count) bytes"
            if let mse = m.metrics?.testMSE, mse > 0 {
                line += String(format: ", test PSNR %.2f dB", 10 * log10(1 / mse))
            }
            line += ", fingerprint \(fingerprint)"
            if let q = m.quality { line += ", \(q.label)" }
            if entry.name == defaultModelName { line += "  (default)" }
            lines.append(line)
        }
        if all.isEmpty { lines.append("  (none)") }
        return lines.joined(separator: "\n")
    }
}
