import AEBase
import AEFormats
import AETestSupport
import Foundation
import XCTest

/// SSIM and MS-SSIM against pytorch_msssim's values for the image pairs of
/// Fixtures/quality (Scripts/make_quality_fixtures.py), and their definitions' edge cases.
final class QualityMetricTests: XCTestCase {
    struct Pair {
        var name: String
        var reference: [ImagePlane]
        var distorted: [ImagePlane]
        /// pytorch_msssim given the window in float64.
        var ssim: Double
        var msssim: Double?
        /// pytorch_msssim's defaults, its window built in float32.
        var ssimFloat32Window: Double
        var msssimFloat32Window: Double?
        var mse: Double
    }

    /// Against pytorch_msssim with the same (float64) window: only the order of the sums differs.
    let tolerance = 1e-9
    /// Against its defaults: its float32 window's weights sum to 1 within about 3e-8, which
    /// moves SSIM by up to about 1e-5 (Scripts/make_quality_fixtures.py).
    let float32WindowTolerance = 2e-5

    func planes(_ file: String) throws -> [ImagePlane] {
        let image = try PNGImage.read(path: TestFixtures.path("quality/" + file))
        return ImagePlane.colourPlanes(pixels: image.pixels, width: image.width, height: image.height,
                                       channels: image.channels)
    }

    func fixturePairs() throws -> [Pair] {
        let data = try Data(contentsOf: TestFixtures.url("quality/values.json"))
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let records = try XCTUnwrap(doc["pairs"] as? [[String: Any]])
        XCTAssertEqual(records.count, 6)
        return try records.map { r in
            Pair(name: try XCTUnwrap(r["name"] as? String),
                 reference: try planes(try XCTUnwrap(r["reference"] as? String)),
                 distorted: try planes(try XCTUnwrap(r["distorted"] as? String)),
                 ssim: try XCTUnwrap(r["ssim"] as? Double), msssim: r["msssim"] as? Double,
                 ssimFloat32Window: try XCTUnwrap(r["ssimFloat32Window"] as? Double),
                 msssimFloat32Window: r["msssimFloat32Window"] as? Double,
                 mse: try XCTUnwrap(r["mse"] as? Double))
        }
    }

    func testSSIMMatchesPytorchMSSSIM() throws {
        for pair in try fixturePairs() {
            let ssim = try XCTUnwrap(SSIM.index(pair.reference, pair.distorted), pair.name)
            XCTAssertEqual(ssim, pair.ssim, accuracy: tolerance, pair.name)
            XCTAssertEqual(ssim, pair.ssimFloat32Window, accuracy: float32WindowTolerance, pair.name)
        }
    }

    func testMSSSIMMatchesPytorchMSSSIMAndIsAbsentForSmallImages() throws {
        var measured = 0
        for pair in try fixturePairs() {
            let value = MSSSIM.index(pair.reference, pair.distorted)
            if let expected = pair.msssim {
                XCTAssertEqual(try XCTUnwrap(value, pair.name), expected, accuracy: tolerance, pair.name)
                XCTAssertEqual(value!, try XCTUnwrap(pair.msssimFloat32Window), accuracy: float32WindowTolerance, pair.name)
                measured += 1
            } else {
                XCTAssertNil(value, "\(pair.name): under \(MSSSIM.minimumSide) pixels a side")
            }
        }
        XCTAssertEqual(measured, 4)
    }

    func testGrayIsTheMeanOfItsThreeEqualChannels() throws {
        let pair = try XCTUnwrap(try fixturePairs().first { $0.reference.count == 1 })
        func rgb(_ p: [ImagePlane]) -> [ImagePlane] { Array(repeating: p[0], count: 3) }
        XCTAssertEqual(SSIM.index(rgb(pair.reference), rgb(pair.distorted))!, SSIM.index(pair.reference, pair.distorted)!,
                       accuracy: 1e-15)
        XCTAssertEqual(MSSSIM.index(rgb(pair.reference), rgb(pair.distorted))!,
                       MSSSIM.index(pair.reference, pair.distorted)!, accuracy: 1e-15)
        let gray = ImagePlane.colourPlanes(pixels: [1, 200, 2, 201], width: 2, height: 1, channels: 2, grayAsRGB: true)
        XCTAssertEqual(gray.count, 3)
        XCTAssertEqual(gray.map(\.samples), Array(repeating: [1, 2], count: 3), "alpha left out")
    }

    func testDefinitionConstants() {
        XCTAssertEqual(SSIM.window.count, 11)
        XCTAssertEqual(SSIM.window.reduce(0, +), 1, accuracy: 1e-15)
        XCTAssertEqual(SSIM.window[5] / SSIM.window[4], exp(1 / (2 * 1.5 * 1.5)), accuracy: 1e-12)
        XCTAssertEqual(MSSSIM.weights.reduce(0, +), 1.0001, accuracy: 1e-12, "the published weights, as rounded")
        XCTAssertEqual(MSSSIM.minimumSide, 161)
    }

    func testIdenticalImagesScoreOneAndSmallImagesHaveNoFigure() {
        let plane = ImagePlane(width: 161, height: 170, samples: (0..<(161 * 170)).map { Double(($0 * 37) % 256) })
        XCTAssertEqual(SSIM.index([plane], [plane])!, 1, accuracy: 1e-12)
        XCTAssertEqual(MSSSIM.index([plane], [plane])!, 1, accuracy: 1e-12)
        let flat = ImagePlane(width: 11, height: 11, samples: Array(repeating: 7, count: 121))
        XCTAssertEqual(SSIM.index([flat], [flat]), 1, "constants keep the flat case finite")
        let narrow = ImagePlane(width: 10, height: 40, samples: Array(repeating: 0, count: 400))
        XCTAssertNil(SSIM.index([narrow], [narrow]))
        let short = ImagePlane(width: 400, height: 160, samples: Array(repeating: 0, count: 64_000))
        XCTAssertNil(MSSSIM.index([short], [short]))
        XCTAssertNotNil(SSIM.index([short], [short]))
    }

    /// The 2 x 2 average pads an odd side with zeros at both ends (pytorch_msssim's avg_pool2d).
    func testHalvingPadsOddSidesWithZeros() {
        let p = ImagePlane(width: 3, height: 2, samples: [4, 8, 12, 16, 20, 24])
        let h = MSSSIM.halved(p)
        XCTAssertEqual([h.width, h.height], [2, 1])
        let expected: [Double] = [5, 16]  // (0 + 4 + 0 + 16) / 4, (8 + 12 + 20 + 24) / 4
        XCTAssertEqual(h.samples, expected)
        let q = ImagePlane(width: 4, height: 4, samples: (0..<16).map(Double.init))
        XCTAssertEqual(MSSSIM.halved(q).samples, [2.5, 4.5, 10.5, 12.5])
    }

    /// The fixtures' own PSNR: the same pixels as the Swift side reads.
    func testFixturePixelsMatchTheScriptsMSE() throws {
        for pair in try fixturePairs() {
            var sum = 0.0, count = 0
            for (a, b) in zip(pair.reference, pair.distorted) {
                for (x, y) in zip(a.samples, b.samples) {
                    sum += (x / 255 - y / 255) * (x / 255 - y / 255)
                    count += 1
                }
            }
            XCTAssertEqual(sum / Double(count), pair.mse, accuracy: 1e-12, pair.name)
        }
    }
}
