import AEFormats

/// What `--version` prints on every tool: the toolkit's version and the built-in models
/// with their fingerprints (the models a latent file names; `aeinfo --models` says more).
public enum ToolVersion {
    public static func text(tool: String) -> String {
        var lines = ["\(tool) \(AECodecVersion.string)", "built-in models (name, fingerprint):"]
        for entry in EmbeddedModels.all {
            let fingerprint = (try? entry.bundle().fingerprint) ?? "(unreadable bundle)"
            lines.append("  \(entry.name)  \(fingerprint)" + (entry.name == EmbeddedModels.defaultModelName ? "  (default)" : ""))
        }
        return lines.joined(separator: "\n")
    }
}
