import AEProcess
import AEFormats
import Foundation

/// Per-file errors and warnings, one line each on standard error (clearing a progress bar first).
// @unchecked: reports are serialised by `lock`; TerminalOutput is used only under it.
final class FailureReporter: @unchecked Sendable {
    private let tool: String
    private let output: TerminalOutput
    private let lock = NSLock()

    init(tool: String, output: TerminalOutput) {
        self.tool = tool
        self.output = output
    }

    func report(_ error: Error, path: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        output.status("")
        ToolReporter.report(tool: tool, error: error, path: path)
    }

    /// `tool: <path>: warning: <text>`: a file that was written, but not as asked.
    func warn(_ text: String, path: String) {
        lock.lock()
        defer { lock.unlock() }
        output.status("")
        ToolReporter.say(tool: tool, "\(path): warning: \(text)")
    }

    /// `tool: <path>: note: <text>`: something the user should know, not an error.
    func note(_ text: String, path: String) {
        lock.lock()
        defer { lock.unlock() }
        output.status("")
        ToolReporter.say(tool: tool, "\(path): note: \(text)")
    }
}
