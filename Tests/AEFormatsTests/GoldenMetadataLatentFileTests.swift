@testable import AEFormats
import AEBase
import AETestSupport
import Foundation
import XCTest

/// The committed golden latent files with metadata records (Fixtures/latent/golden-v1.1-metadata.ael,
/// golden-v2.1-metadata.ael; Specs/latent-file.md section 13): golden-v1 and golden-v2 with
/// a colour profile, Exif, XMP and a text entry. Every later reader must read them to the
/// records in their JSON, and this writer must still produce them byte for byte.
final class GoldenMetadataLatentFileTests: XCTestCase {
    static let folder = GoldenLatentFileTests.folder

    /// What golden-v*-metadata.json records.
    struct Expected: Codable, Equatable {
        struct Record: Codable, Equatable {
            var kind: String
            var code: Int
            var length: Int
            var storedLength: Int
            var compressed: Bool
            /// The record's content (inflated), as hex.
            var content: String
        }
        var file: String
        var fileLength: Int
        var crc32: String
        var formatVersion: String
        /// Offset of the extension block's contents, and their length.
        var extensionOffset: Int
        var extensionLength: Int
        var records: [Record]
    }

    /// The records: a 132-byte profile (a header and an empty tag table: compressed), the
    /// Exif of TestMetadata (orientation 6), a short XMP packet and a Latin-1 text entry.
    static let records: [MetadataRecord] = [
        MetadataRecord(kind: .icc, bytes: TestMetadata.iccProfile(size: 132)),
        MetadataRecord(kind: .exif, bytes: TestMetadata.exif(orientation: 6)),
        MetadataRecord(kind: .xmp, bytes: Array("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>".utf8)),
        MetadataRecord(text: TextEntry(keyword: "Title", text: "Café")!),
    ]

    static func goldenFiles() throws -> [(name: String, file: AnyLatentFile)] {
        var tiles = GoldenLatentFileTests.goldenFiles()[0].file
        tiles.metadata = records
        var coded = try GoldenCodedLatentFileTests.goldenFiles()[0].file
        coded.metadata = records
        return [("golden-v1.1-metadata", .tiles(tiles)), ("golden-v2.1-metadata", .coded(coded))]
    }

    static func encoded(_ file: AnyLatentFile) throws -> [UInt8] {
        switch file {
        case let .tiles(f): return try f.encoded()
        case let .coded(f): return try f.encoded()
        }
    }

    static func expected(_ name: String, bytes: [UInt8]) throws -> Expected {
        let info = try AnyLatentInfo(bytes: bytes)
        let (version, offset, length, entries, crc): (String, Int, Int, [MetadataBlock.Entry], UInt32)
        switch info {
        case let .tiles(i):
            let h = i.header
            (version, offset, length, entries, crc) = ("\(h.majorVersion).\(h.minorVersion)", h.extensionOffset,
                                                        h.extensionLength, h.metadata, h.crc32)
        case let .coded(i):
            let h = i.header
            (version, offset, length, entries, crc) = ("\(h.majorVersion).\(h.minorVersion)",
                                                        h.headerLength - h.extensionLength, h.extensionLength, h.metadata, h.crc32)
        }
        let recorded = zip(entries, records).map { e, r in
            Expected.Record(kind: e.kindName, code: Int(e.code), length: e.length, storedLength: e.storedLength,
                            compressed: e.compressed, content: SHA256.hex(r.bytes))
        }
        return Expected(file: name + ".ael", fileLength: bytes.count, crc32: FileErrorText.hex32(crc), formatVersion: version,
                        extensionOffset: offset, extensionLength: length, records: recorded)
    }

