import Foundation

/// `aeinfo --models`: the built-in models, then the quality sets the catalog finds (among
/// the built-in models and the model-path folders), each level with its bundle and, when
/// recorded, its bits per pixel and PSNR on Kodak.
public struct ModelListing {
    public let catalog: ModelCatalog

    public init(catalog: ModelCatalog) {
        self.catalog = catalog
    }

    public func text() -> String {
        var lines = [EmbeddedModels.listing(), ""]
        let sets = catalog.qualitySets()
        guard !sets.isEmpty else {
            lines.append("Quality sets: none found in \(catalog.placesSearched) "
                + "(aetrain --quality-set SET --quality-level N makes a bundle a level of one)")
            return lines.joined(separator: "\n")
        }
        lines.append("Quality sets (aeenc --model SET [-q LEVEL | --size BYTES | --bpp X | --psnr DB]; level 1 the smallest files):")
        for set in sets {
            let defaultLevel = set.defaultLevel.metadata.quality?.level ?? 0
            let isDefault = set.name == EmbeddedModels.defaultName ? ", the tools' default model" : ""
            lines.append("  \(set.name): levels \(set.numberList) (default \(defaultLevel)\(isDefault))")
            for entry in set.levels {
                guard let q = entry.metadata.quality else { continue }
                lines.append("    level \(q.level)  \(entry.name)  \(q.kodakFigures ?? "not measured on Kodak")")
            }
            for entry in set.shadowed {
                lines.append("    (not used: \(entry.name), which claims level \(entry.metadata.quality?.level ?? 0) again)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The same as JSON for scripts: an array of models, the built-in ones first, then the
    /// levels of quality sets found in the model-path folders; each {name, default, builtIn,
    /// path, latentDim, weightType, bytes, testMSE, testPSNR, fingerprint, quality} (null
    /// when unknown; `quality` is {set, level, kodakBitsPerPixel, kodakPSNR}).
    public func json() throws -> String {
        struct Model: Encodable {
            let name: String, isDefault: Bool, builtIn: Bool, path: String?, latentDim: Int?, weightType: String?
            let bytes: Int, testMSE: Double?, testPSNR: Double?, fingerprint: String?
            let quality: BundleMetadata.QualityInfo?
            enum CodingKeys: String, CodingKey {
                case name, isDefault = "default", builtIn, path, latentDim, weightType, bytes, testMSE, testPSNR
                case fingerprint, quality
            }
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(name, forKey: .name)
                try c.encode(isDefault, forKey: .isDefault)
                try c.encode(builtIn, forKey: .builtIn)
                try c.encode(path, forKey: .path)
                try c.encode(latentDim, forKey: .latentDim)
                try c.encode(weightType, forKey: .weightType)
                try c.encode(bytes, forKey: .bytes)
                try c.encode(testMSE, forKey: .testMSE)
                try c.encode(testPSNR, forKey: .testPSNR)
                try c.encode(fingerprint, forKey: .fingerprint)
                try c.encode(quality, forKey: .quality)
            }
            init(name: String, isDefault: Bool, path: String?, bundle: ModelBundle?, bytes: Int, fingerprint: String?) {
                self.name = name
                self.isDefault = isDefault
                builtIn = path == nil
                self.path = path
                latentDim = bundle?.metadata.architecture.latentDim
                weightType = bundle?.weightType.name
                self.bytes = bytes
                testMSE = bundle?.metadata.metrics?.testMSE.flatMap { $0 > 0 ? $0 : nil }
                testPSNR = testMSE.map { 10 * log10(1 / $0) }
                self.fingerprint = fingerprint
                quality = bundle?.metadata.quality
            }
        }
        var models = zip(EmbeddedModels.all, EmbeddedModels.fingerprints).map { entry, fingerprint in
            Model(name: entry.name, isDefault: entry.name == EmbeddedModels.defaultModelName, path: nil,
                  bundle: try? entry.bundle(), bytes: entry.bytes.count, fingerprint: fingerprint)
        }
        for set in catalog.qualitySets() {
            for entry in set.levels + set.shadowed {
                guard let path = entry.path else { continue }
                let bundle = try? ModelBundle.read(path: path)
                let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
                models.append(Model(name: path, isDefault: false, path: path, bundle: bundle, bytes: bytes,
                                    fingerprint: bundle?.fingerprint))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(models), as: UTF8.self)
    }
}
