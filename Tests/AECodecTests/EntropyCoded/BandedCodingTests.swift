import AEBase
@testable import AECodec
import AEFormats
import AENet
import AETestSupport
import XCTest

/// Whole-image models run in bands (`BandedModel`): bands of any height give exactly the
/// latent, the file and the pixels of one run over the whole image; the band height
/// follows from the memory budget; Ctrl-C is polled between bands.
final class BandedCodingTests: XCTestCase {
    private let normalization = PixelNormalization(scale: 255, offset: 0)
    /// Odd sizes: tall, narrow, wide and flat, gray, RGB and RGBA.
    private let sizes = [(200, 328, 3), (17, 1000, 1), (1000, 40, 4), (40, 700, 3)]

    private func padded(_ image: PNGImage) -> PaddedImage {
        PaddedImage(width: image.width, height: image.height, multiple: BandedModel.unit)
    }

    /// The latent and the RGB samples of one run of `model` over the whole padded image.
    private func wholeRun(_ model: Autoencoder, _ image: PNGImage) -> (latent: Tensor, pixels: [UInt8]) {
        let p = padded(image)
        let latent = model.encode(p.input(image, normalization: normalization))
        let output = model.decode(latent)
        var pixels = [UInt8](repeating: 0, count: image.width * image.height * 3)
        pixels.withUnsafeMutableBufferPointer { p.place(output, normalization: normalization, into: $0, channels: 3) }
        return (latent, pixels)
    }

    /// The same through `BandedModel` with bands that keep `rows` latent rows; the decoder
    /// decodes `latent`.
    private func bandedRun(_ model: Autoencoder, _ image: PNGImage, decoding latent: Tensor, rows: Int)
        throws -> (latent: Tensor, pixels: [UInt8], bands: Int) {
        let banded = try XCTUnwrap(BandedModel(model: model))
        banded.bandRows = rows
        let p = padded(image)
        let encoded = try XCTUnwrap(banded.encode(image, padded: p, normalization: normalization, shouldStop: { false }))
        var pixels = [UInt8](repeating: 0, count: image.width * image.height * 3)
        let finished = pixels.withUnsafeMutableBufferPointer {
            banded.decode(latent, padded: p, normalization: normalization, into: $0, channels: 3, shouldStop: { false })
        }
        XCTAssertTrue(finished)
        return (encoded, pixels, banded.encoderBands(p).bands.count)
    }

    func testBandsOfAnyHeightGiveTheWholeRunBitForBit() throws {
        // N = 32: 800-tap patches, where the sgemm of a few rows rounds differently from
        // that of many (flat chunks fail this test).
        let model = ConvolutionalCodecModel.build(channels: 32, latentChannels: 24, seed: 3,
                                                  parallelism: Parallelism(threads: 1, rowAligned: true))
        for (w, h, _) in sizes {
            let image = EntropyCodecTesting.image(width: w, height: h, channels: 3).image
            let whole = wholeRun(model, image)
            for rows in [1, 3] {
                let banded = try bandedRun(model, image, decoding: whole.latent, rows: rows)
                XCTAssertEqual(banded.bands, ((h + 15) / 16 + rows - 1) / rows, "\(w)x\(h) in bands of \(rows)")
                XCTAssertEqual(banded.latent.shape, whole.latent.shape)
                XCTAssertTrue(zip(banded.latent.data, whole.latent.data).allSatisfy { $0.bitPattern == $1.bitPattern },
                              "\(w)x\(h), bands of \(rows): latent")
                XCTAssertEqual(banded.pixels, whole.pixels, "\(w)x\(h), bands of \(rows): pixels")
            }
        }
    }

    /// Through the codec (the committed tiny model): the same file and PNG whatever the
    /// band height, and the latent of one whole-image run.
    func testTheCodecWritesAndReadsTheSameBytesInBandsOfAnyHeight() throws {
        let bundle = try ModelBundle.read(path: EntropyCodecTesting.convBundlePath)
        let codec = try EntropyCodec(bundle: bundle)
        let model = try bundle.makeModel(parallelism: Parallelism(threads: 1, rowAligned: true))
        for (w, h, c) in sizes {
            let image = EntropyCodecTesting.image(width: w, height: h, channels: c)
            codec.bandRows = nil
            let file = try codec.encode(image)
            let bytes = try file.encoded()
            let png = try codec.decode(file).encoded()
            XCTAssertEqual(try codec.latent(of: image).data, wholeRun(model, image.image).latent.data, "\(w)x\(h)")
            for rows in [1, 3] {
                codec.bandRows = rows
                XCTAssertEqual(try codec.encode(image).encoded(), bytes, "\(w)x\(h), bands of \(rows)")
                XCTAssertEqual(try codec.decode(file).encoded(), png, "\(w)x\(h), bands of \(rows)")
            }
        }
    }

