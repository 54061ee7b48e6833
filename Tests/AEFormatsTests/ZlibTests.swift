@testable import AEFormats
import AEBase
import XCTest

final class ZlibTests: XCTestCase {
    private func randomBytes(_ n: Int, seed: UInt64) -> [UInt8] {
        var rng = LatentTestRandom(seed: seed)
        return (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    func testRoundTripSizesAndLevels() throws {
        let compressible = (0..<300_000).map { UInt8(($0 / 7) % 13) }
        for data in [[], [42], randomBytes(100_003, seed: 1), compressible] {
            for level in [-1, 0, 1, 9] {
                let packed = Zlib.compress(data, level: level)
                XCTAssertEqual(try Zlib.decompress(packed, maxSize: data.count), data)
                XCTAssertEqual(try Zlib.decompress(packed, expectedSize: data.count, maxSize: data.count + 10), data)
            }
        }
        XCTAssertLessThan(Zlib.compress(compressible, level: 9).count, compressible.count / 50)
    }

    func testCRC32KnownValuesAndChaining() {
        XCTAssertEqual(Zlib.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(Zlib.crc32([]), 0)
        let data = randomBytes(1000, seed: 2)
        XCTAssertEqual(Zlib.crc32(Array(data[300...]), initial: Zlib.crc32(Array(data[..<300]))), Zlib.crc32(data))
    }

    func testZipBombIsRefusedWithoutProducingTheOutput() {
        let bomb = Zlib.compress([UInt8](repeating: 0, count: 50_000_000), level: 9)
        XCTAssertLessThan(bomb.count, 100_000)
        XCTAssertThrowsError(try Zlib.decompress(bomb, maxSize: 1_000_000)) { error in
            XCTAssertEqual(error as? ZlibError, .outputTooLarge(limit: 1_000_000))
        }
        // A size that deflate could not possibly reach from this input is refused up front.
        XCTAssertThrowsError(try Zlib.decompress([0x78, 0x9C, 1, 2], expectedSize: 1 << 40, maxSize: 1 << 41))
    }

    func testExactMaxSizeIsAllowed() throws {
        let data = randomBytes(5000, seed: 3)
        XCTAssertEqual(try Zlib.decompress(Zlib.compress(data), maxSize: 5000), data)
        XCTAssertThrowsError(try Zlib.decompress(Zlib.compress(data), maxSize: 4999))
    }

    func testSizeMismatchTruncationCorruptionAndTrailingData() {
        let data = randomBytes(20_000, seed: 4)
        let packed = Zlib.compress(data)
        XCTAssertThrowsError(try Zlib.decompress(packed, expectedSize: 19_999, maxSize: 30_000)) { error in
            XCTAssertEqual(error as? ZlibError, .sizeMismatch(expected: 19_999, actual: 20_000))
        }
        XCTAssertThrowsError(try Zlib.decompress(packed, expectedSize: 20_001, maxSize: 30_000)) { error in
            XCTAssertEqual(error as? ZlibError, .sizeMismatch(expected: 20_001, actual: 20_000))
        }
        for cut in [0, 1, 2, 10, packed.count / 2, packed.count - 1] {
            XCTAssertThrowsError(try Zlib.decompress(Array(packed[..<cut]), maxSize: 30_000), "cut \(cut)") { error in
                guard case .truncated? = error as? ZlibError else {
                    return XCTFail("cut \(cut): expected truncated, got \(error)")
                }
            }
        }
        var bad = packed
        bad[0] = 0x12  // not a zlib header
        XCTAssertThrowsError(try Zlib.decompress(bad, maxSize: 30_000)) { error in
            guard case .corrupt? = error as? ZlibError else { return XCTFail("got \(error)") }
            XCTAssertTrue("\(error)".contains("corrupt"))
        }
        XCTAssertThrowsError(try Zlib.decompress(packed + [1, 2, 3], maxSize: 30_000)) { error in
            XCTAssertEqual(error as? ZlibError, .trailingData(bytes: 3))
        }
        // Damaged data never crash: each either fails cleanly or decodes to something.
        var rng = LatentTestRandom(seed: 5)
        for _ in 0..<200 {
            var damaged = packed
            damaged[2 + Int(rng.next() % UInt64(damaged.count - 2))] ^= UInt8(1 + rng.next() % 255)
            _ = try? Zlib.decompress(damaged, maxSize: 30_000)
        }
    }

    func testPrefixDecompression() throws {
        let data = randomBytes(10_000, seed: 6)
        let packed = Zlib.compress(data)
        let prefix = try packed.withUnsafeBytes { try Zlib.decompressPrefix($0, count: 100) }
        XCTAssertEqual(prefix, Array(data[..<100]))
        let all = try packed.withUnsafeBytes { try Zlib.decompressPrefix($0, count: 50_000) }
        XCTAssertEqual(all, data)
    }
}
