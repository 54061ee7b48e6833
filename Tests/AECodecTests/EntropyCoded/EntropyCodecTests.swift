import AEBase
@testable import AECodec
import AEEntropyCoding
import AEFormats
import AENet
import Foundation
import AETestSupport
import XCTest

/// Helpers for the entropy-coded codec tests: the committed tiny bundles and images.
enum EntropyCodecTesting {
    static var fixtures: String { TestFixtures.path("coded") }
    static var convBundlePath: String { fixtures + "/conv-tiny.aemodel" }
    static var sourcePNGPath: String { CodecTesting.codecFixtures + "/golden-source.png" }

    static func convCodec() throws -> EntropyCodec {
        try EntropyCodec(bundle: ModelBundle.read(path: convBundlePath))
    }

    /// An untrained reference-family rate-distortion bundle (latent size 8, a factorized
    /// prior with bisected quantiles, its entropy tables): built here, not committed,
    /// because the reference model's dense layers make any bundle of it over 700 KB.
    static func referenceBundle(seed: UInt64 = 1) throws -> ModelBundle {
        let base = ReferenceModel.build(latentDim: 8, seed: seed)
        var rng = RandomGenerator(seed: seed)
        let prior = FactorizedPrior(channels: 8, rng: &rng)
        prior.setQuantilesByBisection()
        let model = Autoencoder(encoder: base.encoder, decoder: base.decoder, prior: prior)
        return ModelBundle(model: model).withEntropyTables(try EntropyTables(prior: prior))
    }

    /// A whole-image model's files and decoded pixels are the same bytes at 1, 2 and 3 threads.
    static func assertSameBytesAtAnyThreadCount(_ bundle: ModelBundle, sizes: [(Int, Int)],
                                                file: StaticString = #filePath, line: UInt = #line) throws {
        for (w, h) in sizes {
            let image = Self.image(width: w, height: h, channels: 3)
            let single = try EntropyCodec(bundle: bundle, threads: 1)
            let coded = try single.encode(image)
            let png = try single.decode(coded).encoded()
            for threads in [2, 3] {
                let codec = try EntropyCodec(bundle: bundle, threads: threads)
                XCTAssertEqual(try codec.encode(image).encoded(), try coded.encoded(), "\(w)x\(h), \(threads) threads",
                               file: file, line: line)
                XCTAssertEqual(try codec.decode(coded).encoded(), png, "\(w)x\(h), \(threads) threads", file: file, line: line)
            }
        }
    }

    /// A w x h image with `channels` channels: smooth gradients and a stripe pattern.
    static func image(width w: Int, height h: Int, channels: Int) -> CodecImage {
        var pixels: [UInt8] = []
        for y in 0..<h {
            for x in 0..<w {
                let rgba = [UInt8((x * 7) % 256), UInt8((y * 5) % 256), UInt8((x + y) % 8 < 4 ? 40 : 220), UInt8(255 - (x * 3) % 256)]
                switch channels {
                case 1: pixels.append(rgba[0])
                case 2: pixels += [rgba[0], rgba[3]]
                case 3: pixels += rgba[0..<3]
                default: pixels += rgba
                }
            }
        }
        let type: LatentFile.ColorType = [.gray, .grayAlpha, .rgb, .rgba][channels - 1]
        return CodecImage(image: PNGImage(width: w, height: h, channels: channels, pixels: pixels), colorType: type, bitDepth: 8)
    }
}

final class EntropyCodecTests: XCTestCase {
    // MARK: Round trips

    /// The tile codec refuses a whole-image model with an error (it once took its free
    /// height and width, -1, for a tile size and stopped on a precondition).
    func testTheTileCodecRefusesAWholeImageModel() throws {
        let bundle = try ModelBundle.read(path: EntropyCodecTesting.convBundlePath)
        XCTAssertThrowsError(try ImageCodec(bundle: bundle)) { XCTAssertTrue("\($0)".contains("square RGB tiles"), "\($0)") }
    }