    // MARK: Plans

    /// Bands keep consecutive latent rows and compute the rows the transforms' kernels
    /// and strides reach: 1 latent row above and 2 below for the analysis (image rows
    /// 16r - 15 ... 16r + 45), 2 above and 1 below for the synthesis.
    func testBandsComputeTheRowsTheirKeptRowsReach() throws {
        let banded = try XCTUnwrap(BandedModel(model: ConvolutionalCodecModel.build(channels: 4, latentChannels: 4, seed: 1)))
        banded.bandRows = 4
        let p = PaddedImage(width: 40, height: 327, multiple: 16)  // 21 latent rows
        let kept = [0..<4, 4..<8, 8..<12, 12..<16, 16..<20, 20..<21]
        XCTAssertEqual(banded.encoderBands(p).bands.map(\.kept), kept)
        XCTAssertEqual(banded.encoderBands(p).bands.map(\.computed), [0..<6, 3..<10, 7..<14, 11..<18, 15..<21, 19..<21])
        XCTAssertEqual(banded.decoderBands(p).bands.map(\.kept), kept)
        XCTAssertEqual(banded.decoderBands(p).bands.map(\.computed), [0..<5, 2..<9, 6..<13, 10..<17, 14..<21, 18..<21])
    }

    /// The budget sets the band height: a 4,000 x 3,000 photo through an N = 128, M = 192
    /// model goes in several bands each within the budget, a 768 x 512 one in one band (as
    /// fast as before).
    func testTheMemoryBudgetSetsTheBandHeight() throws {
        let model = ConvolutionalCodecModel.build(channels: 128, latentChannels: 192, seed: 1)
        let banded = try XCTUnwrap(BandedModel(model: model))
        let large = PaddedImage(width: 4000, height: 3000, multiple: 16)
        for (plan, perRow) in [(banded.encoderBands(large), banded.bytesPerRow(encoder: true, width: 4000)),
                               (banded.decoderBands(large), banded.bytesPerRow(encoder: false, width: 4000))] {
            XCTAssertGreaterThan(plan.bands.count, 4)
            XCTAssertGreaterThan(plan.bands[1].kept.count, 4, "bands much taller than their overlap")
            for band in plan.bands { XCTAssertLessThanOrEqual(band.computed.count * perRow, BandedModel.memoryBudget) }
            // The whole-image run would need several times the budget.
            XCTAssertGreaterThan(188 * perRow, 4 * BandedModel.memoryBudget)
        }
        // 16,384 wide: bands keep as many rows as they recompute, over the budget.
        let wide = PaddedImage(width: 16384, height: 1024, multiple: 16)
        XCTAssertEqual(banded.encoderBands(wide).bands[1], RowBands.Band(computed: 2..<8, kept: 3..<6))
        XCTAssertGreaterThan(6 * banded.bytesPerRow(encoder: true, width: 16384), BandedModel.memoryBudget)
        let kodak = PaddedImage(width: 768, height: 512, multiple: 16)
        XCTAssertEqual(banded.encoderBands(kodak).bands, [RowBands.Band(computed: 0..<32, kept: 0..<32)])
        XCTAssertEqual(banded.decoderBands(kodak).bands, [RowBands.Band(computed: 0..<32, kept: 0..<32)])
    }

    // MARK: Interruption

    func testCtrlCIsPolledBetweenBands() throws {
        let codec = try EntropyCodecTesting.convCodec()
        codec.bandRows = 2
        let image = EntropyCodecTesting.image(width: 40, height: 200, channels: 3)  // 13 latent rows: 7 bands
        let file = try codec.encode(image)
        for direction in ["encode", "decode"] {
            let polls = Counter()
            codec.shouldStop = { polls.next() >= 3 }
            XCTAssertThrowsError(try {
                if direction == "encode" { _ = try codec.encode(image, path: "p") } else { _ = try codec.decode(file, path: "p") }
            }()) { error in
                XCTAssertEqual(error as? CodecError, .interrupted(path: "p"))
            }
            XCTAssertEqual(polls.count, 4, "\(direction): stopped at the fourth band")
        }
    }
}

/// A count shared with a `@Sendable` closure.
private final class Counter: @unchecked Sendable {
    private(set) var count = 0
    /// The count before this call.
    func next() -> Int {
        defer { count += 1 }
        return count
    }
}
