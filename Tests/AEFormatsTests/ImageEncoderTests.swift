import AEBase
import AEFormats
import AETestSupport
import XCTest

/// JPEG and WebP encoding (`JPEGImage.encode`, `WebPImage.encode`: the photo report's
/// peers), checked by decoding the files with our own decoders.
final class ImageEncoderTests: XCTestCase {
    /// The 96x64 RGB house-number photo.
    private func source() throws -> PNGImage { try PNGImage.read(path: TestFixtures.path("samples/house-number.png")) }

    private func psnr(_ a: PNGImage, _ b: PNGImage) -> Double {
        XCTAssertEqual([a.width, a.height, a.channels], [b.width, b.height, b.channels])
        let sum = zip(a.pixels, b.pixels).reduce(0.0) { $0 + pow(Double(Int($1.0) - Int($1.1)) / 255, 2) }
        return PSNR.decibels(mse: sum / Double(max(1, a.pixels.count)))
    }

    /// The payload of the first marker segment `marker` (FF xx) of a JPEG.
    private func segment(_ marker: UInt8, in bytes: [UInt8]) -> [UInt8]? {
        var i = 2
        while i + 4 <= bytes.count, bytes[i] == 0xFF {
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if bytes[i + 1] == marker { return Array(bytes[(i + 4)..<min(bytes.count, i + 2 + length)]) }
            if bytes[i + 1] == 0xDA { return nil }  // start of scan: the headers are over
            i += 2 + length
        }
        return nil
    }

    func testJPEGRoundTripsThroughOurDecoderAndGrowsWithQuality() throws {
        let image = try source()
        var sizes: [Int] = [], quality: [Double] = []
        for q in [1, 5, 10, 20, 40, 60, 80, 95, 100] {
            let bytes = try JPEGImage.encode(image, quality: q)
            let header = try JPEGImage.header(of: bytes)
            XCTAssertEqual([header.width, header.height, header.channels], [96, 64, 3])
            XCTAssertFalse(header.progressive, "baseline")
            sizes.append(bytes.count)
            quality.append(psnr(image, try JPEGImage.decode(bytes)))
        }
        XCTAssertEqual(sizes, sizes.sorted(), "a higher quality never gives a smaller file: \(sizes)")
        XCTAssertEqual(Set(sizes).count, sizes.count, "every quality here changes the file: \(sizes)")
        XCTAssertEqual(quality, quality.sorted(), "nor a lower PSNR: \(quality)")
        XCTAssertGreaterThan(quality[quality.count - 2], 37, "quality 95")
        XCTAssertGreaterThan(quality[2], 24, "quality 10")
        XCTAssertGreaterThan(quality.last! - quality.first!, 15)
    }

    /// Pillow's `optimize=True` with its default subsampling: YCbCr 4:2:0 (the luma
    /// component sampled 2x2, chroma 1x1) and Huffman tables made for the image, not the
    /// standard ones (the standard luma DC table codes 12 symbols).
    func testJPEGIsFourTwoZeroWithOptimizedHuffmanTables() throws {
        let bytes = try JPEGImage.encode(try source(), quality: 75)
        let frame = try XCTUnwrap(segment(0xC0, in: bytes), "a baseline frame header (SOF0)")
        XCTAssertEqual(frame[5], 3, "three components")
        XCTAssertEqual([frame[7], frame[10], frame[13]], [0x22, 0x11, 0x11], "sampling factors of Y, Cb, Cr")
        let huffman = try XCTUnwrap(segment(0xC4, in: bytes), "Huffman tables (DHT)")
        XCTAssertEqual(huffman[0], 0x00, "the first table is luma DC")
        let symbols = huffman[1...16].reduce(0) { $0 + Int($1) }
        XCTAssertNotEqual(Array(huffman[1...16]), [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], "not the standard table")
        XCTAssertLessThan(symbols, 12, "only the DC differences this image has")
    }

    func testGrayJPEGStaysGray() throws {
        let rgb = try source()
        let gray = PNGImage(width: rgb.width, height: rgb.height, channels: 1,
                            pixels: stride(from: 0, to: rgb.pixels.count, by: 3).map { rgb.pixels[$0 + 1] })
        let bytes = try JPEGImage.encode(gray, quality: 90)
        let back = try JPEGImage.decode(bytes)
        XCTAssertEqual(back.channels, 1)
        XCTAssertGreaterThan(psnr(gray, back), 35)
    }

    func testWebPRoundTripsThroughOurDecoderAndGrowsWithQuality() throws {
        let image = try source()
        var sizes: [Int] = [], quality: [Double] = []
        for q in [0.0, 10, 25, 50, 75, 90, 100] {
            let bytes = try WebPImage.encode(image, quality: q)
            let header = try WebPImage.header(of: bytes)
            XCTAssertEqual([header.width, header.height, header.channels], [96, 64, 3])
            XCTAssertFalse(header.lossless)
            sizes.append(bytes.count)
            quality.append(psnr(image, try WebPImage.decode(bytes)))
        }
        XCTAssertEqual(sizes, sizes.sorted(), "a higher quality never gives a smaller file: \(sizes)")
        XCTAssertEqual(Set(sizes).count, sizes.count, "every quality here changes the file: \(sizes)")
        XCTAssertEqual(quality, quality.sorted(), "nor a lower PSNR: \(quality)")
        XCTAssertGreaterThan(quality.last!, 37, "quality 100")
        XCTAssertGreaterThan(quality[1], 24, "quality 10")
        XCTAssertGreaterThan(quality.last! - quality.first!, 10)
    }

    func testEncodersRefuseWhatTheyCannotWrite() throws {
        let rgb = try source()
        let rgba = PNGImage(width: 2, height: 2, channels: 4, pixels: [UInt8](repeating: 9, count: 16))
        for (what, call) in [("RGBA JPEG", { _ = try JPEGImage.encode(rgba, quality: 50) }),
                             ("JPEG quality 0", { _ = try JPEGImage.encode(rgb, quality: 0) }),
                             ("JPEG quality 101", { _ = try JPEGImage.encode(rgb, quality: 101) })] as [(String, () throws -> Void)] {
            XCTAssertThrowsError(try call(), what) { error in
                guard case .encodeFailed? = error as? JPEGError else { return XCTFail("\(what): \(error)") }
            }
        }
        let gray = PNGImage(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4])
        for (what, call) in [("gray WebP", { _ = try WebPImage.encode(gray, quality: 50) }),
                             ("RGBA WebP", { _ = try WebPImage.encode(rgba, quality: 50) }),
                             ("WebP quality 101", { _ = try WebPImage.encode(rgb, quality: 101) }),
                             ("WebP method 7", { _ = try WebPImage.encode(rgb, quality: 50, method: 7) })] as [(String, () throws -> Void)] {
            XCTAssertThrowsError(try call(), what) { error in
                guard case .encodeFailed? = error as? WebPError else { return XCTFail("\(what): \(error)") }
            }
        }
        XCTAssertEqual("\(JPEGError.encodeFailed("x"))", "cannot encode JPEG: x")
    }
}
