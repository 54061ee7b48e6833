import AEProcess
import AEFormats
import AECodec
import AECommandLine
import ArgumentParser
import Foundation

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
            the latent file; samples are 8 bits (16-bit originals come back at 8 bits). The \
            original's metadata the latent file carries (aeenc --metadata: the colour profile by \
            default; Exif, XMP, text) is written back into the PNG, after IHDR: iCCP (in place of \
            the sRGB chunk), eXIf, iTXt XML:com.adobe.xmp, tEXt or iTXt.

            Files of every latent format are read: 1.x (per-tile float16 or 8-bit latents) and \
            2.0 (entropy-coded). The file names its model by fingerprint. Without --model, aedec \
            finds each file's model: among the built-in models, then in the .aemodel files of each \
            --model-path folder and of the folders in the environment variable AECODEC_MODEL_PATH \
            (colon-separated), in that order, using the first bundle whose fingerprint matches; so \
            files that aeenc wrote at different levels of a quality set (-q, --size, --bpp, \
            --psnr) decode with no option, each with its level's bundle. If none matches, that \
            file's error names the fingerprint and the places searched. --model (a bundle file or \
            a built-in name; `aeinfo --models` lists them) overrides the search; a file from \
            another model is then refused, naming both. --model SET limits the search to the \
            set's levels.

            --stats prints the latent file's size, bits per pixel and compression ratio against \
            raw RGB and the decoding time (latent file to pixels, writing the PNG not counted); \
            with --reference ORIGINAL (a PNG, JPEG or WebP; or a folder of originals, matched \
            by name: NAME.png, else NAME.jpg, .jpeg or .webp) also \
            the MSE and PSNR over RGB, pixels in [0, 1], and SSIM and MS-SSIM (each channel's \
            index, then their mean; 'n/a' under 11 and 161 pixels a side; definitions in aeenc \
            --help). The total line gives the PSNR of the mean MSE and the mean of the files' \
            PSNR (as CompressAI reports).

            Outputs: IN.ael -> IN.png next to it; -o names the output file (PNG: a name with \
            another extension, such as .jpg, is a usage error), or the output folder \
            (created if needed) when there are several inputs or a folder (every latent file in it, \
            by its bytes: .ael files, and others that are latent files; images are passed over \
            quietly, anything else is skipped and named); '-' \
            reads standard input / writes standard output. Existing files are never replaced without \
            --force, inputs never; no partial outputs on errors or Ctrl-C. With --skip-existing, \
            existing outputs that are valid PNGs are kept untouched and only the missing ones are \
            written (a rerun after an interrupted or killed run).

            Errors are one line, 'aedec: <path>: <reason>'; the other files go on. Exit status: 0 \
            done, 1 if any file failed, 2 every input done but input folders held other files \
            (skipped, each named), 64 usage error (unknown option, bad value), 130 \
            interrupted (finished outputs kept, nothing partial).
            """,
        version: AECodecVersion.string)

    @Argument(help: "Latent files or folders to decode ('-' for standard input).")
    var inputs: [String] = []

    @OptionGroup var files: CodecFileOptions

    @Flag(help: "Print size, bits per pixel, compression ratio and decoding time (and MSE, PSNR, SSIM, MS-SSIM with --reference) for each file.")
    var stats = false

    @Option(help: "The original PNG (or a folder of originals) to measure MSE, PSNR, SSIM and MS-SSIM against; implies --stats.")
    var reference: String?

    func run() throws {
        // Checked here, not in validate(), so an unknown option is reported before it.
        guard !inputs.isEmpty else { Self.exit(withError: ValidationError("no input given (a latent file, a folder, or '-')")) }
        do { try files.checkPNGOutputName(inputs: inputs) } catch { Self.exit(withError: error) }
        var settings = files.settings(.decode, inputs: inputs)
        settings.stats = stats || reference != nil
        settings.reference = reference
        throw ExitCode(CodecCommand.run(settings, quiet: files.quiet))
    }
}

AEdec.mainCheckingArguments()
