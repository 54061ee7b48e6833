import ArgumentParser

/// The order of a tool's `--help`: what it does (one paragraph), then the usage lines (the
/// examples), the arguments and the options, and only then the long explanations under
/// DETAILS. swift-argument-parser prints the explanations (the configuration's
/// `discussion`) between the overview and the usage, so the usage scrolls out of sight.
public enum HelpLayout {
    /// `help` (swift-argument-parser's text) with the paragraphs between the overview's
    /// first paragraph and "USAGE:" moved to the end, under "DETAILS:". Unchanged when it
    /// has no such paragraphs or no usage.
    public static func reordered(_ help: String) -> String {
        let paragraphs = help.components(separatedBy: "\n\n")
        guard let usage = paragraphs.firstIndex(where: { $0.hasPrefix("USAGE:") }), usage > 1 else { return help }
        let details = paragraphs[1..<usage].map { paragraph in
            paragraph.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        }
        var tail = Array(paragraphs[usage...])
        // The parser's text ends with a newline; keep it at the very end.
        let trailing = tail[tail.count - 1].hasSuffix("\n")
        if trailing { tail[tail.count - 1].removeLast() }
        let out = ([paragraphs[0]] + tail + ["DETAILS:\n" + details.joined(separator: "\n\n")]).joined(separator: "\n\n")
        return trailing ? out + "\n" : out
    }

    /// Whether `arguments` ask for help (`-h` or `--help` before any `--`).
    static func asksForHelp(_ arguments: [String]) -> Bool {
        for argument in arguments {
            if argument == "--" { return false }
            if argument == "-h" || argument == "--help" { return true }
        }
        return false
    }
}
