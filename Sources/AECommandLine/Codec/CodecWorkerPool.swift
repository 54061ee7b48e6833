import AECodec
import AEFormats
import AEProcess
import Dispatch
import Foundation

/// The workers of a codec run: each takes the next file, converts it with its own codec,
/// and writes finished outputs in groups (`GroupCommit`: one disk flush per group).
struct CodecWorkerPool {
    var conversion: any FileConversion
    var settings: CodecJob.Settings
    var state: RunState
    var reporter: FailureReporter
    /// The metadata reports of the files written (aeenc), summed up at the end of the run.
    var tally: MetadataTally

    /// Outputs are committed in groups of this many files, bytes or seconds, whichever comes first.
    static let groupFiles = 32
    static let groupBytes = 64 << 20
    static let groupSeconds = 1.0

    /// One converted file and the index of its task.
    struct Converted {
        var index: Int
        var file: ConvertedFile
    }

    /// Runs `workers` workers (worker 0 uses `first`; the others build their own codecs
    /// with `makeCodecs`) until every task is done or `shouldStop` says so.
    func run(workers: Int, first: WorkerCodecs, shouldStop: @escaping @Sendable () -> Bool,
             makeCodecs: @escaping () throws -> WorkerCodecs) {
        let work: (Int) -> Void = { w in
            guard let codec = w == 0 ? first : try? makeCodecs() else { return }
            codec.shouldStop = shouldStop
            var group: [Converted] = []
            var groupBytes = 0
            var groupStart = Date()
            while !shouldStop(), let index = state.next() {
                guard let done = convert(index, codec: codec) else { continue }
                if group.isEmpty { groupStart = Date() }
                group.append(done)
                groupBytes += done.file.bytes.count
                if group.count >= Self.groupFiles || groupBytes >= Self.groupBytes
                    || Date().timeIntervalSince(groupStart) >= Self.groupSeconds {
                    commit(group)
                    group.removeAll()
                    groupBytes = 0
                }
            }
            // Finished outputs are written even after Ctrl-C: they are complete.
            commit(group)
        }
        if workers == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        }
    }

    /// Reads and converts one file; reports its error (returning nil), if any.
    private func convert(_ index: Int, codec: WorkerCodecs) -> Converted? {
        let task = state.tasks[index]
        let name = Self.inputName(task)
        let start = Date()
        do {
            let bytes = try conversion.read(task.input, name: name)
            var file = try conversion.convert(bytes, name: name, task: task, codecs: codec)
            file.result.seconds = Date().timeIntervalSince(start)
            return Converted(index: index, file: file)
        } catch CodecError.interrupted {
            return nil  // neither done nor failed: the run ends as interrupted
        } catch {
            reporter.report(error, path: name)
            state.fail(index)
            return nil
        }
    }

    /// How messages name a task's input ("<stdin>" for standard input).
    static func inputName(_ task: CodecJob.Task) -> String {
        task.input.displayName == "-" ? "<stdin>" : task.input.displayName
    }

    /// Writes a group of converted files (see `GroupCommit`), then reports them.
    private func commit(_ group: [Converted]) {
        var files: [(path: String, bytes: [UInt8])] = []
        var fileIndices: [Int] = []
        var errors = [Error?](repeating: nil, count: group.count)
        for (k, c) in group.enumerated() {
            switch state.tasks[c.index].output {
            case .standardStream:
                do { try StandardStream.write(c.file.bytes, to: .output) } catch { errors[k] = error }
            case .file(let path):
                files.append((path, c.file.bytes))
                fileIndices.append(k)
            }
        }
        for (k, error) in zip(fileIndices, GroupCommit.store(files, force: settings.force)) { errors[k] = error }
        for (c, error) in zip(group, errors) {
            if let error {
                reporter.report(error, path: state.tasks[c.index].output.displayName)
                state.fail(c.index)
            } else {
                let input = Self.inputName(state.tasks[c.index])
                if let warning = c.file.warning { reporter.warn(warning, path: input) }
                for note in c.file.notes { reporter.note(note, path: input) }
                if let report = c.file.metadata { tally.add(report, file: input) }
                let line = settings.stats && !settings.json
                    ? CodecMetrics.statsLine(c.file.result, direction: settings.direction) : nil
                state.succeed(c.index, c.file.result, line: line)
                if let problem = c.file.referenceProblem {
                    reporter.report(problem)
                    state.noteUnmeasured()
                }
            }
        }
    }
}

