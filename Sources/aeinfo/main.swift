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

            --json prints one JSON array, whatever the number of files (one file: an array of \
            one): an object per file, in the order given; a file that cannot be read is the \
            object {"path": ..., "error": ...} (and its error line on standard error, exit \
            status 1), so the output is always one valid JSON document.

            --latents prints one JSON array of the same shape, for each latent file an object with its latent values, flat \
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

    @Flag(help: "Print one JSON array instead of text: an object per file, in the order given.")
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
        if json || latents {
            var array = JSONArrayPrinter()
            for path in inputs {
                do {
                    // --latents: the values are the point, the model found as aedec does.
                    array.append(latents ? try LatentValues(path: path, catalog: catalog).json()
                                         : try document(path, catalog: catalog, json: true))
                } catch {
                    ToolReporter.report(tool: "aeinfo", error: error, path: path)
                    array.append(path: path, error: error)
                    failed = true
                }
            }
            array.finish()
        } else {
            for (index, path) in inputs.enumerated() {
                do {
                    let output = try document(path, catalog: catalog, json: false)
                    if index > 0 { print("") }
                    print(output)
                } catch {
                    ToolReporter.report(tool: "aeinfo", error: error, path: path)
                    failed = true
                }
            }
        }
        if failed { throw ExitCode(1) }
    }

    /// What the file at `path` holds, as text or one JSON object.
    func document(_ path: String, catalog: ModelCatalog, json: Bool) throws -> String {
        switch try FileKind.detect(path: path) {
        case .modelBundle:
            let info = try BundleInfo(path: path)
            return json ? try info.json() : info.text()
        case .latentFile:
            let info = try AnyLatentInfo(path: path).withModel(from: catalog)
            return json ? try info.json() : info.text()
        case let .unknown(signature):
            throw FileKind.unrecognized(path: path, signature: signature)
        }
    }
}

AEinfo.mainCheckingArguments()
