import AEProcess
import AECodec
import AEData
import AEFormats
import AENet
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `aetrain report`: measures one or more model bundles on a test set and writes a
/// folder with a self-contained `index.html`, the pictures it shows, and the figures
/// as CSV. The folder appears whole or not at all: it is built under a temporary name
/// beside the destination and renamed into place.
public struct ReportJob {
    public struct Settings: Sendable {
        /// Bundle files or built-in names; empty means every built-in model.
        public var models: [String] = []
        /// Test data (`DataSource` syntax), e.g. the SVHN test crops.
        public var test: String = ""
        /// Output folder.
        public var output: String = ""
        /// Use only the first N test images.
        public var limit: Int?
        /// Test images in the reconstruction grid.
        public var gridImages = 16
        /// Test images in the latent picture.
        public var latentImages = 32
        public var threads = Parallelism.availableCores
        /// Replace an existing report folder.
        public var force = false
        /// Also measure every model on test images corrupted by this noise, against the
        /// clean images (a denoising model next to plain ones).
        public var noise: InputNoise?
        /// Labelled training images for the latent-feature probe (`LatentProbe`); the test
        /// images must then be labelled too. Nil: no probe.
        public var probeTrain: String?
        public var probeOptions = LatentProbe.Options()
        /// Pairs of test images interpolated between, per model (0: none).
        public var interpolationPairs = 2
        public var interpolationSteps = 8
        /// Draws from the prior of each variational model.
        public var samples = 32

        public init() {}
    }

    public struct Result {
        public var folder: String
        public var evaluations: [BundleEvaluation]
        public var testCount: Int
        public var files: [String]
    }

    public let settings: Settings

    public init(settings: Settings) { self.settings = settings }

    /// Names of the files in a report folder besides the per-model latent pictures.
    public static let pageFile = "index.html"
    public static let gridFile = "reconstructions.png"
    public static let figuresFile = "figures.csv"
    public static let denoisingFile = "denoising.png"

    public func run(output: TerminalOutput) throws -> Result {
        let folder = settings.output
        let replacing = try Self.checkOutput(folder, force: settings.force)
        let specs = settings.models.isEmpty ? EmbeddedModels.names : settings.models
        guard !specs.isEmpty else { throw ToolError(path: folder, reason: "no models given and none built in") }
        let bundles = try specs.map { spec -> (ModelBundle, String) in
            let (bundle, _) = try ModelLookup.load(spec)
            // Short names for the page: a built-in's name, a file's name without its folder.
            return (bundle, spec.contains("/") ? (spec as NSString).lastPathComponent : spec)
        }

        output.status("Loading the test data")
        let data = try DataSource.load(settings.test, limit: settings.limit, threads: settings.threads)
        let images = data.images
        guard images.count > 0 else { throw ToolError(path: settings.test, reason: "holds no images") }
        let gridIndices = Self.spread(settings.gridImages, over: images.count)
        let latentIndices = Self.spread(settings.latentImages, over: images.count)

        var evaluations: [BundleEvaluation] = []
        for (bundle, name) in bundles {
            let e = try BundleEvaluation.measure(bundle: bundle, name: name, on: images, sampleIndices: gridIndices,
                                                 threads: settings.threads, noise: settings.noise,
                                                 progress: { output.status($0) })
            output.line("\(name): network " + String(format: "MSE %.6f (%.2f dB)", e.networkMSE, e.networkPSNR)
                + e.codec.map { "; \($0.encoding == .uint8 ? "8-bit" : "float16") files "
                    + String(format: "%.1f bytes, MSE %.6f (%.2f dB)", $0.meanBytes, $0.mse, $0.psnr) }.joined()
                + (e.denoising.map { String(format: "; inputs with %@: MSE %.6f (%.2f dB)", $0.noise.description, $0.mse, $0.psnr) } ?? ""))
            evaluations.append(e)
        }

        // The pictures.
        let originals = gridIndices.map { images.pngImage(at: $0) }
        var gridRows: [(Int, LatentFile.LatentEncoding)] = []
        var rows = [originals]
        for (k, e) in evaluations.enumerated() {
            for c in e.codec {
                gridRows.append((k, c.encoding))
                rows.append(c.samples)
            }
        }
        var files: [(name: String, bytes: [UInt8])] = [(Self.gridFile, try ReportPictures.grid(rows: rows).encoded())]
        if let first = evaluations.first?.denoising {
            // Corrupted inputs, each model's outputs for them, the clean originals.
            let rows = [first.noisyInputs] + evaluations.compactMap { $0.denoising?.outputs } + [originals]
            files.append((Self.denoisingFile, try ReportPictures.grid(rows: rows).encoded()))
        }
        var latentFiles: [String] = []
        for (k, e) in evaluations.enumerated() {
            let name = "latents-\(k + 1).png"
            let vectors = latentIndices.map { i in Array(e.latents[(i * e.latentDim)..<((i + 1) * e.latentDim)]) }
            let picture = ReportPictures.latentPicture(images: latentIndices.map { images.pngImage(at: $0) },
                                                       latents: vectors, statistics: e.statistics)
            files.append((name, try picture.encoded()))
            latentFiles.append(name)
        }
        let experiments = try measureExperiments(bundles: bundles.map(\.0), evaluations: evaluations, images: images,
                                                 output: output)
        files += experiments.files
        let page = ReportPage(evaluations: evaluations, testDescription: data.argument, testCount: images.count,
                              sampleIndices: gridIndices, latentPictureFiles: latentFiles,
                              latentPictureCount: latentIndices.count, gridFile: Self.gridFile, gridRows: gridRows,
                              denoisingFile: settings.noise == nil ? nil : Self.denoisingFile,
                              experiments: experiments,
                              created: BundleMetadata.timestamp())
        files.append((Self.pageFile, Array(page.html().utf8)))
        files.append((Self.figuresFile, Array(Self.figuresCSV(evaluations, testCount: images.count).utf8)))

        try Self.publish(files, as: folder, replacing: replacing)
        return Result(folder: folder, evaluations: evaluations, testCount: images.count, files: files.map(\.name))
    }

