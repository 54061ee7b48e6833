import AEFormats
import AENet

/// 32x32 digit crops cut from the SVHN "format 1" training photos
/// (`<folder>/train/<n>.png` plus `<folder>/digit_boxes.csv`), following the
/// recipe of the SVHN README (section 2) with optional data augmentation.
///
/// Recipe, per digit box: a square window of side `max(width, height)` centred on
/// the box; pixels outside the photo repeat the nearest edge pixel; the window is
/// resized to 32x32. The resize is `CropResampler`'s antialiased triangle filter,
/// not MATLAB's bicubic, so un-augmented crops differ from the official ones by a
/// few grey levels (same geometry).
///
/// Augmentation (the default), per crop: the window's side is scaled by
/// U(`scaleRange`) and its centre shifted by U(-`maxShift`, `maxShift`) x side on
/// each axis (sub-pixel positions, resampled). Crop k uses box k mod B (boxes in
/// CSV order, B train boxes), so every box is used equally often, and its own
/// generator seeded from (seed, k): the crops are the same for a seed whatever the
/// thread count.
///
/// Only rows whose split is exactly "train" are used, and only files under
/// `<folder>/train/` are ever opened: the test photos are held out for evaluation.
public struct SVHNPhotoCrops: Sendable {
    /// The only split this source reads. There is deliberately no option to change it.
    public static let split = "train"

    public struct Options: Sendable, Equatable {
        /// Number of crops; nil means one per train digit box.
        public var count: Int?
        public var seed: UInt64 = 0
        /// Random shifts and scales; false gives the plain recipe crops.
        public var augment = true
        /// Largest centre shift, as a fraction of the window side.
        public var maxShift = 0.15
        /// Range of the side's scale factor.
        public var scaleRange: ClosedRange<Double> = 0.9...1.3
        /// Worker threads for decoding and resampling.
        public var threads = Parallelism.availableCores

        public init(count: Int? = nil, seed: UInt64 = 0, augment: Bool = true) {
            self.count = count
            self.seed = seed
            self.augment = augment
        }
    }

    /// The crops, N x 32 x 32 x 3.
    public let images: ImageSet
    /// The train digit boxes the crops come from (CSV order).
    public let boxes: [SVHNDigitBox]
    /// The photo files that were read, in the order of `photos` (all under `train/`).
    public let photoFiles: [String]

