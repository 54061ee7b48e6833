@testable import AEFormats
import AEBase
import AETestSupport
import Foundation
import XCTest

/// The committed golden latent files (Fixtures/latent/golden-v1*.ael): every later reader
/// must still decode them to the values in their JSON, and this writer must still produce
/// them byte for byte. See Fixtures/latent/README.md.
final class GoldenLatentFileTests: XCTestCase {
    static let folder = TestFixtures.url("latent")

    /// What golden-v1*.json records.
    struct Expected: Codable, Equatable {
        var file: String
        var fileLength: Int
        var crc32: String
        var formatVersion: String
        var modelFingerprint: String
        var width: Int
        var height: Int
        var colorType: Int
        var bitDepth: Int
        var tileSize: Int
        var tilesAcross: Int
        var tilesDown: Int
        var latentDim: Int
        var encoding: String
        var payloadCompressed: Bool
        var payloadLength: Int
        var payloadRawLength: Int
        var alphaLength: Int
        /// The stored codes, tile-major: float16 bit patterns, or uint8 codes.
        var latentCodes: [Int]
        /// The decoded values, tile-major (float16 widened exactly, or dequantised).
        var latents: [Float]
        /// For uint8 files: the quantisation table the values were decoded with.
        var quantization: Quantization?
        /// The alpha plane, row-major, as hex, or null.
        var alpha: String?

        struct Quantization: Codable, Equatable { var scale: [Float]; var offset: [Float] }
    }