    /// Checks that a report can be written to `folder`: a new folder in a writable one, or
    /// with `force` an existing report (a folder holding only report files; never a folder
    /// holding anything else: the test data, models, photos). Returns whether it exists.
    static func checkOutput(_ folder: String, force: Bool) throws -> Bool {
        let existing = FileBytes.kind(of: folder)
        if existing.exists && !existing.isFolder {
            throw ToolError(path: folder, reason: "exists and is not a folder; the report is a folder")
        }
        if existing.exists && !force {
            throw ToolError(path: folder, reason: FileErrorText.alreadyExists)
        }
        if existing.exists {
            // --force replaces a report, never a folder holding anything else (the test data, models, photos).
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            if let foreign = names.sorted().first(where: { !Self.isReportFile($0) }) {
                throw ToolError(path: folder, reason: "holds \(foreign), which is not part of a report; refusing to replace the folder")
            }
        } else {
            let trimmed = folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
            let parent = URL(fileURLWithPath: trimmed).deletingLastPathComponent().path
            guard FileBytes.kind(of: parent).isFolder else {
                throw ToolError(path: folder, reason: "the folder \(parent) does not exist")
            }
            guard access(parent, W_OK) == 0 else {
                throw ToolError(path: folder, reason: "the folder \(parent) is not writable")
            }
        }
        return existing.exists
    }

    /// Whether `name` is a file a report writes (what --force may replace).
    static func isReportFile(_ name: String) -> Bool {
        if [pageFile, gridFile, figuresFile, denoisingFile].contains(name) { return true }
        if name == probeFile || name == PhotoReportJob.imagesFile { return true }
        // The photo report's crops: crop-K-WHAT.png.
        if name.hasPrefix("crop-") && name.hasSuffix(".png") && Int(name.dropFirst(5).prefix { $0 != "-" }) != nil { return true }
        return ["latents-", "interpolation-", "samples-"].contains { prefix in
            name.hasPrefix(prefix) && name.hasSuffix(".png") && Int(name.dropFirst(prefix.count).dropLast(".png".count)) != nil
        }
    }

    /// `count` indices spread evenly over `0..<total` (all of them when there are fewer).
    static func spread(_ count: Int, over total: Int) -> [Int] {
        let n = min(max(0, count), total)
        return (0..<n).map { $0 * total / n }
    }

    /// The table of section 3 as CSV, for scripts.
    static func figuresCSV(_ evaluations: [BundleEvaluation], testCount: Int) -> String {
        var s = "model,fingerprint,latent_dim,parameters,test_images,network_mse,network_psnr_db,latents,mean_file_bytes,bits_per_pixel,compression_ratio,file_mse,file_psnr_db,input_noise,noisy_input_mse\n"
        for e in evaluations {
            for c in e.codec {
                s += [e.name, e.fingerprint, String(e.latentDim), String(e.parameterCount), String(testCount),
                      String(format: "%.7f", e.networkMSE), String(format: "%.3f", e.networkPSNR),
                      c.encoding == .uint8 ? "uint8" : "float16", String(format: "%.2f", c.meanBytes),
                      String(format: "%.4f", c.bitsPerPixel), String(format: "%.2f", Double(e.imageValues) / c.meanBytes),
                      String(format: "%.7f", c.mse), String(format: "%.3f", c.psnr),
                      e.denoising?.noise.description ?? "",
                      e.denoising.map { String(format: "%.7f", $0.mse) } ?? ""].joined(separator: ",") + "\n"
            }
        }
        return s
    }

    /// Writes `files` into a temporary folder beside `folder`, then renames it into
    /// place (moving an old report aside first and removing it after).
    static func publish(_ files: [(name: String, bytes: [UInt8])], as folder: String, replacing: Bool) throws {
        let trimmed = folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
        let temp = AtomicFile.temporaryPath(for: trimmed)
        func failure(_ what: String) -> ToolError {
            ToolError(path: folder, reason: "\(what): \(String(cString: strerror(errno)))")
        }
        guard mkdir(temp, 0o755) == 0 else { throw failure("cannot create a temporary folder beside it") }
        var published = false
        defer { if !published { try? FileManager.default.removeItem(atPath: temp) } }
        let errors = GroupCommit.store(files.map { (path: temp + "/" + $0.name, bytes: $0.bytes) }, force: false)
        if let error = errors.compactMap({ $0 }).first { throw error }
        if replacing {
            let old = AtomicFile.temporaryPath(for: trimmed) + "-old"
            guard rename(trimmed, old) == 0 else { throw failure("cannot move the old report aside") }
            guard rename(temp, trimmed) == 0 else {
                let e = failure("cannot move the new report into place")
                _ = rename(old, trimmed)
                throw e
            }
            try? FileManager.default.removeItem(atPath: old)
        } else {
            // rename() would replace an empty folder made meanwhile; it cannot replace a full one.
            guard rename(temp, trimmed) == 0 else { throw failure("cannot move the report into place") }
        }
        published = true
    }
}
