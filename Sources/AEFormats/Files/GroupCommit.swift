import CSyscalls
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a group of files atomically (`AtomicFile.store` is the one-file case) — each goes to a
/// temporary file in its folder, reaches the disk, and only then appears under its
/// name (renamed, or hard-linked when it must not replace an existing file), the
/// folder entry flushed afterwards; a failure leaves no trace — but with one disk
/// flush (`syncfs`) for the whole group instead of an `fsync` per file. With an
/// `fsync` costing about 4 ms, two per file capped the tools at about 250 small
/// files per second; a group of 32 costs two flushes in all.
public enum GroupCommit {
    /// Stores every `(path, bytes)`; returns one error (a `FileError`, or nil) per item.
    public static func store(_ items: [(path: String, bytes: [UInt8])], force: Bool) -> [Error?] {
        var errors = [Error?](repeating: nil, count: items.count)
        var temps = [String?](repeating: nil, count: items.count)
        func failure(_ path: String, _ what: String, _ code: Int32 = errno) -> FileError {
            .cannotWrite(path: path, reason: "\(what): \(String(cString: strerror(code)))")
        }
        defer { for case let t? in temps { unlink(t) } }

        // 1. Temporary files, written and closed.
        for (i, item) in items.enumerated() {
            if !force && access(item.path, F_OK) == 0 {
                errors[i] = FileError.alreadyExists(path: item.path)
                continue
            }
            let temp = AtomicFile.temporaryPath(for: item.path)
            let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard fd >= 0 else {
                errors[i] = failure(item.path, "cannot create a temporary file in its folder")
                continue
            }
            temps[i] = temp
            var written = 0
            while written < item.bytes.count {
                let n = item.bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                written += n
            }
            let code = errno
            if close(fd) != 0 || written < item.bytes.count {
                errors[i] = failure(item.path, "write failed", written < item.bytes.count ? code : errno)
                unlink(temp)
                temps[i] = nil
            }
        }

        // 2. One flush for all of them (every file is on one filesystem per folder).
        var flushed = Set<String>()
        for (i, t) in temps.enumerated() {
            guard let t else { continue }
            let folder = Self.folder(of: t)
            if flushed.contains(folder) { continue }
            let fd = open(folder, O_RDONLY)
            if fd < 0 || aecodec_syncfs(fd) != 0 {
                let e = failure(items[i].path, "cannot flush the file to disk")
                for (k, other) in temps.enumerated() where other.map(Self.folder) == folder { errors[k] = e; unlink(other!); temps[k] = nil }
            }
            if fd >= 0 { close(fd) }
            flushed.insert(folder)
        }

        // 3. Into place, then the folder entries.
        var folders = Set<String>()
        for (i, item) in items.enumerated() {
            guard let temp = temps[i] else { continue }
            if force {
                guard rename(temp, item.path) == 0 else {
                    errors[i] = failure(item.path, "cannot move the temporary file into place")
                    continue
                }
            } else if link(temp, item.path) == 0 {
                unlink(temp)
            } else if errno == EEXIST {
                errors[i] = FileError.alreadyExists(path: item.path)
                continue
            } else if access(item.path, F_OK) == 0 {
                errors[i] = FileError.alreadyExists(path: item.path)
                continue
            } else if rename(temp, item.path) != 0 {
                errors[i] = failure(item.path, "cannot move the temporary file into place")
                continue
            }
            temps[i] = nil
            folders.insert(Self.folder(of: item.path))
        }
        for folder in folders {
            let fd = open(folder, O_RDONLY)
            if fd >= 0 {
                _ = fsync(fd)
                close(fd)
            }
        }
        return errors
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
