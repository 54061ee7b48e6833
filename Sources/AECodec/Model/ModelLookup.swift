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
