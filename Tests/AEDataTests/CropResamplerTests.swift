@testable import AEData
@testable import AEFormats
import AEBase
import AENet
import XCTest

final class CropResamplerTests: XCTestCase {
    private func resample(_ image: [UInt8], _ w: Int, _ h: Int, x0: Double, y0: Double, side: Double, out n: Int = 32) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n * n * 3)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                CropResampler.resample(src, width: w, height: h, channels: 3, x0: x0, y0: y0, side: side,
                                       outSize: n, into: dst.baseAddress!)
            }
        }
        return out
    }

    private func copyWindow(_ image: [UInt8], _ w: Int, _ h: Int, x0: Int, y0: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32 * 32 * 3)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                CropResampler.copyWindow(src, width: w, height: h, channels: 3, x0: x0, y0: y0, size: 32, into: dst.baseAddress!)
            }
        }
        return out
    }

    private func noise(_ w: Int, _ h: Int) -> [UInt8] {
        var rng = RandomGenerator(seed: 9)
        return (0..<(w * h * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    func testIntegerWindowOfSide32IsAnExactCopy() {
        let (w, h) = (50, 40)
        let image = noise(w, h)
        for (x0, y0) in [(0, 0), (7, 3), (18, 8), (-5, -2), (30, 20)] {
            XCTAssertEqual(resample(image, w, h, x0: Double(x0), y0: Double(y0), side: 32),
                           copyWindow(image, w, h, x0: x0, y0: y0), "window \(x0),\(y0)")
        }
        // copyWindow itself: inside, the plain region; outside, edge pixels repeat.
        let crop = copyWindow(image, w, h, x0: -3, y0: 20)
        XCTAssertEqual(Array(crop[0..<3]), Array(image[(20 * w) * 3..<(20 * w) * 3 + 3]))  // (x -3 -> 0, y 20)
        XCTAssertEqual(Array(crop[(31 * 32 + 10) * 3..<(31 * 32 + 10) * 3 + 3]),
                       Array(image[(39 * w + 7) * 3..<(39 * w + 7) * 3 + 3]))  // y 51 -> 39, x 7
    }

    func testConstantImagesStayConstant() {
        let image = [UInt8](repeating: 0, count: 60 * 30 * 3).enumerated().map { UInt8([17, 130, 250][$0.offset % 3]) }
        for (x0, y0, side) in [(3.3, 1.7, 20.5), (-40.0, -40.0, 10.0), (10.0, 5.0, 77.7), (0.0, 0.0, 5.0)] {
            let out = resample(image, 60, 30, x0: x0, y0: y0, side: side)
            XCTAssertEqual(out, (0..<(32 * 32 * 3)).map { UInt8([17, 130, 250][$0 % 3]) }, "\(x0) \(y0) \(side)")
        }
    }

    func testShrinkingIsAntialiased() {
        // A 1-pixel checkerboard shrunk 4x averages to grey instead of aliasing.
        let n = 128
        let image = (0..<(n * n * 3)).map { k -> UInt8 in
            let p = k / 3
            return (p % n + p / n) % 2 == 0 ? 255 : 0
        }
        let out = resample(image, n, n, x0: 0, y0: 0, side: 128)
        let interior = (4..<28).flatMap { y in (4..<28).map { x in out[(y * 32 + x) * 3] } }
        XCTAssertTrue(interior.allSatisfy { (120...135).contains($0) }, "\(interior.min()!)...\(interior.max()!)")
    }

    func testEnlargingInterpolates() {
        // A horizontal ramp enlarged stays monotonic and within its range.
        let image: [UInt8] = (0..<(16 * 16 * 3)).map { (k: Int) -> UInt8 in UInt8(((k / 3) % 16) * 16) }
        let out = resample(image, 16, 16, x0: 0, y0: 0, side: 16)
        let row = (0..<32).map { out[(5 * 32 + $0) * 3] }
        XCTAssertEqual(row, row.sorted())
        XCTAssertEqual(row.first, 0)
        XCTAssertEqual(row.last, 240)
    }
}
