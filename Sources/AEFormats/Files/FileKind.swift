import Foundation

/// What a file is, judged by its leading signature bytes (tools dispatch on it).
public enum FileKind: Equatable, Sendable {
    /// A model bundle (.aemodel), including one whose signature is damaged after "\x89AEM".
    case modelBundle
    /// A latent file (.ael).
    case latentFile
    /// Anything else; carries the first bytes for the error message.
    case unknown(signature: [UInt8])

    /// Longest signature any kind needs.
    public static let signatureLength = 8

    public static func detect(prefix: [UInt8]) -> FileKind {
        if prefix.count >= 4 && Array(prefix[0..<4]) == Array(BundleHeader.magic[0..<4]) { return .modelBundle }
        if prefix.count >= 4 && Array(prefix[0..<4]) == LatentFile.magic { return .latentFile }
        return .unknown(signature: Array(prefix.prefix(signatureLength)))
    }

    /// Reads the first bytes of `path`.
    public static func detect(path: String) throws -> FileKind {
        _ = try BundleContainer.fileSize(path: path)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ToolError(path: path, reason: "cannot read: permission denied")
        }
        defer { try? handle.close() }
        do {
            return detect(prefix: [UInt8](try handle.read(upToCount: signatureLength) ?? Data()))
        } catch {
            throw ToolError(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
    }

    /// The error for a file of an unknown kind.
    public static func unrecognized(path: String, signature: [UInt8]) -> ToolError {
        if signature.isEmpty { return ToolError(path: path, reason: "empty file, not a model bundle or latent file") }
        let shown = signature.map { SHA256.hex([$0]) }.joined(separator: " ")
        return ToolError(path: path, reason: "unrecognised file (starts with \(shown)): not a model bundle (.aemodel) or latent file (.ael)")
    }
}