    static func record(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent(name + ".json")))
    }

    func testGoldenFilesReadToTheirRecordedMetadata() throws {
        for (name, made) in try Self.goldenFiles() {
            let path = Self.folder.appendingPathComponent(name + ".ael").path
            let bytes = try LatentFile.readBytes(path: path)
            let expected = try Self.record(name)
            XCTAssertEqual(try Self.expected(name, bytes: bytes), expected, name)
            let read = try LatentFiles.decode(bytes, path: path)
            let metadata: [MetadataRecord]
            switch read {
            case let .tiles(file):
                metadata = file.metadata
                // The image part is golden-v1's, unchanged.
                XCTAssertEqual(file.latents, GoldenLatentFileTests.goldenFiles()[0].file.latents, name)
            case let .coded(file):
                metadata = file.metadata
                XCTAssertEqual(file.stream, try GoldenCodedLatentFileTests.goldenFiles()[0].file.stream, name)
            }
            XCTAssertEqual(metadata.map { SHA256.hex($0.bytes) }, expected.records.map(\.content), name)
            XCTAssertEqual(metadata.map(\.kind.name), expected.records.map(\.kind), name)
            XCTAssertEqual(metadata, Self.records, name)
            // This writer still makes exactly these bytes.
            XCTAssertEqual(try Self.encoded(made), bytes, "\(name): the writer's bytes changed")
        }
        // The versions: 1.1 and 2.1 (with flags bit 1).
        XCTAssertEqual(try Self.record("golden-v1.1-metadata").formatVersion, "1.1")
        XCTAssertEqual(try Self.record("golden-v2.1-metadata").formatVersion, "2.1")
    }

    func testEveryTruncationAndByteFlipIsRefused() throws {
        for (name, _) in try Self.goldenFiles() {
            let bytes = try LatentFile.readBytes(path: Self.folder.appendingPathComponent(name + ".ael").path)
            for length in 0..<bytes.count {
                XCTAssertThrowsError(try LatentFiles.decode(Array(bytes[0..<length])), "\(name) cut at \(length)")
            }
            for position in 0..<bytes.count {
                var damaged = bytes
                damaged[position] ^= 0x10
                XCTAssertThrowsError(try AnyLatentInfo(bytes: damaged), "\(name) byte \(position) flipped")
            }
        }
    }

    func testDamagedRecordsAreRefusedEvenWithARightChecksum() throws {
        let bytes = try LatentFile.readBytes(path: Self.folder.appendingPathComponent("golden-v2.1-metadata.ael").path)
        let record = try Self.record("golden-v2.1-metadata")
        let at = record.extensionOffset
        func refused(_ change: (inout [UInt8]) -> Void, _ words: String, line: UInt = #line) {
            var damaged = bytes
            change(&damaged)
            XCTAssertThrowsError(try LatentFiles.decode(CodedLatentFileTests.resealed(damaged), path: "x.ael"), line: line) {
                XCTAssertTrue("\($0)".contains(words), "'\($0)' does not say '\(words)'", line: line)
            }
        }
        refused({ $0[at] = 0 }, "kind 0")
        refused({ $0[at + 1] = 0x03 }, "reserved bits")
        refused({ $0[at] = 2 }, "TIFF header")  // the compressed profile read as Exif... inflated: not TIFF
        // The second record (Exif, stored) made a second profile.
        let second = at + 3 + varintLength(record.records[0].length) + record.records[0].storedLength
        refused({ $0[second] = 1 }, "ICC profile")
        // A declared inflated size the stream does not give (16,383 bytes, not 132).
        refused({ $0[at + 3] = 0xFF; $0[at + 4] = 0x7F }, "decompressed to 132 bytes, expected 16383")
    }

    private func varintLength(_ value: Int) -> Int { value < 128 ? 1 : (value < 16_384 ? 2 : 3) }

    func testInfoShowsTheRecords() throws {
        let info = try AnyLatentInfo(path: Self.folder.appendingPathComponent("golden-v2.1-metadata.ael").path)
        let text = info.text()
        XCTAssertTrue(text.contains("format: version 2.1 (entropy-coded latents)"), text)
        XCTAssertTrue(text.contains("metadata: icc 132 bytes (zlib-compressed to "), text)
        XCTAssertTrue(text.contains(", exif 26 bytes, xmp 37 bytes, text 'Title' 13 bytes"), text)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try info.json().utf8)) as? [String: Any])
        let records = try XCTUnwrap(object["metadata"] as? [[String: Any]])
        XCTAssertEqual(records.map { $0["kind"] as? String }, ["icc", "exif", "xmp", "text"])
        XCTAssertEqual(records.map { $0["length"] as? Int }, [132, 26, 37, 13])
        XCTAssertEqual(records[3]["keyword"] as? String, "Title")
        let old = try AnyLatentInfo(path: Self.folder.appendingPathComponent("golden-v1.1-metadata.ael").path)
        XCTAssertTrue(old.text().contains("format: version 1.1, signature"), old.text())
        XCTAssertTrue(old.text().contains("text 'Title' 13 bytes"), old.text())
        // Files without metadata say so.
        XCTAssertTrue(try AnyLatentInfo(path: Self.folder.appendingPathComponent("golden-v2.ael").path).text()
            .contains("metadata: none"))
    }

    /// Regenerates the files. Runs only with AE_REGENERATE_GOLDEN_METADATA=1; see
    /// Fixtures/latent/README.md. Never needed unless the fixture itself must change.
    func testRegenerateGoldenMetadataFiles() throws {
        guard ProcessInfo.processInfo.environment["AE_REGENERATE_GOLDEN_METADATA"] == "1" else {
            throw XCTSkip("set AE_REGENERATE_GOLDEN_METADATA=1 to regenerate Fixtures/latent/golden-v*-metadata*")
        }
        for (name, file) in try Self.goldenFiles() {
            let bytes = try Self.encoded(file)
            try Data(bytes).write(to: Self.folder.appendingPathComponent(name + ".ael"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            var json = try encoder.encode(try Self.expected(name, bytes: bytes))
            json.append(0x0A)
            try json.write(to: Self.folder.appendingPathComponent(name + ".json"))
        }
    }
}
