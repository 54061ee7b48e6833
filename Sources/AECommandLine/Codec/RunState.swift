import AEProcess
import Foundation

/// The shared queue of a run: the next task, results and failures, and the progress bar.
// @unchecked: every mutable field is written under `lock` (results and counts are read after the workers end).
final class RunState: @unchecked Sendable {
    let tasks: [CodecJob.Task]
    private let output: TerminalOutput
    private let total: Int
    private let lock = NSLock()
    private var nextIndex = 0
    private(set) var results: [CodecJob.FileResult?]
    private(set) var failures = 0
    private(set) var unmeasured = 0
    private var done: Int
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(tasks: [CodecJob.Task], output: TerminalOutput, total: Int, alreadyDone: Int) {
        self.tasks = tasks
        self.output = output
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

    func succeed(_ index: Int, _ result: CodecJob.FileResult) {
        lock.lock()
        defer { lock.unlock() }
        results[index] = result
        done += 1
        draw()
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
        done += 1
        draw()
    }

    /// Redraws the bar (at most 10 times a second; only with several files).
    private func draw() {
        guard total > 1, output.mode == .interactive else { return }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : .nan
        output.status("\(TerminalOutput.bar(fraction: Double(done) / Double(total))) \(done)/\(total) files  "
                      + String(format: "%.0f files/s", rate) + "  ETA \(TerminalOutput.duration(eta))")
    }

    func finishProgress() {
        guard total > 1, output.mode == .interactive else { return }
        output.status("")
    }
}
