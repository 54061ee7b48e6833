import AEFormats
import ArgumentParser
import Foundation

/// Prints what a file holds. Dispatches on the file's signature; model bundles
/// (.aemodel) and latent files (.ael).
struct AEinfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aeinfo",
        abstract: "Print the header, metadata, tensor table and fingerprint of a model bundle (.aemodel), or the header and sizes of a latent file (.ael).",
        discussion: "Errors are reported as one line, 'aeinfo: <path>: <reason>', with exit status 1.")

    @Argument(help: "Files to inspect.")
    var inputs: [String] = []

    @Flag(help: "List the models built into aeenc/aedec (their --model names).")
    var models = false

    @Flag(help: "Print one JSON object per file instead of text.")
    var json = false

    func validate() throws {
        if inputs.isEmpty && !models { throw ValidationError("no files given (or --models)") }
    }

    func run() throws {
        if models {
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
                    let info = try LatentInfo(path: path)
                    output = json ? try info.json() : info.text()
                case let .unknown(signature):
                    throw FileKind.unrecognized(path: path, signature: signature)
                }
                if index > 0 && !json { print("") }
                print(output)
            } catch {
                // One line on standard error (aeinfo links AEFormats only, so no BLAS).
                FileHandle.standardError.write(Data((ToolReporter.message(tool: "aeinfo", error: error, path: path) + "\n").utf8))
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

AEinfo.main()
