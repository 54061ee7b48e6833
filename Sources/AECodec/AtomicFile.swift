#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file atomically: the bytes go to a temporary file in the same folder,
/// are flushed to disk, and the temporary file is then renamed (or, when the
/// destination must not be replaced, hard-linked) into place. Readers see either
/// the old file or the complete new one, never a partial write; a failure removes
/// the temporary file.
enum AtomicFile {
    /// Prefix of the temporary files: ".<name>.tmp-<pid>-<random>" next to the destination.
    static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(folder).\(name).tmp-\(getpid())-\(random)"
    }

    /// Stores one file: the one-item case of `GroupCommit.store`, which holds the
    /// mechanism (temporary file, flush, rename or hard link, folder flush).
    static func store(_ bytes: [UInt8], at path: String, force: Bool) throws {
        if let error = GroupCommit.store([(path: path, bytes: bytes)], force: force)[0] { throw error }
    }
}
