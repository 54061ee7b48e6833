import AEBase
import AEFormats
import AETestSupport
import XCTest

/// JPEG and WebP input (libjpeg-turbo, libwebp) and the dispatch by signature
/// (`ImageFormat`, `ImageFile`), on the files of Fixtures/images
/// (Scripts/make_image_fixtures.sh: made from the committed PNGs by cjpeg and cwebp).
final class ImageFileTests: XCTestCase {
    private func image(_ name: String) throws -> [UInt8] { try TestFixtures.bytes("images/" + name) }

    /// The 96x64 RGB source of the house-number files.
    private func source() throws -> PNGImage { try PNGImage.read(path: TestFixtures.path("samples/house-number.png")) }

    /// PSNR between two images of the same size and layout.
    private func psnr(_ a: PNGImage, _ b: PNGImage) -> Double {
        XCTAssertEqual([a.width, a.height, a.channels], [b.width, b.height, b.channels])
        let sum = zip(a.pixels, b.pixels).reduce(0.0) { $0 + pow(Double(Int($1.0) - Int($1.1)) / 255, 2) }
        return PSNR.decibels(mse: sum / Double(max(1, a.pixels.count)))
    }

    func testFormatsAreRecognisedByTheirBytes() throws {
        XCTAssertEqual(ImageFormat.detect(try image("house-number.jpg")), .jpeg)
        XCTAssertEqual(ImageFormat.detect(try image("house-number.webp")), .webp)
        XCTAssertEqual(ImageFormat.detect(try TestFixtures.bytes("samples/house-number.png")), .png)
        XCTAssertNil(ImageFormat.detect(Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVE".utf8)), "a RIFF file of another type")
        XCTAssertNil(ImageFormat.detect(Array("GIF89a".utf8)))
        // Short prefixes that may still begin an image, and ones that cannot.
        XCTAssertTrue(ImageFormat.couldBegin([0xFF, 0xD8]))
        XCTAssertTrue(ImageFormat.couldBegin(Array("RIFF\u{1}\u{2}\u{3}\u{4}WE".utf8)))
        XCTAssertTrue(ImageFormat.couldBegin([]))
        XCTAssertFalse(ImageFormat.couldBegin(Array("RIFF\u{1}\u{2}\u{3}\u{4}WA".utf8)))
        XCTAssertFalse(ImageFormat.couldBegin([0xFF, 0xD9]))
        XCTAssertThrowsError(try ImageFile.decode(Array("hello".utf8))) { error in
            XCTAssertEqual("\(error)", "not a PNG, JPEG or WebP image (starts with 68 65 6c 6c 6f)")
        }
        XCTAssertThrowsError(try ImageFile.header(of: [])) { XCTAssertEqual("\($0)", "empty file, not a PNG, JPEG or WebP image") }
    }

    func testJPEGsDecodeCloseToTheirSource() throws {
        let png = try source()
        for name in ["house-number.jpg", "house-number-progressive.jpg"] {
            let header = try ImageFile.header(of: try image(name))
            XCTAssertEqual(header.format, .jpeg)
            XCTAssertEqual([header.width, header.height, header.channels, header.colorType, header.sampleDepth],
                           [96, 64, 3, 2, 8], name)
            XCTAssertEqual(try JPEGImage.header(of: try image(name)).progressive, name.contains("progressive"))
            let decoded = try ImageFile.decode(try image(name))
            XCTAssertGreaterThan(psnr(decoded, png), 35, name)  // quality 95; rows in order, channels RGB
        }
        // Progressive and baseline files of the same pixels decode to nearly the same image.
        XCTAssertGreaterThan(psnr(try JPEGImage.decode(try image("house-number.jpg")),
                                  try JPEGImage.decode(try image("house-number-progressive.jpg"))), 45)
    }

    func testGrayJPEGStaysGray() throws {
        let gray = try ImageFile.decode(try image("house-number-gray.jpg"))
        XCTAssertEqual([gray.width, gray.height, gray.channels], [96, 64, 1])
        XCTAssertEqual(try ImageFile.header(of: try image("house-number-gray.jpg")).colorType, 0)
        // Against the source's luma (JPEG's Y: 0.299 R + 0.587 G + 0.114 B).
        let png = try source()
        let luma = (0..<(96 * 64)).map { i -> UInt8 in
            let p = png.pixels[(3 * i)..<(3 * i + 3)].map(Double.init)
            return UInt8((0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]).rounded())
        }
        XCTAssertGreaterThan(psnr(gray, PNGImage(width: 96, height: 64, channels: 1, pixels: luma)), 35)
        // As RGBA for comparisons: R = G = B, opaque.
        let rgba = try ImageFile.decodeRGBA(try image("house-number-gray.jpg"))
        XCTAssertEqual(Array(rgba.pixels[0..<8]), [gray.pixels[0], gray.pixels[0], gray.pixels[0], 255,
                                                  gray.pixels[1], gray.pixels[1], gray.pixels[1], 255])
    }

    func testWebPLosslessGivesTheSourcePixelsAndAlpha() throws {
        XCTAssertEqual(try ImageFile.decode(try image("house-number-lossless.webp")), try source())
        let header = try WebPImage.header(of: try image("house-number-lossless.webp"))
        XCTAssertEqual([header.width, header.height, header.channels], [96, 64, 3])
        XCTAssertTrue(header.lossless)
        // RGBA (cwebp -exact keeps the colour under transparent pixels).
        let rgba = try PNGImage.read(path: TestFixtures.path("codec/golden-source.png"))
        XCTAssertEqual(rgba.channels, 4)
        XCTAssertEqual(try ImageFile.decode(try image("golden-source-lossless.webp")), rgba)
        XCTAssertEqual(try ImageFile.header(of: try image("golden-source-lossless.webp")).colorType, 6)
        // Lossy.
        let lossy = try ImageFile.decode(try image("house-number.webp"))
        XCTAssertEqual(try WebPImage.header(of: try image("house-number.webp")).lossless, false)
        XCTAssertGreaterThan(psnr(lossy, try source()), 30)
    }

    /// `bytes` with the frame header's height and width set (the first SOF0/SOF2 marker).
    private func jpeg(_ bytes: [UInt8], width: Int, height: Int) -> [UInt8] {
        var b = bytes
        let at = (2..<(b.count - 9)).first { b[$0] == 0xFF && (b[$0 + 1] == 0xC0 || b[$0 + 1] == 0xC2) }!
        b[at + 5] = UInt8(height >> 8); b[at + 6] = UInt8(height & 255)
        b[at + 7] = UInt8(width >> 8); b[at + 8] = UInt8(width & 255)
        return b
    }

    func testOversizedImagesAreRefusedAtTheirHeader() throws {
        let big = jpeg(try image("house-number-progressive.jpg"), width: 65_000, height: 65_000)
        XCTAssertEqual(try JPEGImage.header(of: big).width, 65_000)
        XCTAssertThrowsError(try ImageFile.decode(big)) {
            XCTAssertEqual($0 as? JPEGError, .tooLarge(width: 65_000, height: 65_000, limit: PNGImage.defaultMaxPixels))
        }
        XCTAssertThrowsError(try JPEGImage.decode(try image("house-number.jpg"), maxPixels: 96 * 64 - 1)) {
            XCTAssertEqual($0 as? JPEGError, .tooLarge(width: 96, height: 64, limit: 96 * 64 - 1))
        }
        XCTAssertThrowsError(try WebPImage.decode(try image("house-number.webp"), maxPixels: 100)) {
            XCTAssertEqual($0 as? WebPError, .tooLarge(width: 96, height: 64, limit: 100))
        }
    }

    func testDamagedFilesAreRefusedWithTheLibrarysReason() throws {
        let jpg = try image("house-number.jpg")
        XCTAssertThrowsError(try JPEGImage.decode(Array(jpg.prefix(jpg.count / 2)))) { error in
            XCTAssertEqual(error as? JPEGError, .decodeFailed("Premature end of JPEG file"))
        }
        XCTAssertThrowsError(try JPEGImage.decode(Array(jpg.prefix(20)))) { error in
            guard case .decodeFailed? = error as? JPEGError else { return XCTFail("\(error)") }
        }
        let webp = try image("house-number.webp")
        XCTAssertThrowsError(try WebPImage.decode(Array(webp.prefix(webp.count - 40)))) { error in
            XCTAssertEqual(error as? WebPError, .decodeFailed("truncated (not enough data)"))
        }
        XCTAssertThrowsError(try JPEGImage.decode(try image("house-number.webp"))) { XCTAssertEqual($0 as? JPEGError, .notJPEG) }
        XCTAssertThrowsError(try WebPImage.decode(jpg)) { XCTAssertEqual($0 as? WebPError, .notWebP) }
    }
}
