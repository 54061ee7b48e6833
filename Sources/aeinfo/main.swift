import AEFormats
import AEProcess
import ArgumentParser
import Foundation

/// Prints what a file holds. Dispatches on the file's signature; model bundles
/// (.aemodel) and latent files (.ael) of format 1.x and 2.x.
struct AEinfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aeinfo",
        abstract: "Print the header, metadata, tensor table and fingerprint of a model bundle (.aemodel), or the header, sizes and metadata records of a latent file (.ael).",
        usage: """
            aeinfo FILE.aemodel|FILE.ael ... [--json] [--model-path DIR]
            aeinfo --latents FILE.ael ... [--model-path DIR]
            aeinfo --models [--json] [--model-path DIR]
            """,
        discussion: """
            For a latent file, aeinfo also names the model that made it when it finds the model by \
            its fingerprint (among the built-in models, then the .aemodel files of each \
            --model-path folder and of the folders in AECODEC_MODEL_PATH, as aedec does), with its \
            quality level when the bundle records one.

            --models lists the built-in models (their --model names), then the quality sets found \
            in the same places (aeenc --model SET -q LEVEL): each level's bundle and, when the \
            bundle records them, its mean bits per pixel and PSNR on the 24 Kodak photos. With \
            --json: an array of the built-in models and the sets' levels found in folders.

            --latents prints, for each latent file, one JSON object with its latent values, flat \
            in memory order (channels last), and their "shape": for 1.x files each tile's values \
            ([tiles, latentDim]; uint8 files dequantised with the model's table), for 2.0 files \
            the entropy-coded "symbols", decoded with the model's entropy tables, and the \
            "values" symbol + median of the channel ([tiles, channels] for tile models, \
            [1, H/16, W/16, channels] for whole-image models). It needs the model's bundle \
            (found as above) for 2.0 and uint8 files, but not its network. With numpy: \
            np.array(d["values"]).reshape(d["shape"]).

            Errors are reported as one line, 'aeinfo: <path>: <reason>'. Exit status: 0 done, 1 if \
            any file failed, 64 usage error.
            """,
        version: AECodecVersion.string)

    @Argument(help: "Files to inspect.")
    var inputs: [String] = []

    @Flag(help: "List the models built into aeenc/aedec (their --model names) and the quality sets found.")
    var models = false

    @Option(name: .customLong("model-path"), help: ArgumentHelp(
        "A folder of .aemodel files to search for quality sets and for a latent file's model (repeatable; searched after the built-in models, before AECODEC_MODEL_PATH).",
        valueName: "dir"))
    var modelPath: [String] = []

    @Flag(help: "Print one JSON object per file instead of text.")
    var json = false

    @Flag(help: "Print the latent values of latent files (.ael) as JSON (1.x: per tile; 2.0: the decoded symbols and the values symbol + median).")
    var latents = false

    func run() throws {
        // Checked here, not in validate(), so an unknown option is reported before it.
        if inputs.isEmpty && !models { Self.exit(withError: ValidationError("no files given (or --models)")) }
        let catalog = ModelCatalog(folders: ModelCatalog.searchPath(modelPath: modelPath,
                                                                     environment: ProcessInfo.processInfo.environment))
        if models {
            if json {
                guard inputs.isEmpty else {
                    Self.exit(withError: ValidationError("--models --json lists the models only; inspect files in another call"))
                }
                print(try ModelListing(catalog: catalog).json())
                return
            }
            print(ModelListing(catalog: catalog).text())
            if inputs.isEmpty { return }
            print("")
        }
        var failed = false
        for (index, path) in inputs.enumerated() {
            do {
                let output: String
                if latents {
                    // The values are the whole point: one JSON object per file, the model found as aedec does.
                    print(try LatentValues(path: path, catalog: catalog).json())
                    continue
                }
                switch try FileKind.detect(path: path) {
                case .modelBundle:
                    let info = try BundleInfo(path: path)
                    output = json ? try info.json() : info.text()
                case .latentFile:
                    let info = try AnyLatentInfo(path: path).withModel(from: catalog)
                    output = json ? try info.json() : info.text()
                case let .unknown(signature):
                    throw FileKind.unrecognized(path: path, signature: signature)
                }
                if index > 0 && !json { print("") }
                print(output)
            } catch {
                ToolReporter.report(tool: "aeinfo", error: error, path: path)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

AEinfo.mainCheckingArguments()
