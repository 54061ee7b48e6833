@testable import AEEntropyCoding
import XCTest

/// Truncated, extended or corrupted streams: the decoder throws or returns some values, always
/// promptly (a hang would stall the suite; a trap would crash it).
final class DamagedStreamTests: XCTestCase {
    struct Stream {
        var tables: [CDFTable]
        var indexes: [Int]
        var values: [Int32]
        var bytes: [UInt8]
    }

    func randomStream(_ rng: inout SplitMix64, count: Int) -> Stream {
        let tables = (0 ..< 4).map { _ in EntropyTestSupport.randomTable(&rng) }
        let indexes = (0 ..< count).map { _ in Int.random(in: 0 ..< tables.count, using: &rng) }
        let values = indexes.map { EntropyTestSupport.sample(tables[$0], &rng) }
        return Stream(tables: tables, indexes: indexes, values: values,
                      bytes: RangeEncoder.encode(values, tableIndexes: indexes, tables: tables))
    }

    func testEveryTruncationReadsPastTheEnd() {
        var rng = SplitMix64(seed: 20)
        for _ in 0 ..< 20 {
            let stream = randomStream(&rng, count: 300)
            for length in 0 ..< stream.bytes.count {
                XCTAssertThrowsError(try RangeDecoder.decode(Array(stream.bytes.prefix(length)),
                                                             tableIndexes: stream.indexes, tables: stream.tables)) {
                    // The prefix decodes as the whole stream did until the first missing byte.
                    XCTAssertEqual($0 as? EntropyCodingError, .readPastEnd(position: length))
                }
            }
        }
    }

    func testExtraBytesAreRefused() throws {
        var rng = SplitMix64(seed: 21)
        let stream = randomStream(&rng, count: 100)
        XCTAssertThrowsError(try RangeDecoder.decode(stream.bytes + [0], tableIndexes: stream.indexes,
                                                     tables: stream.tables)) {
            guard case EntropyCodingError.invalidEnd(_, unreadBytes: 1) = $0 else { return XCTFail("\($0)") }
        }
    }

    func testCorruptedStreamsTerminate() {
        var rng = SplitMix64(seed: 22)
        var refused = 0, trials = 0
        for _ in 0 ..< 40 {
            let stream = randomStream(&rng, count: 200)
            for _ in 0 ..< 50 {
                var bytes = stream.bytes
                for _ in 0 ..< Int.random(in: 1 ... 3, using: &rng) {
                    bytes[Int.random(in: 0 ..< bytes.count, using: &rng)] ^= UInt8.random(in: 1 ... 255, using: &rng)
                }
                trials += 1
                do {
                    let values = try RangeDecoder.decode(bytes, tableIndexes: stream.indexes, tables: stream.tables)
                    XCTAssertEqual(values.count, stream.values.count)
                } catch is EntropyCodingError {
                    refused += 1
                } catch {
                    XCTFail("untyped error \(error)")
                }
            }
        }
        // The end check catches nearly all damage: the state must come back to exactly 2^23.
        XCTAssertGreaterThan(Double(refused) / Double(trials), 0.95)
    }

    func testRandomBytesTerminate() {
        var rng = SplitMix64(seed: 23)
        let tables = (0 ..< 4).map { _ in EntropyTestSupport.randomTable(&rng) } + [try! CDFTable(cdf: [0, 65536], offset: 0)]
        for _ in 0 ..< 2000 {
            let bytes = (0 ..< Int.random(in: 0 ... 64, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            let indexes = (0 ..< Int.random(in: 0 ... 300, using: &rng)).map { _ in Int.random(in: 0 ..< 5, using: &rng) }
            do {
                _ = try RangeDecoder.decode(bytes, tableIndexes: indexes, tables: tables)
            } catch {
                XCTAssertTrue(error is EntropyCodingError, "\(error)")
            }
        }
    }

    func testLowInitialStateAndOverlongEscapesAreRefused() throws {
        XCTAssertThrowsError(try RangeDecoder(bytes: [0x00, 0x7F, 0xFF, 0xFF], tables: [])) {
            XCTAssertEqual($0 as? EntropyCodingError, .invalidInitialState(0x7F_FFFF))
        }
        // Under an escape-only table, a state of all one-bits reads as an endless Elias-gamma prefix.
        let escapeOnly = try CDFTable(cdf: [0, 65536], offset: 0)
        var decoder = try RangeDecoder(bytes: [0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0xFF, count: 16), tables: [escapeOnly])
        XCTAssertThrowsError(try decoder.decode(table: 0)) {
            guard case EntropyCodingError.invalidEscape = $0 else { return XCTFail("\($0)") }
        }
        // A prefix of exactly 32 ones is valid only for a value that fits in Int32.
        let near = try CDFTable(cdf: [0, 65536], offset: Int32.min)
        var values = try RangeDecoder(bytes: RangeEncoder.encode([Int32.max], tableIndexes: [0], tables: [near]), tables: [near])
        XCTAssertEqual(try values.decode(table: 0), Int32.max)
        // The same bits one above: the escape's value would pass Int32.max.
        let above = try CDFTable(cdf: [0, 65536], offset: Int32.min + 1)
        var outside = try RangeDecoder(bytes: RangeEncoder.encode([Int32.max], tableIndexes: [0], tables: [near]), tables: [above])
        XCTAssertThrowsError(try outside.decode(table: 0)) {
            XCTAssertEqual($0 as? EntropyCodingError, .invalidEscape(reason: "escaped value 2147483648 is outside Int32"))
        }
    }
}
