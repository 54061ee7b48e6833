import Foundation

/// The structural similarity index (SSIM) of Wang, Bovik, Sheikh and Simoncelli (2004),
/// as its authors and pytorch_msssim compute it: local means, variances and covariance
/// under an 11 x 11 Gaussian window (sigma 1.5) at every position where the window lies
/// inside the image (no padding), K1 = 0.01, K2 = 0.03, and the mean of the SSIM map.
///
/// Colour: each channel plane separately, then the mean over the channels (R, G, B),
/// as pytorch_msssim's `ssim(..., size_average=True)` does; a gray image is its one
/// plane (the same figure as three equal planes). Images under 11 pixels a side have no
/// window position: no figure (nil).
///
/// Checked against pytorch_msssim on the images of `Fixtures/quality`
/// (`Scripts/make_quality_fixtures.py`).
public enum SSIM {
    public static let windowSize = 11
    public static let sigma = 1.5
    public static let k1 = 0.01
    public static let k2 = 0.03

    /// The 1-D Gaussian weights exp(-x^2 / (2 sigma^2)) at x = -5...5, summing to 1; the
    /// 2-D window is their outer product, applied one direction after the other.
    public static let window: [Double] = {
        let weights = (0..<windowSize).map { i -> Double in
            let x = Double(i - windowSize / 2)
            return exp(-x * x / (2 * sigma * sigma))
        }
        let sum = weights.reduce(0, +)
        return weights.map { $0 / sum }
    }()

    /// Whether an image of this size has a window position (both sides at least 11).
    public static func accepts(width: Int, height: Int) -> Bool {
        width >= windowSize && height >= windowSize
    }

    /// The mean SSIM of two images given as their channel planes (`ImagePlane.colourPlanes`),
    /// the mean over the channels; nil when the images are under 11 pixels a side.
    /// `dataRange` is the samples' range (255 for 8-bit pixels).
    public static func index(_ a: [ImagePlane], _ b: [ImagePlane], dataRange: Double = 255) -> Double? {
        precondition(!a.isEmpty && a.count == b.count, "the images differ in channels")
        guard accepts(width: a[0].width, height: a[0].height) else { return nil }
        return zip(a, b).reduce(0) { $0 + means($1.0, $1.1, dataRange: dataRange).ssim } / Double(a.count)
    }

    /// Over one plane: the mean of the SSIM map and of its contrast-structure factor
    /// (2 sigma_xy + C2) / (sigma_x^2 + sigma_y^2 + C2), the part MS-SSIM takes at its
    /// finer scales. The planes must have the same size, at least 11 a side.
    public static func means(_ a: ImagePlane, _ b: ImagePlane, dataRange: Double = 255)
        -> (ssim: Double, contrastStructure: Double) {
        precondition(a.width == b.width && a.height == b.height, "the planes differ in size")
        precondition(accepts(width: a.width, height: a.height), "planes under the window's size")
        let n = windowSize, width = a.width
        let outWidth = width - n + 1, outHeight = a.height - n + 1
        let c1 = (k1 * dataRange) * (k1 * dataRange), c2 = (k2 * dataRange) * (k2 * dataRange)
        // The last n rows filtered horizontally: five statistics (x, y, x^2, y^2, xy) per
        // row, so that memory follows the width, not the whole image.
        let stride = 5 * outWidth
        var ring = [Double](repeating: 0, count: n * stride)
        var ssimSum = 0.0, csSum = 0.0
        a.samples.withUnsafeBufferPointer { x in
            b.samples.withUnsafeBufferPointer { y in
                window.withUnsafeBufferPointer { g in
                    ring.withUnsafeMutableBufferPointer { ring in
                        for row in 0..<a.height {
                            let slot = (row % n) * stride, start = row * width
                            for col in 0..<outWidth {
                                var sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0
                                for k in 0..<n {
                                    let xv = x[start + col + k], yv = y[start + col + k], gk = g[k]
                                    sx += gk * xv
                                    sy += gk * yv
                                    sxx += gk * xv * xv
                                    syy += gk * yv * yv
                                    sxy += gk * xv * yv
                                }
                                ring[slot + col] = sx
                                ring[slot + outWidth + col] = sy
                                ring[slot + 2 * outWidth + col] = sxx
                                ring[slot + 3 * outWidth + col] = syy
                                ring[slot + 4 * outWidth + col] = sxy
                            }
                            guard row >= n - 1 else { continue }
                            // Output row row - n + 1: the window's rows, oldest first.
                            let top = row - n + 1
                            for col in 0..<outWidth {
                                var mx = 0.0, my = 0.0, exx = 0.0, eyy = 0.0, exy = 0.0
                                for k in 0..<n {
                                    let s = ((top + k) % n) * stride + col, gk = g[k]
                                    mx += gk * ring[s]
                                    my += gk * ring[s + outWidth]
                                    exx += gk * ring[s + 2 * outWidth]
                                    eyy += gk * ring[s + 3 * outWidth]
                                    exy += gk * ring[s + 4 * outWidth]
                                }
                                let mxy = mx * my, mxx = mx * mx, myy = my * my
                                let cs = (2 * (exy - mxy) + c2) / ((exx - mxx) + (eyy - myy) + c2)
                                ssimSum += (2 * mxy + c1) / (mxx + myy + c1) * cs
                                csSum += cs
                            }
                        }
                    }
                }
            }
        }
        let count = Double(outWidth * outHeight)
        return (ssimSum / count, csSum / count)
    }
}
