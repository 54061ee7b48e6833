import Foundation
import AEFormats
import AECodec
import AENet
import ArgumentParser
import Foundation

/// The options aeenc and aedec share (`@OptionGroup`): where outputs go, which model,
/// overwriting and reruns, threads, progress. Each tool adds its own.
public struct CodecFileOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Output file, or output folder for several inputs ('-' for standard output).")
    public var output: String?

    @Option(help: ArgumentHelp("A model bundle file, a built-in model's name, or a quality set's name (aeinfo --models lists them).",
                               valueName: "name|set|file.aemodel"))
    public var model: String?

    @Option(name: .customLong("model-path"), help: ArgumentHelp(
        "A folder of .aemodel files to search for quality sets' levels and for a file's model (repeatable; searched after the built-in models, before AECODEC_MODEL_PATH).",
        valueName: "dir"))
    public var modelPath: [String] = []

    @Flag(help: "Overwrite existing output files.")
    public var force = false

    @Flag(name: .customLong("skip-existing"),
          help: "Keep existing outputs that are valid and write only the missing ones (rerun after an interrupted or killed run).")
    public var skipExisting = false

    @Option(help: ArgumentHelp("Worker threads (default: all cores); more than the cores are capped to the cores.",
                               valueName: "n"))
    public var threads: Int?  // nil: all cores (an optional, so the help states no machine's count)

    @Flag(help: "No progress bar.")
    public var quiet = false

    @Flag(help: "Print the figures of --stats as one JSON document at the end (per file, in input order, and totals) instead of lines.")
    public var json = false

    @Option(help: ArgumentHelp("Convert only share K of N of the input files (1 <= K <= N; each file in exactly one share, chosen by a hash of its name), for job arrays.",
                               valueName: "k/n"))
    public var shard: String?

    public init() {}

    public func validate() throws {
        if let threads, threads <= 0 { throw ValidationError("--threads must be positive") }
        guard !(force && skipExisting) else { throw ValidationError("--force and --skip-existing exclude each other") }
        if let shard, Shard(shard) == nil {
            throw ValidationError("--shard must be K/N with 1 <= K <= N <= \(Shard.maxCount), got '\(shard)'")
        }
    }

    /// For aedec, which writes PNG only: a usage error when `-o` names one output file
    /// (one input that is not a folder) whose extension is not `.png`, so that PNG bytes
    /// never go into a `.jpg` or `.webp` name. A name without an extension is taken as it is.
    public func checkPNGOutputName(inputs: [String]) throws {
        guard let output, output != "-", !output.hasSuffix("/"), !FileBytes.kind(of: output).isFolder,
              inputs.count == 1, inputs == ["-"] || !FileBytes.kind(of: inputs[0]).isFolder else { return }
        let ext = (output as NSString).pathExtension
        guard !ext.isEmpty, ext.lowercased() != "png" else { return }
        throw ValidationError("-o \(output): aedec writes PNG images only; name the output .png (the format "
            + "follows the name, and .\(ext) is not written)")
    }

    /// Job settings for `direction` and `inputs` with these options filled in.
    public func settings(_ direction: CodecJob.Direction, inputs: [String]) -> CodecJob.Settings {
        var settings = CodecJob.Settings(direction: direction)
        settings.inputs = inputs
        settings.output = output
        settings.model = model
        settings.force = force
        settings.skipExisting = skipExisting
        settings.json = json
        settings.shard = shard.flatMap(Shard.init)
        settings.threads = Parallelism.capped(threads ?? Parallelism.availableCores)
        settings.modelSearchPath = ModelCatalog.searchPath(modelPath: modelPath, environment: ProcessInfo.processInfo.environment)
        return settings
    }
}
