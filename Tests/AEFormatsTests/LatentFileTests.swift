@testable import AEFormats
import AEBase
import AETestSupport
import Foundation
import XCTest

/// Deterministic test values independent of AENet's generator (the golden file depends on them;
/// the PNG and zlib tests draw their random bytes from it too).
struct LatentTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    /// splitmix64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-range, range), a multiple of 2^-10 (exact in float16 for |v| < 2).
    mutating func latent(range: Float = 4) -> Float {
        let u = Float(next() >> 40) / Float(1 << 24)  // [0, 1)
        return ((u * 2 - 1) * range * 1024).rounded() / 1024
    }
}

enum LatentFixtures {
    static let fingerprint: [UInt8] = (0..<16).map { UInt8(truncatingIfNeeded: $0 * 37 + 3) }

    static func quantization(dim: Int) -> LatentQuantization {
        LatentQuantization(scale: (0..<dim).map { Float(1 + $0 % 3) / 64 }, offset: (0..<dim).map { -Float(2 + $0 % 2) })
    }

    /// A file with deterministic latents (and alpha when asked).
    static func file(width: Int, height: Int, dim: Int, encoding: LatentFile.LatentEncoding = .float16,
                     alpha: Bool = false, colorType: LatentFile.ColorType = .rgb, bitDepth: Int = 8,
                     seed: UInt64 = 1) -> LatentFile {
        var rng = LatentTestRandom(seed: seed)
        let tiles = ((width + 31) / 32) * ((height + 31) / 32)
        let latents = (0..<tiles * dim).map { _ in rng.latent() }
        let plane = alpha ? (0..<width * height).map { i in UInt8(truncatingIfNeeded: (i % width) * 7 + (i / width) * 3) } : nil
        return LatentFile(modelFingerprint: fingerprint, width: width, height: height, colorType: colorType,
                          bitDepth: bitDepth, latentDim: dim, encoding: encoding, latents: latents,
                          quantization: encoding == .uint8 ? quantization(dim: dim) : nil, alpha: plane)
    }

    /// Recomputes the trailing CRC-32 after editing `bytes`.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var b = Array(bytes.dropLast(4))
        let crc = Zlib.crc32(b)
        for k in 0..<4 { b.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        return b
    }
}

final class LatentFileTests: XCTestCase {
    private func decode(_ bytes: [UInt8], _ file: LatentFile) throws -> LatentFile {
        try LatentFile.decode(bytes, path: "t.ael", quantization: file.quantization ?? LatentFixtures.quantization(dim: file.latentDim))
    }

