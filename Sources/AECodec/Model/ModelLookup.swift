import AEFormats
import Foundation

/// Finds the bundle a `--model` argument names: a bundle file, a built-in model, or a
/// quality set (`ModelCatalog`, `QualitySet`).
public enum ModelLookup {
    /// The bundle `spec` names (a file, or a built-in name; nil: the default built-in
    /// model), and how to call it in messages.
    ///
    /// A spec containing "/" or naming an existing file is a bundle path; otherwise it
    /// is a built-in model name (`EmbeddedModels`).
    public static func load(_ spec: String?) throws -> (bundle: ModelBundle, name: String) {
        switch try resolve(spec, folders: []) {
        case let .model(bundle, name): return (bundle, name)
        case let .set(set): return try loadLevel(set.defaultLevel)
        }
    }

    /// What a `--model` argument names.
    public enum Choice {
        /// One bundle, and how messages name it.
        case model(ModelBundle, name: String)
        /// The levels of a quality set.
        case set(QualitySet)
    }

    /// What `spec` names (nil: `EmbeddedModels.defaultName`), in this order: a bundle file
    /// (a spec containing "/" or naming an existing file), a built-in model, then a quality
    /// set among the built-in models and the `.aemodel` files of `folders`.
    public static func resolve(_ spec: String?, folders: [String]) throws -> Choice {
        let name = spec ?? EmbeddedModels.defaultName
        if name.contains("/") || FileManager.default.fileExists(atPath: name) {
            return .model(try ModelBundle.read(path: name), name: name)
        }
        if let bundle = try EmbeddedModels.bundle(named: name) {
            return .model(bundle, name: "built-in \(name)")
        }
        let catalog = ModelCatalog(folders: folders)
        let sets = catalog.qualitySets()
        if let set = sets.first(where: { $0.name == name }) { return .set(set) }
        let known = EmbeddedModels.names.isEmpty ? "none" : EmbeddedModels.names.joined(separator: ", ")
        let setNames = sets.isEmpty ? "none" : sets.map(\.name).joined(separator: ", ")
        throw ToolError(path: name, reason: "no such model file, and no built-in model or quality set by that name "
            + "(built-in: \(known); quality sets: \(setNames), searched in \(catalog.placesSearched))")
    }

    /// The bundle of one level of a set, and how messages name it.
    public static func loadLevel(_ entry: ModelCatalog.Entry) throws -> (bundle: ModelBundle, name: String) {
        (try entry.bundle(), entry.name)
    }
}

extension ModelLookup {
    /// The bundle whose fingerprint starts with `fileFingerprint` (a latent file's 8 bytes):
    /// a built-in model first, then the `.aemodel` files of `folders` in order (each folder's
    /// files by name). Unreadable bundles are passed over. nil when none matches.
    public static func find(fileFingerprint: [UInt8], folders: [String]) -> (bundle: ModelBundle, name: String)? {
        ModelCatalog(folders: folders).find(fingerprintPrefix: fileFingerprint).map { ($0.bundle, $0.entry.name) }
    }
}
