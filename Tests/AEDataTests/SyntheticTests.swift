import AEData
import AEFormats
import AEBase
import AENet
import XCTest

final class SyntheticTests: XCTestCase {
    func testSeededPrefixStableAndVaried() {
        let a = SyntheticImages.generate(count: 40, seed: 5)
        XCTAssertEqual(a.count, 40)
        XCTAssertEqual(a.imageShape, [32, 32, 3])
        XCTAssertEqual(a.pixels, SyntheticImages.generate(count: 40, seed: 5, threads: 1).pixels)
        XCTAssertEqual(SyntheticImages.generate(count: 10, seed: 5).pixels, Array(a.pixels[..<(10 * 3072)]))
        XCTAssertNotEqual(SyntheticImages.generate(count: 40, seed: 6).pixels, a.pixels)

        // Images differ from each other, and each has real structure (not flat).
        var distinct = Set<[UInt8]>()
        for i in 0..<40 {
            let image = Array(a.pixels[(i * 3072)..<((i + 1) * 3072)])
            distinct.insert(image)
            let mean = image.reduce(0.0) { $0 + Double($1) } / 3072
            let variance = image.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / 3072
            XCTAssertGreaterThan(variance, 4, "image \(i) is nearly flat")
        }
        XCTAssertEqual(distinct.count, 40)
        // The whole set uses most of the value range.
        XCTAssertLessThan(a.pixels.min()!, 20)
        XCTAssertGreaterThan(a.pixels.max()!, 235)
    }

    func testOtherSizes() {
        XCTAssertEqual(SyntheticImages.generate(count: 3, seed: 1, size: 64).imageShape, [64, 64, 3])
        XCTAssertEqual(SyntheticImages.generate(count: 0, seed: 1).count, 0)
    }
}