    /// The golden files' contents (deterministic; see the README).
    static func goldenFiles() -> [(name: String, file: LatentFile)] {
        let fingerprint = LatentFile.fingerprintBytes(hex: "cebcf2e30402416c666eb17fb510c9c9")!  // golden-v1.aemodel
        var rng = LatentTestRandom(seed: 2025)
        // 45x37 RGB: 2x2 tiles of latent 8, pseudo-random values in [-4, 4): stored.
        let plain = LatentFile(modelFingerprint: fingerprint, width: 45, height: 37, colorType: .rgb, bitDepth: 8,
                               latentDim: 8, latents: (0..<32).map { _ in rng.latent() })
        // 45x37 RGBA: the same tile repeated (a flat image): the payload compresses; alpha a gradient with a hole.
        let tile: [Float] = [0.5, -0.25, 1, 0, 0.5, -0.25, 1, 0]
        let alpha = (0..<45 * 37).map { i -> UInt8 in
            let x = i % 45, y = i / 45
            return (10...20).contains(x) && (10...20).contains(y) ? 0 : UInt8(min(255, x * 4 + y))
        }
        let withAlpha = LatentFile(modelFingerprint: fingerprint, width: 45, height: 37, colorType: .rgba, bitDepth: 8,
                                   latentDim: 8, latents: Array(repeating: tile, count: 4).flatMap { $0 }, alpha: alpha)
        // 45x37 16-bit grey, uint8 codes with a per-dimension table.
        let q = LatentQuantization(scale: (0..<8).map { Float(1 + $0) / 64 }, offset: (0..<8).map { Float($0) - 4 })
        let codes = (0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) }
        let quantised = LatentFile(modelFingerprint: fingerprint, width: 45, height: 37, colorType: .gray, bitDepth: 16,
                                   latentDim: 8, encoding: .uint8,
                                   latents: codes.enumerated().map { q.value($1, dimension: $0 % 8) }, quantization: q)
        return [("golden-v1", plain), ("golden-v1-alpha", withAlpha), ("golden-v1-uint8", quantised)]
    }

    static func expected(_ name: String, _ file: LatentFile, bytes: [UInt8]) throws -> Expected {
        let h = try LatentFile.inspect(bytes)
        let codes: [Int] = file.encoding == .float16
            ? file.latents.map { Int(Float16($0).bitPattern) }
            : file.latents.enumerated().map { Int(file.quantization!.code($1, dimension: $0 % file.latentDim)) }
        return Expected(
            file: name + ".ael", fileLength: bytes.count, crc32: FileErrorText.hex32(h.crc32), formatVersion: "1.0",
            modelFingerprint: file.modelFingerprintHex, width: file.width, height: file.height,
            colorType: Int(file.colorType.rawValue), bitDepth: file.bitDepth, tileSize: file.tileSize,
            tilesAcross: file.tilesAcross, tilesDown: file.tilesDown, latentDim: file.latentDim,
            encoding: file.encoding.name, payloadCompressed: h.payloadCompressed, payloadLength: h.payloadLength,
            payloadRawLength: h.payloadRawLength, alphaLength: h.alphaLength, latentCodes: codes, latents: file.latents,
            quantization: file.quantization.map { .init(scale: $0.scale, offset: $0.offset) },
            alpha: file.alpha.map { SHA256.hex($0) })
    }

    func testGoldenFilesDecodeToTheirRecordedValues() throws {
        for (name, made) in Self.goldenFiles() {
            let url = Self.folder.appendingPathComponent(name + ".ael")
            let bytes = try LatentFile.readBytes(path: url.path)
            let expected = try JSONDecoder().decode(
                Expected.self, from: Data(contentsOf: Self.folder.appendingPathComponent(name + ".json")))
            let q = expected.quantization.map { LatentQuantization(scale: $0.scale, offset: $0.offset) }
            let file = try LatentFile.read(path: url.path, quantization: q)
            XCTAssertEqual(bytes.count, expected.fileLength, name)
            XCTAssertEqual(file.modelFingerprintHex, expected.modelFingerprint, name)
            XCTAssertEqual(file.width, expected.width, name)
            XCTAssertEqual(file.height, expected.height, name)
            XCTAssertEqual(Int(file.colorType.rawValue), expected.colorType, name)
            XCTAssertEqual(file.bitDepth, expected.bitDepth, name)
            XCTAssertEqual(file.tileSize, expected.tileSize, name)
            XCTAssertEqual(file.tilesAcross, expected.tilesAcross, name)
            XCTAssertEqual(file.tilesDown, expected.tilesDown, name)
            XCTAssertEqual(file.latentDim, expected.latentDim, name)
            XCTAssertEqual(file.encoding.name, expected.encoding, name)
            XCTAssertEqual(file.latents, expected.latents, name)
            XCTAssertEqual(file.alpha.map { SHA256.hex($0) }, expected.alpha, name)
            // The recorded header and sizes, and the whole record, as this reader sees them.
            XCTAssertEqual(try Self.expected(name, file, bytes: bytes), expected, name)
            // This writer still writes the same bytes, from the same deterministic values.
            XCTAssertEqual(file, made, name)
            XCTAssertEqual(try made.encoded(), bytes, "\(name): the writer's output changed")
        }
    }

    func testGoldenFilesAreWhatTheyClaimToBe() throws {
        let files = Self.goldenFiles()
        let headers = try files.map { try LatentFile.inspect(try $0.file.encoded()) }
        XCTAssertFalse(headers[0].payloadCompressed)
        XCTAssertTrue(headers[1].payloadCompressed)
        XCTAssertTrue(headers[1].hasAlpha)
        XCTAssertEqual(headers[2].encoding, .uint8)
    }

    func testInfoTextAndJSON() throws {
        let path = Self.folder.appendingPathComponent("golden-v1-alpha.ael").path
        let info = try LatentInfo(path: path)
        let text = info.text()
        for line in ["kind: latent file", "format: version 1.0, signature 89 41 45 4c",
                     "model fingerprint: cebcf2e30402416c (first 8 bytes)",
                     "image: 45x37, PNG colour type 6 (RGBA), 8-bit", "tiles: 2x2 = 4 tiles of 32x32",
                     "latents: 8 per tile, float16, 32 values", "payload: 64 bytes, zlib-compressed to 24 bytes (37.5%)",
                     "alpha: 1,665 bytes, zlib-compressed to 373 bytes (22.4%)",
                     "file length: 421 bytes, 2.023 bits per pixel"] {
            XCTAssertTrue(text.contains(line + "\n") || text.hasSuffix(line), "missing '\(line)' in\n\(text)")
        }
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try info.json().utf8)) as? [String: Any])
        XCTAssertEqual(object["fileKind"] as? String, "latent-file")
        XCTAssertEqual(object["fileLength"] as? Int, 421)
        let header = try XCTUnwrap(object["header"] as? [String: Any])
        XCTAssertEqual(header["magic"] as? String, "8941454c")
        XCTAssertEqual(header["latentDim"] as? Int, 8)
        XCTAssertEqual(header["encoding"] as? String, "float16")
        XCTAssertEqual((object["payload"] as? [String: Any])?["compressed"] as? Bool, true)
        XCTAssertEqual((object["alpha"] as? [String: Any])?["length"] as? Int, 373)
        XCTAssertEqual(try FileKind.detect(path: path), .latentFile)
        // A damaged file is refused with the path and reason the tools print.
        var bytes = try LatentFile.readBytes(path: path)
        bytes[30] ^= 0x10
        XCTAssertThrowsError(try LatentInfo(bytes: bytes, path: "d.ael")) { error in
            XCTAssertTrue(ToolReporter.message(tool: "aeinfo", error: error).hasPrefix("aeinfo: d.ael: checksum mismatch"))
        }
    }

    /// Regenerates the golden files. Runs only with AE_REGENERATE_GOLDEN=1; see
    /// Fixtures/latent/README.md. Never needed unless the fixture itself must change.
    func testRegenerateGoldenLatentFiles() throws {
        guard ProcessInfo.processInfo.environment["AE_REGENERATE_GOLDEN"] == "1" else {
            throw XCTSkip("set AE_REGENERATE_GOLDEN=1 to regenerate Fixtures/latent/golden-v1*")
        }
        try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
        for (name, file) in Self.goldenFiles() {
            let bytes = try file.encoded()
            try file.write(to: Self.folder.appendingPathComponent(name + ".ael").path, force: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            var json = try encoder.encode(try Self.expected(name, file, bytes: bytes))
            json.append(0x0A)
            try json.write(to: Self.folder.appendingPathComponent(name + ".json"))
        }
    }
}
