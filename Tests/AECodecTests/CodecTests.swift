import AECodec
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// Helpers shared by the codec tests.
enum CodecTesting {
    static var codecFixtures: String { TestFixtures.path("codec") }

    static func goldenCodec(threads: Int = 1) throws -> ImageCodec {
        try ImageCodec(bundle: ModelBundle.read(path: TestFixtures.goldenBundlePath), threads: threads)
    }

    static func builtInCodec(threads: Int = 1) throws -> ImageCodec {
        let bundle = try XCTUnwrap(try EmbeddedModels.bundle(named: EmbeddedModels.digitModelName))
        return try ImageCodec(bundle: bundle, name: "built-in \(EmbeddedModels.digitModelName)", threads: threads)
    }

    /// PSNR (dB) between two equally sized 8-bit images over their colour channels
    /// (gray counts as R = G = B), pixels in [0, 1].
    static func psnr(_ a: PNGImage, _ b: PNGImage) -> Double {
        precondition(a.width == b.width && a.height == b.height && a.channels == b.channels)
        let colour = a.channels <= 2 ? 1 : 3
        var sum = 0.0
        for p in 0..<(a.width * a.height) {
            for c in 0..<colour {
                let d = Double(Int(a.pixels[p * a.channels + c]) - Int(b.pixels[p * b.channels + c])) / 255
                sum += d * d
            }
        }
        return 10 * log10(1 / (sum / Double(a.width * a.height * colour)))
    }
}

final class CodecTests: XCTestCase {
    // MARK: Reading every PNG

    func testReadsEveryColourTypeBitDepthAndInterlacing() throws {
        for (colorType, depth) in TestPNG.allFormats {
            for (interlaced, w, h) in [(false, 13, 7), (true, 13, 7), (true, 100, 7), (false, 1, 1), (true, 1, 1)] {
                for transparency in colorType == 4 || colorType == 6 ? [false] : [false, true] {
                    let what = "\(w)x\(h) type \(colorType) depth \(depth) interlaced \(interlaced) tRNS \(transparency)"
                    let (png, expected) = TestPNG.sample(width: w, height: h, colorType: colorType, bitDepth: depth,
                                                         interlaced: interlaced, transparency: transparency)
                    let header = try PNGImage.header(of: png)
                    XCTAssertEqual(header.colorType, colorType, what)
                    XCTAssertEqual(header.sampleDepth, depth, what)
                    XCTAssertEqual(header.interlaced, interlaced, what)
                    let image = try CodecImage.decodePNG(png, path: "t.png")
                    XCTAssertEqual(image.colorType.rawValue, UInt8(colorType), what)
                    XCTAssertEqual(image.bitDepth, depth, what)
                    XCTAssertEqual(image.image, PNGImage(width: expected.width, height: expected.height,
                                                         channels: expected.channels, pixels: expected.pixels), what)
                }
            }
        }
    }

    func testSixteenBitSamplesAreTakenAsSRGB() throws {
        // Without a gAMA chunk, 16-bit samples are sRGB-encoded, not linear: v -> about v / 257.
        let values = [0, 1, 128, 0x7FFF, 0x8080, 0xA5A5, 0xFFFE, 0xFFFF]
        let png = TestPNG.encode(.init(width: values.count, height: 1, colorType: 0, bitDepth: 16, samples: values))
        let image = try PNGImage.decode(png)
        for (v, got) in zip(values, image.pixels) {
            XCTAssertLessThanOrEqual(abs(Double(got) - Double(v) / 257), 1, "16-bit \(v) -> \(got)")
        }
    }

    // MARK: Tiling

