import AEBase
import AEFormats
import AENet

/// What one source contributed to a training set: for bundle provenance and logs.
public struct LoadedDataSource: Equatable, Sendable, CustomStringConvertible {
    /// The source with every effective option spelled out (defaults and seeds included),
    /// so the same text reproduces the same images.
    public var spec: DataSourceSpec
    /// Images this source contributed (after its own `limit`).
    public var imageCount: Int
    /// Format details: class, compression, crop mode, files read...
    public var detail: String

    public var kind: DataSourceSpec.Kind { spec.kind }
    public var path: String { spec.path }

    /// One line, e.g. `mat /data/train_32x32.mat: 4434 images (MAT v5 ..., X uint8 32x32x3x4434)`.
    public var description: String {
        "\(kind.rawValue) \(path): \(imageCount) images (\(detail)); as argument: \(spec)"
    }
}

/// A loaded training set: the images and where they came from.
public struct LoadedData: Sendable {
    /// N x 32 x 32 x 3 uint8 images.
    public var images: ImageSet
    /// The sources, in argument order.
    public var sources: [LoadedDataSource]
    /// Images from all sources before the overall limit.
    public var totalBeforeLimit: Int
    public var limit: Int?
    public var shuffleSeed: UInt64?

    /// The data argument that reproduces these images: every source with its
    /// effective options, joined by "+" (with `limit` and `shuffleSeed` as given to `load`).
    public var argument: String { sources.map(\.spec.description).joined(separator: "+") }

    /// The sources' kinds joined by "+", e.g. "mat+svhn-photos".
    public var kind: String { sources.map(\.kind.rawValue).joined(separator: "+") }

    /// One line for provenance: the reproducing argument and the selection.
    public var summary: String {
        var text = "\(argument) (\(sources.map { String($0.imageCount) }.joined(separator: " + ")) images"
        if let seed = shuffleSeed { text += ", shuffled with seed \(seed)" }
        if let limit = limit, limit < totalBeforeLimit { text += ", first \(limit) kept" }
        return text + ")"
    }

    /// A few lines describing the set: the selection, then one line per source.
    public var description: String {
        var lines = sources.map { "  " + $0.description }
        var selection = "\(images.count) images of \(images.height)x\(images.width)x\(images.channels)"
        if let seed = shuffleSeed { selection += ", shuffled with seed \(seed)" }
        if let limit = limit, limit < totalBeforeLimit {
            selection += ", the first \(min(limit, totalBeforeLimit)) of \(totalBeforeLimit)"
        }
        lines.insert("training data: " + selection, at: 0)
        return lines.joined(separator: "\n")
    }
}

/// The single entry point `aetrain` uses to load its training images.
///
/// `load` parses the data argument(s) (`DataSourceSpec`), loads every source (all
/// errors surface here, before any training), concatenates them in order, then
/// optionally shuffles the whole set with `shuffleSeed` and keeps the first `limit`
/// images. Without `shuffleSeed` the order is the sources' order, so `limit` takes
/// a prefix: `train.mat+svhn-photos:DIR,count=15566` with limit 20,000 is
/// exactly the 4,434 real crops followed by the 15,566 augmented ones.
///
/// Random sources (png random crops, svhn-photos, synthetic) use their `seed=`
/// option, or `seed` of `load` when it is absent; the effective seed is recorded in
/// each `LoadedDataSource.spec`.
public enum DataSource {
    /// Help text for the data argument, for the CLI's `--help`.
    public static let syntaxHelp = """
        DATA is one or more sources joined by '+', concatenated in order:
          PATH.mat                 MAT v5 file with X: 32x32x3xN (SVHN train_32x32.mat layout);
                                   its labels y (1..10, 10 for zero) are read when present
          PATH.npy                 uint8 array N x 32 x 32 x 3; option labels=LABELS.npy (N digits)
          FOLDER | PATH.png        PNG, JPEG or WebP images of any size -> 32x32 crops (size=N
                                   for NxN; in a folder: files named .png .jpg .jpeg .webp...)
                                   options: crops=tiles (default) | crops=random with per-image=N
                                   or count=N (in all); seed=S; small=pad (default) | skip;
                                   with crops=random: flip=yes (mirror half at random) and
                                   scale=LO-HI (windows LO..HI times the size, down-scaled)
          svhn-photos:FOLDER       SVHN format-1 folder (digit_boxes.csv + train/*.png): digit
                                   crops from the TRAIN photos only; options: count=N (default:
                                   one per train box), seed=S, augment=yes|no (default yes),
                                   shift=0.15 (fraction of the side), scale=0.9-1.3
          synthetic:N              N built-in synthetic images; option seed=S
        Every source takes limit=N (its first N images). Options follow a comma:
          train_32x32.mat+svhn-photos:format1_subset,count=15566,seed=1
        A kind can be forced with a prefix: mat:PATH, npy:PATH, png:PATH.
        """

