import ArgumentParser

/// What the tools do to their arguments before swift-argument-parser sees them:
///
/// - A word with one dash and more than one letter (`-dash.png`, `-x.png`) is refused as a
///   usage error. The parser would read it as a bundle of one-letter flags, and one of
///   them may be `-h` (so `aeenc -dash.png` printed help and exited 0). Files whose
///   names start with a dash are named `./-dash.png` or put after `--`.
/// - A negative number right after a long option is attached to it (`--epochs -1` ->
///   `--epochs=-1`), so the option's own check reports the value instead of the parser
///   saying "missing value".
public enum ArgumentPreflight {
    /// The arguments to parse, or the usage error to report (exit 64).
    public static func check(_ arguments: [String]) -> Result<[String], ValidationError> {
        var out: [String] = []
        var afterSeparator = false
        for argument in arguments {
            if afterSeparator || argument == "-" || !argument.hasPrefix("-") {
                out.append(argument)
                continue
            }
            if argument == "--" {
                afterSeparator = true
                out.append(argument)
                continue
            }
            if isNegativeNumber(argument), let last = out.last, last.hasPrefix("--"), !last.contains("="), !afterSeparator {
                out[out.count - 1] = last + "=" + argument
                continue
            }
            if !argument.hasPrefix("--") && argument.count > 2 {
                return .failure(ValidationError(
                    "unknown option '\(argument)' (one-dash options are single letters); to name a file starting "
                    + "with '-', write ./\(argument) or put it after --"))
            }
            out.append(argument)
        }
        return .success(out)
    }

    static func isNegativeNumber(_ text: String) -> Bool {
        text.count > 1 && text.hasPrefix("-") && Double(text.dropFirst()) != nil
    }
}

extension ParsableCommand {
    /// `main()` over the process's arguments after `ArgumentPreflight`; `--version`
    /// (anywhere before a `--`) prints `ToolVersion.text` and exits 0 (the parser's own
    /// `--version` prints only the configuration's fixed string, which lists it in the help);
    /// help in `HelpLayout`'s order (for tools without subcommands).
    public static func mainCheckingArguments() {
        switch ArgumentPreflight.check(Array(CommandLine.arguments.dropFirst())) {
        case .success(let arguments):
            if arguments.prefix(while: { $0 != "--" }).contains("--version") {
                print(ToolVersion.text(tool: configuration.commandName ?? "aecodec"))
                exit()
            }
            if configuration.subcommands.isEmpty && HelpLayout.asksForHelp(arguments) {
                // 78 columns: the details are indented by 2.
                print(HelpLayout.reordered(helpMessage(columns: 78)), terminator: "")
                exit()
            }
            main(arguments)
        case .failure(let error): exit(withError: error)
        }
    }
}
