import AEFormats
import Foundation

/// Writes to the process's standard output and error with plain `write(2)`, so a
/// full disk, a closed pipe or a closed descriptor is an error to report, not a
/// crash (Foundation's `FileHandle.write(_: Data)` traps on failure).
public enum StandardStream {
    public enum Target: Sendable {
        case output, error
        var descriptor: Int32 { self == .output ? STDOUT_FILENO : STDERR_FILENO }
    }

    /// Writes all of `bytes`; throws `ToolError` for "-" when the stream refuses them.
    public static func write(_ bytes: [UInt8], to target: Target) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(target.descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let what = target == .output ? "standard output" : "standard error"
                throw ToolError(path: "-", reason: "cannot write to \(what): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Writes `text`, ignoring failure (for messages: there is nowhere left to report it).
    public static func write(_ text: String, to target: Target) {
        try? write(Array(text.utf8), to: target)
    }
}
