import AEProcess
import AEFormats
import AENet
import Foundation

/// What `aeenc` and `aedec` do once their arguments are parsed: Ctrl-C handling,
/// progress, `--stats` lines or the `--json` document (on standard output, or standard
/// error when the data go to standard output), the final count of failures, and the exit status.
public enum CodecCommand {
    /// Runs the job and returns the exit status (0, 1, 2, 64 for a `CodecUsageError`, or 130;
    /// see `CodecJob.Summary.exitCode`).
    public static func run(_ settings: CodecJob.Settings, quiet: Bool) -> Int32 {
        AllocatorTuning.keepFreedMemory()
        Parallelism.useSingleThreadedBLAS()
        let job = CodecJob(settings: settings)
        let toStandardOutput = settings.output == "-" || (settings.output == nil && settings.inputs == ["-"])
        if toStandardOutput && isatty(STDOUT_FILENO) == 1 {
            ToolReporter.report(tool: job.tool, error: ToolError(path: "-", reason:
                "refusing to write binary data to a terminal: redirect standard output or use -o FILE"))
            return 1
        }
        let interrupt = InterruptFlag.installForTool()
        let output = TerminalOutput.standardError(quiet: quiet)
        let statsLock = NSLock()
        do {
            let summary = try job.run(output: output, shouldStop: { interrupt.isRaised }, statsLine: { line in
                statsLock.lock()
                defer { statsLock.unlock() }
                ToolReporter.statsLine(line, dataOnStandardOutput: toStandardOutput, output: output)
            })
            if settings.json {
                // One document at the end, where the --stats lines would go.
                ToolReporter.statsLine(try CodecJSONReport(tool: job.tool, summary: summary).text(),
                                       dataOnStandardOutput: toStandardOutput)
            }
            func say(_ text: String) { ToolReporter.say(tool: job.tool, text) }
            summary.notes.forEach(say)
            if summary.interrupted {
                say("interrupted: \(summary.results.count) of \(summary.total) files written, each complete; the rest not started")
            } else if summary.failed > 0 && summary.total > 1 {
                say("\(summary.failed) of \(summary.total) files failed")
            }
            if summary.skipped > 0 {
                say("skipped \(summary.skipped) entr\(summary.skipped == 1 ? "y" : "ies") of the input folders (named above)")
            }
            if summary.kept > 0 {
                say("kept \(summary.kept) existing output\(summary.kept == 1 ? "" : "s") (--skip-existing)")
            }
            return summary.exitCode
        } catch let error as CodecUsageError {
            ToolReporter.report(tool: job.tool, error: error)
            return 64
        } catch {
            ToolReporter.report(tool: job.tool, error: error)
            return 1
        }
    }
}
