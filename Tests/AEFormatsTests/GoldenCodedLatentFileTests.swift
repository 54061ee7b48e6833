@testable import AEFormats
import AEBase
import AEEntropyCoding
import Foundation
import XCTest

/// The committed golden latent files of format 2.0 (Fixtures/latent/golden-v2*.ael): every
/// later reader must read them to the fields in their JSON, this writer must still produce
/// them byte for byte, and their streams must decode (with the tables the JSON records) to
/// the recorded symbols. See Fixtures/latent/README.md.
final class GoldenCodedLatentFileTests: XCTestCase {
    static let folder = GoldenLatentFileTests.folder

    /// What golden-v2*.json records: the file's fields and sections, and what its stream
    /// holds for the example model (tables and medians of a made-up model; the stream is
    /// real rANS output). `tables` and `tableIndexes` are the input Scripts/range_decode.py reads.
    struct Expected: Codable, Equatable {
        struct Table: Codable, Equatable { var offset: Int32; var cdf: [UInt32] }
        var file: String
        var fileLength: Int
        var crc32: String
        var formatVersion: String
        var modelFingerprint: String
        var width: Int
        var height: Int
        var colorType: Int
        var bitDepth: Int
        var flags: Int
        var headerLength: Int
        var extensionLength: Int
        var alphaLength: Int
        var streamOffset: Int
        var streamLength: Int
        /// The stream's bytes as hex.
        var stream: String
        /// The alpha plane, row-major, as hex, or null.
        var alpha: String?
        /// The example model's latent: rows, columns, channels (channels last).
        var latentShape: [Int]
        /// One table per channel, and the table of each symbol in stream order.
        var tables: [Table]
        var tableIndexes: [Int]
        /// The symbols the stream holds, in stream order.
        var values: [Int32]
        /// The example model's per-channel medians and the latents they give (symbol + median).
        var medians: [Float]
        var latents: [Float]
    }

    /// One golden file: the file, and what its stream codes.
    struct Golden {
        var name: String
        var file: CodedLatentFile
        var latentShape: [Int]
        var tables: [CDFTable]
        var tableIndexes: [Int]
        var values: [Int32]
        var medians: [Float]
    }

    /// The example model's tables: channel 0 codes -1, 0, 1 directly (the range coder spec's
    /// example table), channel 1 codes -2 ... 2; anything else is escaped.
    static func tables() throws -> [CDFTable] {
        [try CDFTable(cdf: [0, 8192, 49152, 63488, 65536], offset: -1),
         try CDFTable(cdf: [0, 2048, 12288, 45056, 57344, 64512, 65536], offset: -2)]
    }

    static let medians: [Float] = [0.25, -0.5]

    /// The golden files' contents (deterministic).
    static func goldenFiles() throws -> [Golden] {
        let fingerprint = LatentFile.fingerprintBytes(hex: "cebcf2e30402416c666eb17fb510c9c9")!  // golden-v1.aemodel
        let tables = try tables()
        // 32x32 RGB, a 2x2x2 latent (a stride-16 fully-convolutional model): rows, columns,
        // then channel; the last symbol (7 under channel 1's table) is escaped.
        let values: [Int32] = [0, 1, -1, 0, 1, -2, 0, 7]
        let indexes = (0..<values.count).map { $0 % 2 }
        let small = CodedLatentFile(modelFingerprint: fingerprint, width: 32, height: 32, colorType: .rgb, bitDepth: 8,
                                    stream: RangeEncoder.encode(values, tableIndexes: indexes, tables: tables))
        // 45x37 RGBA, a 3x3x2 latent of pseudo-random symbols (a few escaped), and an alpha
        // plane (a gradient with a transparent hole, as golden-v1-alpha).
        let alpha = (0..<45 * 37).map { i -> UInt8 in
            let x = i % 45, y = i / 45
            return (10...20).contains(x) && (10...20).contains(y) ? 0 : UInt8(min(255, x * 4 + y))
        }
        let moreValues = (0..<18).map { i in Int32(SplitMix64.mix(2025 &+ UInt64(i)) % 9) - 4 }
        let moreIndexes = (0..<18).map { $0 % 2 }
        let withAlpha = CodedLatentFile(modelFingerprint: fingerprint, width: 45, height: 37, colorType: .rgba, bitDepth: 8,
                                        stream: RangeEncoder.encode(moreValues, tableIndexes: moreIndexes, tables: tables),
                                        alpha: alpha)
        return [Golden(name: "golden-v2", file: small, latentShape: [2, 2, 2], tables: tables,
                       tableIndexes: indexes, values: values, medians: medians),
                Golden(name: "golden-v2-alpha", file: withAlpha, latentShape: [3, 3, 2], tables: tables,
                       tableIndexes: moreIndexes, values: moreValues, medians: medians)]
    }

