import AEFormats
import Foundation

/// Where progress goes: standard error, redrawn in place on a terminal,
/// one line per step otherwise (logs and pipes stay readable), or nowhere.
public struct TerminalOutput: Sendable {
    public enum Mode: Sendable { case interactive, lines, quiet }
    public let mode: Mode

    public init(mode: Mode) { self.mode = mode }

    /// Interactive when standard error is a terminal, line mode otherwise.
    public static func standardError(quiet: Bool) -> TerminalOutput {
        if quiet { return TerminalOutput(mode: .quiet) }
        return TerminalOutput(mode: isatty(STDERR_FILENO) == 1 ? .interactive : .lines)
    }

    /// Redraws the current line (interactive mode only).
    public func status(_ text: String) {
        guard mode == .interactive else { return }
        StandardStream.write("\r\u{1B}[2K" + text, to: .error)
    }

    /// Prints a finished line (replacing the status line on a terminal).
    public func line(_ text: String) {
        switch mode {
        case .quiet: return
        case .interactive: StandardStream.write("\r\u{1B}[2K" + text + "\n", to: .error)
        case .lines: StandardStream.write(text + "\n", to: .error)
        }
    }

    /// Writes `text` and a newline to `target` (a `--stats` line, on standard output or
    /// error) without running into the status line: on a terminal the status line is
    /// cleared first, and its owner draws it again below. One owner of the terminal's line,
    /// whichever stream the text goes to.
    public func above(_ text: String, to target: StandardStream.Target) {
        if mode == .interactive { StandardStream.write("\r\u{1B}[2K", to: .error) }
        StandardStream.write(text + "\n", to: target)
    }

    /// A text bar like `[=========>          ]`.
    public static func bar(fraction: Double, width: Int = 24) -> String {
        let f = max(0, min(1, fraction))
        let filled = Int(f * Double(width))
        let head = filled < width ? ">" : ""
        return "[" + String(repeating: "=", count: filled) + head
            + String(repeating: " ", count: max(0, width - filled - head.count)) + "]"
    }

    /// Seconds as m:ss or h:mm:ss.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite && seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
