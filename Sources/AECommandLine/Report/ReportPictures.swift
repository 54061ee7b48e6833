import AECodec
import AEFormats
/// The report's raster pictures, drawn into RGB `PNGImage`s: image grids and the
/// latent-vector picture.
enum ReportPictures {
    /// Rows of equally sized RGB (or gray) images, each pixel drawn as a `scale` x
    /// `scale` block, `gap` white pixels between images and rows.
    static func grid(rows: [[PNGImage]], scale: Int = 2, gap: Int = 2) -> PNGImage {
        let cellW = (rows.first?.first?.width ?? 0) * scale, cellH = (rows.first?.first?.height ?? 0) * scale
        let columns = rows.map(\.count).max() ?? 0
        let width = max(1, columns * cellW + max(0, columns - 1) * gap)
        let height = max(1, rows.count * cellH + max(0, rows.count - 1) * gap)
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        for (r, row) in rows.enumerated() {
            for (c, image) in row.enumerated() {
                let x0 = c * (cellW + gap), y0 = r * (cellH + gap)
                for y in 0..<min(cellH, image.height * scale) {
                    for x in 0..<min(cellW, image.width * scale) {
                        let rgb = color(of: image, x: x / scale, y: y / scale)
                        let o = ((y0 + y) * width + x0 + x) * 3
                        pixels[o] = rgb.0; pixels[o + 1] = rgb.1; pixels[o + 2] = rgb.2
                    }
                }
            }
        }
        return PNGImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// One row per image: the image itself, then its latent vector as a strip of
    /// coloured cells, each value standardised by its dimension's mean and standard
    /// deviation (blue below the mean, red above, white at it; +-3 sd saturates).
    static func latentPicture(images: [PNGImage], latents: [[Float]], statistics: LatentStatistics) -> PNGImage {
        let rowH = images.first?.height ?? 32, thumbW = images.first?.width ?? 32
        let dims = statistics.dimensions
        let cellW = max(4, 512 / max(1, dims))
        let gap = 6
        let width = thumbW + gap + dims * cellW
        let height = max(1, images.count * rowH)
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        func put(_ x: Int, _ y: Int, _ rgb: (UInt8, UInt8, UInt8)) {
            let o = (y * width + x) * 3
            pixels[o] = rgb.0; pixels[o + 1] = rgb.1; pixels[o + 2] = rgb.2
        }
        for (r, image) in images.enumerated() {
            for y in 0..<min(rowH, image.height) {
                for x in 0..<min(thumbW, image.width) { put(x, r * rowH + y, color(of: image, x: x, y: y)) }
            }
            for d in 0..<dims {
                let sd = statistics.standardDeviation[d]
                let z = sd > 0 ? (Double(latents[r][d]) - statistics.mean[d]) / sd : 0
                let rgb = diverging(z / 3)
                // A one-pixel white line between rows keeps them apart.
                for y in 0..<(rowH - 1) {
                    for x in 0..<cellW { put(thumbW + gap + d * cellW + x, r * rowH + y, rgb) }
                }
            }
        }
        return PNGImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// Blue (-1) through white (0) to red (+1); values outside saturate.
    static func diverging(_ t: Double) -> (UInt8, UInt8, UInt8) {
        let v = max(-1, min(1, t))
        let fade = UInt8((255 * (1 - abs(v))).rounded())
        return v < 0 ? (fade, fade, 255) : (255, fade, fade)
    }

    /// The RGB colour of pixel (x, y) of a gray, gray+alpha, RGB or RGBA image (alpha ignored).
    private static func color(of image: PNGImage, x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let c = image.channels
        let o = (y * image.width + x) * c
        if c < 3 { return (image.pixels[o], image.pixels[o], image.pixels[o]) }
        return (image.pixels[o], image.pixels[o + 1], image.pixels[o + 2])
    }
}