    /// Loads the images named by `argument` (see `syntaxHelp`).
    /// - Parameters:
    ///   - limit: keep only the first `limit` images (after the shuffle, if any).
    ///   - shuffleSeed: shuffle the concatenated images with this seed before the limit.
    ///   - seed: default seed of random sources without a `seed=` option.
    ///   - threads: worker threads for decoding and cropping.
    public static func load(_ argument: String, limit: Int? = nil, shuffleSeed: UInt64? = nil,
                            seed: UInt64 = 0, threads: Int = Parallelism.availableCores) throws -> LoadedData {
        try load(specs: try DataSourceSpec.parse(argument), limit: limit, shuffleSeed: shuffleSeed,
                 seed: seed, threads: threads)
    }

    /// Loads already parsed sources (e.g. from several `--data` options).
    /// The most images a data set (each source, and all sources together) may hold:
    /// 4,000,000 32x32 RGB images are 12 GB of pixels.
    public static let maxImages = 4_000_000

    public static func load(specs: [DataSourceSpec], limit: Int? = nil, shuffleSeed: UInt64? = nil,
                            seed: UInt64 = 0, threads: Int = Parallelism.availableCores) throws -> LoadedData {
        guard !specs.isEmpty else {
            throw DataSourceError.invalidArgument("", reason: "no data source given")
        }
        if let limit = limit, limit <= 0 {
            throw DataSourceError.invalidArgument(specs.map(\.description).joined(separator: "+"),
                                                  reason: "limit must be positive, got \(limit)")
        }
        for spec in specs { try spec.validate(argument: spec.description) }

        var parts: [ImageSet] = []
        var loaded: [LoadedDataSource] = []
        var total = 0
        for spec in specs {
            // Without a shuffle the limit keeps the first images, so generated sources need
            // make no more than that (their images do not depend on the count asked for).
            let atMost = shuffleSeed == nil ? limit.map { max(1, $0 - total) } : nil
            let (images, info) = try loadSource(spec, seed: seed, threads: threads, atMost: atMost)
            total += images.count
            if let first = parts.first, first.imageShape != images.imageShape {
                throw DataSourceError.invalidArgument(specs.map(\.description).joined(separator: "+"), reason:
                    "the sources give images of \(first.imageShape) and \(images.imageShape): every source needs the same size (PNG sources: size=)")
            }
            guard total <= maxImages else {
                throw DataSourceError.invalidArgument(specs.map(\.description).joined(separator: "+"), reason:
                    "the sources hold \(NumberText.grouped(total)) images or more, over the \(NumberText.grouped(maxImages)) a data set may hold")
            }
            parts.append(images)
            loaded.append(info)
        }
        let keep = min(limit ?? total, total)
        let shape = parts[0].imageShape
        let imageSize = parts[0].imageSize

        var pixels: [UInt8]
        // Labels only when every source has them (the probe and conditional models need them).
        let partLabels = parts.compactMap(\.labels)
        let allLabels: [UInt8]? = partLabels.count == parts.count ? partLabels.flatMap { $0 } : nil
        var labels: [UInt8]? = nil
        if let shuffleSeed = shuffleSeed {
            // Shuffle image indices, then gather the first `keep`.
            var order = Array(0..<total)
            var rng = RandomGenerator(seed: shuffleSeed)
            rng.shuffle(&order)
            var starts: [Int] = [0]
            for p in parts { starts.append(starts.last! + p.count) }
            labels = allLabels.map { all in order.prefix(keep).map { all[$0] } }
            pixels = [UInt8](repeating: 0, count: keep * imageSize)
            pixels.withUnsafeMutableBufferPointer { out in
                for (n, index) in order.prefix(keep).enumerated() {
                    var part = 0
                    while starts[part + 1] <= index { part += 1 }
                    let local = index - starts[part]
                    parts[part].pixels.withUnsafeBufferPointer { src in
                        (out.baseAddress! + n * imageSize).update(from: src.baseAddress! + local * imageSize,
                                                                  count: imageSize)
                    }
                }
            }
        } else {
            pixels = []
            pixels.reserveCapacity(keep * imageSize)
            for p in parts where pixels.count < keep * imageSize {
                let take = min(p.count, keep - pixels.count / imageSize)
                pixels.append(contentsOf: p.pixels[0..<(take * imageSize)])
            }
            labels = allLabels.map { Array($0.prefix(keep)) }
        }
        parts.removeAll()
        return LoadedData(images: ImageSet(height: shape[0], width: shape[1], channels: shape[2], pixels: pixels, labels: labels),
                          sources: loaded, totalBeforeLimit: total, limit: limit, shuffleSeed: shuffleSeed)
    }

