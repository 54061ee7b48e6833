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

    static func store(_ bytes: [UInt8], at path: String, force: Bool) throws {
        func failure(_ what: String) -> BundleError {
            .cannotWrite(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
        }
        if !force && access(path, F_OK) == 0 { throw BundleError.alreadyExists(path: path) }
        let temp = temporaryPath(for: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw failure("cannot create a temporary file in its folder") }
        var committed = false
        defer { if !committed { unlink(temp) } }
        do {
            defer { close(fd) }
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw failure("write failed") }
                written += n
            }
            guard fsync(fd) == 0 else { throw failure("fsync failed") }
        }
        if force {
            guard rename(temp, path) == 0 else { throw failure("cannot move the temporary file into place") }
        } else if link(temp, path) == 0 {
            unlink(temp)
        } else if errno == EEXIST {
            throw BundleError.alreadyExists(path: path)
        } else {
            // Filesystems without hard links: check, then rename (a small race remains).
            if access(path, F_OK) == 0 { throw BundleError.alreadyExists(path: path) }
            guard rename(temp, path) == 0 else { throw failure("cannot move the temporary file into place") }
        }
        committed = true
        syncFolder(of: path)
    }

    /// Flushes the folder entry so the rename survives a crash (best effort).
    private static func syncFolder(of path: String) {
        let folder = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "."
        let fd = open(folder, O_RDONLY)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}
