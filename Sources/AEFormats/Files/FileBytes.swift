import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `read(2)`, under a name the `FileBytes.read` method does not shadow.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// Whole-file reads (bounded), with errors that name the path.
public enum FileBytes {
    /// Default size limit of a whole-file read (MAT, .npy and PNG inputs), 4 GiB: checked
    /// against the file's size before anything is allocated (and while reading a file
    /// that grows), so no file, sparse or endless, can make a reader hold more.
    public static let defaultLimit = 1 << 32

    /// The bytes of the file at `path`. Throws `FileError.missing`,
    /// `.unreadable` (a folder, permissions, I/O error) or `.unreadable` when the
    /// file is larger than `limit` bytes.
    ///
    /// `checkPrefix`, if given, sees the first `signatureLength` bytes (fewer for a shorter
    /// file) before anything more is read, and throws to refuse a file that is not of the
    /// expected kind: `/dev/zero` or a wrong file is refused at once, not after `limit` bytes.
    public static func read(_ path: String, limit: Int = defaultLimit,
                     checkPrefix: (([UInt8]) throws -> Void)? = nil) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw FileError.missing(path: path) }
            throw FileError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw FileError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw FileError.unreadable(path: path, reason: "it is a folder, expected a file")
        }
        let size = Int(info.st_size)
        if let check = checkPrefix {
            if (info.st_mode & S_IFMT) == S_IFREG {
                var head = [UInt8](repeating: 0, count: min(signatureLength, size))
                let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
                try check(Array(head[0..<max(0, n)]))
            } else {
                // A pipe or device: its first bytes, then the rest under the limit.
                return try readAll(fd, limit: limit, path: path, checkPrefix: check)
            }
        }
        guard size <= limit else {
            throw FileError.unreadable(path: path, reason: "file is \(size) bytes, over the \(limit)-byte limit")
        }
        var failure: Int32 = 0
        var bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = systemRead(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }  // the file shrank while reading
                done += n
            }
            count = done
        }
        if failure != 0 {
            throw FileError.unreadable(path: path, reason: String(cString: strerror(failure)))
        }
        // A file that grew while being read: take the rest too.
        try readRest(fd, into: &bytes, limit: limit, path: path)
        return bytes
    }

    /// How many leading bytes `checkPrefix` sees: enough for every signature we check
    /// (WebP's 12: "RIFF", a length, "WEBP").
    public static let signatureLength = 12

    /// All of standard input (`aeenc -`, `aedec -`), refused as soon as it passes `limit`
    /// bytes: a pipe has no size to check first. Errors name it `<stdin>`. `checkPrefix`
    /// as in `read`.
    public static func standardInput(limit: Int, checkPrefix: (([UInt8]) throws -> Void)? = nil) throws -> [UInt8] {
        try readAll(0, limit: limit, path: "<stdin>", checkPrefix: checkPrefix)
    }

    /// Everything left to read from the open descriptor `fd`, at most `limit` bytes;
    /// `checkPrefix` as in `read`.
    public static func readAll(_ fd: Int32, limit: Int, path: String,
                        checkPrefix: (([UInt8]) throws -> Void)? = nil) throws -> [UInt8] {
        var bytes = try readPrefix(fd, count: signatureLength, path: path)
        try checkPrefix?(bytes)
        try readRest(fd, into: &bytes, limit: limit, path: path)
        return bytes
    }

    /// Up to `count` bytes from `fd` (fewer only at the end of the data).
    private static func readPrefix(_ fd: Int32, count: Int, path: String) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + done, count - done) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw FileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            done += n
        }
        return Array(buffer[0..<done])
    }

    /// Appends what is left to read from `fd` to `bytes`, in 64 KiB steps, throwing
    /// `.unreadable` once `bytes` holds more than `limit`.
    private static func readRest(_ fd: Int32, into bytes: inout [UInt8], limit: Int, path: String) throws {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw FileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { return }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit {
                throw FileError.unreadable(path: path, reason: "over the \(limit)-byte limit")
            }
        }
    }

    /// Up to the first `count` bytes of the file at `path` (nil if it cannot be read).
    public static func prefix(_ path: String, count: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, count) }
        guard n >= 0 else { return nil }
        return Array(buffer[0..<n])
    }

    /// "device:inode" of an existing file: the same file whatever the path, symlinks
    /// and hard links included (how a run recognises that an output is one of its inputs).
    public static func identity(of path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino)"
    }

    /// The identities of `paths`, and for each folder among them of the files directly inside it.
    public static func identities(of paths: [String]) -> Set<String> {
        var ids = Set<String>()
        for path in paths {
            guard let id = identity(of: path) else { continue }
            ids.insert(id)
            if kind(of: path).isFolder, let names = try? FileManager.default.contentsOfDirectory(atPath: path) {
                let base = path.hasSuffix("/") ? path : path + "/"
                for name in names { if let id = identity(of: base + name) { ids.insert(id) } }
            }
        }
        return ids
    }

    /// Whether `path` is a regular file (following symlinks): folder listings take only
    /// these, so a FIFO or device in a folder cannot block or flood a run.
    public static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether `path` exists, and whether it is a folder.
    public static func kind(of path: String) -> (exists: Bool, isFolder: Bool) {
        var info = stat()
        guard stat(path, &info) == 0 else { return (false, false) }
        return (true, (info.st_mode & S_IFMT) == S_IFDIR)
    }
}
