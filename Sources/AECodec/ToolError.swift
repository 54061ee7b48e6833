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

/// The tools' shared error reporting: one line on standard error.
public enum ToolReporter {
    /// `tool: <path>: <reason>` for path errors, `tool: <description>` for others.
    public static func message(tool: String, error: Error, path: String? = nil) -> String {
        if let e = error as? PathReportable { return "\(tool): \(e.path): \(e.reason)" }
        let text = String(describing: error)
        if let path { return "\(tool): \(path): \(text)" }
        return "\(tool): \(text)"
    }

    /// Writes `message(tool:error:path:)` and a newline to standard error.
    public static func report(tool: String, error: Error, path: String? = nil) {
        let line = message(tool: tool, error: error, path: path) + "\n"
        StandardStream.write(line, to: .error)
    }
}
