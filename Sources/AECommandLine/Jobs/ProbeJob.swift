import AEProcess
import AECodec
import AEData
import AEFormats
import AENet
import Foundation

/// `aetrain probe`: how well each model's latents (and the raw pixels) tell the digits
/// apart, by a softmax regression and k nearest neighbours fitted on labelled training
/// images and scored on labelled test images (`LatentProbe`).
public struct ProbeJob {
    public struct Settings: Sendable {
        /// Bundle files or built-in names.
        public var models: [String] = []
        /// Labelled training and test data (`DataSource` syntax).
        public var train = ""
        public var test = ""
        /// Use only the first N training images.
        public var limit: Int?
        /// Also probe the raw pixels, for comparison.
        public var rawPixels = true
        public var options = LatentProbe.Options()
        public var threads = Parallelism.availableCores

        public init() {}
    }

    public struct Result: Sendable {
        public var figures: [LatentProbe.Figures]
        public var trainCount: Int
        public var testCount: Int
        /// Always answering the most frequent training class.
        public var majorityAccuracy: Double
    }

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    /// Loads `argument`, refusing data without labels.
    func labelled(_ argument: String, limit: Int?) throws -> ImageSet {
        try Self.labelled(argument, limit: limit, threads: settings.threads)
    }

    /// Loads `argument`, refusing data without labels (or with labels that name no digit).
    static func labelled(_ argument: String, limit: Int?, threads: Int) throws -> ImageSet {
        let images = try DataSource.load(argument, limit: limit, threads: threads).images
        guard images.count > 0 else { throw ToolError(path: argument, reason: "holds no images") }
        guard let labels = images.labels else {
            throw ToolError(path: argument, reason:
                "has no labels; the probe needs labelled images (a MAT file with y, or npy:IMAGES.npy,labels=LABELS.npy)")
        }
        guard labels.allSatisfy({ Int($0) < DigitLabels.classCount }) else {
            throw ToolError(path: argument, reason: "holds labels outside 0...\(DigitLabels.classCount - 1)")
        }
        return images
    }

    public func run(output: TerminalOutput) throws -> Result {
        guard settings.rawPixels || !settings.models.isEmpty else {
            throw ToolError(path: "MODEL", reason: "nothing to probe: give a model, or leave the raw pixels on")
        }
        let bundles = try settings.models.map { spec -> (ModelBundle, String) in
            let (bundle, _) = try ModelLookup.load(spec)
            guard !bundle.isCheckpoint else { throw ToolError(path: spec, reason: "is a training checkpoint, not a finished model bundle") }
            return (bundle, spec.contains("/") ? (spec as NSString).lastPathComponent : spec)
        }
        output.status("Loading the data")
        let train = try labelled(settings.train, limit: settings.limit)
        let test = try labelled(settings.test, limit: nil)
        guard train.imageShape == test.imageShape else {
            throw ToolError(path: settings.test, reason: "holds \(test.imageShape) images, the training data \(train.imageShape)")
        }
        let (trainLabels, testLabels) = (train.labels!, test.labels!)
        var options = settings.options
        options.threads = settings.threads
        var figures: [LatentProbe.Figures] = []
        func probe(_ name: String, _ x: Tensor, _ y: Tensor) {
            output.status("\(name): fitting the classifiers")
            figures.append(LatentProbe.measure(name: name, train: x, trainLabels: trainLabels, test: y, testLabels: testLabels,
                                               classes: DigitLabels.classCount, options: options))
        }
        for (bundle, name) in bundles {
            let model = try bundle.makeModel(threads: settings.threads)
            guard model.conditionClasses == nil else {
                throw ToolError(path: bundle.path ?? name, reason: "is a conditional model: its latents are given the label, so probing them for it means nothing")
            }
            guard model.imageShape == train.imageShape else {
                throw ToolError(path: bundle.path ?? name, reason: "the model takes \(model.imageShape) images, the data are \(train.imageShape)")
            }
            let normalization = bundle.metadata.normalization.pixelNormalization
            output.status("\(name): encoding \(train.count + test.count) images")
            probe("\(name) latents", LatentProbe.latents(of: train, model: model, normalization: normalization),
                  LatentProbe.latents(of: test, model: model, normalization: normalization))
        }
        if settings.rawPixels {
            probe("raw pixels", LatentProbe.pixels(of: train), LatentProbe.pixels(of: test))
        }
        return Result(figures: figures, trainCount: train.count, testCount: test.count,
                      majorityAccuracy: LatentProbe.majorityAccuracy(trainLabels: trainLabels, testLabels: testLabels))
    }

    /// The result as a table for the terminal.
    public static func table(_ result: Result) -> String {
        let k = result.figures.first?.neighbours ?? 5
        let width = max(20, (result.figures.map(\.name.count).max() ?? 0) + 2)
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return left ? s + fill : fill + s
        }
        var s = pad("features", width, left: true) + pad("dims", 6) + pad("softmax", 10) + pad("\(k)-NN", 10) + "\n"
        for f in result.figures {
            s += pad(f.name, width, left: true) + pad(String(f.dimensions), 6)
                + pad(String(format: "%.4f", f.softmaxAccuracy), 10) + pad(String(format: "%.4f", f.neighbourAccuracy), 10) + "\n"
        }
        s += "test accuracy on \(result.testCount) images (classifiers fitted on \(result.trainCount)); "
            + String(format: "most frequent class alone: %.4f", result.majorityAccuracy)
        return s
    }
}
