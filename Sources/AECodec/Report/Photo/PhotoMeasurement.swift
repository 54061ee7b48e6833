import AEBase
import AEFormats

/// One coded version of one photo: the whole file's bytes and the decoded image's PSNR.
public struct PhotoPoint: Sendable, Equatable {
    public var bytes: Int
    /// PSNR over RGB of the decoded 8-bit image, pixels scaled to [0, 1], in dB.
    public var psnr: Double
    // MS-SSIM belongs beside the PSNR here once AEBase has it (the metrics work).

    public init(bytes: Int, psnr: Double) {
        self.bytes = bytes
        self.psnr = psnr
    }
}

/// One photo measured by every codec of the report.
public struct PhotoMeasurement: Sendable {
    /// The file's name.
    public var name: String
    public var width: Int
    public var height: Int
    /// Ours: [curve][point], as `PhotoEvaluation.curves`.
    public var ours: [[PhotoPoint]]
    /// The peers: [peer][quality], as `PhotoEvaluation.peers` and `qualities`.
    public var peers: [[PhotoPoint]]
    /// The zoomed crops, for the photos the report shows them for.
    public var crops: PhotoCrops?

    public var pixels: Int { width * height }

    /// Bits per pixel of a file of `bytes` bytes of this photo.
    public func bitsPerPixel(_ bytes: Int) -> Double { Double(bytes * 8) / Double(pixels) }

    /// The index of the quality of peer `peer` whose file is nearest `bytes` in size (ties:
    /// the smaller file), as `Benchmarks/rd_compare.py` chooses its same-size rows.
    public func nearestQuality(peer: Int, bytes: Int) -> Int {
        let points = peers[peer]
        var best = 0
        for (i, p) in points.enumerated() {
            let d = abs(p.bytes - bytes), bestD = abs(points[best].bytes - bytes)
            if d < bestD || (d == bestD && p.bytes < points[best].bytes) { best = i }
        }
        return best
    }

    /// PSNR over RGB between two 8-bit RGB images of the same size.
    public static func psnr(_ a: PNGImage, _ b: PNGImage) -> Double {
        precondition(a.width == b.width && a.height == b.height && a.channels == 3 && b.channels == 3
                     && a.bitDepth == 8 && b.bitDepth == 8, "PSNR compares 8-bit RGB images of one size")
        var sum = 0
        a.pixels.withUnsafeBufferPointer { pa in
            b.pixels.withUnsafeBufferPointer { pb in
                for i in 0..<pa.count {
                    let d = Int(pa[i]) - Int(pb[i])
                    sum += d * d
                }
            }
        }
        return PSNR.decibels(mse: Double(sum) / (255 * 255) / Double(a.pixels.count))
    }
}

/// The same region of a photo as the original and as every codec decoded it.
public struct PhotoCrops: Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public var original: PNGImage
    /// [curve][point], as `PhotoMeasurement.ours`.
    public var ours: [[PNGImage]]
    /// [peer][quality], as `PhotoMeasurement.peers`.
    public var peers: [[PNGImage]]

    /// The `size` x `size` region (smaller for a smaller image) with the most detail: the
    /// largest sum of absolute differences between neighbouring pixels' green samples
    /// (a stand-in for luma), among windows at steps of `size / 4`. Codecs differ most there.
    public static func detailedRegion(of image: PNGImage, size: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let w = min(size, image.width), h = min(size, image.height)
        let W = image.width, H = image.height
        // Integral image of |dx| + |dy| (green), so that every window's sum costs four reads.
        var integral = [Int](repeating: 0, count: (W + 1) * (H + 1))
        image.pixels.withUnsafeBufferPointer { p in
            for y in 0..<H {
                var row = 0
                for x in 0..<W {
                    let g = Int(p[(y * W + x) * 3 + 1])
                    if x + 1 < W { row += abs(g - Int(p[(y * W + x + 1) * 3 + 1])) }
                    if y + 1 < H { row += abs(g - Int(p[((y + 1) * W + x) * 3 + 1])) }
                    integral[(y + 1) * (W + 1) + x + 1] = integral[y * (W + 1) + x + 1] + row
                }
            }
        }
        func sum(_ x: Int, _ y: Int) -> Int {
            integral[(y + h) * (W + 1) + x + w] - integral[y * (W + 1) + x + w]
                - integral[(y + h) * (W + 1) + x] + integral[y * (W + 1) + x]
        }
        let step = max(1, size / 4)
        func positions(_ extent: Int, _ side: Int) -> [Int] {
            Array(Set(Array(stride(from: 0, through: extent - side, by: step)) + [extent - side])).sorted()
        }
        var best = (x: 0, y: 0, detail: -1)
        for y in positions(H, h) {
            for x in positions(W, w) where sum(x, y) > best.detail { best = (x, y, sum(x, y)) }
        }
        return (best.x, best.y, w, h)
    }

    /// The region (x, y, width, height) of an RGB image.
    public static func cut(_ image: PNGImage, x: Int, y: Int, width: Int, height: Int) -> PNGImage {
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * 3)
        for row in y..<(y + height) {
            let start = (row * image.width + x) * 3
            pixels += image.pixels[start..<(start + width * 3)]
        }
        return PNGImage(width: width, height: height, channels: 3, pixels: pixels)
    }
}
