import AEProcess
import Foundation

/// The shared queue of a run: the next task, results and failures, the `--stats` lines
/// (printed in the tasks' order, whatever order the workers finish in), and the progress bar.
// @unchecked: every mutable field is written under `lock` (results and counts are read after the workers end).
final class RunState: @unchecked Sendable {
    let tasks: [CodecJob.Task]
    private let output: TerminalOutput
    private let statsLine: (String) -> Void
    /// Per task: finished (written or failed), and its stats line until it is printed.
    private var settled: [Bool]
    private var lines: [String?]
    /// Tasks before this index are settled and their lines printed.
    private var printed = 0
    private let total: Int
    private let lock = NSLock()
    private var nextIndex = 0
    private(set) var results: [CodecJob.FileResult?]
    private(set) var failures = 0
    private(set) var unmeasured = 0
    private var done: Int
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(tasks: [CodecJob.Task], output: TerminalOutput, total: Int, alreadyDone: Int,
         statsLine: @escaping (String) -> Void = { _ in }) {
        self.tasks = tasks
        self.output = output
        self.statsLine = statsLine
        settled = Array(repeating: false, count: tasks.count)
        lines = Array(repeating: nil, count: tasks.count)
        self.total = total
        self.done = alreadyDone
        self.results = Array(repeating: nil, count: tasks.count)
    }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextIndex < tasks.count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }

    /// A file written; `line` is its stats line, printed once every earlier task is settled.
    func succeed(_ index: Int, _ result: CodecJob.FileResult, line: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        results[index] = result
        lines[index] = line
        settle(index)
    }

    /// A file written without its `--reference` measurement.
    func noteUnmeasured() {
        lock.lock()
        defer { lock.unlock() }
        unmeasured += 1
    }

    func fail(_ index: Int) {
        lock.lock()
        defer { lock.unlock() }
        failures += 1
        settle(index)
    }

    private func settle(_ index: Int) {
        settled[index] = true
        done += 1
        var wrote = false
        while printed < tasks.count && settled[printed] {
            if let line = lines[printed] { statsLine(line) }  // clears the bar's line first
            wrote = wrote || lines[printed] != nil
            lines[printed] = nil
            printed += 1
        }
        draw(force: wrote)
    }

    /// Redraws the bar (at most 10 times a second; only with several files).
    /// `force`: the line was just cleared for stats lines, so it is drawn again at once.
    private func draw(force: Bool = false) {
        guard total > 1, output.mode == .interactive else { return }
        let now = Date()
        guard force || done == total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : .nan
        output.status("\(TerminalOutput.bar(fraction: Double(done) / Double(total))) \(done)/\(total) files  "
                      + String(format: "%.0f files/s", rate) + "  ETA \(TerminalOutput.duration(eta))")
    }

    /// Clears the bar and prints the lines still waiting (after Ctrl-C, those behind a
    /// task that never finished), in the tasks' order.
    func finishProgress() {
        lock.lock()
        defer { lock.unlock() }
        if total > 1 && output.mode == .interactive { output.status("") }
        for case let line? in lines[printed...] { statsLine(line) }
        lines = lines.map { _ in nil }
    }
}
