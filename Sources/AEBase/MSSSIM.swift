import Foundation

/// The multi-scale structural similarity index (MS-SSIM) of Wang, Simoncelli and Bovik
/// (2003), as pytorch_msssim (the package CompressAI's evaluation uses) computes it: five
/// scales, each a 2 x 2 average of the one before; at scales 1 to 4 the mean
/// contrast-structure term and at scale 5 the mean SSIM (`SSIM.means`: Gaussian window 11,
/// sigma 1.5, K1 0.01, K2 0.03), each clamped at 0 and raised to its weight (0.0448,
/// 0.2856, 0.3001, 0.2363, 0.1333), multiplied.
///
/// Colour: per channel plane, then the mean over the channels (R, G, B), as
/// pytorch_msssim's `ms_ssim(..., size_average=True)`; a gray image is its one plane.
/// Size: after four halvings the smallest side must still hold one window, so both sides
/// must be at least `minimumSide` (161; pytorch_msssim asserts the same bound). Smaller
/// images have no figure (nil): no fewer scales, no reweighting, so every figure given
/// is the standard five-scale one.
///
/// Checked against pytorch_msssim on the images of `Fixtures/quality`
/// (`Scripts/make_quality_fixtures.py`).
public enum MSSSIM {
    /// The weights of scales 1 (full size) to 5.
    public static let weights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]

    /// The smallest side with five scales: (11 - 1) x 2^4 + 1 = 161.
    public static let minimumSide = (SSIM.windowSize - 1) * (1 << (weights.count - 1)) + 1

    /// Whether an image of this size has all five scales.
    public static func accepts(width: Int, height: Int) -> Bool {
        min(width, height) >= minimumSide
    }

    /// The MS-SSIM of two images given as their channel planes (`ImagePlane.colourPlanes`),
    /// the mean over the channels; nil when a side is under `minimumSide`. `dataRange` is
    /// the samples' range (255 for 8-bit pixels).
    public static func index(_ a: [ImagePlane], _ b: [ImagePlane], dataRange: Double = 255) -> Double? {
        precondition(!a.isEmpty && a.count == b.count, "the images differ in channels")
        guard accepts(width: a[0].width, height: a[0].height) else { return nil }
        return zip(a, b).reduce(0) { $0 + plane($1.0, $1.1, dataRange: dataRange) } / Double(a.count)
    }

    /// One channel's MS-SSIM.
    static func plane(_ a: ImagePlane, _ b: ImagePlane, dataRange: Double) -> Double {
        var (x, y) = (a, b)
        var value = 1.0
        for (scale, weight) in weights.enumerated() {
            let (ssim, cs) = SSIM.means(x, y, dataRange: dataRange)
            if scale < weights.count - 1 {
                value *= pow(max(cs, 0), weight)
                (x, y) = (halved(x), halved(y))
            } else {
                value *= pow(max(ssim, 0), weight)
            }
        }
        return value
    }

    /// The plane at half size: the mean of each 2 x 2 block. An odd side is first padded
    /// with one row or column of zeros at both ends (and the zeros count in the means), as
    /// pytorch_msssim's `avg_pool2d(kernel_size=2, padding=side % 2)` does, so a side s
    /// becomes s / 2 rounded down, plus 1 when s is odd.
    public static func halved(_ p: ImagePlane) -> ImagePlane {
        let padX = p.width % 2, padY = p.height % 2
        let width = (p.width + 2 * padX) / 2, height = (p.height + 2 * padY) / 2
        var out = [Double](repeating: 0, count: width * height)
        p.samples.withUnsafeBufferPointer { s in
            for row in 0..<height {
                for col in 0..<width {
                    var sum = 0.0
                    for dy in 0..<2 {
                        let y = 2 * row + dy - padY
                        guard y >= 0 && y < p.height else { continue }
                        for dx in 0..<2 {
                            let x = 2 * col + dx - padX
                            if x >= 0 && x < p.width { sum += s[y * p.width + x] }
                        }
                    }
                    out[row * width + col] = sum / 4
                }
            }
        }
        return ImagePlane(width: width, height: height, samples: out)
    }
}