    static func expected(_ golden: Golden, bytes: [UInt8]) throws -> Expected {
        let h = try CodedLatentFile.inspect(bytes)
        let f = golden.file
        return Expected(
            file: golden.name + ".ael", fileLength: bytes.count, crc32: FileErrorText.hex32(h.crc32),
            formatVersion: "\(h.majorVersion).\(h.minorVersion)", modelFingerprint: f.modelFingerprintHex,
            width: f.width, height: f.height, colorType: Int(f.colorType.rawValue), bitDepth: f.bitDepth,
            flags: Int(h.flags), headerLength: h.headerLength, extensionLength: h.extensionLength,
            alphaLength: h.alphaLength, streamOffset: h.streamOffset, streamLength: h.streamLength,
            stream: SHA256.hex(f.stream), alpha: f.alpha.map { SHA256.hex($0) }, latentShape: golden.latentShape,
            tables: golden.tables.map { Expected.Table(offset: $0.offset, cdf: $0.cdf) },
            tableIndexes: golden.tableIndexes, values: golden.values, medians: golden.medians,
            latents: latents(golden.values, medians: golden.medians))
    }

    /// The decoder's rule: latent i = symbol i + median[channel of i], in float32.
    static func latents(_ symbols: [Int32], medians: [Float]) -> [Float] {
        symbols.enumerated().map { i, s in Float(s) + medians[i % medians.count] }
    }