    /// Reads `folder/digit_boxes.csv` and the train photos it names, and cuts the crops.
    public init(folder: String, options: Options = Options()) throws {
        let csvPath = folder + "/digit_boxes.csv"
        let csvBytes = try DataSourceError.reading(csvPath)
        let all = try SVHNDigitBoxes.parse(String(decoding: csvBytes, as: UTF8.self), path: csvPath)
        let boxes = Self.trainingBoxes(all)
        guard !boxes.isEmpty else {
            throw DataSourceError.emptyDataSet(path: csvPath, reason: "no rows with split '\(Self.split)'")
        }
        let count = options.count ?? boxes.count
        guard count > 0 else {
            throw DataSourceError.emptyDataSet(path: folder, reason: "a crop count of 0 was asked for")
        }
        guard options.maxShift >= 0, options.scaleRange.lowerBound > 0 else {
            throw DataSourceError.invalidArgument(folder, reason: "shift must be >= 0 and scales > 0")
        }

        // Crop k -> box k mod B; group the crops by photo so each photo is decoded once.
        var cropsByPhoto: [Int: [Int]] = [:]
        for k in 0..<count { cropsByPhoto[boxes[k % boxes.count].image, default: []].append(k) }
        let photos = cropsByPhoto.keys.sorted()
        let files = photos.map { Self.photoPath(folder: folder, image: $0) }

        let imageSize = 32 * 32 * 3
        var pixels = [UInt8](repeating: 0, count: count * imageSize)
        let parallel = Parallelism(threads: options.threads)
        let workers = min(parallel.threads, photos.count)
        var failures = [DataSourceError?](repeating: nil, count: max(workers, 1))
        pixels.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { failed in
                parallel.forEachRange(photos.count) { range, worker in
                    for p in range {
                        do {
                            try Self.cutCrops(photo: photos[p], file: files[p], crops: cropsByPhoto[photos[p]]!,
                                              boxes: boxes, options: options, into: out.baseAddress!)
                        } catch let error as DataSourceError {
                            failed[worker] = error
                            return
                        } catch {
                            failed[worker] = .corrupt(path: files[p], reason: "\(error)")
                            return
                        }
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }

        // Each crop is labelled with its box's digit (the one centred in it).
        let labels = (0..<count).compactMap { DigitLabels.digit(Double(boxes[$0 % boxes.count].label)) }
        images = ImageSet(height: 32, width: 32, channels: 3, pixels: pixels, labels: labels.count == count ? labels : nil)
        self.boxes = boxes
        photoFiles = files
    }

    /// The rows of `digit_boxes.csv` this source may use: split == "train", in order.
    public static func trainingBoxes(_ boxes: [SVHNDigitBox]) -> [SVHNDigitBox] {
        boxes.filter { $0.split == split }
    }

    /// The file of a train photo.
    static func photoPath(folder: String, image: Int) -> String {
        "\(folder)/\(split)/\(image).png"
    }

    /// The crop window for a box: `(x0, y0, side)` in pixel coordinates. Without
    /// augmentation it is the README's integer window (side = max(w, h), corner
    /// rounded half up); with it, scaled and shifted using `rng`.
    public static func window(for box: SVHNDigitBox, augment: Bool, maxShift: Double = 0.15,
                              scaleRange: ClosedRange<Double> = 0.9...1.3,
                              rng: inout RandomGenerator) -> (x0: Double, y0: Double, side: Double) {
        let side = Double(max(box.width, box.height))
        if !augment {
            let x0 = (Double(box.left) + Double(box.width - Int(side)) / 2 + 0.5).rounded(.down)
            let y0 = (Double(box.top) + Double(box.height - Int(side)) / 2 + 0.5).rounded(.down)
            return (x0, y0, side)
        }
        let scale = uniform(&rng, scaleRange.lowerBound, scaleRange.upperBound)
        let dx = uniform(&rng, -maxShift, maxShift) * side
        let dy = uniform(&rng, -maxShift, maxShift) * side
        let newSide = side * scale
        let cx = Double(box.left) + Double(box.width) / 2 + dx
        let cy = Double(box.top) + Double(box.height) / 2 + dy
        return (cx - newSide / 2, cy - newSide / 2, newSide)
    }

    /// Uniform double in [lo, hi) from 53 random bits.
    private static func uniform(_ rng: inout RandomGenerator, _ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Decodes one photo and writes its crops.
    private static func cutCrops(photo: Int, file: String, crops: [Int], boxes: [SVHNDigitBox],
                                 options: Options, into out: UnsafeMutablePointer<UInt8>) throws {
        let bytes = try DataSourceError.reading(file)
        let image: PNGImage
        do {
            image = try PNGImage.decode(bytes, channels: 3)
        } catch let error as PNGError {
            throw DataSourceError.corrupt(path: file, reason: error.description)
        }
        let first = boxes[crops[0] % boxes.count]
        guard image.width == first.imageWidth && image.height == first.imageHeight else {
            throw DataSourceError.corrupt(
                path: file, reason: "photo is \(image.width)x\(image.height) but digit_boxes.csv says \(first.imageWidth)x\(first.imageHeight)")
        }
        image.pixels.withUnsafeBufferPointer { src in
            for k in crops {
                let box = boxes[k % boxes.count]
                var rng = RandomGenerator(seed: DataSeed.derive(options.seed, stream: DataSeed.svhnCrops, index: k))
                let w = window(for: box, augment: options.augment, maxShift: options.maxShift,
                               scaleRange: options.scaleRange, rng: &rng)
                CropResampler.resample(src, width: image.width, height: image.height, channels: 3,
                                       x0: w.x0, y0: w.y0, side: w.side, outSize: 32,
                                       into: out + k * 3072)
            }
        }
    }
}
