@testable import AEEntropyCoding
import XCTest

/// The table rules, and the builder from floating-point probabilities to integer tables.
final class CDFTableTests: XCTestCase {
    func testInvalidTablesAreRefused() {
        let bad: [([UInt32], Int32, String)] = [
            ([], 0, "entries"), ([65536], 0, "entries"),
            ([1, 65536], 0, "cdf[0]"), ([0, 65535], 0, "last"), ([0, 65537], 0, "last"),
            ([0, 100, 100, 65536], 0, "symbol 1"), ([0, 200, 100, 65536], 0, "symbol 1"),
            ([0, 1, 2, 65536], Int32.max, "Int32.max"),
        ]
        for (cdf, offset, reason) in bad {
            XCTAssertThrowsError(try CDFTable(cdf: cdf, offset: offset), "\(cdf)") {
                guard case EntropyCodingError.invalidTable(let message) = $0 else { return XCTFail("\($0)") }
                XCTAssertTrue(message.contains(reason), message)
            }
        }
        XCTAssertThrowsError(try CDFTable(cdf: Array(0 ... 65536) + [65536], offset: 0))
        XCTAssertNoThrow(try CDFTable(cdf: Array(0 ... 65536), offset: 0))  // 65,536 symbols of frequency 1
        XCTAssertNoThrow(try CDFTable(cdf: [0, 1, 65536], offset: Int32.max))
    }

    func testSymbolSearchFindsEveryInterval() throws {
        let table = try EntropyTestSupport.table(frequencies: [3, 1, 65000, 500, 32], offset: 0)
        for slot in 0 ..< CDFTable.total {
            let s = table.symbol(containing: slot)
            XCTAssertTrue(table.cdf[s] <= slot && slot < table.cdf[s + 1], "slot \(slot) -> \(s)")
        }
    }

    func testBuilderGivesEverySymbolAtLeastOneAndTotalsExactly() throws {
        var rng = SplitMix64(seed: 10)
        for _ in 0 ..< 300 {
            let count = [1, 2, 3, 64, 1000, 65535][Int.random(in: 0 ..< 6, using: &rng)]
            // Masses over many orders of magnitude, some zero.
            let pmf = (0 ..< count).map { _ in
                Bool.random(using: &rng) ? 0 : pow(10, Double.random(in: -30 ... 0, using: &rng))
            }
            let tail = Bool.random(using: &rng) ? 0 : Double.random(in: 0 ... 1, using: &rng)
            guard pmf.reduce(tail, +) > 0 else { continue }
            let table = try CDFTable(quantizing: pmf, tailMass: tail, offset: -3)
            XCTAssertEqual(table.symbolCount, count + 1)
            XCTAssertEqual(table.cdf.last, CDFTable.total)
            XCTAssertTrue((0 ..< table.symbolCount).allSatisfy { table.frequency(of: $0) >= 1 })
        }
    }

    func testBuilderFollowsTheMasses() throws {
        // A dyadic pmf spreads 65,536 - 5 spare counts exactly, plus 1 each, then the 3 left over by remainder.
        let table = try CDFTable(quantizing: [0.5, 0.25, 0.125, 0.0625], tailMass: 0.0625, offset: 10)
        let frequencies = (0 ..< 5).map { table.frequency(of: $0) }
        XCTAssertEqual(frequencies.map(Int.init).reduce(0, +), 65536)
        for (f, p) in zip(frequencies, [0.5, 0.25, 0.125, 0.0625, 0.0625]) {
            XCTAssertEqual(Double(f) / 65536, p, accuracy: 2.0 / 65536)
        }
        // Unnormalised masses give the same table as normalised ones.
        XCTAssertEqual(try CDFTable(quantizing: [8, 4, 2, 1], tailMass: 1, offset: 10), table)
        // Larger masses never get smaller frequencies.
        var rng = SplitMix64(seed: 11)
        let pmf = (0 ..< 200).map { _ in Double.random(in: 0 ... 1, using: &rng) }
        let random = try CDFTable(quantizing: pmf, tailMass: 0.01, offset: 0)
        for a in 0 ..< 200 { for b in 0 ..< 200 where pmf[a] > pmf[b] {
            XCTAssertGreaterThanOrEqual(random.frequency(of: a), random.frequency(of: b))
        } }
    }

    func testBadProbabilitiesAreRefused() {
        let bad: [([Double], Double)] = [
            ([], 1), ([1, -0.1], 0), ([1, .nan], 0), ([1], .infinity), ([0, 0], 0),
            ([.greatestFiniteMagnitude, .greatestFiniteMagnitude], 0),
            ([Double](repeating: 1, count: 65536), 0),
        ]
        for (pmf, tail) in bad {
            XCTAssertThrowsError(try CDFTable(quantizing: pmf, tailMass: tail, offset: 0), "\(pmf.prefix(3)) \(tail)") {
                guard case EntropyCodingError.invalidPMF = $0 else { return XCTFail("\($0)") }
            }
        }
    }
}
