import AEBase
import AEFormats
import AENet
import Foundation

/// Square RGB crops (32x32 by default, `Options.size`) from a folder of PNG, JPEG or
/// WebP images of any size (or from one image file).
///
/// Files: every file named like an image (`ImageFormat.fileExtensions`: `.png`, `.jpg`,
/// `.jpeg`, `.jpe`, `.jfif`, `.webp`, any case) directly in the folder, not in sub-folders,
/// hidden files excluded, in byte-wise name order; each is read by its bytes, whatever
/// its name says. Every PNG colour type and bit depth, gray and colour JPEGs and WebPs
/// are accepted and converted to 8-bit RGB (`ImageFile.decodeRGB`: gray expands, alpha
/// is composited onto black).
///
/// Crops are cut at whole-pixel positions, not resampled:
/// - `.tiles` (the default): non-overlapping 32x32 tiles from the top-left corner,
///   row by row; the right and bottom strips narrower than 32 pixels are left out.
///   A 32x32 image gives exactly itself.
/// - `.randomPerImage(n)`: n crops per image at uniformly random positions.
/// - `.randomTotal(n)`: n crops in all, spread evenly: each image gets n / I,
///   and the first n mod I images (in name order) one more.
/// Random positions come from a generator seeded with (seed, image index), so the
/// crops do not depend on thread count.
///
/// Images smaller than 32 pixels in a dimension are edge-padded by default (the
/// last row or column repeats, giving one tile along that dimension); with
/// `smallImages: .skip` they are left out (and listed in `skipped`).
public struct PNGFolderCrops: Sendable {
    public enum Mode: Sendable, Equatable {
        case tiles
        /// This many random crops from each image.
        case randomPerImage(Int)
        /// This many random crops in all, spread evenly over the images.
        case randomTotal(Int)
    }

    public enum SmallImages: String, Sendable, Equatable {
        case pad, skip
    }

    public struct Options: Sendable, Equatable {
        public var mode: Mode = .tiles
        public var seed: UInt64 = 0
        public var smallImages: SmallImages = .pad
        public var threads = Parallelism.availableCores
        /// Largest image decoded (width x height).
        public var maxPixels = PNGImage.defaultMaxPixels
        /// The crops' side in pixels.
        public var size = PNGFolderCrops.defaultSize
        /// Random crops only: each is mirrored left-right with probability 1/2.
        public var flip = false
        /// Random crops only: a window of side `size * s` (s uniform in this range, at
        /// least 1: down-scaling, as photo codecs train) resampled to `size`. 1...1 cuts
        /// pixels as they are.
        public var scale: ClosedRange<Double> = 1...1

        public init(mode: Mode = .tiles, seed: UInt64 = 0, smallImages: SmallImages = .pad) {
            self.mode = mode
            self.seed = seed
            self.smallImages = smallImages
        }
    }

    /// The crops, N x size x size x 3, image by image.
    public let images: ImageSet
    /// The image files used, in order.
    public let files: [String]
    /// Files left out because they are smaller than the crop in a dimension (`.skip`).
    public let skipped: [String]

    public static let defaultSize = 32
    /// Largest crop side (a 1024x1024 crop is 3 MB).
    public static let maxSize = 1024

