import AEFormats
import Foundation

extension ToolReporter {
    /// Writes `message(tool:error:path:)` and a newline to standard error.
    public static func report(tool: String, error: Error, path: String? = nil) {
        let line = message(tool: tool, error: error, path: path) + "\n"
        StandardStream.write(line, to: .error)
    }
}
