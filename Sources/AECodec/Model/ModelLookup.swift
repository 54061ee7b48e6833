import AEFormats
import Foundation

/// Finds the bundle a `--model` argument names: a bundle file, or a built-in model.
public enum ModelLookup {
    /// The bundle `spec` names (a file, or a built-in name; nil: the default built-in
    /// model), and how to call it in messages.
    ///
    /// A spec containing "/" or naming an existing file is a bundle path; otherwise it
    /// is a built-in model name (`EmbeddedModels`).
    public static func load(_ spec: String?) throws -> (bundle: ModelBundle, name: String) {
        let name = spec ?? EmbeddedModels.defaultName
        let isPath = name.contains("/") || FileManager.default.fileExists(atPath: name)
        if !isPath, let bundle = try EmbeddedModels.bundle(named: name) {
            return (bundle, "built-in \(name)")
        }
        if !isPath {
            let known = EmbeddedModels.names.isEmpty ? "none" : EmbeddedModels.names.joined(separator: ", ")
            throw ToolError(path: name, reason: "no such model file, and no built-in model by that name (built-in: \(known))")
        }
        return (try ModelBundle.read(path: name), name)
    }
}

extension ModelLookup {
    /// The bundle whose fingerprint starts with `fileFingerprint` (a latent file's 8 bytes):
    /// a built-in model first, then the `.aemodel` files of `folders` in order (each folder's
    /// files by name). Unreadable bundles are passed over. nil when none matches.
    public static func find(fileFingerprint: [UInt8], folders: [String]) -> (bundle: ModelBundle, name: String)? {
        if let name = EmbeddedModels.name(matching: fileFingerprint), let bundle = try? EmbeddedModels.bundle(named: name) {
            return (bundle, "built-in \(name)")
        }
        for folder in folders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            let base = folder.hasSuffix("/") ? folder : folder + "/"
            for name in names.sorted() where name.lowercased().hasSuffix(".aemodel") && FileBytes.isRegularFile(base + name) {
                guard let bundle = try? ModelBundle.read(path: base + name) else { continue }
                if ModelFingerprint.bytes(of: bundle.tensors).starts(with: fileFingerprint) { return (bundle, base + name) }
            }
        }
        return nil
    }
}