    /// Cuts crops from the images in `path` (a folder, or a single image file).
    public init(path: String, options: Options = Options()) throws {
        let (exists, isFolder) = FileBytes.kind(of: path)
        guard exists else { throw DataSourceError.missingFile(path: path) }
        let candidates = isFolder ? try Self.pngFiles(in: path) : [path]
        guard !candidates.isEmpty else {
            throw DataSourceError.emptyDataSet(path: path, reason: "no PNG, JPEG or WebP files in the folder")
        }

        // Pass 1: read every file and its header (sizes decide how many crops each gives).
        var blobs: [[UInt8]] = []
        var sizes: [(width: Int, height: Int)] = []
        var used: [String] = []
        var skipped: [String] = []
        for file in candidates {
            let bytes = try DataSourceError.reading(file)
            let header: ImageFile.Header
            do {
                header = try ImageFile.header(of: bytes)
            } catch let error as UnrecognizedImageError {
                throw DataSourceError.unrecognizedFormat(path: file, reason: error.description)
            } catch {
                throw DataSourceError.corrupt(path: file, reason: "\(error)")
            }
            let (area, overflow) = header.width.multipliedReportingOverflow(by: header.height)
            guard !overflow, area <= options.maxPixels else {
                throw DataSourceError.unsupportedFormat(path: file, reason:
                    "\(header.format.rawValue) is \(header.width)x\(header.height), over the \(options.maxPixels)-pixel limit")
            }
            let small = header.width < options.size || header.height < options.size
            if small && options.smallImages == .skip {
                skipped.append(file)
                continue
            }
            blobs.append(bytes)
            sizes.append((header.width, header.height))
            used.append(file)
        }
        guard !used.isEmpty else {
            throw DataSourceError.emptyDataSet(
                path: path, reason: "all \(skipped.count) images are smaller than \(options.size)x\(options.size) and small=skip")
        }

        // Crops per image and where each image's crops start.
        let counts: [Int] = sizes.indices.map { i in
            switch options.mode {
            case .tiles:
                return max(1, sizes[i].width / options.size) * max(1, sizes[i].height / options.size)
            case .randomPerImage(let perImage):
                return perImage
            case .randomTotal(let total):
                return total / sizes.count + (i < total % sizes.count ? 1 : 0)
            }
        }
        var starts = [0]
        for c in counts { starts.append(starts.last! + c) }
        let total = starts.last!
        guard total <= DataSource.maxImages else {
            throw DataSourceError.invalidArgument(path, reason:
                "\(NumberText.grouped(total)) crops are more than the \(NumberText.grouped(DataSource.maxImages)) images a data set may hold")
        }
        guard total > 0 else {
            throw DataSourceError.emptyDataSet(path: path, reason: "a crop count of 0 was asked for")
        }

        // Pass 2: decode and crop, in parallel over images.
        let imageSize = options.size * options.size * 3
        var pixels = [UInt8](repeating: 0, count: total * imageSize)
        let parallel = Parallelism(threads: options.threads)
        var failures = [DataSourceError?](repeating: nil, count: max(1, min(parallel.threads, used.count)))
        pixels.withUnsafeMutableBufferPointer { out in
            failures.withUnsafeMutableBufferPointer { failed in
                parallel.forEachRange(used.count) { range, worker in
                    for i in range where counts[i] > 0 {
                        let image: PNGImage
                        do {
                            image = try ImageFile.decodeRGB(blobs[i], maxPixels: options.maxPixels)
                        } catch {
                            failed[worker] = .corrupt(path: used[i], reason: "\(error)")
                            return
                        }
                        Self.cut(image, count: counts[i], imageIndex: i, options: options,
                                 into: out.baseAddress! + starts[i] * imageSize)
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }

        images = ImageSet(height: options.size, width: options.size, channels: 3, pixels: pixels)
        files = used
        self.skipped = skipped
    }

    /// The files named like images directly in `folder`, sorted by name.
    static func pngFiles(in folder: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw DataSourceError.unreadable(path: folder, reason: "cannot list the folder")
        }
        let base = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        return names
            .filter { !$0.hasPrefix(".") && ImageFormat.fileExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { base + "/" + $0 }
            .filter { !FileBytes.kind(of: $0).isFolder }
    }

    /// Writes `count` crops of `image` (tiles or random positions) to `out`.
    private static func cut(_ image: PNGImage, count: Int, imageIndex: Int, options: Options,
                            into out: UnsafeMutablePointer<UInt8>) {
        let size = options.size
        let crop = size * size * 3
        image.pixels.withUnsafeBufferPointer { src in
            switch options.mode {
            case .tiles:
                let across = max(1, image.width / size)
                for k in 0..<count {
                    CropResampler.copyWindow(src, width: image.width, height: image.height, channels: 3,
                                             x0: (k % across) * size, y0: (k / across) * size, size: size,
                                             into: out + k * crop)
                }
            case .randomPerImage, .randomTotal:
                var rng = RandomGenerator(seed: DataSeed.derive(options.seed, stream: DataSeed.pngCrops, index: imageIndex))
                let augmented = options.flip || options.scale != 1...1
                for k in 0..<count {
                    guard augmented else {
                        // The plain crop (and the random draws) of earlier versions.
                        let x0 = rng.nextInt(below: max(0, image.width - size) + 1)
                        let y0 = rng.nextInt(below: max(0, image.height - size) + 1)
                        CropResampler.copyWindow(src, width: image.width, height: image.height, channels: 3,
                                                 x0: x0, y0: y0, size: size, into: out + k * crop)
                        continue
                    }
                    // A window of side size * s (no larger than the image), resampled to size.
                    let s = options.scale.lowerBound + (options.scale.upperBound - options.scale.lowerBound) * Self.unit(&rng)
                    let side = min(Double(size) * s, Double(min(image.width, image.height)))
                    let x0 = Self.unit(&rng) * max(0, Double(image.width) - side)
                    let y0 = Self.unit(&rng) * max(0, Double(image.height) - side)
                    let target = out + k * crop
                    if side == Double(size) && x0 == x0.rounded(.down) && y0 == y0.rounded(.down) {
                        CropResampler.copyWindow(src, width: image.width, height: image.height, channels: 3,
                                                 x0: Int(x0), y0: Int(y0), size: size, into: target)
                    } else {
                        CropResampler.resample(src, width: image.width, height: image.height, channels: 3,
                                               x0: x0, y0: y0, side: max(side, 1), outSize: size, into: target)
                    }
                    if options.flip && rng.next() & 1 == 1 { Self.mirror(target, size: size) }
                }
            }
        }
    }

    /// Uniform in [0, 1) with 53 random bits.
    private static func unit(_ rng: inout RandomGenerator) -> Double { Double(rng.next() >> 11) * 0x1p-53 }

    /// Mirrors a size x size RGB crop left-right in place.
    private static func mirror(_ crop: UnsafeMutablePointer<UInt8>, size: Int) {
        for y in 0..<size {
            let row = crop + y * size * 3
            for x in 0..<(size / 2) {
                for c in 0..<3 { swap(&row[x * 3 + c], &row[(size - 1 - x) * 3 + c]) }
            }
        }
    }
}
