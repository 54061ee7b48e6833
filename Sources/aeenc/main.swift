import AEProcess
import AEFormats
import AECodec
import AECommandLine
import ArgumentParser

/// Encodes PNG, JPEG and WebP images into latent files. Argument parsing only: the work is
/// `CodecJob` in AECodec.
struct AEenc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aeenc",
        abstract: "Encode PNG, JPEG or WebP images into compact latent files (.ael) with a trained autoencoder.",
        usage: """
            aeenc IN.png [-o OUT.ael] [options]
            aeenc IN1.png IN2.png ... | FOLDER [-o OUTFOLDER] [options]
            aeenc - < IN.png > OUT.ael
            """,
        discussion: """
            Any PNG libpng reads is accepted: gray, palette, RGB, with or without alpha (or a \
            tRNS chunk), 1 to 16 bits, interlaced or not, up to \(ImageCodec.maxSide) pixels a side \
            and \(ImageCodec.maxPixels) pixels in all. So are JPEG (libjpeg-turbo: gray stays gray; \
            CMYK refused; damaged or truncated data refused, not filled in) and WebP (libwebp: lossy \
            or lossless, alpha kept; animations refused). Files are recognised by their first bytes, \
            not their names. Not applied or kept: the EXIF orientation (the pixels are encoded as \
            stored: rotate first, e.g. with exiftran -ai or jpegtran), colour profiles and other \
            metadata.

            Latent forms (--latent): 'coded' (latent file 2.0) quantises the latents to integers \
            and entropy-codes them with the model's probability tables: the smallest files, the \
            default for models that have tables (trained with aetrain --lambda). 'f16' and 'u8' \
            (latent file 1.x, the default for models without tables) store each 32x32 tile's \
            latent vector as float16, or as one byte per value through the model's quantisation \
            table, zlib-compressed. --bits 16 and --bits 8 are the same as --latent f16 and u8. \
            Tile models cut the image into their square tiles (padded at the right and bottom \
            edges by replicating the edge pixels; cropped on decoding); whole-image models \
            (conv-factorized) pad the image to a multiple of 16 the same way, write only coded \
            files, and take images of at most \(EntropyCodec.maxWholeImagePixels) pixels.

            What comes back from aedec: gray stays gray (fed to the RGB model as R=G=B, averaged \
            back); palette images come back as RGB; alpha (an alpha channel, or tRNS transparency) \
            is stored losslessly in the latent file and restored exactly; 16-bit images come back \
            at 8 bits (their alpha too).

            Outputs: IN.png -> IN.ael next to it; -o names the output file, or the output folder \
            (created if needed) when there are several inputs or a folder; '-' reads standard input / writes standard output. Existing files are never \
            replaced without --force, inputs never; outputs are written to a temporary file and \
            renamed, so an error or Ctrl-C leaves no partial file. Several files are spread over \
            --threads workers.

            Rerunning after an interrupted or killed run: with --skip-existing, outputs that already \
            exist are checked (a complete latent file of this model and latent form; a coded file \
            must decode) and kept untouched, \
            and only the missing ones are written; an existing output that is not valid is an error \
            (replace it with --force). Temporary files a killed run left behind are removed.

            Folders (not searched recursively; hidden files, .*, passed over): files named .png, \
            .jpg, .jpeg, .jpe, .jfif or .webp are inputs (an error if they are not images); any \
            other file is an input if its bytes are an image's, passed over quietly if it is a \
            latent file (the outputs of a run in place), and otherwise skipped and named with the \
            reason, as are subfolders and FIFOs or devices.

            Models: --model takes a bundle file (.aemodel) or the name of a built-in model \
            (default \(EmbeddedModels.defaultName); `aeinfo --models` lists them). The same PNG and \
            model always give the same bytes.

            Errors are one line, 'aeenc: <path>: <reason>'; the other files go on. Exit status: 0 \
            done, 1 if any file failed, 2 every input done but input folders held other files \
            (skipped, each named), 64 usage error (unknown option, bad value), 130 \
            interrupted (finished outputs kept, nothing partial).
            """,
        version: AECodecVersion.string)

    @Argument(help: "PNG, JPEG or WebP files or folders to encode ('-' for standard input).")
    var inputs: [String] = []

    @OptionGroup var files: CodecFileOptions

    @Option(help: ArgumentHelp("How latents are stored: coded (entropy-coded, the default when the model has entropy tables), f16 or u8 (per tile, float16 or one byte through the model's quantisation table; f16 is the default otherwise).",
                               valueName: "coded|f16|u8"))
    var latent: String?

    @Option(help: "Same as --latent f16 (16) or --latent u8 (8).")
    var bits: Int?

    @Flag(help: "Print size, bits per pixel and compression ratio against raw RGB for each file.")
    var stats = false

    func validate() throws {
        if let bits, bits != 8 && bits != 16 { throw ValidationError("--bits must be 8 or 16, got \(bits)") }
        if let latent, CodecJob.LatentForm(rawValue: latent) == nil {
            throw ValidationError("--latent must be coded, f16 or u8, got '\(latent)'")
        }
        if latent != nil && bits != nil { throw ValidationError("--latent and --bits exclude each other") }
    }

    func run() throws {
        // Checked here, not in validate(), so an unknown option is reported before it.
        guard !inputs.isEmpty else { Self.exit(withError: ValidationError("no input given (an image file, a folder, or '-')")) }
        var settings = files.settings(.encode, inputs: inputs)
        settings.stats = stats
        settings.latent = latent.flatMap(CodecJob.LatentForm.init(rawValue:)) ?? bits.map { $0 == 8 ? .u8 : .f16 }
        throw ExitCode(CodecCommand.run(settings, quiet: files.quiet))
    }
}

AEenc.mainCheckingArguments()
