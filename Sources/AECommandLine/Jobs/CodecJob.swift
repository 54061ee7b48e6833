import AEProcess
import AEBase
import AECodec
import AEFormats
import AENet
import Dispatch
import Foundation

/// One `aeenc` or `aedec` run: resolve the model, map inputs to outputs, encode or
/// decode every file (spread over the cores), write each output atomically, and
/// report. The executables only parse arguments into `CodecJob.Settings`.
///
/// Files are independent: one that fails is reported (`tool: <path>: <reason>`) and
/// the others go on. Outputs are written through a temporary file and renamed, never
/// over an existing file without `force`, never over an input; an error or Ctrl-C
/// leaves no partial output.
public struct CodecJob {
    public enum Direction: Sendable {
        case encode, decode
    }

    public struct Settings: Sendable {
        public var direction: Direction
        /// Files, folders (every .png / .ael file in them, not recursing), or "-" (stdin).
        public var inputs: [String] = []
        /// Output file, or folder for several inputs; "-" for stdout; nil: next to the input.
        public var output: String?
        /// A bundle path or a built-in model name; nil for `EmbeddedModels.defaultName`.
        public var model: String?
        public var force = false
        /// Keep outputs that already exist and are valid (a complete file of this model)
        /// instead of refusing them: a rerun after a killed or interrupted run finishes
        /// only the rest. An existing output that is not valid is an error (never replaced).
        public var skipExisting = false
        public var threads = Parallelism.availableCores
        /// Print size, bits per pixel and compression ratio per file (and PSNR with `reference`).
        public var stats = false
        /// Decoding: the original PNG (or a folder of originals, matched by name) to
        /// measure MSE and PSNR against.
        public var reference: String?
        /// Encoding: bits per latent value, 16 (float16) or 8 (one byte with the model's
        /// quantisation table).
        public var bits = 16

        public init(direction: Direction) { self.direction = direction }
    }

    /// Where an input comes from or an output goes.
    public enum Endpoint: Equatable, Sendable {
        case file(String)
        case standardStream

        public var displayName: String {
            switch self {
            case .file(let path): return path
            case .standardStream: return "-"
            }
        }
    }

    /// One input and where its output goes.
    public struct Task: Equatable, Sendable {
        public var input: Endpoint
        public var output: Endpoint
        /// The reference PNG for this file (decoding with `reference`).
        public var reference: String?
    }

    /// What one file gave.
    public struct FileResult: Sendable {
        public var task: Task
        public var width: Int
        public var height: Int
        /// Size of the latent file (written when encoding, read when decoding).
        public var latentBytes: Int
        /// Sum of squared differences (pixels in [0, 1], RGB) against the reference, and the number of values.
        public var squaredError: Double?
        public var comparedValues: Int = 0

        public var bitsPerPixel: Double { Double(latentBytes * 8) / Double(width * height) }
        /// Raw RGB bytes (width x height x 3) over the latent file's bytes.
        public var compressionRatio: Double { Double(width * height * 3) / Double(latentBytes) }
        public var mse: Double? { squaredError.map { $0 / Double(max(1, comparedValues)) } }
        public var psnr: Double? { mse.map { PSNR.decibels(mse: $0) } }
    }

    /// The end of a run.
    public struct Summary: Sendable {
        public var results: [FileResult]
        public var failed: Int
        /// Existing valid outputs kept (`skipExisting`).
        public var kept: Int = 0
        /// Files decoded and written whose `--reference` could not be compared.
        public var unmeasured: Int = 0
        public var total: Int
        public var interrupted: Bool
        public var seconds: Double

        /// 130 when interrupted, 1 when a file failed (or lacks its reference measurement), 0 otherwise.
        public var exitCode: Int32 { interrupted ? 130 : (failed > 0 || unmeasured > 0 ? 1 : 0) }
    }

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    public var tool: String { settings.direction == .encode ? "aeenc" : "aedec" }
    var encoding: LatentFile.LatentEncoding { settings.bits == 8 ? .uint8 : .float16 }
    var inputExtension: String { settings.direction == .encode ? "png" : LatentFile.fileExtension }
    var outputExtension: String { settings.direction == .encode ? LatentFile.fileExtension : "png" }

