import Foundation
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
public enum AtomicFile {
    /// Prefix of the temporary files: ".<name>.tmp-<pid>-<random>" next to the destination.
    public static func temporaryPath(for path: String) -> String {
        let (folder, name) = split(path)
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(folder).\(name).tmp-\(getpid())-\(random)"
    }

    /// Removes the temporary files that a killed run (SIGKILL, power loss) left beside
    /// `paths`: `.<name>.tmp-<pid>-<hex>` whose process no longer exists. Files of a
    /// live process (a run going on beside this one) and anything else are left alone.
    /// Returns how many were removed.
    @discardableResult
    public static func removeStaleTemporaries(for paths: [String]) -> Int {
        var namesByFolder: [String: Set<String>] = [:]
        for path in paths {
            let (folder, name) = split(path)
            namesByFolder[folder, default: []].insert(name)
        }
        var removed = 0
        for (folder, names) in namesByFolder {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)
            else { continue }
            for entry in entries where entry.hasPrefix(".") {
                guard let (name, pid) = parseTemporaryName(entry), names.contains(name),
                      kill(pid, 0) != 0 && errno == ESRCH else { continue }
                if unlink(folder + entry) == 0 { removed += 1 }
            }
        }
        return removed
    }

    /// "a/b/c" -> ("a/b/", "c"); "c" -> ("", "c").
    private static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[...slash]), String(path[path.index(after: slash)...]))
    }

    /// ".<name>.tmp-<pid>-<hex>" -> (name, pid); nil for any other name.
    static func parseTemporaryName(_ entry: String) -> (name: String, pid: pid_t)? {
        guard entry.hasPrefix("."), let marker = entry.range(of: ".tmp-", options: .backwards) else { return nil }
        let name = String(entry[entry.index(after: entry.startIndex)..<marker.lowerBound])
        let parts = entry[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard !name.isEmpty, parts.count == 2, let pid = pid_t(parts[0]), pid > 0,
              !parts[1].isEmpty, parts[1].allSatisfy(\.isHexDigit) else { return nil }
        return (name, pid)
    }

    /// Stores one file: the one-item case of `GroupCommit.store`, which holds the
    /// mechanism (temporary file, flush, rename or hard link, folder flush).
    public static func store(_ bytes: [UInt8], at path: String, force: Bool) throws {
        if let error = GroupCommit.store([(path: path, bytes: bytes)], force: force)[0] { throw error }
    }
}
