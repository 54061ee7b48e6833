import AEProcess
import AEData
import AEFormats
import AECodec
import AECommandLine
import AENet
import ArgumentParser
import Foundation

/// `aetrain report`: measures model bundles on a test set (`ReportJob`), or whole-image
/// models on a folder of photos against JPEG and WebP (`PhotoReportJob`), and writes an
/// HTML report. Argument parsing only: the work is in AECommandLine.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Measure model bundles on a test set, or photo codec models on a folder of photos against JPEG and WebP, and write a report folder with a self-contained index.html.",
        usage: """
            aetrain report [MODEL...] --test DATA -o FOLDER [options]
            aetrain report MODEL... --photos DIR -o FOLDER [--model-path DIR] [options]
            """,
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

            With --photos DIR instead of --test: the photo report. Each MODEL is one curve: a \
            quality set (its levels, found as aeenc --model SET finds them), a bundle file or \
            built-in name (one point), or bundles joined by + (one curve); every model needs \
            entropy tables (aetrain --lambda). Every photo of DIR (its .png, .jpg, .jpeg, .jpe, \
            .jfif and .webp files, whole, as RGB) is encoded by each model exactly as aeenc \
            does and decoded from those bytes as aedec does, and encoded by JPEG (libjpeg-turbo, \
            4:2:0, optimized Huffman tables) and WebP (libwebp, method 6) at each of \
            --peer-qualities. The page shows the curves (bits per pixel against PSNR over RGB, \
            means over the photos), each point of ours against JPEG and WebP at the quality \
            whose file is nearest ours in size for each photo, and zoomed crops (the most \
            detailed region, at 2x) of the original, ours and the peers at that size. \
            figures.csv holds the curves, images.csv every photo.

            Examples (the built-in models on the SVHN test crops beside this checkout; the \
            quality set photo on the Kodak photos):
              aetrain report svhn-64 svhn-16 --test ../shared/datasets/svhn/cropped_subset/test_32x32_subset.mat -o report
              aetrain report photo --photos ../shared/datasets/kodak -o kodak-report

            Exit status: 0 done, 1 bad input or failure, 64 usage error (bad option or value).
            """)

    @Argument(help: "Model bundles or built-in model names (default: all built-in models); with --photos, quality sets too, and bundles joined by + as one curve.")
    var models: [String] = []

    @Option(help: "Test data (never training data), e.g. the SVHN test crops.")
    var test: String?

    @Option(help: ArgumentHelp("A folder of photos (PNG, JPEG, WebP; whole images) to measure the models on against JPEG and WebP, instead of --test.", valueName: "dir"))
    var photos: String?

    @Option(name: .customLong("model-path"), help: ArgumentHelp("With --photos: a folder of .aemodel files to search for quality sets' levels (repeatable; after the built-in models, before AECODEC_MODEL_PATH).", valueName: "dir"))
    var modelPath: [String] = []

    @Option(name: .customLong("crop-images"), help: "With --photos: photos shown as zoomed crops (0 to 64).")
    var cropImages = 3

    @Option(name: .customLong("crop-size"), help: "With --photos: the side of the zoomed crops, in pixels of the photo (16 to 512).")
    var cropSize = 128

    @Option(name: .customLong("crop-level"), help: ArgumentHelp("With --photos: the point of the first model's curve the crops show (1-based; default: the middle one, the level aeenc uses without -q).", valueName: "n"))
    var cropLevel: Int?

    @Option(name: .customLong("peer-qualities"), help: ArgumentHelp("With --photos: the JPEG and WebP qualities, comma-separated, 0 to 100 (JPEG's 0 is 1).", valueName: "list"))
    var peerQualities = PeerCodec.defaultGrid.map(String.init).joined(separator: ",")

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
        guard (test == nil) != (photos == nil) else {
            throw ValidationError("give --test DATA (a test set) or --photos DIR (a folder of photos), not both")
        }
        if photos != nil {
            guard !models.isEmpty else { throw ValidationError("--photos needs models: a quality set, bundles, or bundles joined by +") }
            guard noise == nil, probeTrain == nil else { throw ValidationError("--noise and --probe-train are for --test, not --photos") }
            guard (0...64).contains(cropImages) else { throw ValidationError("--crop-images must be in 0...64") }
            guard (16...512).contains(cropSize) else { throw ValidationError("--crop-size must be in 16...512") }
            guard cropLevel.map({ $0 > 0 }) ?? true else { throw ValidationError("--crop-level must be positive") }
            _ = try qualityGrid()
        }
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

    /// --peer-qualities as numbers.
    func qualityGrid() throws -> [Int] {
        let values = peerQualities.split(separator: ",", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0.map { (0...100).contains($0) } ?? false }) else {
            throw ValidationError("--peer-qualities takes comma-separated whole numbers from 0 to 100, not \(peerQualities)")
        }
        return values.map { $0! }
    }

    func run() throws {
        Parallelism.useSingleThreadedBLAS()
        if let photos { return try runPhotos(photos) }
        var settings = ReportJob.Settings()
        settings.models = models
        settings.test = test ?? ""
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

    /// The photo report (`PhotoReportJob`).
    func runPhotos(_ photos: String) throws {
        var settings = PhotoReportJob.Settings()
        settings.models = models
        settings.photos = photos
        settings.output = output
        settings.limit = limit == 0 ? nil : limit
        settings.modelSearchPath = ModelCatalog.searchPath(modelPath: modelPath, environment: ProcessInfo.processInfo.environment)
        settings.cropPhotos = cropImages
        settings.cropSize = cropSize
        settings.cropPoint = cropLevel
        settings.grid = try qualityGrid()
        settings.threads = Parallelism.capped(threads ?? Parallelism.availableCores)
        settings.force = force
        let terminal = TerminalOutput.standardError(quiet: quiet)
        do {
            let result = try PhotoReportJob(settings: settings).run(output: terminal)
            terminal.line("Wrote \(result.folder)/\(ReportJob.pageFile) (\(result.evaluation.curves.count) curves, \(result.evaluation.photos.count) photos)")
        } catch {
            ToolReporter.report(tool: "aetrain", error: error)
            throw ExitCode.failure
        }
    }
}
