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
/// The pieces, one file each: the plan (`CodecJob+Plan`: inputs to outputs), the
/// conversion of one file (`FileConversion`: `EncodeConversion`, `DecodeConversion`),
/// the workers (`CodecWorkerPool`, `RunState`, `FailureReporter`), the figures
/// (`CodecMetrics`) and the process around it (`CodecCommand`).
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
        /// A bundle path, a built-in model name or a quality set; nil for `EmbeddedModels.defaultName`.
        public var model: String?
        public var force = false
        /// Keep outputs that already exist and are valid (a complete file of this model)
        /// instead of refusing them: a rerun after a killed or interrupted run finishes
        /// only the rest. An existing output that is not valid is an error (never replaced).
        public var skipExisting = false
        public var threads = Parallelism.availableCores
        /// Print size, bits per pixel and compression ratio per file, the encoding or decoding
        /// time (and PSNR, SSIM and MS-SSIM with `reference` or `printQuality`).
        public var stats = false
        /// Encoding: decode each file written and measure it against the input (PSNR, SSIM,
        /// MS-SSIM) and the decoding time (`aeenc --print-quality`, as `cwebp -print_psnr`).
        public var printQuality = false
        /// Print the figures as one JSON document at the end of the run (`CodecJSONReport`)
        /// instead of `stats` lines.
        public var json = false
        /// Only this share of the inputs (`--shard K/N`); nil: all of them.
        public var shard: Shard?
        /// Decoding: the original PNG (or a folder of originals, matched by name) to
        /// measure MSE and PSNR against.
        public var reference: String?
        /// Encoding: how latents are stored (nil: `.coded` when the model has entropy
        /// tables, else `.f16`).
        public var latent: LatentForm?
        /// Folders of `.aemodel` files searched after the built-in models (`--model-path`,
        /// then the `AECODEC_MODEL_PATH` folders): for a quality set's levels (`model`
        /// naming a set), and, decoding without `model`, for the model each file names.
        public var modelSearchPath: [String] = []
        /// Encoding with a quality set: the level to use (`-q`; nil: the set's default level).
        public var qualityLevel: Int?
        /// Encoding with a quality set: choose each image's level for this size or PSNR
        /// (`--size`, `--bpp`, `--psnr`) instead of a fixed one.
        public var target: QualityTarget?
        /// Encoding with a whole-image model: gradient steps refining each image's latent
        /// before coding (`EntropyCodec.refineLatents`; 0: none).
        public var effort = 0
        /// Encoding: the kinds of metadata carried from the inputs into the latent files
        /// (`--metadata`; default: the colour profile).
        public var metadata = MetadataSelection.default

        public init(direction: Direction) { self.direction = direction }
    }

    /// How `aeenc` stores latents: entropy-coded (format 2.0), or per tile as float16 or
    /// one byte per value (format 1.x; `--bits 16` and `--bits 8`).
    public enum LatentForm: String, CaseIterable, Sendable {
        case coded, f16, u8
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

    /// A model bundle the run has read, how messages name it, and its fingerprint.
    public struct LoadedModel {
        public var bundle: ModelBundle
        public var name: String
        public let fingerprint: String

        public init(bundle: ModelBundle, name: String) {
            self.bundle = bundle
            self.name = name
            fingerprint = bundle.fingerprint
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
        /// SSIM and MS-SSIM against the reference (nil: not measured; see `CodecMetrics`).
        public var similarity: CodecMetrics.Similarity?
        /// The quality level of the model that wrote or read the file, when its bundle has one.
        public var quality: BundleMetadata.QualityInfo?
        /// The fingerprint (hex) and name of the model that wrote or read the file.
        public var modelFingerprint = ""
        public var modelName = ""
        /// Seconds spent reading and converting the file (not writing it).
        public var seconds = 0.0
        /// Seconds from the image file's bytes to the latent file's (aeenc; with a size or
        /// PSNR target, the whole search), nil when not encoded.
        public var encodeSeconds: Double?
        /// Seconds from the latent file's bytes to the decoded pixels (aedec, and aeenc
        /// with `printQuality`; writing the PNG not counted), nil when not decoded.
        public var decodeSeconds: Double?

        public var bitsPerPixel: Double { Double(latentBytes * 8) / Double(width * height) }
        /// Raw RGB bytes (width x height x 3) over the latent file's bytes.
        public var compressionRatio: Double { Double(width * height * 3) / Double(latentBytes) }
        public var mse: Double? { squaredError.map { $0 / Double(max(1, comparedValues)) } }
        public var psnr: Double? { mse.map { PSNR.decibels(mse: $0) } }

        /// Records a comparison with the reference (or the input).
        mutating func record(_ comparison: CodecMetrics.Comparison) {
            (squaredError, comparedValues) = (comparison.squaredError, comparison.values)
            similarity = comparison.similarity
        }

        /// Records the model that wrote or read the file.
        mutating func setModel(_ codec: ModelCodec) {
            quality = codec.quality
            modelFingerprint = codec.fingerprint
            modelName = codec.modelName
        }
    }

    /// The end of a run.
    public struct Summary: Sendable {
        public var results: [FileResult]
        public var failed: Int
        /// Existing valid outputs kept (`skipExisting`).
        public var kept: Int = 0
        /// Files decoded and written whose `--reference` could not be compared.
        public var unmeasured: Int = 0
        /// Entries of input folders that are not inputs (each named on standard error).
        public var skipped: Int = 0
        /// End-of-run notes: metadata left out (`MetadataTally`), one line each.
        public var notes: [String] = []
        public var total: Int
        public var interrupted: Bool
        public var seconds: Double

        /// 130 when interrupted, 1 when a file failed (or lacks its reference measurement),
        /// 2 when every input was converted but input folders held other files (skipped,
        /// each named), 0 otherwise.
        public var exitCode: Int32 {
            interrupted ? 130 : (failed > 0 || unmeasured > 0 ? 1 : (skipped > 0 ? 2 : 0))
        }
    }

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    /// What this job's direction does to one file, with `codec`'s model (nil: before the
    /// model is known; the default form then is `.f16`).
    func conversion(for codec: ModelCodec? = nil) -> any FileConversion {
        switch settings.direction {
        case .encode:
            return EncodeConversion(form: settings.latent ?? (codec?.coded != nil ? .coded : .f16), target: settings.target,
                                    printQuality: settings.printQuality, effort: settings.effort,
                                    metadata: settings.metadata)
        case .decode: return DecodeConversion()
        }
    }

    public var tool: String { conversion().tool }

    // MARK: - Running

    /// Runs the whole job. `shouldStop` is polled between files (Ctrl-C). Per-file
    /// errors go to standard error as they happen; `statsLine` receives the `--stats`
    /// lines. Throws only for problems that stop everything before any file is done.
    public func run(output: TerminalOutput, shouldStop: @escaping @Sendable () -> Bool = { false },
                    statsLine: @escaping (String) -> Void) throws -> Summary {
        let start = Date()
        try conversion().validate(settings)
        if settings.skipExisting && settings.force {
            throw ToolError(path: "--skip-existing", reason: "cannot be used with --force")
        }
        // A model named (or aeenc's default) is resolved first; aedec without one finds it after the plan.
        let named = settings.model != nil || settings.direction == .encode ? try resolveModels() : nil
        let (tasks, refused, existing, skipped) = try plan(modelFiles: named?.files ?? [])
        let models = try named ?? models(for: tasks + existing)
        let reporter = FailureReporter(tool: tool, output: output)
        for error in refused + skipped { reporter.report(error) }
        let total = tasks.count + refused.count + existing.count
        // A killed run may have left temporary files beside the outputs: remove them.
        let outputPaths = (tasks + existing).compactMap { task -> String? in
            if case .file(let path) = task.output { return path } else { return nil }
        }
        AtomicFile.removeStaleTemporaries(for: outputPaths)

        // One file: its chunks spread over all threads. Several: one worker per thread,
        // each with its own single-threaded codecs, taking whole files (the bytes are the
        // same either way: see ImageCodec, "Determinism").
        let workers = max(1, min(settings.threads, tasks.count))
        let codecThreads = workers == 1 ? max(1, settings.threads) : 1
        // Build the first codec here, so a model that does not fit fails the run once.
        let makeCodecs = { () throws -> WorkerCodecs in
            WorkerCodecs(main: try ModelCodec(bundle: models.main.bundle, name: models.main.name, threads: codecThreads,
                                               effort: settings.effort),
                         levels: models.levels, finder: models.finder, threads: codecThreads, effort: settings.effort)
        }
        let first = try makeCodecs()
        first.shouldStop = shouldStop
        let conversion = self.conversion(for: first.main)
        try conversion.check(first.main)
        // Existing outputs (skipExisting): kept when valid, an error otherwise.
        var kept = 0, invalid = 0
        for task in existing {
            if let error = verifyExisting(task, conversion: conversion, codecs: first) {
                reporter.report(error)
                invalid += 1
            } else {
                kept += 1
            }
        }
        let state = RunState(tasks: tasks, output: output, total: total, alreadyDone: refused.count + existing.count,
                             statsLine: statsLine)

        let tally = MetadataTally()
        CodecWorkerPool(conversion: conversion, settings: settings, state: state, reporter: reporter, tally: tally)
            .run(workers: workers, first: first, shouldStop: shouldStop, makeCodecs: makeCodecs)
        state.finishProgress()

        let results = state.results.compactMap { $0 }
        let failed = refused.count + invalid + state.failures
        let interrupted = shouldStop() && results.count + failed + kept < total
        if settings.stats && !settings.json && results.count > 1 { statsLine(CodecMetrics.totalLine(results)) }
        return Summary(results: results, failed: failed, kept: kept, unmeasured: state.unmeasured, skipped: skipped.count,
                       notes: tally.notes(settings.metadata), total: total, interrupted: interrupted,
                       seconds: Date().timeIntervalSince(start))
    }

    /// Why an existing output cannot be kept (nil: it is a complete, valid file of
    /// this run: a latent file of this model and bit depth, or a PNG that decodes).
    func verifyExisting(_ task: Task, conversion: any FileConversion, codecs: WorkerCodecs) -> Error? {
        guard case .file(let path) = task.output else { return nil }
        func invalid(_ reason: String) -> Error {
            ToolError(path: path, reason: "already exists and \(reason) (use --force to replace it)")
        }
        do {
            return try conversion.problem(withExisting: path, codecs: codecs).map(invalid)
        } catch {
            let reason = (error as? PathReportable)?.reason ?? "\(error)"
            return invalid("is not a valid \(conversion.outputKind): \(reason)")
        }
    }
}
