import AEProcess
import AEFormats
import AECodec
import AECommandLine
import ArgumentParser

/// Decodes latent files back into PNG images. Argument parsing only: the work is
/// `CodecJob` in AECodec.
struct AEdec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aedec",
        abstract: "Decode latent files (.ael) back into PNG images.",
        usage: """
            aedec IN.ael [-o OUT.png] [--stats [--reference ORIGINAL.png]] [options]
            aedec IN1.ael IN2.ael ... | FOLDER [-o OUTFOLDER] [options]
            aedec - < IN.ael > OUT.png
            """,
        discussion: """
            The PNG has the original's size and, where the model can represent it, its colour \
            type: gray stays gray, palette images come back as RGB, alpha is restored exactly from \
            the latent file; samples are 8 bits (16-bit originals come back at 8 bits).

            The latent file must have been made by the model in use: its fingerprint is checked, \
            and a file from another model is refused, naming both (and the built-in model that \
            matches, if one does). --model takes a bundle file (.aemodel) or a built-in model name \
            (default \(EmbeddedModels.defaultName); `aeinfo --models` lists them).

            --stats prints the latent file's size, bits per pixel and compression ratio against \
            raw RGB; with --reference ORIGINAL.png (or a folder of originals, matched by name) also \
            the MSE and PSNR over RGB, pixels in [0, 1].

            Outputs: IN.ael -> IN.png next to it; -o names the output file, or the output folder \
            (created if needed) when there are several inputs or a folder (every .ael in it); '-' \
            reads standard input / writes standard output. Existing files are never replaced without \
            --force, inputs never; no partial outputs on errors or Ctrl-C. With --skip-existing, \
            existing outputs that are valid PNGs are kept untouched and only the missing ones are \
            written (a rerun after an interrupted or killed run).

            Errors are one line, 'aedec: <path>: <reason>'; the other files go on. Exit status: 0 \
            done, 1 if any file failed, 64 usage error (unknown option, bad value), 130 \
            interrupted (finished outputs kept, nothing partial).
            """)

    @Argument(help: "Latent files or folders to decode ('-' for standard input).")
    var inputs: [String] = []

    @OptionGroup var files: CodecFileOptions

    @Flag(help: "Print size, bits per pixel and compression ratio (and MSE/PSNR with --reference) for each file.")
    var stats = false

    @Option(help: "The original PNG (or a folder of originals) to measure MSE and PSNR against; implies --stats.")
    var reference: String?

    func run() throws {
        // Checked here, not in validate(), so an unknown option is reported before it.
        guard !inputs.isEmpty else { Self.exit(withError: ValidationError("no input given (a latent file, a folder, or '-')")) }
        var settings = files.settings(.decode, inputs: inputs)
        settings.stats = stats || reference != nil
        settings.reference = reference
        throw ExitCode(CodecCommand.run(settings, quiet: files.quiet))
    }
}

AEdec.mainCheckingArguments()