    static func record(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent(name + ".json")))
    }

    func testGoldenFilesReadToTheirRecordedFields() throws {
        for golden in try Self.goldenFiles() {
            let name = golden.name
            let path = Self.folder.appendingPathComponent(name + ".ael").path
            let bytes = try LatentFile.readBytes(path: path)
            let expected = try Self.record(name)
            guard case let .coded(file) = try LatentFiles.read(path: path) else { return XCTFail("\(name) read as 1.x") }
            XCTAssertEqual(bytes.count, expected.fileLength, name)
            XCTAssertEqual(file.modelFingerprintHex, expected.modelFingerprint, name)
            XCTAssertEqual(file.width, expected.width, name)
            XCTAssertEqual(file.height, expected.height, name)
            XCTAssertEqual(Int(file.colorType.rawValue), expected.colorType, name)
            XCTAssertEqual(file.bitDepth, expected.bitDepth, name)
            XCTAssertEqual(SHA256.hex(file.stream), expected.stream, name)
            XCTAssertEqual(file.alpha.map { SHA256.hex($0) }, expected.alpha, name)
            XCTAssertEqual(file.metadata, [], name)
            // The stream decodes, under the recorded tables, to the recorded symbols.
            let tables = try expected.tables.map { try CDFTable(cdf: $0.cdf, offset: $0.offset) }
            let symbols = try RangeDecoder.decode(file.stream, tableIndexes: expected.tableIndexes, tables: tables)
            XCTAssertEqual(symbols, expected.values, name)
            XCTAssertEqual(Self.latents(symbols, medians: expected.medians), expected.latents, name)
            XCTAssertEqual(expected.values.count, expected.latentShape.reduce(1, *), name)
            // The whole record as this reader sees it, and the writer's bytes unchanged.
            XCTAssertEqual(try Self.expected(golden, bytes: bytes), expected, name)
            XCTAssertEqual(file, golden.file, name)
            XCTAssertEqual(try golden.file.encoded(), bytes, "\(name): the writer's output changed")
        }
    }

    func testGoldenFilesAreWhatTheyClaimToBe() throws {
        let small = try Self.record("golden-v2"), alpha = try Self.record("golden-v2-alpha")
        // The spec's budget: a 32x32 RGB file without alpha has a 17-byte header.
        XCTAssertEqual(small.headerLength, 17)
        XCTAssertEqual(small.streamOffset, 17)
        XCTAssertEqual(small.fileLength, 17 + small.streamLength + 4)
        XCTAssertEqual(small.flags, 0)
        XCTAssertEqual(alpha.flags, 1)
        XCTAssertGreaterThan(alpha.alphaLength, 8)
        // Both streams use the escape.
        for record in [small, alpha] {
            let tables = try record.tables.map { try CDFTable(cdf: $0.cdf, offset: $0.offset) }
            XCTAssertTrue(zip(record.values, record.tableIndexes).contains { !tables[$1].directRange.contains(Int64($0)) })
        }
    }

    func testInfoTextAndJSON() throws {
        let path = Self.folder.appendingPathComponent("golden-v2-alpha.ael").path
        let record = try Self.record("golden-v2-alpha")
        let info = try AnyLatentInfo(path: path)
        guard case .coded = info else { return XCTFail("golden-v2-alpha shown as 1.x") }
        let text = info.text()
        let bpp = String(format: "%.3f", Double(record.fileLength * 8) / Double(45 * 37))
        for line in ["kind: latent file", "format: version 2.0 (entropy-coded latents), signature 89 41 45 4c",
                     "model fingerprint: cebcf2e30402416c (first 8 bytes)",
                     "image: 45x37, PNG colour type 6 (RGBA), 8-bit", "flags: 0x01 (alpha plane, no extension)",
                     "stream: \(record.streamLength) bytes of entropy-coded latents (rANS) at offset \(record.streamOffset)",
                     "alpha: 1,665 bytes, zlib-compressed to \(record.alphaLength) bytes",
                     "header: 17 bytes, CRC-32 \(record.crc32)",
                     "file length: \(record.fileLength) bytes, \(bpp) bits per pixel"] {
            XCTAssertTrue(text.contains(line), "missing '\(line)' in\n\(text)")
        }
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try info.json().utf8)) as? [String: Any])
        XCTAssertEqual(object["fileKind"] as? String, "latent-file")
        XCTAssertEqual(object["fileLength"] as? Int, record.fileLength)
        XCTAssertEqual(object["crc32"] as? String, record.crc32)
        let header = try XCTUnwrap(object["header"] as? [String: Any])
        XCTAssertEqual(header["majorVersion"] as? Int, 2)
        XCTAssertEqual(header["minorVersion"] as? Int, 0)
        XCTAssertEqual(header["flags"] as? Int, 1)
        XCTAssertEqual(header["modelFingerprint"] as? String, record.modelFingerprint)
        let stream = try XCTUnwrap(object["stream"] as? [String: Any])
        XCTAssertEqual(stream["length"] as? Int, record.streamLength)
        XCTAssertEqual(stream["offset"] as? Int, record.streamOffset)
        XCTAssertEqual((object["alpha"] as? [String: Any])?["length"] as? Int, record.alphaLength)
        // 1.x files still show as 1.x through the same entry point.
        let old = try AnyLatentInfo(path: Self.folder.appendingPathComponent("golden-v1.ael").path)
        XCTAssertTrue(old.text().contains("format: version 1.0, signature"))
    }

    /// Regenerates the 2.0 golden files. Runs only with AE_REGENERATE_GOLDEN_V2=1; see
    /// Fixtures/latent/README.md. Never needed unless the fixture itself must change.
    func testRegenerateGoldenCodedLatentFiles() throws {
        guard ProcessInfo.processInfo.environment["AE_REGENERATE_GOLDEN_V2"] == "1" else {
            throw XCTSkip("set AE_REGENERATE_GOLDEN_V2=1 to regenerate Fixtures/latent/golden-v2*")
        }
        for golden in try Self.goldenFiles() {
            let bytes = try golden.file.encoded()
            try golden.file.write(to: Self.folder.appendingPathComponent(golden.name + ".ael").path, force: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            var json = try encoder.encode(try Self.expected(golden, bytes: bytes))
            json.append(0x0A)
            try json.write(to: Self.folder.appendingPathComponent(golden.name + ".json"))
        }
    }
}