    func testTilingReplicatesEdgesAndCropsBack() throws {
        let w = 33, h = 17
        let pixels = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 11) }
        let image = PNGImage(width: w, height: h, channels: 3, pixels: pixels)
        let tiling = ImageTiling(width: w, height: h)
        XCTAssertEqual([tiling.across, tiling.down, tiling.count], [2, 1, 2])
        var tiles = [Float](repeating: -1, count: 2 * tiling.valuesPerTile)
        tiles.withUnsafeMutableBufferPointer { tiling.extract(0..<2, from: image, into: $0) }
        func tileValue(_ t: Int, _ x: Int, _ y: Int, _ c: Int) -> Float { tiles[t * 3072 + (y * 32 + x) * 3 + c] }
        func pixel(_ x: Int, _ y: Int, _ c: Int) -> Float { Float(pixels[(y * w + x) * 3 + c]) / 255 }
        // Inside: the pixel; right of the image: the last column; below: the last row.
        XCTAssertEqual(tileValue(0, 5, 9, 1), pixel(5, 9, 1))
        XCTAssertEqual(tileValue(1, 0, 3, 2), pixel(32, 3, 2))
        XCTAssertEqual(tileValue(1, 20, 3, 0), pixel(32, 3, 0))
        XCTAssertEqual(tileValue(0, 7, 31, 0), pixel(7, 16, 0))
        XCTAssertEqual(tileValue(1, 31, 31, 2), pixel(32, 16, 2))
        // Placing the tiles back crops the padding and restores the pixels exactly.
        var back = PNGImage(width: w, height: h, channels: 3, pixels: [UInt8](repeating: 0, count: w * h * 3))
        tiles.withUnsafeBufferPointer { tiling.place(0..<2, from: $0, into: &back) }
        XCTAssertEqual(back, image)

        // Gray: fed as R = G = B, restored from their mean; alpha untouched.
        let ga = PNGImage(width: 5, height: 3, channels: 2, pixels: (0..<30).map { UInt8($0 * 8) })
        let gt = ImageTiling(width: 5, height: 3)
        var gtiles = [Float](repeating: 0, count: gt.valuesPerTile)
        gtiles.withUnsafeMutableBufferPointer { gt.extract(0..<1, from: ga, into: $0) }
        XCTAssertEqual(gtiles[0], gtiles[1])
        XCTAssertEqual(gtiles[1], gtiles[2])
        var gback = PNGImage(width: 5, height: 3, channels: 2, pixels: (0..<30).map { $0 % 2 == 1 ? UInt8($0 * 8) : 0 })
        gtiles.withUnsafeBufferPointer { gt.place(0..<1, from: $0, into: &gback) }
        XCTAssertEqual(gback, ga)
    }

    // MARK: Round trips

    func testRoundTripEveryFormatAndOddSizes() throws {
        let codec = try CodecTesting.goldenCodec()
        for (w, h) in [(1, 1), (33, 17), (100, 7)] {
            for (colorType, depth) in TestPNG.allFormats {
                for transparency in colorType == 4 || colorType == 6 ? [true] : [false, true] {
                    let what = "\(w)x\(h) type \(colorType) depth \(depth) transparency \(transparency)"
                    let (png, expected) = TestPNG.sample(width: w, height: h, colorType: colorType, bitDepth: depth,
                                                         interlaced: (w + colorType) % 2 == 0, transparency: transparency)
                    let source = try CodecImage.decodePNG(png, path: "in.png")
                    let bytes = try codec.encode(source).encoded()
                    let file = try LatentFile.decode(bytes, path: "in.ael")
                    XCTAssertEqual([file.width, file.height, file.bitDepth], [w, h, depth], what)
                    XCTAssertEqual(file.colorType.rawValue, UInt8(colorType), what)
                    XCTAssertEqual(file.tileCount, ((w + 31) / 32) * ((h + 31) / 32), what)
                    let hasAlpha = expected.channels == 2 || expected.channels == 4
                    XCTAssertEqual(file.alpha != nil, hasAlpha, what)

                    let decoded = try codec.decode(file, path: "in.ael")
                    let out = try PNGImage.decode(try decoded.encoded())
                    XCTAssertEqual([out.width, out.height], [w, h], what)
                    // Gray stays gray, palette becomes RGB, alpha stays, 8 bits.
                    XCTAssertEqual(out.channels, expected.channels, what)
                    let outHeader = try PNGImage.header(of: try decoded.encoded())
                    XCTAssertEqual(outHeader.colorType, [0: 0, 2: 2, 3: 2, 4: 4, 6: 6][colorType]! | (hasAlpha ? 4 : 0), what)
                    XCTAssertEqual(outHeader.sampleDepth, 8, what)
                    if hasAlpha {
                        let c = out.channels
                        let alphaOut = (0..<(w * h)).map { out.pixels[$0 * c + c - 1] }
                        let alphaIn = (0..<(w * h)).map { expected.pixels[$0 * c + c - 1] }
                        XCTAssertEqual(alphaOut, alphaIn, "alpha must be exact: \(what)")
                    }
                }
            }
        }
    }

    func testTrainedModelReconstructsAPhotoFixture() throws {
        let codec = try CodecTesting.builtInCodec(threads: 2)
        let source = try CodecImage.decodePNG(try TestFixtures.bytes("data/svhn_photos/train/1.png"), path: "1.png")
        XCTAssertEqual([source.image.width, source.image.height], [48, 40])
        let decoded = try codec.decode(LatentFile.decode(codec.encode(source).encoded()))
        let psnr = CodecTesting.psnr(source.image, decoded)
        // An untrained model gives a flat grey: the trained one must do far better.
        let untrained = try CodecTesting.goldenCodec()
        let flat = CodecTesting.psnr(source.image, try untrained.decode(untrained.encode(source)))
        XCTAssertGreaterThan(psnr, 16, "PSNR \(psnr) dB of the noisy 48x40 fixture photo through the built-in model")
        XCTAssertGreaterThan(psnr, flat + 3, "trained \(psnr) dB, untrained \(flat) dB")

        // The same image in gray goes in as R = G = B and comes back gray, about as well.
        let grayPixels = stride(from: 0, to: source.image.pixels.count, by: 3).map { i -> UInt8 in
            let p = source.image.pixels
            let r = Int(p[i]) * 299, g = Int(p[i + 1]) * 587, b = Int(p[i + 2]) * 114
            return UInt8((r + g + b + 500) / 1000)
        }
        let gray = CodecImage(image: PNGImage(width: 48, height: 40, channels: 1, pixels: grayPixels), colorType: .gray, bitDepth: 8)
        let grayDecoded = try codec.decode(LatentFile.decode(codec.encode(gray).encoded()))
        XCTAssertEqual(grayDecoded.channels, 1)
        XCTAssertGreaterThan(CodecTesting.psnr(gray.image, grayDecoded), 16)
    }

    func testTrainedModelOnAnSVHNTestDigit() throws {
        let path = try TestFixtures.sharedDatasets() + "/svhn/official_crop_samples/ccexam-1.0.0/svhn_digit_5.png"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) not found") }
        let codec = try CodecTesting.builtInCodec()
        let source = try CodecImage.decodePNG(try Array(Data(contentsOf: URL(fileURLWithPath: path))), path: path)
        let decoded = try codec.decode(codec.encode(source))
        let psnr = CodecTesting.psnr(source.image, decoded)
        XCTAssertGreaterThan(psnr, 20, "PSNR \(psnr) dB of an SVHN test digit through the built-in model")
    }

    // MARK: Determinism

    /// The network's output for a tile depends (in the last bits) on the size of the
    /// batch it is computed in, so the codec fixes the batching per image: the same
    /// image must give the same latents and bytes at any thread count, alone or
    /// encoded together with other images, and decode to the same pixels.
    func testSameBytesAtAnyThreadCountAloneOrWithOtherImages() throws {
        let (png, _) = TestPNG.sample(width: 330, height: 200, colorType: 2, bitDepth: 8, seed: 3)  // 11x7 = 77 tiles: 2 chunks
        let (png2, _) = TestPNG.sample(width: 40, height: 70, colorType: 6, bitDepth: 8, seed: 4)
        let image = try CodecImage.decodePNG(png, path: "a.png"), image2 = try CodecImage.decodePNG(png2, path: "b.png")
        let reference = try CodecTesting.goldenCodec(threads: 1)
        let expected = reference.encode(image)
        let expectedBytes = try expected.encoded()
        let expectedImage = try reference.decode(expected)
        XCTAssertEqual(try reference.encode(image).encoded(), expectedBytes, "the same run twice")
        for threads in [1, 2, 3] {
            let codec = try CodecTesting.goldenCodec(threads: threads)
            let what = "threads \(threads)"
            XCTAssertEqual(try codec.encode(image).encoded(), expectedBytes, what)
            let together = codec.encode([image2, image, image2])
            XCTAssertEqual(together[1], expected, what)
            XCTAssertEqual(try codec.decode([together[0], expected, together[2]], paths: ["b", "a", "c"])[1], expectedImage, what)
        }
    }

    // MARK: Golden file

    /// Fixtures/codec/golden.ael, made by the golden model from golden-source.png, must
    /// decode to golden.png byte for byte (see Fixtures/codec/README.md).
    func testGoldenLatentFileDecodesToTheGoldenPNG() throws {
        let folder = CodecTesting.codecFixtures
        let codec = try CodecTesting.goldenCodec()
        let ael = try LatentFile.read(path: folder + "/golden.ael")
        let png = try codec.decode(ael, path: "golden.ael").encoded()
        let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/golden.png")))
        XCTAssertEqual(try PNGImage.decode(png), try PNGImage.decode(expected), "decoded pixels differ from golden.png")
        XCTAssertEqual(png, expected, "decoded PNG bytes differ from golden.png (pixels equal: a libpng/zlib difference?)")

        // Encoding the source again gives the same file (latents within one float16 step
        // where the network's summation order differs from the machine that made it).
        let source = try CodecImage.decodePNG(try Array(Data(contentsOf: URL(fileURLWithPath: folder + "/golden-source.png"))),
                                              path: "golden-source.png")
        let again = codec.encode(source)
        XCTAssertEqual([again.width, again.height, again.bitDepth, again.tileCount], [ael.width, ael.height, ael.bitDepth, ael.tileCount])
        XCTAssertEqual(again.colorType, ael.colorType)
        XCTAssertEqual(again.alpha, ael.alpha)
        for (a, b) in zip(again.latents, ael.latents) {
            XCTAssertLessThanOrEqual(abs(a - b), max(abs(b), 1e-3) / 512, "latents drifted: \(a) vs \(b)")
        }
    }

    /// Rewrites the golden files; run only on purpose:
    /// AE_REGENERATE_CODEC_GOLDEN=1 swift test --filter CodecTests/testRegenerateGoldenFiles
    func testRegenerateGoldenFiles() throws {
        guard ProcessInfo.processInfo.environment["AE_REGENERATE_CODEC_GOLDEN"] == "1" else {
            throw XCTSkip("set AE_REGENERATE_CODEC_GOLDEN=1 to rewrite Fixtures/codec")
        }
        let folder = CodecTesting.codecFixtures
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // 40x24 RGBA (2x1 tiles, alpha), smooth gradients with a few edges.
        let (w, h) = (40, 24)
        var pixels: [UInt8] = []
        for y in 0..<h {
            for x in 0..<w {
                pixels += [UInt8(x * 6), UInt8(y * 10), UInt8((x + y) % 8 < 4 ? 40 : 220), UInt8(255 - x * 3)]
            }
        }
        let png = try PNGImage(width: w, height: h, channels: 4, pixels: pixels).encoded()
        try Data(png).write(to: URL(fileURLWithPath: folder + "/golden-source.png"))
        let codec = try CodecTesting.goldenCodec()
        let file = codec.encode(try CodecImage.decodePNG(png, path: "golden-source.png"))
        try Data(try file.encoded()).write(to: URL(fileURLWithPath: folder + "/golden.ael"))
        try Data(try codec.decode(file).encoded()).write(to: URL(fileURLWithPath: folder + "/golden.png"))
    }

    // MARK: Refusals

    func testRefusesAnotherModelsFileNamingBothAndTheMatchingBuiltIn() throws {
        let builtIn = try CodecTesting.builtInCodec()
        let golden = try CodecTesting.goldenCodec()
        let (png, _) = TestPNG.sample(width: 8, height: 8, colorType: 2, bitDepth: 8)
        let file = builtIn.encode(try CodecImage.decodePNG(png, path: "x.png"))
        XCTAssertThrowsError(try golden.decode(file, path: "x.ael")) { error in
            guard case let .modelMismatch(path, fileFP, modelFP, _, suggestion)? = error as? CodecError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, "x.ael")
            XCTAssertTrue(builtIn.fingerprint.hasPrefix(fileFP))
            XCTAssertEqual(modelFP, golden.fingerprint)
            XCTAssertEqual(suggestion, EmbeddedModels.digitModelName)
            let reason = (error as! CodecError).reason
            XCTAssertTrue(reason.contains(fileFP) && reason.contains(modelFP) && reason.contains("--model \(EmbeddedModels.digitModelName)"), reason)
        }
        // A file of the golden model has no built-in match.
        let other = golden.encode(try CodecImage.decodePNG(png, path: "x.png"))
        XCTAssertThrowsError(try builtIn.decode(other, path: "y.ael")) { error in
            guard case let .modelMismatch(_, _, _, _, suggestion)? = error as? CodecError else { return XCTFail("\(error)") }
            XCTAssertNil(suggestion)
        }
    }

    func testRefusesNonPNGAndOversizedImagesBeforeDecoding() throws {
        XCTAssertThrowsError(try CodecImage.decodePNG(Array("hello, not a png".utf8), path: "a.png")) { error in
            XCTAssertEqual(error as? CodecError, .unreadableImage(path: "a.png", reason: PNGError.notPNG.description))
        }
        XCTAssertThrowsError(try CodecImage.decodePNG([], path: "empty.png"))
        // Headers claiming huge images (the pixel data are never read).
        for (w, h) in [(16_385, 1), (1, 20_000), (16_384, 16_384)] {
            var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            var ihdr: [UInt8] = []
            TestPNG.be32(w, &ihdr); TestPNG.be32(h, &ihdr)
            ihdr += [8, 2, 0, 0, 0]
            TestPNG.chunk("IHDR", ihdr, &png)
            TestPNG.chunk("IDAT", Zlib.compress([0, 0, 0, 0]), &png)
            TestPNG.chunk("IEND", [], &png)
            XCTAssertThrowsError(try CodecImage.decodePNG(png, path: "big.png"), "\(w)x\(h)") { error in
                XCTAssertEqual(error as? CodecError, .imageTooLarge(path: "big.png", width: w, height: h))
            }
        }
        XCTAssertTrue(ImageCodec.accepts(width: 16_384, height: 8_192))
        XCTAssertFalse(ImageCodec.accepts(width: 16_384, height: 8_193))
    }

    func testDamagedLatentFilesAreRefused() throws {
        let codec = try CodecTesting.goldenCodec()
        let (png, _) = TestPNG.sample(width: 40, height: 40, colorType: 6, bitDepth: 8)
        let bytes = try codec.encode(try CodecImage.decodePNG(png, path: "x.png")).encoded()
        for cut in [0, 3, 10, bytes.count / 2, bytes.count - 1] {
            XCTAssertThrowsError(try LatentFile.decode(Array(bytes[..<cut]), path: "t.ael"), "cut at \(cut)")
        }
        for position in [5, 14, bytes.count / 2, bytes.count - 2] {
            var flipped = bytes
            flipped[position] ^= 0x10
            XCTAssertThrowsError(try LatentFile.decode(flipped, path: "t.ael"), "flip at \(position)")
        }
        var future = bytes
        future[4] = 0x20  // version 2.0, checksum updated
        future.removeLast(4)
        let crc = Zlib.crc32(future)
        for k in 0..<4 { future.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        XCTAssertThrowsError(try LatentFile.decode(future, path: "t.ael")) { error in
            guard case .unsupportedVersion? = error as? LatentFileError else { return XCTFail("\(error)") }
        }
    }

    // MARK: Built-in models

    func testBuiltInModelsAreEmbedded() throws {
        XCTAssertTrue(EmbeddedModels.names.contains(EmbeddedModels.digitModelName))
        let bundle = try XCTUnwrap(try EmbeddedModels.bundle(named: EmbeddedModels.digitModelName))
        XCTAssertEqual(bundle.metadata.architecture.latentDim, 64)
        XCTAssertEqual(EmbeddedModels.name(matching: Array(ModelFingerprint.bytes(of: bundle.tensors).prefix(8))),
                       EmbeddedModels.digitModelName)
        XCTAssertNil(EmbeddedModels.name(matching: [1, 2, 3, 4, 5, 6, 7, 8]))
        XCTAssertNil(try EmbeddedModels.bundle(named: "no-such-model"))
        XCTAssertTrue(EmbeddedModels.listing().contains(bundle.fingerprint))
        // --model resolution: a built-in name, or a path.
        XCTAssertEqual(try ModelLookup.load(nil).name, "built-in \(EmbeddedModels.defaultModelName)")
        XCTAssertEqual(try ModelLookup.load(TestFixtures.goldenBundlePath).bundle.metadata.architecture.latentDim, 4)
        XCTAssertThrowsError(try ModelLookup.load("no-such-model"))
    }
}