    func testConvolutionalRoundTripKeepsSizeLayoutAlphaAndTheQuantisedLatent() throws {
        let codec = try EntropyCodecTesting.convCodec()
        XCTAssertTrue(codec.codesWholeImages)
        for (w, h, c) in [(40, 24, 4), (17, 33, 1), (16, 16, 3), (5, 3, 2)] {
            let image = EntropyCodecTesting.image(width: w, height: h, channels: c)
            let file = try codec.encode(image)
            XCTAssertTrue(file.matches(modelFingerprint: codec.fingerprint))
            XCTAssertEqual(file.alpha != nil, c == 2 || c == 4)
            let reread = try CodedLatentFile.decode(try file.encoded())
            let decoded = try codec.decode(reread)
            XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [w, h, c])
            if c == 2 || c == 4 {
                let alphaIn = (0..<(w * h)).map { image.image.pixels[$0 * c + c - 1] }
                let alphaOut = (0..<(w * h)).map { decoded.pixels[$0 * c + c - 1] }
                XCTAssertEqual(alphaIn, alphaOut, "alpha is lossless")
            }
            // The decoder must see exactly the encoder's quantised latent.
            let latent = try codec.latent(of: image)
            let symbols = try codec.symbols(of: latent)
            XCTAssertEqual(latent.shape, codec.latentShape(width: w, height: h))
            let values = symbols.indices.map { Float(symbols[$0]) + codec.tables.medians[$0 % codec.channels] }
            let model = try ModelBundle.read(path: EntropyCodecTesting.convBundlePath).makeModel()
            XCTAssertEqual(model.prior?.symbols(latent), symbols, "symbols as FactorizedPrior rounds them")
            XCTAssertEqual(values, model.prior?.values(symbols: symbols, shape: latent.shape).data)
        }
    }

    func testReferenceFamilyRoundTripCodesTheTilesImageCodecMakes() throws {
        let bundle = try EntropyCodecTesting.referenceBundle()
        let codec = try EntropyCodec(bundle: bundle)
        let tiles = try ImageCodec(bundle: bundle)
        XCTAssertFalse(codec.codesWholeImages)
        let image = EntropyCodecTesting.image(width: 40, height: 24, channels: 4)
        let latent = try codec.latent(of: image)
        XCTAssertEqual(latent.shape, [2, 8])
        // The tile latents are ImageCodec's (within float16 storage of the 1.x file).
        let f16 = tiles.encode(image).latents
        for (a, b) in zip(latent.data, f16) { XCTAssertEqual(a, b, accuracy: max(1e-3, abs(a) * 1e-3)) }
        let file = try codec.encode(image)
        let decoded = try codec.decode(try CodedLatentFile.decode(try file.encoded()))
        XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [40, 24, 4])
        // Decoding the quantised latent through ImageCodec's tiles gives the same pixels.
        let symbols = try codec.symbols(of: latent)
        let values = symbols.indices.map { Float(symbols[$0]) + codec.tables.medians[$0 % 8] }
        let viaTiles = tiles.model.decode(Tensor(shape: [2, 8], data: values))
        XCTAssertEqual(viaTiles.shape, [2, 32, 32, 3])
        let normalization = PixelNormalization(scale: 255, offset: 0)
        var expected = PNGImage(width: 40, height: 24, channels: 4, pixels: image.image.pixels)
        viaTiles.data.withUnsafeBufferPointer {
            ImageTiling(width: 40, height: 24).place(0..<2, from: $0, normalization: normalization, into: &expected)
        }
        XCTAssertEqual(decoded.pixels, expected.pixels)
    }

    // MARK: Golden file

    func testGoldenCodedFileDecodesToTheGoldenPNG() throws {
        let codec = try EntropyCodecTesting.convCodec()
        let folder = EntropyCodecTesting.fixtures
        let golden = try LatentFile.readBytes(path: folder + "/golden-conv.ael")
        let file = try CodedLatentFile.decode(golden)
        let png = try codec.decode(file).encoded()
        XCTAssertEqual(png, Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/golden-conv.png"))))
        // Encoding the source again gives the same bytes.
        let source = try CodecImage.decodePNG(Array(try Data(contentsOf: URL(fileURLWithPath: EntropyCodecTesting.sourcePNGPath))),
                                              path: "golden-source.png")
        XCTAssertEqual(try codec.encode(source).encoded(), golden)
    }

    /// AE_REGENERATE_CODED_GOLDEN=1 swift test --filter EntropyCodecTests/testRegenerateGoldenFiles
    func testRegenerateGoldenFiles() throws {
        guard ProcessInfo.processInfo.environment["AE_REGENERATE_CODED_GOLDEN"] == "1" else {
            throw XCTSkip("set AE_REGENERATE_CODED_GOLDEN=1 to rewrite Fixtures/coded/golden-conv.*")
        }
        let codec = try EntropyCodecTesting.convCodec()
        let png = Array(try Data(contentsOf: URL(fileURLWithPath: EntropyCodecTesting.sourcePNGPath)))
        let file = try codec.encode(try CodecImage.decodePNG(png, path: "golden-source.png"))
        let folder = EntropyCodecTesting.fixtures
        try Data(try file.encoded()).write(to: URL(fileURLWithPath: folder + "/golden-conv.ael"))
        try Data(try codec.decode(file).encoded()).write(to: URL(fileURLWithPath: folder + "/golden-conv.png"))
    }

    // MARK: Determinism

    func testSameBytesAtOneAndTwoThreads() throws {
        let bundle = try EntropyCodecTesting.referenceBundle()
        // 288x256 is 9x8 = 72 tiles: two chunks of tiles, one per thread.
        let image = EntropyCodecTesting.image(width: 288, height: 256, channels: 3)
        let one = try EntropyCodec(bundle: bundle, threads: 1).encode(image)
        let two = try EntropyCodec(bundle: bundle, threads: 2)
        let encoded = try two.encode(image)
        XCTAssertEqual(try one.encoded(), try encoded.encoded())
        XCTAssertEqual(try EntropyCodec(bundle: bundle, threads: 1).decode(one), try two.decode(one))
        // Whole-image models split each layer's rows over the threads: the same bytes and pixels.
        try EntropyCodecTesting.assertSameBytesAtAnyThreadCount(try ModelBundle.read(path: EntropyCodecTesting.convBundlePath),
                                                               sizes: [(70, 50), (300, 70), (33, 130)])
    }

    // MARK: Rate

    func testStreamSizeIsCloseToThePriorsIdealBits() throws {
        let bundle = try ModelBundle.read(path: EntropyCodecTesting.convBundlePath)
        let codec = try EntropyCodec(bundle: bundle)
        let prior = try XCTUnwrap(try bundle.makeModel().prior)
        for (w, h) in [(128, 96), (40, 24)] {
            let image = EntropyCodecTesting.image(width: w, height: h, channels: 3)
            let ideal = prior.forward(quantizing: try codec.latent(of: image)).bits
            let bytes = Double(try codec.encode(image).stream.count)
            XCTAssertLessThanOrEqual(bytes, ideal / 8 * 1.03 + 8, "\(w)x\(h): \(bytes) bytes, ideal \(ideal / 8)")
            XCTAssertGreaterThanOrEqual(bytes, ideal / 8 * 0.97 - 8, "\(w)x\(h): \(bytes) bytes, ideal \(ideal / 8)")
        }
    }

    // MARK: Latent refinement (aeenc --effort)

    func testRefinementLowersTheImagesCostKeepsTheBestAndDecodes() throws {
        let codec = try EntropyCodecTesting.convCodec()
        let image = EntropyCodecTesting.image(width: 50, height: 40, channels: 3)
        let plain = try codec.latent(of: image)
        try codec.refineLatents(steps: 6)
        let refined = try codec.latent(of: image)
        let report = try XCTUnwrap(codec.lastRefinement)
        XCTAssertEqual(report.costs.count, 7)
        XCTAssertEqual(report.costs[report.bestStep], report.costs.min())
        XCTAssertLessThan(report.costs[report.bestStep], report.costs[0], "\(report.costs)")
        XCTAssertNotEqual(try codec.symbols(of: refined), try codec.symbols(of: plain))
        // The cost of step 0 is the plain latent's: lambda 255^2 MSE over the image + its bits per pixel.
        let bundle = try ModelBundle.read(path: EntropyCodecTesting.convBundlePath)
        let model = try bundle.makeModel()
        let prior = try XCTUnwrap(model.prior)
        let quantized = prior.forward(quantizing: plain)
        let padded = PaddedImage(width: 50, height: 40, multiple: 16)
        let target = padded.input(image.image, normalization: codec.normalization)
        let (d, _) = LatentRefinement.distortion(model.decode(quantized.values), target, width: 50, height: 40,
                                                 scale: 0.01 * 255 * 255)
        XCTAssertEqual(report.costs[0], d + quantized.bits / 2000, accuracy: 1e-3 * report.costs[0])
        // The file holds the refined latent's symbols and decodes as any other.
        let file = try codec.encode(image)
        var decoder = try RangeDecoder(bytes: file.stream, tables: codec.tables.tables)
        let symbols = try (0 ..< refined.count).map { try decoder.decode(table: $0 % codec.channels) }
        XCTAssertEqual(symbols, try codec.symbols(of: refined))
        let decoded = try codec.decode(file)
        XCTAssertEqual([decoded.width, decoded.height], [50, 40])
        // Off again: the plain latent, bit for bit.
        try codec.refineLatents(steps: 0)
        XCTAssertEqual(try codec.latent(of: image).data.map(\.bitPattern), plain.data.map(\.bitPattern))
    }

    func testRefinedFilesAreTheSameAtOneAndTwoThreads() throws {
        let bundle = try ModelBundle.read(path: EntropyCodecTesting.convBundlePath)
        let image = EntropyCodecTesting.image(width: 70, height: 50, channels: 3)
        let one = try EntropyCodec(bundle: bundle, threads: 1), two = try EntropyCodec(bundle: bundle, threads: 2)
        try one.refineLatents(steps: 3)
        try two.refineLatents(steps: 3)
        XCTAssertEqual(try one.encode(image).encoded(), try two.encode(image).encoded())
    }

    func testRefinementNeedsAWholeImageModelWithALambda() throws {
        let tiles = try EntropyCodec(bundle: try EntropyCodecTesting.referenceBundle(), name: "tiles")
        XCTAssertThrowsError(try tiles.refineLatents(steps: 2)) { error in
            XCTAssertTrue("\(error)".contains("whole-image"), "\(error)")
        }
        XCTAssertNoThrow(try tiles.refineLatents(steps: 0))
    }

    // MARK: Refusals

    func testRefusesAnotherModelsFileAndADamagedStream() throws {
        let conv = try EntropyCodecTesting.convCodec()
        let reference = try EntropyCodec(bundle: try EntropyCodecTesting.referenceBundle())
        let file = try conv.encode(EntropyCodecTesting.image(width: 40, height: 24, channels: 3))
        XCTAssertThrowsError(try reference.decode(file, path: "x.ael")) { error in
            guard case let CodecError.modelMismatch(path, fileFP, _, _, _)? = error as? CodecError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, "x.ael")
            XCTAssertEqual(fileFP, String(conv.fingerprint.prefix(16)))
        }
        // Every truncation and a flipped byte: an error or other pixels, never a crash.
        var damaged = file
        for n in [0, 1, 3, 4, file.stream.count / 2, file.stream.count - 1] {
            damaged.stream = Array(file.stream.prefix(n))
            XCTAssertThrowsError(try conv.decode(damaged, path: "t.ael")) { error in
                XCTAssertTrue("\(error)".contains("t.ael"), "\(error)")
            }
        }
        for k in stride(from: 0, to: file.stream.count, by: max(1, file.stream.count / 16)) {
            damaged.stream = file.stream
            damaged.stream[k] ^= 0x5A
            _ = try? conv.decode(damaged)
        }
    }

    func testModelWithoutTablesCannotWriteCodedFiles() throws {
        let bundle = try ModelBundle.read(path: TestFixtures.goldenBundlePath)
        XCTAssertThrowsError(try EntropyCodec(bundle: bundle, name: "golden")) { error in
            XCTAssertEqual(error as? CodecError, .incompatible(path: "golden", reason: EntropyCodec.noTablesReason))
        }
    }

    /// Whole-image models run in bands, so they take what the latent file takes (2^27
    /// pixels, 16,384 a side) and refuse more before running the network.
    func testWholeImagesTakeTheLatentFileLimitsAndNoMore() throws {
        let codec = try EntropyCodecTesting.convCodec()
        XCTAssertTrue(codec.accepts(width: 8192, height: 4096))
        XCTAssertTrue(codec.accepts(width: 16384, height: 8192))
        XCTAssertFalse(codec.accepts(width: 16384, height: 8193))
        XCTAssertFalse(codec.accepts(width: 16385, height: 16))
        var file = try codec.encode(EntropyCodecTesting.image(width: 16, height: 16, channels: 3))
        file.width = 16384
        file.height = 8193
        XCTAssertThrowsError(try codec.decode(file, path: "big.ael")) { error in
            XCTAssertEqual(error as? CodecError, .imageTooLarge(path: "big.ael", width: 16384, height: 8193))
        }
    }
}
