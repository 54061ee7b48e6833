import AEFormats
import AEProcess
import ArgumentParser

/// Prints what a file holds. Dispatches on the file's signature; model bundles
/// (.aemodel) and latent files (.ael) of format 1.x and 2.x.
struct AEinfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aeinfo",
        abstract: "Print the header, metadata, tensor table and fingerprint of a model bundle (.aemodel), or the header and sizes of a latent file (.ael).",
        discussion: "Errors are reported as one line, 'aeinfo: <path>: <reason>'. Exit status: 0 done, 1 if any file failed, 64 usage error.",
        version: AECodecVersion.string)

    @Argument(help: "Files to inspect.")
    var inputs: [String] = []

    @Flag(help: "List the models built into aeenc/aedec (their --model names).")
    var models = false

    @Flag(help: "Print one JSON object per file instead of text.")
    var json = false

    func run() throws {
        // Checked here, not in validate(), so an unknown option is reported before it.
        if inputs.isEmpty && !models { Self.exit(withError: ValidationError("no files given (or --models)")) }
        if models {
            if json {
                guard inputs.isEmpty else {
                    Self.exit(withError: ValidationError("--models --json lists the built-in models only; inspect files in another call"))
                }
                print(try EmbeddedModels.listingJSON())
                return
            }
            print(EmbeddedModels.listing())
            if inputs.isEmpty { return }
            print("")
        }
        var failed = false
        for (index, path) in inputs.enumerated() {
            do {
                let output: String
                switch try FileKind.detect(path: path) {
                case .modelBundle:
                    let info = try BundleInfo(path: path)
                    output = json ? try info.json() : info.text()
                case .latentFile:
                    let info = try AnyLatentInfo(path: path)
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