    private func assertRefused(_ bytes: [UInt8], quantization: LatentQuantization? = nil,
                               file: StaticString = #filePath, line: UInt = #line,
                               _ check: (LatentFileError) -> Void = { _ in }) {
        XCTAssertThrowsError(try LatentFile.decode(bytes, path: "x.ael", quantization: quantization), file: file, line: line) { error in
            guard let e = error as? LatentFileError else { return XCTFail("not a LatentFileError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.path, "x.ael", file: file, line: line)
            check(e)
        }
    }

    // MARK: Round trips

    func testRoundTripsBothEncodingsWithAndWithoutAlpha() throws {
        for (w, h) in [(1, 1), (32, 32), (33, 17), (100, 7)] {
            for encoding in LatentFile.LatentEncoding.allCases {
                for alpha in [false, true] {
                    for dim in [1, 16, 64] {
                        let file = LatentFixtures.file(width: w, height: h, dim: dim, encoding: encoding, alpha: alpha,
                                                       colorType: alpha ? .rgba : .rgb, seed: UInt64(w * 1000 + h + dim))
                        XCTAssertEqual(file.latents.count, file.tilesAcross * file.tilesDown * dim)
                        let bytes = try file.encoded()
                        let back = try decode(bytes, file)
                        XCTAssertEqual(back, file, "\(w)x\(h) \(encoding) alpha \(alpha) dim \(dim)")
                        let header = try LatentFile.inspect(bytes)
                        XCTAssertEqual(header.fileLength, bytes.count)
                        XCTAssertEqual(header.hasAlpha, alpha)
                        XCTAssertEqual(header.tileCount, file.tileCount)
                        XCTAssertEqual(header.payloadRawLength, file.latents.count * (encoding == .float16 ? 2 : 1))
                    }
                }
            }
        }
    }

    func testTileGridAndFieldsSurvive() throws {
        let file = LatentFixtures.file(width: 100, height: 7, dim: 8, colorType: .gray, bitDepth: 16)
        XCTAssertEqual(file.tilesAcross, 4)
        XCTAssertEqual(file.tilesDown, 1)
        let back = try LatentFile.decode(try file.encoded())
        XCTAssertEqual(back.colorType, .gray)
        XCTAssertEqual(back.bitDepth, 16)
        XCTAssertEqual(back.tileSize, 32)
        XCTAssertEqual(back.modelFingerprint, Array(LatentFixtures.fingerprint.prefix(8)))
        XCTAssertTrue(back.matches(modelFingerprint: SHA256.hex(LatentFixtures.fingerprint)))
        XCTAssertFalse(back.matches(modelFingerprint: String(repeating: "0", count: 32)))
        for colorType in LatentFile.ColorType.allCases {
            for depth in [1, 2, 4, 8, 16] where LatentFile.isValid(colorType: colorType, bitDepth: depth) {
                var f = file
                f.colorType = colorType
                f.bitDepth = depth
                XCTAssertEqual(try LatentFile.decode(try f.encoded()), f)
            }
        }
    }

    func testInitRoundsLatentsToWhatTheFileHolds() throws {
        let q = LatentFixtures.quantization(dim: 2)
        let f16 = LatentFile(modelFingerprint: LatentFixtures.fingerprint, width: 5, height: 5, colorType: .rgb, bitDepth: 8,
                             latentDim: 2, latents: [0.1, -1e-9], quantization: q)
        XCTAssertEqual(f16.latents, [Float(Float16(0.1)), Float(Float16(-1e-9))])
        XCTAssertNil(f16.quantization, "float16 files carry no quantisation table")
        XCTAssertEqual(try LatentFile.decode(try f16.encoded()), f16)
        let u8 = LatentFile(modelFingerprint: LatentFixtures.fingerprint, width: 5, height: 5, colorType: .rgb, bitDepth: 8,
                            latentDim: 2, encoding: .uint8, latents: [0.1, 100], quantization: q)
        XCTAssertEqual(u8.latents, [q.value(q.code(0.1, dimension: 0), dimension: 0), q.value(255, dimension: 1)])
        XCTAssertEqual(try LatentFile.decode(try u8.encoded(), quantization: q), u8)
    }

    func testHexFingerprintInit() throws {
        let hex = "cebcf2e30402416c666eb17fb510c9c9"
        let f = try LatentFile(modelFingerprint: hex, width: 1, height: 1, colorType: .gray, bitDepth: 8,
                               latentDim: 1, latents: [1])
        XCTAssertEqual(f.modelFingerprintHex, "cebcf2e30402416c")
        XCTAssertTrue(f.matches(modelFingerprint: hex))
        XCTAssertThrowsError(try LatentFile(modelFingerprint: "xyz", width: 1, height: 1, colorType: .gray, bitDepth: 8,
                                            latentDim: 1, latents: [1]))
    }

    // MARK: Size

    func testOneTileFilesAreSmall() throws {
        let f64 = try LatentFixtures.file(width: 32, height: 32, dim: 64).encoded()
        let f16 = try LatentFixtures.file(width: 32, height: 32, dim: 16).encoded()
        let u64 = try LatentFixtures.file(width: 32, height: 32, dim: 64, encoding: .uint8).encoded()
        // 4 magic + 1 version + 8 fingerprint + 1 width + 1 height + 1 pixel format + 1 coding
        // + 1 latent size + payload + 4 CRC.
        XCTAssertEqual(f64.count, 22 + 128)
        XCTAssertLessThanOrEqual(f64.count, 150)
        XCTAssertEqual(f16.count, 22 + 32)
        XCTAssertEqual(u64.count, 22 + 64)
        print("latent file sizes, 32x32: float16 latent 64 = \(f64.count) bytes, latent 16 = \(f16.count) bytes, uint8 latent 64 = \(u64.count) bytes")
    }

    func testStoredOrCompressedIsChosenBySize() throws {
        // Random latents do not compress: stored.
        let random = LatentFixtures.file(width: 64, height: 64, dim: 64)
        let rb = try random.encoded()
        let rh = try LatentFile.inspect(rb)
        XCTAssertFalse(rh.payloadCompressed)
        XCTAssertEqual(rh.payloadLength, 4 * 64 * 2)
        // Constant latents do: compressed, and much smaller.
        var constant = random
        constant.latents = [Float](repeating: 0.5, count: constant.latents.count)
        let cb = try constant.encoded()
        let ch = try LatentFile.inspect(cb)
        XCTAssertTrue(ch.payloadCompressed)
        XCTAssertLessThan(ch.payloadLength, 30)
        XCTAssertEqual(ch.payloadRawLength, 512)
        XCTAssertEqual(try LatentFile.decode(cb), constant)
        // One tile of random data, constant alpha: the alpha plane is always zlib.
        var withAlpha = LatentFixtures.file(width: 32, height: 32, dim: 64)
        withAlpha.alpha = [UInt8](repeating: 255, count: 1024)
        let ab = try withAlpha.encoded()
        let ah = try LatentFile.inspect(ab)
        XCTAssertFalse(ah.payloadCompressed)
        XCTAssertLessThan(ah.alphaLength, 20)
        XCTAssertEqual(try LatentFile.decode(ab), withAlpha)
    }

    // MARK: Refusals

    func testBadMagicAndDamagedSignature() throws {
        let good = try LatentFixtures.file(width: 33, height: 17, dim: 4).encoded()
        assertRefused([]) { XCTAssertEqual($0, .notALatentFile(path: "x.ael", reason: "empty file")) }
        assertRefused(Array("hello, world, this is text".utf8)) { XCTAssertEqual($0, .notALatentFile(path: "x.ael", reason: "bad magic")) }
        var damaged = good
        damaged[3] = 0x0C
        assertRefused(damaged) { XCTAssertEqual($0, .notALatentFile(path: "x.ael", reason: "damaged signature")) }
        assertRefused(BundleHeader.magic + good) {
            XCTAssertEqual($0, .notALatentFile(path: "x.ael", reason: "this is a model bundle (.aemodel)"))
        }
        assertRefused([0x89, 0x41]) { XCTAssertEqual($0, .truncated(path: "x.ael", expected: 22, found: 2)) }
        XCTAssertEqual(FileKind.detect(prefix: good), .latentFile)
    }

    func testEveryTruncationIsRefused() throws {
        for file in [LatentFixtures.file(width: 33, height: 17, dim: 4),
                     LatentFixtures.file(width: 33, height: 17, dim: 4, alpha: true),
                     { var f = LatentFixtures.file(width: 128, height: 128, dim: 8)
                       f.latents = f.latents.map { $0.rounded() }
                       return f }()] {
            let bytes = try file.encoded()
            for n in 0..<bytes.count {
                assertRefused(Array(bytes[0..<n]))
            }
            if file.width == 128 { XCTAssertTrue(try LatentFile.inspect(bytes).payloadCompressed, "one file has a zlib payload") }
            // Stored payloads name the truncation.
            if !(try LatentFile.inspect(bytes)).payloadCompressed && file.alpha == nil {
                assertRefused(Array(bytes.dropLast(10))) {
                    XCTAssertEqual($0, .truncated(path: "x.ael", expected: bytes.count, found: bytes.count - 10))
                }
            }
            // And extra bytes are refused too.
            assertRefused(bytes + [0])
        }
    }

    func testEverySingleByteCorruptionIsRefused() throws {
        let files = [LatentFixtures.file(width: 33, height: 17, dim: 4),
                     LatentFixtures.file(width: 33, height: 17, dim: 4, encoding: .uint8, alpha: true, colorType: .rgba)]
        for file in files {
            let bytes = try file.encoded()
            for position in 0..<bytes.count {
                for flip: UInt8 in [0x01, 0x80, 0xFF] {
                    var damaged = bytes
                    damaged[position] ^= flip
                    XCTAssertThrowsError(try LatentFile.decode(damaged, quantization: file.quantization),
                                         "byte \(position) ^ \(flip) was accepted")
                }
            }
        }
    }

    func testUnknownMajorVersionIsNamed() throws {
        var bytes = try LatentFixtures.file(width: 32, height: 32, dim: 4).encoded()
        bytes[4] = 0x33
        assertRefused(bytes) {
            XCTAssertEqual($0, .unsupportedVersion(path: "x.ael", major: 3, minor: 3, supportedMajors: [1, 2]))
            XCTAssertEqual($0.reason, "unsupported latent file format version 3.3 (this reader understands major versions 1 and 2)")
        }
        // A 2.x file is read by CodedLatentFile (or LatentFiles), not by the 1.x type.
        bytes[4] = 0x23
        assertRefused(bytes) {
            XCTAssertEqual($0.reason, "unsupported latent file format version 2.3 (this reader understands major version 1)")
        }
        bytes[4] = 0x00
        assertRefused(LatentFixtures.resealed(bytes)) { XCTAssertEqual($0, .unsupportedVersion(path: "x.ael", major: 0, minor: 0, supportedMajors: [1, 2])) }
    }

    func testNewerMinorVersionWithExtensionBlockIsRead() throws {
        let file = LatentFixtures.file(width: 33, height: 17, dim: 4, alpha: true)
        let bytes = try file.encoded()
        let h = try LatentFile.inspect(bytes)
        // Insert a 1.3 extension block after the latent size: varint length 5, then one
        // metadata record of a kind this reader does not know (9, 2 bytes), which it skips.
        var varint: [UInt8] = []
        LatentFileCodec.appendVarint(h.alphaLength, to: &varint)
        let latentDimEnd = h.payloadOffset - varint.count  // the alpha length varint precedes the payload
        var newer = Array(bytes[0..<latentDimEnd]) + [5, 9, 0, 2, 0xBB, 0xCC] + Array(bytes[latentDimEnd...])
        newer[4] = 0x13
        newer = LatentFixtures.resealed(newer)
        XCTAssertEqual(try LatentFile.decode(newer), file)
        let nh = try LatentFile.inspect(newer)
        XCTAssertEqual(nh.minorVersion, 3)
        XCTAssertEqual(nh.extensionLength, 5)
        XCTAssertEqual(nh.metadata, [MetadataBlock.Entry(code: 9, length: 2, storedLength: 2, compressed: false)])
        // A block that is not a record sequence is refused (the CRC is right: a faulty writer).
        var junk = Array(bytes[0..<latentDimEnd]) + [3, 0xAA, 0xBB, 0xCC] + Array(bytes[latentDimEnd...])
        junk[4] = 0x11
        XCTAssertThrowsError(try LatentFile.decode(LatentFixtures.resealed(junk))) { error in
            XCTAssertTrue("\(error)".contains("metadata record 1"), "\(error)")
        }
    }

    /// A header with these fields and a valid CRC, followed by `payload`.
    private func craft(width: Int, height: Int, coding: UInt8 = 0x51, latentDim: Int, payload: [UInt8]) -> [UInt8] {
        var b = LatentFile.magic + [0x10] + [UInt8](repeating: 7, count: 8)
        LatentFileCodec.appendVarint(width, to: &b)
        LatentFileCodec.appendVarint(height, to: &b)
        b.append(0x23)
        b.append(coding)
        LatentFileCodec.appendVarint(latentDim, to: &b)
        return LatentFixtures.resealed(b + payload + [0, 0, 0, 0])
    }

    func testAbsurdSizesAreRefusedQuickly() throws {
        let start = Date()
        assertRefused(craft(width: 100_000, height: 100_000, latentDim: 64, payload: [1, 2, 3])) {
            XCTAssertEqual($0, .limitExceeded(path: "x.ael", what: "width", value: 100_000, limit: 16_384))
        }
        assertRefused(craft(width: 16_384, height: 16_384, latentDim: 64, payload: [1, 2, 3])) {
            guard case .limitExceeded(_, let what, _, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(what.hasPrefix("pixel count"))
        }
        assertRefused(craft(width: 32, height: 32, latentDim: 1 << 20, payload: [1, 2, 3])) {
            XCTAssertEqual($0, .limitExceeded(path: "x.ael", what: "latent size", value: 1 << 20, limit: 65_536))
        }
        // 8192 x 16384 at tile 4 and latent 65536: far beyond the payload limit.
        assertRefused(craft(width: 8192, height: 16_384, coding: 0x21, latentDim: 65_536, payload: [1, 2, 3])) {
            guard case .limitExceeded(_, let what, _, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(what, "latent payload (bytes)")
        }
        // A compressed payload claiming 2^27 bytes of latents from 9 bytes.
        assertRefused(craft(width: 8192, height: 16_384, coding: 0x55, latentDim: 1024, payload: [0x78, 0xDA, 1, 2, 3, 4, 5, 6, 7]))
        // Non-minimal and overlong varints.
        var nonMinimal = craft(width: 32, height: 32, latentDim: 1, payload: [0, 0])
        nonMinimal.insert(0x80, at: 13)  // width 32 written as a0 00
        nonMinimal[13] = 0xA0
        nonMinimal[14] = 0x00
        assertRefused(LatentFixtures.resealed(nonMinimal)) {
            XCTAssertEqual($0, .malformed(path: "x.ael", reason: "width at byte 13 is not minimally encoded"))
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.0)
    }

    func testPayloadSizeMismatchesAreRefused() throws {
        // One 32x32 tile at latent 4, float16, stored: exactly 8 payload bytes.
        XCTAssertEqual(try LatentFile.decode(craft(width: 32, height: 32, latentDim: 4, payload: [0, 60, 0, 60, 0, 0, 0, 0])).latents,
                       [0, 1, 0, 1], "high bytes first, then low bytes")
        assertRefused(craft(width: 32, height: 32, latentDim: 4, payload: [0, 60, 0, 60, 0, 0, 0])) {
            XCTAssertEqual($0, .malformed(path: "x.ael", reason: "stored latent payload is 7 bytes, expected 8 (1 tiles x 4 x 2 bytes)"))
        }
        assertRefused(craft(width: 32, height: 32, latentDim: 4, payload: [UInt8](repeating: 0, count: 9)))
        assertRefused(craft(width: 33, height: 32, latentDim: 4, payload: [UInt8](repeating: 0, count: 8)))
        // A compressed payload that inflates to the wrong size.
        let wrong = Zlib.compress([UInt8](repeating: 0, count: 100), level: 9)
        assertRefused(craft(width: 32, height: 32, coding: 0x55, latentDim: 64, payload: wrong)) {
            guard case .malformed(_, let reason) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.hasPrefix("latent payload: zlib stream"), reason)
        }
        // A "compressed" payload no smaller than the stored one.
        let big = Zlib.compress([UInt8](repeating: 0, count: 8), level: 0)
        assertRefused(craft(width: 32, height: 32, coding: 0x55, latentDim: 4, payload: big))
        // Unknown encodings, tile sizes, colour types.
        assertRefused(craft(width: 32, height: 32, coding: 0x53, latentDim: 4, payload: [UInt8](repeating: 0, count: 8)))
        assertRefused(craft(width: 32, height: 32, coding: 0x50, latentDim: 4, payload: [UInt8](repeating: 0, count: 8)))
        assertRefused(craft(width: 32, height: 32, coding: 0xB1, latentDim: 4, payload: [UInt8](repeating: 0, count: 8)))
        // Infinity / NaN latents.
        assertRefused(craft(width: 32, height: 32, latentDim: 4, payload: [0x7C, 0, 0, 0, 0, 0, 0, 0])) {
            guard case .malformed(_, let reason) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.contains("not finite"), reason)
        }
    }

    func testQuantisedFilesNeedTheTable() throws {
        let file = LatentFixtures.file(width: 40, height: 40, dim: 4, encoding: .uint8)
        let bytes = try file.encoded()
        assertRefused(bytes) { guard case .quantizationRequired = $0 else { return XCTFail("\($0)") } }
        assertRefused(bytes, quantization: LatentFixtures.quantization(dim: 5)) {
            guard case .quantizationRequired = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try LatentFile.inspect(bytes).encoding, .uint8)
        var noTable = file
        noTable.quantization = nil
        XCTAssertThrowsError(try noTable.encoded())
    }

    func testWriterRefusesWhatTheFormatCannotHold() {
        func refused(_ f: LatentFile, _ text: String, line: UInt = #line) {
            XCTAssertThrowsError(try f.encoded(), line: line) { error in
                guard case .invalidRequest(_, let reason)? = error as? LatentFileError else { return XCTFail("\(error)", line: line) }
                XCTAssertTrue(reason.contains(text), reason, line: line)
            }
        }
        let base = LatentFixtures.file(width: 33, height: 17, dim: 4)
        var f = base; f.latents.removeLast(); refused(f, "latent values")
        f = base; f.latents[3] = 1e6; refused(f, "not a finite float16")
        f = base; f.latents[3] = .nan; refused(f, "not a finite float16")
        f = base; f.width = 20_000; refused(f, "outside 1...16384")
        f = base; f.tileSize = 48; refused(f, "power of two")
        f = base; f.bitDepth = 4; refused(f, "not valid for PNG colour type 2")
        f = base; f.alpha = [1, 2, 3]; refused(f, "alpha plane")
        f = base; f.modelFingerprint = [1, 2]; refused(f, "fingerprint")
    }

    // MARK: Files

    func testWriteIsAtomicAndRefusesToOverwrite() throws {
        let folder = try TestFiles.temporaryFolder(self)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/a.ael"
        let one = LatentFixtures.file(width: 33, height: 17, dim: 4, seed: 1)
        let two = LatentFixtures.file(width: 33, height: 17, dim: 4, seed: 2)
        try one.write(to: path, force: false)
        XCTAssertEqual(try LatentFile.read(path: path), one)
        XCTAssertThrowsError(try two.write(to: path, force: false)) { error in
            XCTAssertEqual(error as? LatentFileError, .alreadyExists(path: path))
        }
        XCTAssertEqual(try LatentFile.read(path: path), one, "a refused write leaves the file alone")
        try two.write(to: path, force: true)
        XCTAssertEqual(try LatentFile.read(path: path), two)
        // A file the format refuses is never started.
        var bad = one
        bad.latents = []
        XCTAssertThrowsError(try bad.write(to: folder + "/b.ael", force: false)) { error in
            XCTAssertEqual((error as? LatentFileError)?.path, folder + "/b.ael")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["a.ael"], "no temporary files left")
        XCTAssertThrowsError(try one.write(to: folder + "/missing/c.ael", force: false)) { error in
            guard case .cannotWrite? = error as? LatentFileError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try LatentFile.read(path: folder + "/nothing.ael")) { error in
            XCTAssertEqual(error as? LatentFileError, .cannotRead(path: folder + "/nothing.ael", reason: "no such file"))
        }
        XCTAssertThrowsError(try LatentFile.read(path: folder)) { error in
            guard case .cannotRead? = error as? LatentFileError else { return XCTFail("\(error)") }
        }
    }
}
