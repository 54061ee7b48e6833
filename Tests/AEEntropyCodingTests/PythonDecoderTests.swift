@testable import AEEntropyCoding
import AETestSupport
import Foundation
import XCTest

/// Scripts/range_decode.py, written from Specs/range-coder.md alone, decodes what this encoder
/// writes: the spec says all a decoder needs. Skipped where there is no python3.
final class PythonDecoderTests: XCTestCase {
    static let script = EntropyTestSupport.repositoryRoot.appendingPathComponent("Scripts/range_decode.py").path

    /// Runs the Python decoder; returns its exit status and standard output.
    func decode(_ json: URL, _ stream: URL, trace: Bool = false) throws -> (status: Int32, output: String) {
        let python = try ToolProcess.python3()
        let run = try ToolProcess.run(executable: python, [Self.script, json.path, stream.path] + (trace ? ["--trace"] : []))
        return (run.status, run.stdoutText)
    }

    func values(_ output: String) throws -> [Int32] {
        try JSONDecoder().decode([Int32].self, from: Data(output.split(separator: "\n").last.map(String.init)!.utf8))
    }

    func testPythonDecodesTheGoldenStreams() throws {
        for name in ["example", "golden"] {
            let json = GoldenStreamTests.folder.appendingPathComponent("\(name).json")
            let record = try JSONDecoder().decode(GoldenStreamTests.Record.self, from: Data(contentsOf: json))
            let run = try decode(json, GoldenStreamTests.folder.appendingPathComponent("\(name).bin"))
            XCTAssertEqual(run.status, 0, name)
            XCTAssertEqual(try values(run.output), record.values, name)
        }
    }

    func testPythonDecodesAFreshRandomStream() throws {
        let seed = UInt64(Date().timeIntervalSince1970)  // a new stream each run; failures name the seed
        var rng = SplitMix64(seed: seed)
        let tables = (0 ..< 12).map { _ in EntropyTestSupport.randomTable(&rng) } + [try CDFTable(cdf: [0, 65536], offset: 3)]
        let indexes = (0 ..< 5000).map { _ in Int.random(in: 0 ..< tables.count, using: &rng) }
        let values = indexes.map { EntropyTestSupport.sample(tables[$0], &rng) }
        let (record, bytes) = GoldenStreamTests.record((tables, indexes, values))
        let folder = URL(fileURLWithPath: try TestFiles.temporaryFolder(self))
        let json = folder.appendingPathComponent("stream.json"), stream = folder.appendingPathComponent("stream.bin")
        try JSONEncoder().encode(record).write(to: json)
        try Data(bytes).write(to: stream)
        let run = try decode(json, stream)
        XCTAssertEqual(run.status, 0, "seed \(seed)")
        XCTAssertEqual(try self.values(run.output), values, "seed \(seed)")
        // A damaged copy gets the same verdict from both decoders: refused by both, or (a
        // flipped escape's raw bits do not desynchronise the coder) the same other values.
        var damaged = bytes
        damaged[damaged.count / 2] ^= 0x40
        try Data(damaged).write(to: stream)
        let python = try decode(json, stream)
        if let swift = try? Self.swiftDecode(damaged, tables: tables, indexes: indexes) {
            XCTAssertEqual(python.status, 0, "seed \(seed): Swift decodes the damaged stream, Python refuses it")
            XCTAssertEqual(try self.values(python.output), swift, "seed \(seed)")
            XCTAssertNotEqual(swift, values, "seed \(seed): a flipped bit decoded to the original values")
        } else {
            XCTAssertEqual(python.status, 1, "seed \(seed): Swift refuses the damaged stream, Python does not")
        }
    }

    /// The values `RangeDecoder` reads from `bytes`, or an error where it refuses them.
    static func swiftDecode(_ bytes: [UInt8], tables: [CDFTable], indexes: [Int]) throws -> [Int32] {
        var decoder = try RangeDecoder(bytes: bytes, tables: tables)
        let values = try indexes.map { try decoder.decode(table: $0) }
        try decoder.finish()
        return values
    }

    func testSpecShowsThePythonTraceOfTheWorkedExample() throws {
        let run = try decode(GoldenStreamTests.folder.appendingPathComponent("example.json"),
                             GoldenStreamTests.folder.appendingPathComponent("example.bin"), trace: true)
        XCTAssertEqual(run.status, 0)
        let spec = try String(contentsOf: EntropyTestSupport.repositoryRoot.appendingPathComponent("Specs/range-coder.md"),
                              encoding: .utf8)
        let lines = run.output.split(separator: "\n").dropLast()  // the trace, without the values
        XCTAssertGreaterThan(lines.count, 10)
        for line in lines { XCTAssertTrue(spec.contains("    \(line)\n"), "the spec's trace should show: \(line)") }
    }
}
