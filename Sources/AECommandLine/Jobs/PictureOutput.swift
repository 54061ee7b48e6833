import AEProcess
import AEFormats
import Foundation

/// The single picture that `aetrain sample` and `aetrain interpolate` write: checked
/// before any work (folder exists, no existing file without --force, never a file the
/// run reads), then written atomically (temporary file, flush, rename).
enum PictureOutput {
    static func check(_ path: String, force: Bool, reads: [String]) throws {
        guard !path.isEmpty else { throw ToolError(path: "-o", reason: "no output path given") }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileBytes.kind(of: folder).isFolder else {
            throw ToolError(path: path, reason: "the output folder \(folder) does not exist")
        }
        let existing = FileBytes.kind(of: path)
        if existing.isFolder { throw ToolError(path: path, reason: "is a folder, not a picture path") }
        if let id = FileBytes.identity(of: path), FileBytes.identities(of: reads).contains(id) {
            throw ToolError(path: path, reason: "is read by this run (the model or an input picture); refusing to overwrite it")
        }
        if existing.exists && !force { throw ToolError(path: path, reason: FileErrorText.alreadyExists) }
    }

    static func write(_ image: PNGImage, to path: String, force: Bool) throws {
        try AtomicFile.store(try image.encoded(), at: path, force: force)
    }
}
