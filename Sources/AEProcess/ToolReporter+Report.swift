import AEFormats
import Foundation

extension ToolReporter {
    /// Writes `message(tool:error:path:)` and a newline to standard error.
    public static func report(tool: String, error: Error, path: String? = nil) {
        let line = message(tool: tool, error: error, path: path) + "\n"
        StandardStream.write(line, to: .error)
    }

    /// `tool: text` on standard error (end-of-run summaries).
    public static func say(tool: String, _ text: String) {
        StandardStream.write(printable("\(tool): \(text)") + "\n", to: .error)
    }

    /// A `--stats` line: on standard output, or on standard error when the data go to
    /// standard output.
    /// Through `output`, so that a progress bar on the terminal is cleared first.
    public static func statsLine(_ text: String, dataOnStandardOutput: Bool,
                                 output: TerminalOutput = TerminalOutput(mode: .lines)) {
        output.above(text, to: dataOnStandardOutput ? .error : .output)
    }
}