    /// Loads one source (its own `limit=` applied).
    public static func loadSource(_ spec: DataSourceSpec, seed: UInt64 = 0,
                                  threads: Int = Parallelism.availableCores,
                                  atMost: Int? = nil) throws -> (ImageSet, LoadedDataSource) {
        let argument = spec.description
        try spec.validate(argument: argument)
        let sourceSeed = try spec.option("seed").map { try spec.seedValue($0, argument: argument) } ?? seed
        var effective = DataSourceSpec(kind: spec.kind, path: spec.path)
        var images: ImageSet
        var detail: String

        switch spec.kind {
        case .mat:
            let file = try MATFile(path: spec.path)
            images = file.images
            detail = "MAT v5 \(file.byteOrder.rawValue), X \(file.imageClass) 32x32x3x\(images.count)"
                + (file.compressed ? ", zlib-compressed" : "")
                + ", variables: \(file.variableNames.joined(separator: " "))"
                + (images.labels == nil ? "" : ", labelled")
        case .npy:
            let file = try NpyFile(path: spec.path)
            images = file.images
            detail = ".npy \(file.formatVersion), \(file.dtype) (\(images.count), 32, 32, 3)"
            if let labelPath = spec.option("labels") {
                let labels = try NpyLabels(path: labelPath).labels
                guard labels.count == images.count else {
                    throw DataSourceError.wrongShape(path: labelPath, reason: "holds \(labels.count) labels for the \(images.count) images of \(spec.path)")
                }
                images = images.withLabels(labels)
                effective.options.append(("labels", labelPath))
                detail += ", labelled"
            }
        case .png:
            var options = PNGFolderCrops.Options(seed: sourceSeed)
            options.threads = threads
            let crops = spec.option("crops") ?? "tiles"
            effective.options.append(("crops", crops))
            if crops == "random" {
                if let n = spec.option("per-image") {
                    let count = try spec.imageCount(n, name: "per-image", argument: argument)
                    options.mode = .randomPerImage(count)
                    effective.options.append(("per-image", String(count)))
                } else {
                    let count = try spec.imageCount(spec.option("count") ?? "", name: "count", argument: argument)
                    options.mode = .randomTotal(min(count, atMost ?? count))
                    effective.options.append(("count", String(count)))
                }
                effective.options.append(("seed", String(sourceSeed)))
            }
            options.smallImages = PNGFolderCrops.SmallImages(rawValue: spec.option("small") ?? "pad") ?? .pad
            effective.options.append(("small", options.smallImages.rawValue))
            if let v = spec.option("size") {
                options.size = try spec.positiveInt(v, name: "size", argument: argument)
                guard options.size <= PNGFolderCrops.maxSize else {
                    throw DataSourceError.invalidArgument(argument, reason: "size must be at most \(PNGFolderCrops.maxSize), got \(options.size)")
                }
            }
            if options.size != PNGFolderCrops.defaultSize { effective.options.append(("size", String(options.size))) }
            if let v = spec.option("flip") { options.flip = try spec.boolValue(v, name: "flip", argument: argument) }
            if let v = spec.option("scale") {
                options.scale = try spec.scaleRange(v, argument: argument)
                guard options.scale.lowerBound >= 1 else {
                    throw DataSourceError.invalidArgument(argument, reason: "scale for PNG crops down-scales: LO must be at least 1, got '\(v)'")
                }
            }
            if (options.flip || options.scale != 1...1) && crops != "random" {
                throw DataSourceError.invalidArgument(argument, reason: "flip and scale apply to crops=random")
            }
            if options.flip { effective.options.append(("flip", "yes")) }
            if options.scale != 1...1 {
                effective.options.append(("scale", "\(options.scale.lowerBound)-\(options.scale.upperBound)"))
            }
            let result = try PNGFolderCrops(path: spec.path, options: options)
            images = result.images
            let side = "\(options.size)x\(options.size)"
            detail = "\(crops == "random" ? "random" : "tiled") \(side) crops of \(result.files.count) PNG file(s)"
                + (options.flip ? ", mirrored at random" : "")
                + (options.scale != 1...1 ? ", down-scaled \(options.scale.lowerBound)-\(options.scale.upperBound)x" : "")
                + (result.skipped.isEmpty ? "" : ", \(result.skipped.count) smaller than \(side) skipped")
        case .svhnPhotos:
            var options = SVHNPhotoCrops.Options(seed: sourceSeed)
            options.threads = threads
            if let n = spec.option("count") {
                let count = try spec.imageCount(n, name: "count", argument: argument)
                options.count = min(count, atMost ?? count)
            }
            if let a = spec.option("augment") { options.augment = try spec.boolValue(a, name: "augment", argument: argument) }
            if let s = spec.option("shift") { options.maxShift = try spec.number(s, name: "shift", argument: argument) }
            if let s = spec.option("scale") { options.scaleRange = try spec.scaleRange(s, argument: argument) }
            let result = try SVHNPhotoCrops(folder: spec.path, options: options)
            images = result.images
            effective.options += [("count", String(images.count)), ("seed", String(sourceSeed)),
                                  ("augment", options.augment ? "yes" : "no")]
            if options.augment {
                effective.options += [("shift", "\(options.maxShift)"),
                                      ("scale", "\(options.scaleRange.lowerBound)-\(options.scaleRange.upperBound)")]
            }
            detail = "\(options.augment ? "augmented " : "")digit crops of \(result.boxes.count) train boxes"
                + " from \(result.photoFiles.count) train photos"
        case .synthetic:
            let count = try spec.imageCount(spec.path, name: "synthetic image count", argument: argument)
            images = SyntheticImages.generate(count: min(count, atMost ?? count), seed: sourceSeed, threads: threads)
            effective.options.append(("seed", String(sourceSeed)))
            detail = "built-in synthetic images"
        }

        if let l = spec.option("limit") {
            let limit = try spec.positiveInt(l, name: "limit", argument: argument)
            if limit < images.count { images = images.subset(0..<limit) }
            effective.options.append(("limit", String(limit)))
        }
        guard images.count > 0 else {
            throw DataSourceError.emptyDataSet(path: spec.path, reason: "the source holds no images")
        }
        return (images, LoadedDataSource(spec: effective, imageCount: images.count, detail: detail))
    }
}

extension BundleMetadata.DataSourceInfo {
    /// The provenance record of a loaded training set: kind "mat+svhn-photos" etc.,
    /// `LoadedData.summary` as the description, and the image count.
    public init(_ data: LoadedData, trainCount: Int? = nil, validationCount: Int? = nil, testCount: Int? = nil) {
        self.init(kind: data.kind, description: data.summary, sampleCount: data.images.count,
                  trainCount: trainCount, validationCount: validationCount, testCount: testCount)
    }
}
