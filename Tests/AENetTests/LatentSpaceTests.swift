import AENet
import XCTest

/// Prior draws and interpolation paths.
final class LatentSpaceTests: XCTestCase {
    func testPriorDrawsAreSeededStandardNormals() {
        let z = LatentSpace.priorDraws(count: 400, dimensions: 50, seed: 3)
        XCTAssertEqual(z.shape, [400, 50])
        XCTAssertEqual(z, LatentSpace.priorDraws(count: 400, dimensions: 50, seed: 3))
        XCTAssertNotEqual(z, LatentSpace.priorDraws(count: 400, dimensions: 50, seed: 4))
        let mean = z.data.reduce(0.0) { $0 + Double($1) } / Double(z.count)
        let variance = z.data.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(z.count) - mean * mean
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.03)
    }

    func testLinearPath() {
        let path = LatentSpace.linearPath(from: [0, 2, -4], to: [4, 2, 0], steps: 5)
        XCTAssertEqual(path.shape, [5, 3])
        XCTAssertEqual(path.data, [0, 2, -4, 1, 2, -3, 2, 2, -2, 3, 2, -1, 4, 2, 0])
    }

    func testGreatCircleKeepsTheNormBetweenEqualNorms() {
        let a: [Float] = [3, 0, 4], b: [Float] = [0, 5, 0]
        let path = LatentSpace.greatCirclePath(from: a, to: b, steps: 7)
        XCTAssertEqual(Array(path.data[0 ..< 3]), a)
        XCTAssertEqual(Array(path.data[18 ..< 21]), b)
        for s in 0 ..< 7 {
            let p = path.data[(s * 3) ..< (s * 3 + 3)]
            XCTAssertEqual(p.reduce(0) { $0 + $1 * $1 }.squareRoot(), 5, accuracy: 1e-5, "step \(s)")
        }
        // The midpoint bisects the angle: equal cosines to both ends.
        let mid = Array(path.data[9 ..< 12])
        XCTAssertEqual(zip(mid, a).reduce(0) { $0 + $1.0 * $1.1 }, zip(mid, b).reduce(0) { $0 + $1.0 * $1.1 }, accuracy: 1e-4)
        // The straight line's midpoint is shorter; parallel ends fall back to it.
        let line = LatentSpace.linearPath(from: a, to: b, steps: 7).data[9 ..< 12]
        XCTAssertLessThan(line.reduce(0) { $0 + $1 * $1 }.squareRoot(), 4)
        XCTAssertEqual(LatentSpace.greatCirclePath(from: [1, 1], to: [2, 2], steps: 3),
                       LatentSpace.linearPath(from: [1, 1], to: [2, 2], steps: 3))
    }
}
