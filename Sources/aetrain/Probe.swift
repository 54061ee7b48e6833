import AEProcess
import AECodec
import AECommandLine
import AEFormats
import AENet
import ArgumentParser
import Foundation

/// `aetrain probe`: latent features for digit classification. Argument parsing only:
/// the work is `ProbeJob` in AECommandLine.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Measure how well model latents (and raw pixels) classify digits: softmax regression and k-NN.",
        usage: "aetrain probe [MODEL...] --train DATA --test DATA [options]",
        discussion: """
            For each model (a bundle file or a built-in name) the training and test images are \
            encoded (a variational model gives its mean); each feature is standardised with the \
            training set's mean and deviation; a softmax regression (Adam, L2 weight decay) and a \
            k-nearest-neighbour vote are fitted on the training features and their labels, and \
            their accuracy on the test images is printed, with the raw pixels as a comparison. \
            Labels come from MAT files (y; 10 means the digit 0) or npy sources with \
            labels=LABELS.npy; data without labels are refused.

            Example (the built-in models on the SVHN crops beside this checkout):
              S=../shared/datasets/svhn/cropped_subset
              aetrain probe svhn-16 svhn-64 --train $S/train_32x32_subset.mat --test $S/test_32x32_subset.mat

            Exit status: 0 done, 1 bad input or failure, 64 usage error (bad option or value).
            """)

    @Argument(help: "Model bundles or built-in model names.")
    var models: [String] = []

    @Option(help: "Labelled training images for the classifiers.")
    var train: String

    @Option(help: "Labelled test images (never the training images).")
    var test: String

    @Option(help: "Use only the first N training images (0: all).")
    var limit = 0

    @Option(help: "Neighbours of the k-NN vote.")
    var k = 5

    @Option(help: "Epochs of the softmax regression.")
    var epochs = 60

    @Option(name: .customLong("learning-rate"), help: "Adam learning rate of the softmax regression.")
    var learningRate: Float = 1e-2

    @Option(help: "L2 weight decay of the softmax regression.")
    var l2: Float = 1e-3

    @Option(help: "Seed of the regression's initial weights and batch order.")
    var seed: UInt64 = 0

    @Flag(name: .customLong("no-raw"), help: "Do not probe the raw pixels.")
    var noRaw = false

    @Option(help: "Worker threads; more than the cores are capped to the cores (default: all cores).")
    var threads: Int?  // nil: all cores (an optional, so the help states no machine's count)

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard limit >= 0 && limit <= 4_000_000 else { throw ValidationError("--limit must be in 0...4,000,000") }
        guard (1...1000).contains(k) else { throw ValidationError("--k must be in 1...1000, got \(k)") }
        guard (1...100_000).contains(epochs) else { throw ValidationError("--epochs must be in 1...100,000, got \(epochs)") }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        guard l2 >= 0 && l2.isFinite else { throw ValidationError("--l2 must be 0 or positive") }
        guard (threads ?? 1) > 0 else { throw ValidationError("--threads must be positive") }
        guard !models.isEmpty || !noRaw else { throw ValidationError("nothing to probe: give a model, or drop --no-raw") }
    }

    func run() throws {
        Parallelism.useSingleThreadedBLAS()
        var settings = ProbeJob.Settings()
        settings.models = models
        settings.train = train
        settings.test = test
        settings.limit = limit == 0 ? nil : limit
        settings.rawPixels = !noRaw
        settings.options.neighbours = k
        settings.options.regression.epochs = epochs
        settings.options.regression.learningRate = learningRate
        settings.options.regression.l2 = l2
        settings.options.regression.seed = seed
        settings.threads = Parallelism.capped(threads ?? Parallelism.availableCores)
        let terminal = TerminalOutput.standardError(quiet: quiet)
        do {
            let result = try ProbeJob(settings: settings).run(output: terminal)
            terminal.status("")
            try StandardStream.write(Array((ProbeJob.table(result) + "\n").utf8), to: .output)
        } catch {
            ToolReporter.report(tool: "aetrain", error: error)
            throw ExitCode.failure
        }
    }
}
