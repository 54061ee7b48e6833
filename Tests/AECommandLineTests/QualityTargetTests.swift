import AECommandLine
import XCTest

/// The binary search of `aeenc --size`, `--bpp` and `--psnr` over a quality set's levels.
final class QualityTargetTests: XCTestCase {
    /// Level i of n gives 100 + 37 i bytes and 20 + 3 i dB (ordered by rate, as sets are).
    private func trial(_ i: Int) -> QualityTarget.Trial { .init(bytes: 100 + 37 * i, psnr: 20 + 3 * Double(i)) }

    /// Every target against every set size: the choice is the one a linear scan finds
    /// (largest level that fits, smallest that reaches), or the nearest level when none
    /// does; the search tries at most floor(log2 n) + 1 levels, the chosen one among them.
    func testTheSearchFindsWhatALinearScanFinds() {
        for n in 1...9 {
            let pixels = 1000
            var targets: [QualityTarget] = []
            for bytes in stride(from: 90, through: 100 + 37 * n + 5, by: 3) {
                targets += [.size(bytes), .bitsPerPixel(Double(bytes * 8) / Double(pixels))]
            }
            for db in stride(from: 18.0, through: 20 + 3 * Double(n) + 2, by: 0.5) { targets.append(.psnr(db)) }
            for target in targets {
                var tried: [Int] = []
                let (index, met) = target.choose(count: n, pixels: pixels) { i in
                    tried.append(i)
                    return trial(i)
                }
                let meeting = (0..<n).filter { target.isMet(by: trial($0), pixels: pixels) }
                let expected = target.needsPSNR ? (meeting.first ?? n - 1) : (meeting.last ?? 0)
                XCTAssertEqual(index, expected, "\(target) over \(n) levels")
                XCTAssertEqual(met, !meeting.isEmpty, "\(target) over \(n) levels")
                XCTAssertTrue(tried.contains(index), "\(target): the chosen level was tried")
                XCTAssertLessThanOrEqual(tried.count, Int(log2(Double(n))) + 1, "\(target) over \(n) levels: \(tried)")
                XCTAssertEqual(Set(tried).count, tried.count, "no level tried twice")
            }
        }
    }

    func testTargetsCompareTheWholeFileAndTheMeasuredPSNR() {
        XCTAssertTrue(QualityTarget.size(100).isMet(by: .init(bytes: 100), pixels: 1))
        XCTAssertFalse(QualityTarget.size(100).isMet(by: .init(bytes: 101), pixels: 1))
        // 125 bytes over 1000 pixels is exactly 1 bit per pixel.
        XCTAssertTrue(QualityTarget.bitsPerPixel(1).isMet(by: .init(bytes: 125), pixels: 1000))
        XCTAssertFalse(QualityTarget.bitsPerPixel(1).isMet(by: .init(bytes: 126), pixels: 1000))
        XCTAssertTrue(QualityTarget.psnr(30).isMet(by: .init(bytes: 1, psnr: 30), pixels: 1))
        XCTAssertTrue(QualityTarget.psnr(30).isMet(by: .init(bytes: 1, psnr: .infinity), pixels: 1), "a lossless level")
        XCTAssertFalse(QualityTarget.psnr(30).isMet(by: .init(bytes: 1, psnr: nil), pixels: 1), "not measured")
        XCTAssertEqual(QualityTarget.bitsPerPixel(0.5).option, "--bpp 0.5")
    }
}
