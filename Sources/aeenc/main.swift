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
            aeenc IN.png --model SET [-q LEVEL | --size BYTES | --bpp X | --psnr DB]
            """,
        discussion: """
            Any PNG libpng reads is accepted: gray, palette, RGB, with or without alpha (or a \
            tRNS chunk), 1 to 16 bits, interlaced or not, up to \(ImageCodec.maxSide) pixels a side \
            and \(ImageCodec.maxPixels) pixels in all. So are JPEG (libjpeg-turbo: gray stays gray; \
            CMYK refused; damaged or truncated data refused, not filled in) and WebP (libwebp: lossy \
            or lossless, alpha kept; animations refused). Files are recognised by their first bytes, \
            not their names. The EXIF orientation is not applied: the pixels are encoded as stored \
            (rotate first, e.g. with exiftran -ai or jpegtran), and the orientation tag travels \
            with the Exif data when it is kept.

            Metadata (--metadata): by default only the colour profile (icc: PNG iCCP, JPEG APP2 \
            ICC_PROFILE, WebP ICCP) is kept in the latent file, and aedec puts it back into the \
            PNG. --metadata all keeps Exif (PNG eXIf, JPEG APP1 Exif, WebP EXIF), XMP (PNG iTXt \
            XML:com.adobe.xmp, JPEG APP1, WebP XMP) and text (PNG tEXt, zTXt, iTXt; JPEG comments) \
            too; --metadata none keeps nothing; or list the kinds, e.g. --metadata icc,exif. \
            Nothing is dropped without a word: a note on standard error at the end of the run \
            names what the option left out, and what latent files do not carry (other PNG \
            chunks, such as pHYs or tIME; other JPEG APPn segments, such as IPTC); damaged \
            metadata (a bad CRC, a profile with a segment missing) and metadata over the latent \
            file's 65,536-byte metadata block are left out with a note naming the file. Notes \
            do not change the exit status.

            Latent forms (--latent): 'coded' (latent file 2.0) quantises the latents to integers \
            and entropy-codes them with the model's probability tables: the smallest files, the \
            default for models that have tables (trained with aetrain --lambda). 'f16' and 'u8' \
            (latent file 1.x, the default for models without tables) store each 32x32 tile's \
            latent vector as float16, or as one byte per value through the model's quantisation \
            table, zlib-compressed. --bits 16 and --bits 8 are the same as --latent f16 and u8. \
            Tile models cut the image into their square tiles (padded at the right and bottom \
            edges by replicating the edge pixels; cropped on decoding); whole-image models \
            (conv-factorized) pad the image to a multiple of 16 the same way and write only coded \
            files.

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
            exist are checked (a complete latent file of this model, or with a size or PSNR target \
            of any of the set's levels, and latent form; a coded file must decode) and kept untouched, \
            and only the missing ones are written; an existing output that is not valid is an error \
            (replace it with --force). Temporary files a killed run left behind are removed.

            Folders (not searched recursively; hidden files, .*, passed over): files named .png, \
            .jpg, .jpeg, .jpe, .jfif or .webp are inputs (an error if they are not images); any \
            other file is an input if its bytes are an image's, passed over quietly if it is a \
            latent file (the outputs of a run in place), and otherwise skipped and named with the \
            reason, as are subfolders and FIFOs or devices.

            Models: --model takes a bundle file (.aemodel), the name of a built-in model, or the \
            name of a quality set; the default is \(EmbeddedModels.defaultDescription), and svhn-64 \
            codes 32x32 digit tiles. `aeinfo --models` lists them. The same PNG and model always \
            give the same bytes.

            Quality sets: a set is one model per quality level, level 1 giving the smallest files \
            and each higher level larger files and a higher PSNR. Its levels are the bundles that \
            say so in their metadata, among the built-in models, the .aemodel files of each \
            --model-path folder and those of the folders in AECODEC_MODEL_PATH (colon-separated), \
            in that order (the first bundle found for a level is used). With --model SET, -q N \
            picks level N (default: the middle level, the upper of two). Instead of a level, \
            --size BYTES, --bpp X or --psnr DB choose one per image, as cwebp's -size and -psnr \
            do: a binary search over the levels keeps the largest level whose file fits the size \
            (the whole .ael file; bits per pixel over the image's width x height), or the smallest \
            whose decoded image reaches the PSNR (over RGB, 8-bit output against the input). If \
            no level fits (even level 1 is too large) or none reaches the PSNR, the nearest level \
            (level 1, or the top one) is written with a one-line warning, and the exit status \
            stays 0. --stats names each file's level. Decoding needs no option but where the \
            bundles are (built in, or in a --model-path folder or AECODEC_MODEL_PATH): aedec \
            finds the level's bundle by the model fingerprint the file carries.

            Effort (--effort N, whole-image models): before coding, each image's latent takes N \
            gradient steps on the image's own rate-distortion cost (the model's training \
            objective, lambda * 255^2 * MSE + bits per pixel; Yang et al. 2020), keeping the best \
            latent seen, so a file never costs more than without it. aedec is unchanged. Each \
            step runs the synthesis forward and backward on the whole image, single-threaded \
            (the bytes do not depend on --threads): about 2 s per step for a 768x512 photo with \
            the N = 128 models; images up to 2,097,152 pixels.

            Quality (--print-quality, as cwebp -print_psnr and -print_ssim): each file written is \
            decoded again as aedec decodes it, and compared with the input over R, G and B (alpha \
            not compared), pixels in [0, 1]: MSE and PSNR; SSIM (Wang et al. 2004: Gaussian \
            window 11, sigma 1.5, K1 0.01, K2 0.03) and MS-SSIM (5 scales, weights 0.0448, \
            0.2856, 0.3001, 0.2363, 0.1333, 2x2 average between scales), each channel's index \
            then their mean, as pytorch_msssim computes them; 'n/a' for images too small \
            (SSIM under 11 pixels a side, MS-SSIM under 161). The total line gives PSNR both \
            ways: of the mean MSE over all files' values, and the mean of the files' PSNR \
            (as CompressAI reports), with the mean SSIM and MS-SSIM. Times: encode is image file \
            to latent file (with a target, the whole search), decode is latent file to pixels.

            Errors are one line, 'aeenc: <path>: <reason>'; the other files go on. Exit status: 0 \
            done, 1 if any file failed (or the model or set is not found), 2 every input done but \
            input folders held other files (skipped, each named), 64 usage error (unknown option, \
            bad value, a level the set does not have, a level option with a single model), 130 \
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

    @Option(name: [.customShort("q"), .customLong("quality")],
            help: ArgumentHelp("With --model SET: the quality level (1 gives the smallest files; default: the set's middle level).",
                               valueName: "level"))
    var quality: Int?

    @Option(help: ArgumentHelp("With --model SET: the largest level whose latent file fits in this many bytes, per image.",
                               valueName: "bytes"))
    var size: Int?

    @Option(help: ArgumentHelp("With --model SET: the largest level whose file takes at most this many bits per pixel, per image.",
                               valueName: "x"))
    var bpp: Double?

    @Option(help: ArgumentHelp("With --model SET: the smallest level whose decoded image reaches this PSNR (dB, over RGB), per image.",
                               valueName: "db"))
    var psnr: Double?

    @Flag(help: "Print size, bits per pixel and compression ratio against raw RGB for each file (and its quality level), and the encoding time.")
    var stats = false

    @Flag(name: .customLong("print-quality"),
          help: "Also decode each file written and print the quality it gives against the input (MSE, PSNR, SSIM, MS-SSIM) and the decoding time; implies --stats (or fills these --json fields).")
    var printQuality = false

    @Option(help: ArgumentHelp("Whole-image models: refine each image's latent by N gradient steps on its own rate and distortion before coding (slower encoding, smaller files for the same quality; aedec is unchanged).",
                               valueName: "N"))
    var effort = 0

    @Option(help: ArgumentHelp("Metadata carried into the latent file (and by aedec into its PNG): all, none, or a comma-separated list of icc (colour profile), exif, xmp, text.",
                               valueName: "all|none|list"))
    var metadata = MetadataSelection.default.option

    func validate() throws {
        let chosen = [quality.map { _ in "-q" }, size.map { _ in "--size" }, bpp.map { _ in "--bpp" },
                      psnr.map { _ in "--psnr" }].compactMap { $0 }
        if chosen.count > 1 { throw ValidationError("\(chosen.joined(separator: ", ")) exclude each other: give one") }
        if let quality, !BundleMetadata.QualityInfo.levels.contains(quality) {
            throw ValidationError("-q must be a level in 1...\(BundleMetadata.QualityInfo.levels.upperBound), got \(quality)")
        }
        if let size, size < 1 { throw ValidationError("--size must be a positive number of bytes, got \(size)") }
        if let bpp, !(bpp > 0 && bpp.isFinite) { throw ValidationError("--bpp must be a positive number, got \(bpp)") }
        if let psnr, !(psnr > 0 && psnr.isFinite) { throw ValidationError("--psnr must be a positive number of dB, got \(psnr)") }
        if effort < 0 || effort > 1000 { throw ValidationError("--effort must be in 0...1000, got \(effort)") }
        if let bits, bits != 8 && bits != 16 { throw ValidationError("--bits must be 8 or 16, got \(bits)") }
        if let latent, CodecJob.LatentForm(rawValue: latent) == nil {
            throw ValidationError("--latent must be coded, f16 or u8, got '\(latent)'")
        }
        if latent != nil && bits != nil { throw ValidationError("--latent and --bits exclude each other") }
        if MetadataSelection(metadata) == nil {
            throw ValidationError("--metadata must be all, none, or a comma-separated list of \(MetadataSelection.names), got '\(metadata)'")
        }
    }

    func run() throws {
        // Checked here, not in validate(), so an unknown option is reported before it.
        guard !inputs.isEmpty else { Self.exit(withError: ValidationError("no input given (an image file, a folder, or '-')")) }
        var settings = files.settings(.encode, inputs: inputs)
        settings.stats = stats || printQuality
        settings.printQuality = printQuality
        settings.latent = latent.flatMap(CodecJob.LatentForm.init(rawValue:)) ?? bits.map { $0 == 8 ? .u8 : .f16 }
        settings.qualityLevel = quality
        settings.effort = effort
        settings.metadata = MetadataSelection(metadata) ?? .default
        settings.target = size.map(QualityTarget.size) ?? bpp.map(QualityTarget.bitsPerPixel) ?? psnr.map(QualityTarget.psnr)
        throw ExitCode(CodecCommand.run(settings, quiet: files.quiet))
    }
}

AEenc.mainCheckingArguments()
