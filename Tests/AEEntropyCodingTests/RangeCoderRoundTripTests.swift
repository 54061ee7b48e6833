@testable import AEEntropyCoding
import XCTest

/// Values coded under tables decode to themselves, at close to their ideal size.
final class RangeCoderRoundTripTests: XCTestCase {
    func testRandomStreamsUnderRandomTablesDecodeExactly() throws {
        var rng = SplitMix64(seed: 1)
        for _ in 0 ..< 200 {
            let tables = (0 ..< Int.random(in: 1 ... 8, using: &rng)).map { _ in EntropyTestSupport.randomTable(&rng) }
            let count = Int.random(in: 0 ... 2000, using: &rng)
            let indexes = (0 ..< count).map { _ in Int.random(in: 0 ..< tables.count, using: &rng) }
            let values = indexes.map { EntropyTestSupport.sample(tables[$0], &rng) }
            let bytes = RangeEncoder.encode(values, tableIndexes: indexes, tables: tables)
            XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: indexes, tables: tables), values)
        }
    }

    func testAnyInt32DecodesUnderAnyTable() throws {
        var rng = SplitMix64(seed: 2)
        let tables = (0 ..< 20).map { _ in EntropyTestSupport.randomTable(&rng) } + [
            try CDFTable(cdf: [0, 65536], offset: 0),                         // escape only
            try CDFTable(cdf: [0, 1, 65536], offset: Int32.max),              // direct value Int32.max
            try CDFTable(cdf: [0, 65535, 65536], offset: Int32.min),          // direct value Int32.min
        ]
        let special: [Int32] = [.min, .min + 1, -1, 0, 1, .max - 1, .max]
        var values: [Int32] = [], indexes: [Int] = []
        for t in tables.indices {
            let range = tables[t].directRange
            let edges = [range.lowerBound - 1, range.lowerBound, range.upperBound - 1, range.upperBound]
                .compactMap { Int32(exactly: $0) }
            for value in special + edges + (0 ..< 50).map({ _ in Int32.random(in: .min ... .max, using: &rng) }) {
                values.append(value)
                indexes.append(t)
            }
        }
        let bytes = RangeEncoder.encode(values, tableIndexes: indexes, tables: tables)
        XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: indexes, tables: tables), values)
    }

    func testEscapesCostTheirEliasGammaLength() throws {
        // An escape-only table: every value costs exactly its bypass bits, 2k + 1.
        let table = try CDFTable(cdf: [0, 65536], offset: 0)
        for (value, bits) in [(Int32(0), 1), (-1, 3), (1, 3), (Int32.max, 63), (Int32.min, 65)] {
            XCTAssertEqual(EntropyTestSupport.idealBits(value, table), Double(bits), "value \(value)")
            let values = [Int32](repeating: value, count: 800)
            let bytes = RangeEncoder.encode(values, tableIndexes: Array(repeating: 0, count: 800), tables: [table])
            XCTAssertEqual(Double(bytes.count), Double(800 * bits) / 8 + 4, accuracy: 1, "value \(value)")
            XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: Array(repeating: 0, count: 800), tables: [table]),
                           values)
        }
    }

    func testLongStreamsCodeWithinOnePercentOfTheIdealSize() throws {
        var rng = SplitMix64(seed: 3)
        for trial in 0 ..< 6 {
            let tables = (0 ..< 16).map { _ in EntropyTestSupport.randomTable(&rng) }
            let indexes = (0 ..< 100_000).map { _ in Int.random(in: 0 ..< tables.count, using: &rng) }
            let values = indexes.map { EntropyTestSupport.sample(tables[$0], &rng) }
            let ideal = zip(values, indexes).map { EntropyTestSupport.idealBits($0, tables[$1]) }.reduce(0, +) / 8
            let bytes = RangeEncoder.encode(values, tableIndexes: indexes, tables: tables)
            XCTAssertLessThanOrEqual(Double(bytes.count), ideal * 1.01 + 2, "trial \(trial)")
            XCTAssertGreaterThanOrEqual(Double(bytes.count), ideal, "trial \(trial): below the entropy bound")
            XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: indexes, tables: tables), values)
        }
    }

    func testLowEntropyStreamCodesNearItsIdealSize() throws {
        // One symbol at 65535/65536: 100k values carry about 2.2 bits in all; the stream is the 4-byte state.
        let table = try EntropyTestSupport.table(frequencies: [65535, 1], offset: 7)
        let values = [Int32](repeating: 7, count: 100_000), indexes = [Int](repeating: 0, count: 100_000)
        let bytes = RangeEncoder.encode(values, tableIndexes: indexes, tables: [table])
        XCTAssertLessThanOrEqual(bytes.count, 5)
        XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: indexes, tables: [table]), values)
    }

    func testEmptyStreamIsTheInitialState() throws {
        let table = try CDFTable(quantizing: [1, 2, 1], tailMass: 0.01, offset: -1)
        let bytes = RangeEncoder.encode([], tableIndexes: [], tables: [table])
        XCTAssertEqual(bytes, [0x00, 0x80, 0x00, 0x00])
        XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: [], tables: [table]), [])
        XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: [], tables: []), [])
    }

    func testSingleValueTables() throws {
        // One direct value (and the escape): the value itself costs almost nothing.
        let table = try CDFTable(quantizing: [1], tailMass: 1e-12, offset: 42)
        XCTAssertEqual(table.cdf, [0, 65535, 65536])
        var values = [Int32](repeating: 42, count: 1000)
        values[500] = 41
        values[900] = -7
        let indexes = [Int](repeating: 0, count: 1000)
        let bytes = RangeEncoder.encode(values, tableIndexes: indexes, tables: [table])
        // Two escapes: 16 bits each, plus 3 and 13 bypass bits; the 998 direct values cost 0.02 bits.
        let ideal = values.map { EntropyTestSupport.idealBits($0, table) }.reduce(0, +)
        XCTAssertEqual(ideal, 48, accuracy: 0.1)
        XCTAssertLessThanOrEqual(Double(bytes.count), ideal / 8 + 4)
        XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: indexes, tables: [table]), values)
    }

    func testEncoderCodesIncrementally() throws {
        let table = try CDFTable(quantizing: [1, 5, 3], tailMass: 0.1, offset: 0)
        var encoder = RangeEncoder(tables: [table])
        encoder.encode(1, table: 0)
        let first = encoder.finish()
        encoder.encode(99, table: 0)
        XCTAssertEqual(try RangeDecoder.decode(first, tableIndexes: [0], tables: [table]), [1])
        XCTAssertEqual(try RangeDecoder.decode(encoder.finish(), tableIndexes: [0, 0], tables: [table]), [1, 99])
    }

    func testDecodingWithTheWrongValueCountIsRefused() throws {
        let table = try CDFTable(quantizing: [1, 5, 3], tailMass: 0.1, offset: 0)
        let values: [Int32] = [0, 1, 2, 1, 1, 300, 1, 0]
        let bytes = RangeEncoder.encode(values, tableIndexes: Array(repeating: 0, count: 8), tables: [table])
        XCTAssertThrowsError(try RangeDecoder.decode(bytes, tableIndexes: Array(repeating: 0, count: 7), tables: [table])) {
            guard case EntropyCodingError.invalidEnd = $0 else { return XCTFail("\($0)") }
        }
    }
}
