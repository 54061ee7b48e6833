import AETestSupport
import Foundation
import XCTest

/// The independent Python reader of Specs/latent-file.md (Appendix A), extracted from the
/// spec as it stands, reads the golden files of both versions to their recorded fields,
/// its 2.x streams decode with Scripts/range_decode.py to the recorded symbols, and it
/// refuses every truncation and single-byte flip of the 2.0 golden files. Skipped without
/// python3 (the 1.x files also need numpy).
final class PythonLatentReaderTests: XCTestCase {
    static let root = URL(fileURLWithPath: TestFixtures.repositoryRoot)

    var python = ""
    var folder: URL!

    override func setUpWithError() throws {
        python = try ToolProcess.python3()
        folder = URL(fileURLWithPath: try TestFiles.temporaryFolder(self))
    }

    /// Appendix A's Python block, written to a file.
    func reader() throws -> String {
        let spec = try String(contentsOf: Self.root.appendingPathComponent("Specs/latent-file.md"), encoding: .utf8)
        let appendix = try XCTUnwrap(spec.range(of: "## Appendix A")).upperBound
        let start = try XCTUnwrap(spec.range(of: "```python\n", range: appendix ..< spec.endIndex)).upperBound
        let end = try XCTUnwrap(spec.range(of: "\n```", range: start ..< spec.endIndex)).lowerBound
        let path = folder.appendingPathComponent("ael_reader.py").path
        try String(spec[start ..< end]).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs python3 with `arguments`; returns its exit status and standard output.
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let run = try ToolProcess.run(executable: python, arguments)
        return (run.status, run.stdoutText)
    }

    func testReadsTheVersion2GoldenFilesAndTheirStreamsDecode() throws {
        let reader = try reader()
        for name in ["golden-v2", "golden-v2-alpha"] {
            let record = try GoldenCodedLatentFileTests.record(name)
            let ael = GoldenLatentFileTests.folder.appendingPathComponent(name + ".ael").path
            let read = try run([reader, ael])
            XCTAssertEqual(read.status, 0, name)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(read.output.utf8)) as? [String: Any], name)
            XCTAssertEqual(object["version"] as? String, record.formatVersion, name)
            XCTAssertEqual(object["fingerprint"] as? String, record.modelFingerprint, name)
            XCTAssertEqual(object["width"] as? Int, record.width, name)
            XCTAssertEqual(object["height"] as? Int, record.height, name)
            XCTAssertEqual(object["colorType"] as? Int, record.colorType, name)
            XCTAssertEqual(object["bitDepth"] as? Int, record.bitDepth, name)
            XCTAssertEqual(object["flags"] as? Int, record.flags, name)
            XCTAssertEqual(object["extensionLength"] as? Int, record.extensionLength, name)
            XCTAssertEqual(object["stream"] as? String, record.stream, name)
            XCTAssertEqual(object["alpha"] as? String, record.alpha, name)
            // The stream, through the range coder's independent decoder, gives the recorded symbols.
            let stream = folder.appendingPathComponent(name + ".bin")
            let hex = try XCTUnwrap(object["stream"] as? String)
            let bytes = stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
                let s = hex.index(hex.startIndex, offsetBy: i)
                return UInt8(hex[s ..< hex.index(s, offsetBy: 2)], radix: 16)!
            }
            try Data(bytes).write(to: stream)
            let decoded = try run([Self.root.appendingPathComponent("Scripts/range_decode.py").path,
                                   GoldenLatentFileTests.folder.appendingPathComponent(name + ".json").path, stream.path])
            XCTAssertEqual(decoded.status, 0, name)
            XCTAssertEqual(try JSONDecoder().decode([Int32].self, from: Data(decoded.output.utf8)), record.values, name)
        }
    }

    func testRefusesEveryTruncationAndFlipOfTheVersion2GoldenFiles() throws {
        let reader = try reader()
        // One process: the reader's functions, fed every damaged variant.
        let driver = folder.appendingPathComponent("damage.py").path
        try """
        import sys
        exec(open(sys.argv[1]).read().split('if __name__ == "__main__":')[0])
        accepted = []
        for path in sys.argv[2:]:
            good = open(path, "rb").read()
            variants = [good[:n] for n in range(len(good))]
            for i in range(len(good)):
                for flip in (0x01, 0x10, 0x80, 0xFF):
                    variants.append(good[:i] + bytes([good[i] ^ flip]) + good[i + 1:])
            for v in variants:
                open(path + ".damaged", "wb").write(v)
                try:
                    read_latent_file(path + ".damaged")
                    accepted.append(v.hex())
                except (ValueError, KeyError, IndexError, zlib.error):
                    pass
        print(len(accepted), *accepted[:3])
        """.write(toFile: driver, atomically: true, encoding: .utf8)
        var copies: [String] = []
        for name in ["golden-v2", "golden-v2-alpha", "golden-v2.1-metadata"] {
            let copy = folder.appendingPathComponent(name + ".ael")
            try FileManager.default.copyItem(at: GoldenLatentFileTests.folder.appendingPathComponent(name + ".ael"), to: copy)
            copies.append(copy.path)
        }
        let result = try run([driver, reader] + copies)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines), "0", "accepted damaged files")
    }

    func testReadsTheMetadataRecordsOfTheGoldenFiles() throws {
        let reader = try reader()
        let record = try GoldenMetadataLatentFileTests.record("golden-v2.1-metadata")
        let read = try run([reader, GoldenLatentFileTests.folder.appendingPathComponent("golden-v2.1-metadata.ael").path])
        XCTAssertEqual(read.status, 0)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(read.output.utf8)) as? [String: Any])
        XCTAssertEqual(object["version"] as? String, "2.1")
        XCTAssertEqual(object["extensionLength"] as? Int, record.extensionLength)
        let records = try XCTUnwrap(object["metadata"] as? [[String: String]])
        XCTAssertEqual(records.map { $0["kind"] }, record.records.map(\.kind))
        XCTAssertEqual(records.map { $0["content"] }, record.records.map(\.content))
        // The 1.1 file (its latents need numpy): the same records.
        guard try run(["-c", "import numpy"]).status == 0 else { throw XCTSkip("no numpy") }
        let old = try run([reader, GoldenLatentFileTests.folder.appendingPathComponent("golden-v1.1-metadata.ael").path])
        XCTAssertEqual(old.status, 0)
        for r in record.records { XCTAssertTrue(old.output.contains("{'kind': '\(r.kind)', 'content': '\(r.content)'}"), r.kind) }
        XCTAssertTrue(old.output.contains("(4, 8) alpha None"), old.output)
    }

    func testReadsTheVersion1GoldenFile() throws {
        guard try run(["-c", "import numpy"]).status == 0 else { throw XCTSkip("no numpy") }
        let reader = try reader()
        let read = try run([reader, GoldenLatentFileTests.folder.appendingPathComponent("golden-v1.ael").path])
        XCTAssertEqual(read.status, 0)
        XCTAssertTrue(read.output.hasPrefix("{'fingerprint': 'cebcf2e30402416c', 'width': 45, 'height': 37"), read.output)
        XCTAssertTrue(read.output.contains("(4, 8) alpha None"), read.output)
    }
}