    public static func psnr(_ mse: Double) -> Double { mse > 0 ? 10 * log10(1 / mse) : .infinity }

    // MARK: - The model

    /// The bundle `--model` names (a file, or a built-in name), and how to call it.
    ///
    /// A spec containing "/" or naming an existing file is a bundle path; otherwise it
    /// is a built-in model name (`EmbeddedModels`).
    public static func loadModel(_ spec: String?) throws -> (bundle: ModelBundle, name: String) {
        let name = spec ?? EmbeddedModels.defaultName
        let isPath = name.contains("/") || FileManager.default.fileExists(atPath: name)
        if !isPath, let bundle = try EmbeddedModels.bundle(named: name) {
            return (bundle, "built-in \(name)")
        }
        if !isPath {
            let known = EmbeddedModels.names.isEmpty ? "none" : EmbeddedModels.names.joined(separator: ", ")
            throw ToolError(path: name, reason: "no such model file, and no built-in model by that name (built-in: \(known))")
        }
        return (try ModelBundle.read(path: name), name)
    }

    // MARK: - Planning

    /// The tasks, the inputs that cannot be used (each with its error), and with
    /// `skipExisting` the tasks whose output already exists (to be checked, not redone).
    /// Throws for problems that concern the whole run (no inputs, a bad `-o`).
    public func plan() throws -> (tasks: [Task], refused: [Error], existing: [Task]) {
        let inputs = settings.inputs
        guard !inputs.isEmpty else { throw ToolError(path: "INPUT", reason: "no input files given") }
        if inputs.contains("-") {
            guard inputs.count == 1 else {
                throw ToolError(path: "-", reason: "standard input can only be the single input")
            }
            let out: Endpoint
            if let o = settings.output, o != "-" {
                if FileBytes.kind(of: o).isFolder || o.hasSuffix("/") {
                    throw ToolError(path: o, reason: "is a folder: name the output file for standard input")
                }
                if let id = FileBytes.identity(of: o), readFileIdentities(files: []).contains(id) {
                    throw ToolError(path: o, reason: "is read by this run (the reference or the model); refusing to overwrite it")
                }
                out = .file(o)
            } else {
                out = .standardStream
            }
            return ([Task(input: .standardStream, output: out, reference: settings.reference)], [], [])
        }

        // Expand folders.
        var files: [String] = []
        var refused: [Error] = []
        var sawFolder = false
        for input in inputs {
            let kind = FileBytes.kind(of: input)
            guard kind.isFolder else { files.append(input); continue }
            sawFolder = true
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: input)
            } catch {
                refused.append(ToolError(path: input, reason: "cannot list the folder"))
                continue
            }
            let base = input.hasSuffix("/") ? input : input + "/"
            let named = names.filter {
                !$0.hasPrefix(".") && ($0 as NSString).pathExtension.lowercased() == inputExtension
                    && !FileBytes.kind(of: base + $0).isFolder
            }.sorted()
            // A FIFO or device could block the run or never end: named, not read.
            let matching = named.filter { FileBytes.isRegularFile(base + $0) }
            for name in named where !matching.contains(name) {
                refused.append(ToolError(path: base + name, reason: "is not a regular file (a FIFO, device or socket); skipped"))
            }
            if named.isEmpty {
                refused.append(ToolError(path: input, reason: "the folder holds no .\(inputExtension) files"))
            }
            files += matching.map { base + $0 }
        }

        let several = files.count + refused.count > 1 || sawFolder
        var outputFolder: String? = nil
        if let o = settings.output {
            if several {
                guard o != "-" else { throw ToolError(path: "-", reason: "several outputs cannot go to standard output") }
                outputFolder = o
            } else if o == "-" {
                outputFolder = nil
            } else if FileBytes.kind(of: o).isFolder || o.hasSuffix("/") {
                outputFolder = o
            }
        }
        // With nothing to convert the refusals say it all.
        if let folder = outputFolder, !files.isEmpty {
            let kind = FileBytes.kind(of: folder)
            let given = files.count + refused.count > 1 ? "with several inputs" : "with a folder as input"
            if kind.exists && !kind.isFolder {
                throw ToolError(path: folder, reason: "is a file: \(given), -o names an output folder")
            }
            if !kind.exists && (folder as NSString).pathExtension.lowercased() == outputExtension {
                throw ToolError(path: folder, reason: "\(given), -o names an output folder, not a .\(outputExtension) file")
            }
        }

        var tasks: [Task] = []
        var existing: [Task] = []
        var claimed: [String: String] = [:]  // output identity -> input that claimed it
        // Never write over a file this run reads: inputs, references, the model bundle.
        let inputIDs = readFileIdentities(files: files)
        for input in files {
            let output: Endpoint
            if let folder = outputFolder {
                let base = folder.hasSuffix("/") ? folder : folder + "/"
                output = .file(base + replacingExtension(of: (input as NSString).lastPathComponent))
            } else if let o = settings.output, !several {
                output = o == "-" ? .standardStream : .file(o)
            } else {
                output = .file(replacingExtension(of: input))
            }
            if case .file(let path) = output {
                if let id = FileBytes.identity(of: path), inputIDs.contains(id) {
                    refused.append(ToolError(path: input, reason: "the output \(path) is read by this run (an input, a reference or the model); refusing to overwrite it"))
                    continue
                }
                let key = FileBytes.identity(of: path) ?? URL(fileURLWithPath: path).standardizedFileURL.path
                if let other = claimed[key] {
                    refused.append(ToolError(path: input, reason: "its output \(path) is also the output of \(other)"))
                    continue
                }
                claimed[key] = input
                if !settings.force && FileBytes.kind(of: path).exists {
                    if settings.skipExisting {
                        existing.append(Task(input: .file(input), output: output, reference: reference(for: input)))
                        continue
                    }
                    refused.append(ToolError(path: path, reason: FileErrorText.alreadyExists))
                    continue
                }
            }
            tasks.append(Task(input: .file(input), output: output, reference: reference(for: input)))
        }
        // The output folder is made only when something will go into it.
        if let folder = outputFolder, !tasks.isEmpty, !FileBytes.kind(of: folder).exists {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw ToolError(path: folder, reason: "cannot create the output folder")
            }
        }
        return (tasks, refused, existing)
    }

    /// The identities of every file the run reads: the inputs, their references and a
    /// model given as a file.
    func readFileIdentities(files: [String]) -> Set<String> {
        var read = files
        read += files.compactMap { reference(for: $0) }
        if let r = settings.reference { read.append(r) }
        if let m = settings.model { read.append(m) }
        return Set(read.compactMap { FileBytes.identity(of: $0) })
    }

    /// `name.png` -> `name.ael` (the last extension replaced, or the new one appended).
    func replacingExtension(of path: String) -> String {
        let name = (path as NSString).lastPathComponent
        let folder = String(path.dropLast(name.count))
        let dot = name.lastIndex(of: ".")
        let stem = dot.map { $0 == name.startIndex ? name : String(name[..<$0]) } ?? name
        return folder + stem + "." + outputExtension
    }

    /// The reference image for `input`: the file given, or FOLDER/<name>.png.
    func reference(for input: String) -> String? {
        guard let r = settings.reference else { return nil }
        guard FileBytes.kind(of: r).isFolder else { return r }
        let name = (input as NSString).lastPathComponent
        let stem = name.lastIndex(of: ".").map { String(name[..<$0]) } ?? name
        return (r.hasSuffix("/") ? r : r + "/") + stem + ".png"
    }

    // MARK: - Running

    /// Runs the whole job. `shouldStop` is polled between files (Ctrl-C). Per-file
    /// errors go to standard error as they happen; `statsLine` receives the `--stats`
    /// lines. Throws only for problems that stop everything before any file is done.
    public func run(output: TerminalOutput, shouldStop: @escaping @Sendable () -> Bool = { false },
                    statsLine: @escaping (String) -> Void) throws -> Summary {
        let start = Date()
        if settings.reference != nil && settings.direction == .encode {
            throw ToolError(path: settings.reference!, reason: "--reference is for aedec")
        }
        let (bundle, modelName) = try Self.loadModel(settings.model)
        if settings.skipExisting && settings.force {
            throw ToolError(path: "--skip-existing", reason: "cannot be used with --force")
        }
        let (tasks, refused, existing) = try plan()
        let reporter = FailureReporter(tool: tool, output: output)
        for error in refused { reporter.report(error) }
        let total = tasks.count + refused.count + existing.count
        // A killed run may have left temporary files beside the outputs: remove them.
        let outputPaths = (tasks + existing).compactMap { task -> String? in
            if case .file(let path) = task.output { return path } else { return nil }
        }
        AtomicFile.removeStaleTemporaries(for: outputPaths)

        // One file: its chunks spread over all threads. Several: one worker per thread,
        // each with its own single-threaded codec, taking whole files (the bytes are the
        // same either way: see ImageCodec, "Determinism").
        let workers = max(1, min(settings.threads, tasks.count))
        let codecThreads = workers == 1 ? max(1, settings.threads) : 1
        // Build the first codec here, so a model that does not fit fails the run once.
        let first = try ImageCodec(bundle: bundle, name: modelName, threads: codecThreads)
        first.shouldStop = shouldStop
        if settings.direction == .encode { try first.checkCanEncode(encoding) }
        // Existing outputs (skipExisting): kept when valid, an error otherwise.
        var kept = 0, invalid = 0
        for task in existing {
            if let error = verifyExisting(task, codec: first) {
                reporter.report(error)
                invalid += 1
            } else {
                kept += 1
            }
        }
        let state = RunState(tasks: tasks, output: output, total: total, alreadyDone: refused.count + existing.count)

        let work: (Int) -> Void = { w in
            guard let codec = w == 0 ? first : try? ImageCodec(bundle: bundle, name: modelName, threads: codecThreads)
            else { return }
            codec.shouldStop = shouldStop
            // Outputs are written in groups (GroupCommit: one disk flush per group).
            var group: [Converted] = []
            var groupBytes = 0
            var groupStart = Date()
            while !shouldStop(), let index = state.next() {
                guard let done = self.convert(index, codec: codec, state: state, reporter: reporter) else { continue }
                if group.isEmpty { groupStart = Date() }
                group.append(done)
                groupBytes += done.bytes.count
                if group.count >= Self.groupFiles || groupBytes >= Self.groupBytes
                    || Date().timeIntervalSince(groupStart) >= Self.groupSeconds {
                    self.commit(group, state: state, reporter: reporter, statsLine: statsLine)
                    group.removeAll()
                    groupBytes = 0
                }
            }
            // Finished outputs are written even after Ctrl-C: they are complete.
            self.commit(group, state: state, reporter: reporter, statsLine: statsLine)
        }
        if workers == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        }
        state.finishProgress()

        let results = state.results.compactMap { $0 }
        let failed = refused.count + invalid + state.failures
        let interrupted = shouldStop() && results.count + failed + kept < total
        if settings.stats && results.count > 1 { statsLine(Self.totalLine(results)) }
        return Summary(results: results, failed: failed, kept: kept, unmeasured: state.unmeasured, total: total,
                       interrupted: interrupted, seconds: Date().timeIntervalSince(start))
    }

    /// Why an existing output cannot be kept (nil: it is a complete, valid file of
    /// this run: a latent file of this model and bit depth, or a PNG that decodes).
    func verifyExisting(_ task: Task, codec: ImageCodec) -> Error? {
        guard case .file(let path) = task.output else { return nil }
        func invalid(_ reason: String) -> Error {
            ToolError(path: path, reason: "already exists and \(reason) (use --force to replace it)")
        }
        do {
            switch settings.direction {
            case .encode:
                let header = try LatentFile.inspect(try LatentFile.readBytes(path: path), path: path)
                guard codec.made(fileFingerprint: header.modelFingerprint) else {
                    return invalid("was encoded with another model")
                }
                guard header.encoding == encoding else {
                    return invalid("holds \(header.encoding == .uint8 ? 8 : 16)-bit latents, not \(settings.bits)-bit")
                }
            case .decode:
                let bytes = try FileBytes.read(path, limit: PNGImage.maxFileBytes)
                // libpng forgives a missing end; a kept output must be the whole file.
                guard bytes.count >= 12 && Array(bytes.suffix(12)) == PNGImage.endChunk else {
                    return invalid("is not a complete PNG (it does not end with the IEND chunk)")
                }
                _ = try PNGImage.decode(bytes, maxPixels: ImageCodec.maxPixels)
            }
            return nil
        } catch {
            let reason = (error as? PathReportable)?.reason ?? "\(error)"
            return invalid("is not a valid \(settings.direction == .encode ? "latent file" : "PNG"): \(reason)")
        }
    }

    /// Outputs are committed in groups of this many files, bytes or seconds, whichever comes first.
    static let groupFiles = 32
    static let groupBytes = 64 << 20
    static let groupSeconds = 1.0

    /// One converted file, waiting to be written.
    struct Converted {
        var index: Int
        var bytes: [UInt8]
        var result: FileResult
        /// The `--reference` image could not be compared: reported once the output is written.
        var referenceProblem: Error? = nil
    }

    /// Reads and converts one file; reports its error (returning nil), if any.
    private func convert(_ index: Int, codec: ImageCodec, state: RunState, reporter: FailureReporter) -> Converted? {
        let task = state.tasks[index]
        let name = task.input.displayName == "-" ? "<stdin>" : task.input.displayName
        do {
            // The first bytes are checked before the rest is read, so /dev/zero or a wrong
            // file is refused at once instead of after the size limit.
            let checkPrefix: ([UInt8]) throws -> Void = { prefix in
                switch self.settings.direction {
                case .encode:
                    if prefix.starts(with: LatentFile.magic) {
                        throw ToolError(path: name, reason: "is a latent file (.ael), not a PNG: decode it with aedec")
                    }
                    if !prefix.isEmpty && !prefix.starts(with: PNGImage.signature) && !PNGImage.signature.starts(with: prefix) {
                        throw CodecError.unreadableImage(path: name, reason: PNGError.notPNG.description)
                    }
                case .decode:
                    if prefix.starts(with: PNGImage.signature) {
                        throw ToolError(path: name, reason: "is a PNG image, not a latent file: encode it with aeenc")
                    }
                    try LatentFileCodec.checkSignature(prefix, path: name)
                }
            }
            let limit = settings.direction == .encode ? PNGImage.maxFileBytes : LatentFile.Limits.fileBytes
            let bytes: [UInt8]
            switch task.input {
            case .standardStream:
                bytes = try FileBytes.standardInput(limit: limit, checkPrefix: checkPrefix)
            case .file(let path):
                bytes = settings.direction == .encode ? try FileBytes.read(path, limit: limit, checkPrefix: checkPrefix)
                                                      : try LatentFile.readBytes(path: path, checkPrefix: checkPrefix)
            }
            switch settings.direction {
            case .encode:
                let file = try codec.encode(try CodecImage.decodePNG(bytes, path: name), encoding: encoding)
                let output: [UInt8]
                do {
                    output = try file.encoded()
                } catch LatentFileError.invalidRequest(_, let reason) {
                    // The latents this model made cannot be stored (NaN from NaN weights): name the input.
                    throw LatentFileError.invalidRequest(path: name, reason: reason)
                }
                return Converted(index: index, bytes: output, result: FileResult(
                    task: task, width: file.width, height: file.height, latentBytes: output.count))
            case .decode:
                let file: LatentFile
                do {
                    file = try LatentFile.decode(bytes, path: name, quantization: codec.quantization)
                } catch LatentFileError.quantizationRequired(let path, let reason) {
                    // A uint8 file the model's table does not fit: from another model?
                    let header = try LatentFile.inspect(bytes, path: name)
                    guard codec.made(fileFingerprint: header.modelFingerprint) else {
                        throw codec.modelMismatch(path: name, fileFingerprint: header.modelFingerprint)
                    }
                    throw LatentFileError.quantizationRequired(path: path, reason: reason)
                }
                let image = try codec.decode(file, path: name)
                let output = try image.encoded()
                var result = FileResult(task: task, width: image.width, height: image.height, latentBytes: bytes.count)
                var problem: Error? = nil
                if let reference = task.reference {
                    // A missing or unusable reference costs the measurement, not the decoded image.
                    do {
                        (result.squaredError, result.comparedValues) = try Self.compare(png: output, reference: reference, input: name)
                    } catch {
                        problem = error
                    }
                }
                return Converted(index: index, bytes: output, result: result, referenceProblem: problem)
            }
        } catch CodecError.interrupted {
            return nil  // neither done nor failed: the run ends as interrupted
        } catch {
            reporter.report(error, path: name)
            state.fail(index)
            return nil
        }
    }

    /// Writes a group of converted files (see `GroupCommit`), then reports them.
    private func commit(_ group: [Converted], state: RunState, reporter: FailureReporter, statsLine: (String) -> Void) {
        var files: [(path: String, bytes: [UInt8])] = []
        var fileIndices: [Int] = []
        var errors = [Error?](repeating: nil, count: group.count)
        for (k, c) in group.enumerated() {
            switch state.tasks[c.index].output {
            case .standardStream:
                do { try StandardStream.write(c.bytes, to: .output) } catch { errors[k] = error }
            case .file(let path):
                files.append((path, c.bytes))
                fileIndices.append(k)
            }
        }
        for (k, error) in zip(fileIndices, GroupCommit.store(files, force: settings.force)) { errors[k] = error }
        for (c, error) in zip(group, errors) {
            if let error {
                reporter.report(error, path: state.tasks[c.index].output.displayName)
                state.fail(c.index)
            } else {
                if settings.stats { statsLine(Self.statsLine(c.result, direction: settings.direction)) }
                state.succeed(c.index, c.result)
                if let problem = c.referenceProblem {
                    reporter.report(problem)
                    state.noteUnmeasured()
                }
            }
        }
    }

    /// Squared error (RGB, pixels in [0, 1]) between a decoded PNG and the reference PNG file.
    static func compare(png: [UInt8], reference: String, input: String) throws -> (Double, Int) {
        func mismatch(_ why: String) -> CodecError {
            .referenceMismatch(path: reference, reason: "cannot be the reference image of \(input) (\(why)); decoded without a comparison")
        }
        let ref: PNGImage
        do {
            ref = try PNGImage.read(path: reference, channels: 4, maxPixels: ImageCodec.maxPixels)
        } catch {
            throw mismatch((error as? PathReportable)?.reason ?? "\(error)")
        }
        let out = try PNGImage.decode(png, channels: 4, maxPixels: ImageCodec.maxPixels)
        guard ref.width == out.width, ref.height == out.height else {
            throw mismatch("it is \(ref.width)x\(ref.height), the decoded image is \(out.width)x\(out.height)")
        }
        var sum = 0.0
        ref.pixels.withUnsafeBufferPointer { a in
            out.pixels.withUnsafeBufferPointer { b in
                var i = 0
                while i < a.count {
                    for c in 0..<3 {
                        let d = Double(Int(a[i + c]) - Int(b[i + c])) / 255
                        sum += d * d
                    }
                    i += 4
                }
            }
        }
        return (sum, ref.width * ref.height * 3)
    }

    // MARK: - Reports

    static func statsLine(_ r: FileResult, direction: Direction) -> String {
        let arrow = ToolReporter.printable("\(r.task.input.displayName) -> \(r.task.output.displayName)")
        var line = "\(arrow): \(r.width)x\(r.height), " + (direction == .encode ? "wrote" : "read")
            + " \(r.latentBytes) bytes, " + String(format: "%.3f bpp, ratio %.1f:1 vs raw RGB", r.bitsPerPixel, r.compressionRatio)
        if let mse = r.mse { line += String(format: ", MSE %.6f, PSNR %.2f dB", mse, psnr(mse)) }
        return line
    }

    static func totalLine(_ results: [FileResult]) -> String {
        let pixels = results.reduce(0) { $0 + $1.width * $1.height }
        let bytes = results.reduce(0) { $0 + $1.latentBytes }
        var line = "total: \(results.count) files, \(pixels) pixels, \(bytes) bytes, "
            + String(format: "%.3f bpp, ratio %.1f:1 vs raw RGB", Double(bytes * 8) / Double(pixels),
                     Double(pixels * 3) / Double(bytes))
        let compared = results.filter { $0.squaredError != nil }
        if !compared.isEmpty {
            let mse = compared.reduce(0) { $0 + $1.squaredError! } / Double(compared.reduce(0) { $0 + $1.comparedValues })
            line += String(format: ", MSE %.6f, PSNR %.2f dB (%d compared)", mse, psnr(mse), compared.count)
        }
        return line
    }
}

