import AEProcess
import AEData
import AEFormats
import AECodec
import AECommandLine
import AENet
import ArgumentParser
import Foundation

/// `aetrain report`: measures model bundles on a test set and writes an HTML report.
/// Argument parsing only: the work is `ReportJob` in AECodec.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Measure model bundles on a test set and write a report folder with a self-contained index.html.",
        usage: "aetrain report [MODEL...] --test DATA -o FOLDER [options]",
        discussion: """
            For every model (a bundle file or a built-in name; default: every built-in model) the \
            report shows: the test MSE and PSNR of the network and of the codec (float16 and, with a \
            quantisation table, 8-bit latent files: bytes, bits per pixel, MSE, PSNR); a grid of \
            test images above their reconstructions; per-dimension latent statistics, a picture of \
            latent vectors and histograms; the training curves from the bundle's metadata; \
            interpolation strips between test images; for variational models, draws from the prior \
            and the KL per epoch; with --probe-train, the latent-feature probe; with --noise, \
            every model on corrupted test images. \
            Charts are inline SVG, pictures PNG files beside the page: it opens offline. \
            figures.csv holds the table for scripts.

            \(DataSource.syntaxHelp)

            Example (the built-in models on the SVHN test crops beside this checkout):
              aetrain report svhn-64 svhn-16 --test ../shared/datasets/svhn/cropped_subset/test_32x32_subset.mat -o report

            Exit status: 0 done, 1 bad input or failure, 64 usage error (bad option or value).
            """)

    @Argument(help: "Model bundles or built-in model names (default: all built-in models).")
    var models: [String] = []

    @Option(help: "Test data (never training data), e.g. the SVHN test crops.")
    var test: String

    @Option(name: .shortAndLong, help: "Output folder (created; written whole or not at all).")
    var output: String

    @Option(help: "Use only the first N test images (0: all).")
    var limit = 0

    @Option(name: .customLong("grid-images"), help: "Test images in the reconstruction grid.")
    var gridImages = 16

    @Option(name: .customLong("latent-images"), help: "Test images in the latent-vector picture.")
    var latentImages = 32

    @Option(help: "Worker threads; more than the cores are capped to the cores (default: all cores).")
    var threads: Int?  // nil: all cores (an optional, so the help states no machine's count)

    @Option(help: ArgumentHelp("Also feed every model test images corrupted by this noise (gaussian:SIGMA, salt-pepper:P, mask:FRACTION, as aetrain --noise) and measure its outputs against the clean images.", valueName: "NOISE"))
    var noise: String?

    @Option(name: .customLong("probe-train"), help: "Labelled training images for the latent-feature probe (softmax regression and 5-NN on each model's latents and the raw pixels, scored on the --test images, which must be labelled too).")
    var probeTrain: String?

    @Option(name: .customLong("interpolation-pairs"), help: "Pairs of test images each model interpolates between (0 to 16).")
    var interpolationPairs = 2

    @Option(help: "Draws from each variational model's prior (0 to 256).")
    var samples = 32

    @Flag(help: "Replace an existing report folder.")
    var force = false

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be positive, or 0 for all images") }
        guard gridImages > 0 && gridImages <= 256 else { throw ValidationError("--grid-images must be in 1...256") }
        guard latentImages > 0 && latentImages <= 256 else { throw ValidationError("--latent-images must be in 1...256") }
        guard (threads ?? 1) > 0 else { throw ValidationError("--threads must be positive") }
        guard (0...16).contains(interpolationPairs) else { throw ValidationError("--interpolation-pairs must be in 0...16") }
        guard (0...256).contains(samples) else { throw ValidationError("--samples must be in 0...256") }
        if let noise {
            do { _ = try InputNoise(parsing: noise) } catch { throw ValidationError("--noise \(error)") }
        }
    }

    func run() throws {
        Parallelism.useSingleThreadedBLAS()
        var settings = ReportJob.Settings()
        settings.models = models
        settings.test = test
        settings.output = output
        settings.limit = limit == 0 ? nil : limit
        settings.gridImages = gridImages
        settings.latentImages = latentImages
        settings.threads = Parallelism.capped(threads ?? Parallelism.availableCores)
        settings.force = force
        settings.noise = try noise.map { try InputNoise(parsing: $0) }
        settings.probeTrain = probeTrain
        settings.interpolationPairs = interpolationPairs
        settings.samples = samples
        let terminal = TerminalOutput.standardError(quiet: quiet)
        do {
            let result = try ReportJob(settings: settings).run(output: terminal)
            terminal.line("Wrote \(result.folder)/\(ReportJob.pageFile) (\(result.evaluations.count) models, \(result.testCount) test images)")
        } catch {
            ToolReporter.report(tool: "aetrain", error: error)
            throw ExitCode.failure
        }
    }
}
