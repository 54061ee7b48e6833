@testable import AEFormats
import AEBase
import AETestSupport
import XCTest

final class PNGImageTests: XCTestCase {
    private func pattern(_ w: Int, _ h: Int, _ c: Int) -> [UInt8] {
        (0..<(w * h * c)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 5) }
    }

    func testRoundTripAllChannelCounts() throws {
        for channels in 1...4 {
            let image = PNGImage(width: 13, height: 7, channels: channels, pixels: pattern(13, 7, channels))
            let png = try image.encoded()
            XCTAssertEqual(Array(png[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            let header = try PNGImage.header(of: png)
            XCTAssertEqual(header.width, 13)
            XCTAssertEqual(header.height, 7)
            XCTAssertEqual(header.channels, channels)
            XCTAssertEqual(header.bitDepth, 8)
            XCTAssertEqual(try PNGImage.decode(png), image, "channels \(channels)")
        }
    }

    /// Encoding writes once into libpng's worst-case size: incompressible noise (the worst
    /// case) at sizes from 1x1 to a photo's fits, and the file is no larger than the bound.
    func testIncompressibleImagesFitTheWorstCaseBuffer() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // xorshift64: the same noise every run
        func next() -> UInt8 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 32)
        }
        for (w, h, c) in [(1, 1, 1), (1, 1, 4), (3, 2, 2), (257, 3, 3), (300, 200, 3), (64, 700, 4)] {
            let image = PNGImage(width: w, height: h, channels: c, pixels: (0 ..< w * h * c).map { _ in next() })
            let png = try image.encoded()
            XCTAssertLessThanOrEqual(png.count, image.maximumEncodedSize)
            XCTAssertGreaterThan(png.count, w * h * c, "noise does not compress")
            XCTAssertEqual(try PNGImage.decode(png), image, "\(w)x\(h)x\(c)")
        }
    }

    func testConversions() throws {
        // Gray expands to RGB.
        let gray = PNGImage(width: 3, height: 1, channels: 1, pixels: [0, 128, 255])
        let rgb = try PNGImage.decode(try gray.encoded(), channels: 3)
        XCTAssertEqual(rgb.pixels, [0, 0, 0, 128, 128, 128, 255, 255, 255])
        // Alpha is composited onto black by default, or the given background.
        let rgba = PNGImage(width: 2, height: 1, channels: 4, pixels: [200, 100, 50, 255, 200, 100, 50, 0])
        let onBlack = try PNGImage.decode(try rgba.encoded(), channels: 3)
        XCTAssertEqual(onBlack.pixels, [200, 100, 50, 0, 0, 0])
        let onWhite = try PNGImage.decode(try rgba.encoded(), channels: 3, background: (255, 255, 255))
        XCTAssertEqual(onWhite.pixels, [200, 100, 50, 255, 255, 255])
    }

    func testReadsAPythonWrittenFile() throws {
        let image = try PNGImage.read(path: TestFixtures.path("data/svhn_photos/train/1.png"))
        XCTAssertEqual(image.width, 48)
        XCTAssertEqual(image.height, 40)
        XCTAssertEqual(image.channels, 3)
        let magenta = try PNGImage.read(path: TestFixtures.path("data/svhn_photos/test/1.png"))
        XCTAssertEqual(Array(magenta.pixels[0..<3]), [255, 0, 255])
    }

    /// A noisy RGB test image (poorly compressible, so damage hits the image data).
    private func noisyImage(_ w: Int, _ h: Int) -> PNGImage {
        var rng = LatentTestRandom(seed: UInt64(w * 1000 + h))
        return PNGImage(width: w, height: h, channels: 3,
                        pixels: (0..<(w * h * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }

    func testBadData() throws {
        XCTAssertThrowsError(try PNGImage.decode([1, 2, 3])) { XCTAssertEqual($0 as? PNGError, .notPNG) }
        let png = try noisyImage(64, 64).encoded()
        for cut in [8, 20, 40, png.count / 2, png.count - 13] {
            XCTAssertThrowsError(try PNGImage.decode(Array(png[..<cut])), "cut \(cut)") { error in
                guard case .decodeFailed? = error as? PNGError else { return XCTFail("\(error)") }
            }
        }
        var damaged = png
        damaged[png.count / 2] ^= 0xFF  // CRC or zlib check fails
        XCTAssertThrowsError(try PNGImage.decode(damaged))
        XCTAssertThrowsError(try PNGImage.decode(png, maxPixels: 4095)) { error in
            XCTAssertEqual(error as? PNGError, .tooLarge(width: 64, height: 64, limit: 4095))
        }
    }
}
