import AECodec
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// The latent quantisation table (`quantization/scale`, `quantization/offset`, bundle
/// format 1.2) and `aeenc --bits 8`.
final class QuantizationTests: XCTestCase {
    static func table(dim: Int) -> LatentQuantization {
        LatentQuantization(scale: (0..<dim).map { Float(1 + $0) / 128 }, offset: (0..<dim).map { -Float($0) / 2 })
    }

    func testTablePersistsInTheBundleWithoutChangingTheFingerprint() throws {
        let bundle = try ModelBundle.read(path: TestFixtures.goldenBundlePath)
        XCTAssertNil(bundle.quantization)
        let dim = bundle.metadata.architecture.latentDim
        let table = Self.table(dim: dim)
        let with = bundle.withQuantization(table)
        XCTAssertEqual(with.fingerprint, bundle.fingerprint)
        XCTAssertEqual(with.weightTensors.count, bundle.weightTensors.count)

        let bytes = try with.encoded(weights: bundle.weightType)
        let header = try BundleContainer.parseHeader(bytes, fileSize: bytes.count, path: "q")
        XCTAssertEqual(header.version, "1.2")
        let back = try ModelBundle.decode(bytes)
        XCTAssertEqual(back.quantization, table)
        XCTAssertEqual(back.fingerprint, bundle.fingerprint)
        XCTAssertEqual(back[ModelBundle.quantizationScaleName]?.elementType, .f32)
        XCTAssertNoThrow(try back.makeModel())
        // Float16 weights keep the table in float32, and their own fingerprint.
        let half = try ModelBundle.decode(try with.encoded(weights: .f16))
        XCTAssertEqual(half.quantization, table)
        XCTAssertEqual(half.fingerprint, bundle.fingerprint(weights: .f16))

        // Removing it goes back to the old version, and bytes.
        let without = back.withQuantization(nil)
        XCTAssertNil(without.quantization)
        XCTAssertEqual(try without.encoded(), try bundle.encoded())

        // A table that does not fit the latent size, or has a zero scale, is refused.
        XCTAssertThrowsError(try bundle.withQuantization(Self.table(dim: dim + 1)).encoded())
        var zero = table
        zero.scale[0] = 0
        XCTAssertThrowsError(try bundle.withQuantization(zero).encoded())
    }

    func testMeasuredTableCoversTheLatentsOfItsImages() throws {
        let model = try ModelBundle.read(path: TestFixtures.goldenBundlePath).makeModel()
        let images = try DataSource.load("synthetic:300,seed=3").images
        let table = LatentQuantization.measure(model: model, images: images, batchSize: 64)
        XCTAssertEqual(table.latentDim, model.latentDim)
        let z = model.encode(images.batch(0..<images.count)).data
        var outside = 0
        for (i, v) in z.enumerated() {
            let d = i % model.latentDim
            XCTAssertTrue(table.scale[d] > 0 && table.scale[d].isFinite)
            if v < table.offset[d] - 1e-6 || v > table.offset[d] + 255 * table.scale[d] + 1e-6 { outside += 1 }
        }
        // 0.1% clamped at each end, at most.
        XCTAssertLessThanOrEqual(outside, 2 * images.count * model.latentDim / 1000 + 2 * model.latentDim)
    }

    func testQuantisedRoundTripIsAboutHalfTheSizeAtClosePSNR() throws {
        let bundle = try XCTUnwrap(try EmbeddedModels.bundle(named: EmbeddedModels.digitModelName))
        XCTAssertNotNil(bundle.quantization, "the built-in model carries a quantisation table")
        let codec = try ImageCodec(bundle: bundle, threads: 2)
        // A multi-tile image: the 48x40 fixture photo twice side by side (96x40, 6 tiles).
        let photo = try CodecImage.decodePNG(try TestFixtures.bytes("data/svhn_photos/train/1.png"), path: "1.png").image
        var pixels: [UInt8] = []
        for y in 0..<photo.height {
            let row = Array(photo.pixels[(y * photo.width * 3)..<((y + 1) * photo.width * 3)])
            pixels += row + row.reversed()
        }
        let source = CodecImage(image: PNGImage(width: 96, height: 40, channels: 3, pixels: pixels), colorType: .rgb, bitDepth: 8)

        let half = try codec.encode(source).encoded()
        let quantised = try codec.encode(source, encoding: .uint8)
        XCTAssertEqual(quantised.encoding, .uint8)
        let bytes = try quantised.encoded()
        XCTAssertLessThan(Double(bytes.count), 0.6 * Double(half.count), "\(bytes.count) bytes against \(half.count)")
        XCTAssertGreaterThan(Double(bytes.count), 0.4 * Double(half.count))

        let read = try LatentFile.decode(bytes, quantization: codec.quantization)
        XCTAssertEqual(read, quantised)
        XCTAssertThrowsError(try LatentFile.decode(bytes))  // needs the table
        let psnr16 = CodecTesting.psnr(source.image, try codec.decode(LatentFile.decode(half)))
        let psnr8 = CodecTesting.psnr(source.image, try codec.decode(read))
        XCTAssertGreaterThan(psnr8, psnr16 - 1, "float16 \(psnr16) dB, uint8 \(psnr8) dB")
    }

    func testEncodingEightBitsWithoutATableFails() throws {
        let codec = try CodecTesting.goldenCodec()
        let image = CodecImage(image: PNGImage(width: 8, height: 8, channels: 3, pixels: [UInt8](repeating: 90, count: 192)),
                               colorType: .rgb, bitDepth: 8)
        XCTAssertThrowsError(try codec.encode(image, encoding: .uint8)) { error in
            XCTAssertTrue("\(error)".contains("no latent quantisation table"), "\(error)")
        }
    }
}