/// Per-file errors, one line each on standard error (clearing a progress bar first).
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
}

/// The shared queue of a run: the next task, results and failures, and the progress bar.
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

/// What `aeenc` and `aedec` do once their arguments are parsed: Ctrl-C handling,
/// progress, `--stats` lines (on standard output, or standard error when the data
/// go to standard output), the final count of failures, and the exit status.
public enum CodecCommand {
    /// Runs the job and returns the exit status (0, 1 or 130).
    public static func run(_ settings: CodecJob.Settings, quiet: Bool) -> Int32 {
        AllocatorTuning.keepFreedMemory()
        let job = CodecJob(settings: settings)
        let toStandardOutput = settings.output == "-" || (settings.output == nil && settings.inputs == ["-"])
        if toStandardOutput && isatty(STDOUT_FILENO) == 1 {
            ToolReporter.report(tool: job.tool, error: ToolError(path: "-", reason:
                "refusing to write binary data to a terminal: redirect standard output or use -o FILE"))
            return 1
        }
        let interrupt = InterruptFlag()
        interrupt.install()
        // A closed standard output is then a write error (EPIPE) to report, not a silent death.
        signal(SIGPIPE, SIG_IGN)
        let output = TerminalOutput.standardError(quiet: quiet)
        let statsLock = NSLock()
        do {
            let summary = try job.run(output: output, shouldStop: { interrupt.isRaised }, statsLine: { line in
                statsLock.lock()
                defer { statsLock.unlock() }
                StandardStream.write(line + "\n", to: toStandardOutput ? .error : .output)
            })
            func say(_ text: String) { StandardStream.write("\(job.tool): \(text)\n", to: .error) }
            if summary.interrupted {
                say("interrupted: \(summary.results.count) of \(summary.total) files written, each complete; the rest not started")
            } else if summary.failed > 0 && summary.total > 1 {
                say("\(summary.failed) of \(summary.total) files failed")
            }
            if summary.kept > 0 {
                say("kept \(summary.kept) existing output\(summary.kept == 1 ? "" : "s") (--skip-existing)")
            }
            return summary.exitCode
        } catch {
            ToolReporter.report(tool: job.tool, error: error)
            return 1
        }
    }
}
