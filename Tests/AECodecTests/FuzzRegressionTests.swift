import AECodec
import Foundation
import XCTest

/// Replays every committed fuzz input (Fixtures/fuzz/TARGET: seeds, the minimised corpus
/// `corpus-*` and each input that once crashed, hung or over-allocated) through the reader its target fuzzes, as
/// the target calls it (Fuzz/README.md). Each must be read or refused with the reader's
/// typed error; a crash takes the whole test run down, so it cannot go unnoticed.
final class FuzzRegressionTests: XCTestCase {
    static let root = DataFixtures.repositoryRoot + "/Fixtures/fuzz/"

    /// The committed inputs of `target`, by file name.
    private func inputs(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let folder = Self.root + target
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return try names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            (name, try DataFixtures.bytes("../fuzz/\(target)/\(name)"))
        }
    }

    /// Runs `read` on each input of `target`; an error must be one of `typed`.
    private func replay(_ target: String, typed: (Error) -> Bool, _ read: ([UInt8]) throws -> Void) throws -> Int {
        let all = try inputs(target)
        for (name, bytes) in all {
            let start = Date()
            do {
                try read(bytes)
            } catch {
                XCTAssertTrue(typed(error), "\(target)/\(name): untyped error \(type(of: error)): \(error)")
            }
            let seconds = Date().timeIntervalSince(start)
            XCTAssertLessThan(seconds, 5, "\(target)/\(name) took \(seconds) s (the fuzzers' -timeout)")
        }
        return all.count
    }

    func testLatentFileInputs() throws {
        let count = try replay("latent", typed: { $0 is LatentFileError }) { bytes in
            let header = try LatentFile.inspect(bytes)
            let info = try LatentInfo(bytes: bytes)
            XCTAssertFalse(info.text().isEmpty)
            XCTAssertFalse(try info.json().isEmpty)
            let table = LatentQuantization(scale: Array(repeating: 0.5, count: header.latentDim),
                                           offset: Array(repeating: -1, count: header.latentDim))
            let file = try LatentFile.decode(bytes, quantization: table)
            XCTAssertEqual(try LatentFile.decode(try file.encoded(), quantization: table), file)
        }
        XCTAssertGreaterThan(count, 0, "Fixtures/fuzz/latent is empty")
    }

    func testModelBundleInputs() throws {
        let count = try replay("bundle", typed: { $0 is BundleError }) { bytes in
            let bundle = try ModelBundle.decode(bytes)
            XCTAssertEqual(bundle.fingerprint.count, 32)
            // What `aeinfo` prints (BundleInfo reads files only).
            let path = try DataFixtures.temporaryFolder(self) + "/input.aemodel"
            try DataFixtures.write(bytes, to: path)
            let info = try BundleInfo(path: path)
            XCTAssertTrue(info.text().contains(bundle.fingerprint))
            XCTAssertFalse(try info.json().isEmpty)
            _ = try bundle.makeModel()
        }
        XCTAssertGreaterThanOrEqual(count, 3, "the seed bundles are missing")
    }

    func testMATFileInputs() throws {
        let count = try replay("mat", typed: { $0 is DataSourceError }) { bytes in
            // As the target does: also with the variables wrapped in one miCOMPRESSED element.
            if bytes.count > 128 {
                do {
                    let file = try MATFile(bytes: Self.compressedMAT(bytes))
                    XCTAssertEqual(file.images.pixels.count % 3072, 0)
                } catch is DataSourceError {}  // other errors reach `replay`'s check
            }
            let file = try MATFile(bytes: bytes)
            XCTAssertEqual(file.images.pixels.count % 3072, 0)
        }
        XCTAssertGreaterThan(count, 0, "Fixtures/fuzz/mat is empty")
    }

    /// The MAT file's header, then one miCOMPRESSED element holding the rest (FuzzMATFile).
    static func compressedMAT(_ bytes: [UInt8]) -> [UInt8] {
        let stream = Zlib.compress(Array(bytes[128...]), level: 1)
        let bigEndian = bytes[126] == UInt8(ascii: "M")
        let word = { (v: UInt32) -> [UInt8] in
            (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32(bigEndian ? 3 - $0 : $0))) }
        }
        return Array(bytes[0..<128]) + word(15) + word(UInt32(stream.count)) + stream
    }

    func testNpyFileInputs() throws {
        let count = try replay("npy", typed: { $0 is DataSourceError }) { bytes in
            let file = try NpyFile(bytes: bytes)
            XCTAssertEqual(file.images.pixels.count % 3072, 0)
        }
        XCTAssertGreaterThan(count, 0, "Fixtures/fuzz/npy is empty")
    }

    func testPNGInputs() throws {
        var decoded = 0
        var rawDecoded = 0
        let count = try replay("png", typed: { $0 is CodecError }) { bytes in
            // As the target does: also with the bytes after the IHDR as uncompressed image data.
            if bytes.count >= 33 {
                do {
                    let image = try CodecImage.decodePNG(Self.pngWithRawImageData(bytes), path: "<fuzz>")
                    XCTAssertEqual(image.image.pixels.count, image.image.width * image.image.height * image.image.channels)
                    rawDecoded += 1
                } catch is CodecError {}  // other errors reach `replay`'s check
            }
            let image = try CodecImage.decodePNG(bytes, path: "<fuzz>")
            XCTAssertEqual(image.image.pixels.count, image.image.width * image.image.height * image.image.channels)
            decoded += 1
        }
        XCTAssertGreaterThanOrEqual(count, 8, "the seed PNGs are missing")
        XCTAssertGreaterThanOrEqual(decoded, 6, "the seed PNGs should all decode")
        XCTAssertGreaterThanOrEqual(rawDecoded, 2, "the seed-raw-* inputs should decode as raw image data")
    }

    /// Signature and IHDR (CRC recomputed), then the rest as one IDAT, compressed (FuzzPNG).
    static func pngWithRawImageData(_ bytes: [UInt8]) -> [UInt8] {
        var png = Array(bytes[0..<33])
        let crc = Zlib.crc32(Array(png[12..<29]))
        for k in 0..<4 { png[29 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(3 - k))) }
        func chunk(_ type: String, _ body: [UInt8]) {
            for k in 0..<4 { png.append(UInt8(truncatingIfNeeded: body.count >> (8 * (3 - k)))) }
            let typed = Array(type.utf8) + body
            png += typed
            let crc = Zlib.crc32(typed)
            for k in 0..<4 { png.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(3 - k)))) }
        }
        chunk("IDAT", Zlib.compress(Array(bytes[33...]), level: 1))
        chunk("IEND", [])
        return png
    }
}
