import Foundation

/// An error that concerns one file: tools print it as `tool: <path>: <reason>`.
public protocol PathReportable: Error {
    /// The file the error is about.
    var path: String { get }
    /// What went wrong, without the path.
    var reason: String { get }
}

/// A plain file-level error for the command-line tools.
public struct ToolError: PathReportable, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// The tools' shared error wording (`AECommandLine` writes it to standard error).
public enum ToolReporter {
    /// `tool: <path>: <reason>` for path errors, `tool: <description>` for others.
    /// Control characters (in file names, say) are escaped, so the message stays one line
    /// and cannot drive the terminal.
    public static func message(tool: String, error: Error, path: String? = nil) -> String {
        let line: String
        if let e = error as? PathReportable {
            line = "\(tool): \(e.path): \(e.reason)"
        } else if let path {
            line = "\(tool): \(path): \(String(describing: error))"
        } else {
            line = "\(tool): \(String(describing: error))"
        }
        return printable(line)
    }

    /// `text` with every control character (C0, DEL, C1) written as an escape: \n, \t,
    /// \r, or \u{XX}; a backslash stays as it is.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where isControl(scalar): out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value)
    }
}
