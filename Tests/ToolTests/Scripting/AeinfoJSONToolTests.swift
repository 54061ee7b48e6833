import AECodec
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// `aeinfo --json` and `--latents`: one JSON array over any number of files, failed files
/// included as error records, and valid JSON whatever bytes a bundle's metadata holds.
final class AeinfoJSONToolTests: XCTestCase {
    func run(_ arguments: [String], in folder: String) throws -> ToolProcess.Result {
        try ToolProcess("aeinfo", arguments, in: folder).result()
    }

    func array(_ data: Data, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let value = try JSONSerialization.jsonObject(with: data)
        return try XCTUnwrap(value as? [[String: Any]], "not an array of objects: \(String(decoding: data, as: UTF8.self))",
                             file: file, line: line)
    }

    /// Python's json module (strict: no raw control characters in strings), when there is a python3.
    func assertPythonParses(_ data: Data, _ message: String, in dir: String) throws {
        guard let python = try? ToolProcess.python3() else { return }
        try data.write(to: URL(fileURLWithPath: dir + "/out.json"))
        let r = try ToolProcess.run(executable: python, ["-c", "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))",
                                                         "out.json"], in: dir)
        XCTAssertEqual(r.status, 0, "\(message): \(r.stderr)")
    }

    func testSeveralFilesGiveOneArrayInInputOrderWithErrorRecords() throws {
        let dir = try TestFiles.temporaryFolder(self)
        let latent = TestFixtures.path("latent/golden-v2.ael"), bundle = TestFixtures.goldenBundlePath
        try TestFiles.write(Array("not a model".utf8), to: dir + "/junk.bin")
        let r = try run(["--json", latent, "junk.bin", bundle, "missing.ael"], in: dir)
        XCTAssertEqual(r.status, 1, "two files failed")
        XCTAssertTrue(r.stderr.contains("aeinfo: junk.bin: ") && r.stderr.contains("aeinfo: missing.ael: "), r.stderr)
        let elements = try array(r.stdout)
        XCTAssertEqual(elements.map { $0["path"] as? String }, [latent, "junk.bin", bundle, "missing.ael"])
        XCTAssertEqual(elements.map { $0["fileKind"] as? String }, ["latent-file", nil, "model-bundle", nil])
        XCTAssertEqual(elements.map { $0["error"] is String }, [false, true, false, true])
        XCTAssertEqual(elements[3]["error"] as? String, "cannot read: no such file")

        // One file: an array of one, the same object.
        let one = try run(["--json", latent], in: dir)
        XCTAssertEqual(one.status, 0, one.stderr)
        let single = try array(one.stdout)
        XCTAssertEqual(single.count, 1)
        XCTAssertEqual(single[0] as NSDictionary, elements[0] as NSDictionary)

        // --latents: the same shape.
        let values = try run(["--latents", latent, "missing.ael", latent], in: dir)
        XCTAssertEqual(values.status, 1)
        let records = try array(values.stdout)
        XCTAssertEqual(records.map { $0["path"] as? String }, [latent, "missing.ael", latent])
        XCTAssertEqual((records[0]["values"] as? [Double])?.count, (records[2]["values"] as? [Double])?.count)
        XCTAssertNotNil(records[1]["error"] as? String)
        try assertPythonParses(values.stdout, "--latents", in: dir)
    }

    /// Metadata a reader may accept but that is not JSON text as it stands: a byte-order
    /// mark, invalid UTF-8, control characters, NUL, an escaped lone surrogate, trailing
    /// bytes. aeinfo either shows the bundle or refuses it; its output is valid JSON either way.
    func testMetadataBytesNeverMakeInvalidJSON() throws {
        let dir = try TestFiles.temporaryFolder(self)
        let bytes = try ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 3)).encoded()
        let container = try BundleContainer.parse(bytes, path: "x")
        let payloads = container.entries.map {
            BundleContainer.Payload(name: $0.name, elementType: $0.elementType, shape: $0.shape,
                                    bytes: Array(container.data(of: $0)))
        }
        let metadata = container.metadataBytes
        XCTAssertEqual(metadata.first, UInt8(ascii: "{"))
        /// The metadata with `"note": VALUE` as its first key.
        func withNote(_ value: [UInt8]) -> [UInt8] { Array("{\"note\":".utf8) + value + [UInt8(ascii: ",")] + metadata.dropFirst() }
        let quote = [UInt8(ascii: "\"")]
        let variants: [(String, [UInt8])] = [
            ("byte-order mark", [0xEF, 0xBB, 0xBF] + metadata),
            ("UTF-16 byte-order mark", [0xFF, 0xFE] + metadata),
            ("invalid UTF-8 in a string", withNote(quote + [0x61, 0xFF, 0xFE, 0xC3] + quote)),
            ("control characters in a string", withNote(quote + [0x61, 0x01, 0x09, 0x0A, 0x1F, 0x62] + quote)),
            ("NUL in a string", withNote(quote + [0x61, 0x00, 0x62] + quote)),
            ("escaped lone surrogate", withNote(Array(#""\ud800x""#.utf8))),
            ("surrogate pair, escaped quote, control character", withNote(Array(#""\ud83d\ude00\""#.utf8) + [0x01] + quote)),
            ("byte-order mark inside a string", withNote(quote + [0x61, 0xEF, 0xBB, 0xBF] + quote)),
            ("U+2028 in a string", withNote(quote + Array("a\u{2028}b".utf8) + quote)),
            ("trailing NUL bytes", metadata + [0, 0]),
            ("trailing text", metadata + Array(" x".utf8)),
        ]
        // JSONDecoder (the bundle reader) accepts these; the rest are refused.
        let accepted: [String: String] = [
            "byte-order mark": "", "control characters in a string": "a\u{01}\t\n\u{1F}b", "NUL in a string": "a\u{0}b",
            "escaped lone surrogate": "\u{FFFD}x", "surrogate pair, escaped quote, control character": "\u{1F600}\"\u{01}", "byte-order mark inside a string": "a\u{FEFF}", "U+2028 in a string": "a\u{2028}b",
        ]
        var shown: Set<String> = []
        for (i, (name, json)) in variants.enumerated() {
            let file = "m\(i).aemodel"
            try TestFiles.write(BundleContainer.assemble(metadataJSON: json, tensors: payloads), to: dir + "/" + file)
            let r = try run(["--json", file], in: dir)
            try assertPythonParses(r.stdout, name, in: dir)
            guard let elements = try? array(r.stdout) else {
                XCTFail("\(name): not valid JSON (status \(r.status)): \(r.stdoutText.debugDescription)")
                continue
            }
            XCTAssertEqual(elements.count, 1, name)
            if r.status == 0 {
                shown.insert(name)
                XCTAssertEqual(elements[0]["fileKind"] as? String, "model-bundle", name)
                let shownMetadata = try XCTUnwrap(elements[0]["metadata"] as? [String: Any], name)
                XCTAssertNotNil(shownMetadata["architecture"], name)
                if let note = accepted[name], !note.isEmpty {
                    XCTAssertEqual(shownMetadata["note"] as? String, note, name)
                }
            } else {
                XCTAssertEqual(r.status, 1, name)
                XCTAssertNotNil(elements[0]["error"] as? String, name)
            }
        }
        XCTAssertEqual(shown, Set(accepted.keys), "the bundles the reader accepts are shown, the others refused")
    }
}
