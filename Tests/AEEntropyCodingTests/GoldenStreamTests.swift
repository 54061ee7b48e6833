@testable import AEEntropyCoding
import Foundation
import XCTest

/// The committed streams (Fixtures/entropy): every later decoder must decode them to their recorded
/// values, and the encoder must still produce them byte for byte. See Fixtures/entropy/README.md.
final class GoldenStreamTests: XCTestCase {
    static let folder = EntropyTestSupport.repositoryRoot.appendingPathComponent("Fixtures/entropy")

    /// What a golden `.json` records, and the input the Python decoder reads.
    struct Record: Codable, Equatable {
        struct Table: Codable, Equatable { var offset: Int32; var cdf: [UInt32] }
        var tables: [Table]
        var tableIndexes: [Int]
        var values: [Int32]
        var streamLength: Int
        var streamHex: String

        func cdfTables() throws -> [CDFTable] { try tables.map { try CDFTable(cdf: $0.cdf, offset: $0.offset) } }
    }

    /// The spec's worked example: one small table, six values, one of them escaped.
    static func example() throws -> (tables: [CDFTable], indexes: [Int], values: [Int32]) {
        let table = try CDFTable(cdf: [0, 8192, 49152, 63488, 65536], offset: -1)
        return ([table], [0, 0, 0, 0, 0, 0], [0, 1, 0, -1, 5, 0])
    }

    /// A longer stream over four tables (two built from pmfs with exact dyadic masses, a single-value
    /// table and an escape-only table), with escapes near and far, Int32.min and Int32.max included.
    static func golden() throws -> (tables: [CDFTable], indexes: [Int], values: [Int32]) {
        let tables = [
            try CDFTable(quantizing: [1, 2, 4, 8, 16, 8, 4, 2, 1], tailMass: 0.5, offset: -4),
            try CDFTable(quantizing: [0.75, 0.125, 0.0625], tailMass: 0.0625, offset: 100),
            try CDFTable(cdf: [0, 65000, 65536], offset: -2_000_000_000),
            try CDFTable(cdf: [0, 65536], offset: 0),
        ]
        var rng = SplitMix64(seed: 2026)
        var indexes = (0 ..< 60).map { _ in Int.random(in: 0 ..< 4, using: &rng) }
        var values = indexes.map { EntropyTestSupport.sample(tables[$0], &rng) }
        indexes += [0, 1, 2, 3, 0, 3]
        values += [Int32.max, Int32.min, Int32.max, Int32.min, 5, 0]
        return (tables, indexes, values)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined(separator: " ") }

    static func record(_ input: (tables: [CDFTable], indexes: [Int], values: [Int32])) -> (Record, [UInt8]) {
        let bytes = RangeEncoder.encode(input.values, tableIndexes: input.indexes, tables: input.tables)
        return (Record(tables: input.tables.map { .init(offset: $0.offset, cdf: $0.cdf) }, tableIndexes: input.indexes,
                       values: input.values, streamLength: bytes.count, streamHex: hex(bytes)), bytes)
    }

    func testGoldenStreamsDecodeToTheirRecordedValues() throws {
        for name in ["example", "golden"] {
            let record = try JSONDecoder().decode(Record.self,
                                                  from: Data(contentsOf: Self.folder.appendingPathComponent("\(name).json")))
            let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("\(name).bin")))
            XCTAssertEqual(bytes.count, record.streamLength, name)
            XCTAssertEqual(Self.hex(bytes), record.streamHex, name)
            let tables = try record.cdfTables()
            XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: record.tableIndexes, tables: tables), record.values, name)
            XCTAssertEqual(RangeEncoder.encode(record.values, tableIndexes: record.tableIndexes, tables: tables), bytes, name)
        }
    }

    func testGoldenInputsAreStillTheRecordedOnes() throws {
        // The builder and the generators above still make the committed tables and values.
        for (name, input) in [("example", try Self.example()), ("golden", try Self.golden())] {
            let committed = try JSONDecoder().decode(Record.self,
                                                     from: Data(contentsOf: Self.folder.appendingPathComponent("\(name).json")))
            XCTAssertEqual(Self.record(input).0, committed, name)
        }
    }

    func testSpecShowsTheWorkedExampleBytes() throws {
        let spec = try String(contentsOf: EntropyTestSupport.repositoryRoot.appendingPathComponent("Specs/range-coder.md"),
                              encoding: .utf8)
        let (record, _) = Self.record(try Self.example())
        XCTAssertTrue(spec.contains("\n    \(record.streamHex)\n"), "the spec's worked example should show \(record.streamHex)")
    }

    func testRegenerateGoldenStreams() throws {
        guard ProcessInfo.processInfo.environment["AE_REGENERATE_GOLDEN"] == "1" else {
            throw XCTSkip("set AE_REGENERATE_GOLDEN=1 to rewrite Fixtures/entropy")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for (name, input) in [("example", try Self.example()), ("golden", try Self.golden())] {
            let (record, bytes) = Self.record(input)
            try (encoder.encode(record) + Data("\n".utf8)).write(to: Self.folder.appendingPathComponent("\(name).json"))
            try Data(bytes).write(to: Self.folder.appendingPathComponent("\(name).bin"))
        }
    }
}
