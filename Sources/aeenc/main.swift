import AEProcess
import AEFormats
import AECodec
import AECommandLine
import ArgumentParser

/// Encodes PNG images into latent files. Argument parsing only: the work is
/// `CodecJob` in AECodec.
struct AEenc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aeenc",
        abstract: "Encode PNG images into compact latent files (.ael) with a trained autoencoder.",
        usage: """
            aeenc IN.png [-o OUT.ael] [options]
            aeenc IN1.png IN2.png ... | FOLDER [-o OUTFOLDER] [options]
            aeenc - < IN.png > OUT.ael
            """,
        discussion: """
            Any PNG libpng reads is accepted: gray, palette, RGB, with or without alpha (or a \
            tRNS chunk), 1 to 16 bits, interlaced or not, up to \(ImageCodec.maxSide) pixels a side \
            and \(ImageCodec.maxPixels) pixels in all. The image is cut into 32x32 tiles (padded at \
            the right and bottom edges by replicating the edge pixels; the padding is cropped on \
            decoding) and each tile becomes one latent vector (stored as float16, zlib-compressed; \
            with --bits 8, one byte per value through the model's quantisation table, about half \
            the size).

            What comes back from aedec: gray stays gray (fed to the RGB model as R=G=B, averaged \
            back); palette images come back as RGB; alpha (an alpha channel, or tRNS transparency) \
            is stored losslessly in the latent file and restored exactly; 16-bit images come back \
            at 8 bits (their alpha too).

            Outputs: IN.png -> IN.ael next to it; -o names the output file, or the output folder \
            (created if needed) when there are several inputs or a folder (every .png in it, not \
            recursing); '-' reads standard input / writes standard output. Existing files are never \
            replaced without --force, inputs never; outputs are written to a temporary file and \
            renamed, so an error or Ctrl-C leaves no partial file. Several files are spread over \
            --threads workers.

            Rerunning after an interrupted or killed run: with --skip-existing, outputs that already \
            exist are checked (a complete latent file of this model and --bits) and kept untouched, \
            and only the missing ones are written; an existing output that is not valid is an error \
            (replace it with --force). Temporary files a killed run left behind are removed.

            Models: --model takes a bundle file (.aemodel) or the name of a built-in model \
            (default \(EmbeddedModels.defaultName); `aeinfo --models` lists them). The same PNG and \
            model always give the same bytes.

            Errors are one line, 'aeenc: <path>: <reason>'; the other files go on. Exit status: 0 \
            done, 1 if any file failed, 64 usage error (unknown option, bad value), 130 \
            interrupted (finished outputs kept, nothing partial).
            """)

    @Argument(help: "PNG files or folders to encode ('-' for standard input).")
    var inputs: [String] = []

    @OptionGroup var files: CodecFileOptions

    @Option(help: "Bits per latent value: 16 (float16) or 8 (one byte, with the model's quantisation table).")
    var bits = 16

    @Flag(help: "Print size, bits per pixel and compression ratio against raw RGB for each file.")
    var stats = false

    func validate() throws {
        guard bits == 8 || bits == 16 else { throw ValidationError("--bits must be 8 or 16, got \(bits)") }
    }

    func run() throws {
        // Checked here, not in validate(), so an unknown option is reported before it.
        guard !inputs.isEmpty else { Self.exit(withError: ValidationError("no input given (a PNG file, a folder, or '-')")) }
        var settings = files.settings(.encode, inputs: inputs)
        settings.stats = stats
        settings.bits = bits
        throw ExitCode(CodecCommand.run(settings, quiet: files.quiet))
    }
}

AEenc.mainCheckingArguments()
