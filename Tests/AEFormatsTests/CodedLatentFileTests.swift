@testable import AEFormats
import AEBase
import AETestSupport
import Foundation
import XCTest

/// Format 2.0 latent files (`CodedLatentFile`, Specs/latent-file.md "Version 2.0"): round
/// trips, the dispatch between 1.x and 2.x, and the refusals of the reading order.
final class CodedLatentFileTests: XCTestCase {
    static let fingerprint: [UInt8] = [0xce, 0xbc, 0xf2, 0xe3, 0x04, 0x02, 0x41, 0x6c]

    static func file(width: Int = 32, height: Int = 32, colorType: LatentFile.ColorType = .rgb, bitDepth: Int = 8,
                     stream: [UInt8] = [0x00, 0x80, 0x00, 0x00], alpha: Bool = false,
                     metadata: [MetadataRecord] = []) -> CodedLatentFile {
        let plane = alpha ? (0..<width * height).map { UInt8(truncatingIfNeeded: $0 * 7 / 5) } : nil
        return CodedLatentFile(modelFingerprint: fingerprint, width: width, height: height, colorType: colorType,
                               bitDepth: bitDepth, stream: stream, alpha: plane, metadata: metadata)
    }

    /// A text record of 7 bytes in the block: kind 4, flags 0, length 4, "A" NUL NUL NUL.
    static let comment = MetadataRecord(text: TextEntry(keyword: "A", text: "")!)
    /// An XMP record of incompressible bytes whose record fills the extension block but one byte.
    static let largest = MetadataRecord(kind: .xmp, bytes: (0..<(LatentFile.Limits.extensionBytes - 6)).map {
        UInt8(truncatingIfNeeded: SplitMix64.mix(UInt64($0)))
    })

    /// `bytes` with the CRC-32 recomputed, so that a change reaches the checks after it.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array(bytes.dropLast(4))
        let crc = Zlib.crc32(out)
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        return out
    }

    /// A file from its parts (magic and version included), sealed with its CRC.
    static func assemble(_ parts: [UInt8]...) -> [UInt8] { resealed(parts.flatMap { $0 } + [0, 0, 0, 0]) }

    private func assertRefused(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line,
                               _ check: (LatentFileError) -> Void = { _ in }) {
        for read in [{ _ = try CodedLatentFile.decode(bytes, path: "x.ael") },
                     { _ = try LatentFiles.decode(bytes, path: "x.ael") },
                     { _ = try AnyLatentInfo(bytes: bytes, path: "x.ael") }] {
            XCTAssertThrowsError(try read(), file: file, line: line) { error in
                guard let e = error as? LatentFileError else { return XCTFail("not a LatentFileError: \(error)", file: file, line: line) }
                XCTAssertEqual(e.path, "x.ael", file: file, line: line)
                check(e)
            }
        }
    }

    private func assertMalformed(_ bytes: [UInt8], _ words: String, file: StaticString = #filePath, line: UInt = #line) {
        assertRefused(bytes, file: file, line: line) { e in
            guard case .malformed = e else { return XCTFail("not malformed: \(e)", file: file, line: line) }
            XCTAssertTrue(e.reason.contains(words), "'\(e.reason)' does not say '\(words)'", file: file, line: line)
        }
    }

    // MARK: Round trips and layout

    func testRoundTrips() throws {
        let cases = [Self.file(), Self.file(alpha: true), Self.file(width: 1, height: 1, colorType: .gray, bitDepth: 1),
                     Self.file(width: 300, height: 200, colorType: .rgba, bitDepth: 16, stream: Array(0..<200), alpha: true),
                     Self.file(width: 129, height: 16_384, colorType: .palette, bitDepth: 4, metadata: [Self.comment]),
                     Self.file(metadata: [Self.largest])]
        for made in cases {
            let bytes = try made.encoded()
            XCTAssertEqual(try CodedLatentFile.decode(bytes), made)
            XCTAssertEqual(try LatentFiles.decode(bytes), .coded(made))
            let h = try CodedLatentFile.inspect(bytes)
            XCTAssertEqual(h.streamLength, made.stream.count)
            XCTAssertEqual(Array(bytes[h.streamOffset ..< h.streamOffset + h.streamLength]), made.stream)
            XCTAssertEqual(h.fileLength, bytes.count)
            XCTAssertEqual(h.hasAlpha, made.alpha != nil)
            XCTAssertEqual(h.extensionLength, try MetadataBlock.encode(made.metadata).count)
            XCTAssertEqual(h.minorVersion, made.metadata.isEmpty ? 0 : 1)
        }
    }

    func testSmallestFileIsItsSpecifiedBytes() throws {
        // 32x32 RGB 8-bit, no alpha, the empty stream: the 17-byte header, 4 stream bytes, the CRC.
        let bytes = try Self.file().encoded()
        XCTAssertEqual(bytes.count, CodedLatentFile.minimumFileLength)
        XCTAssertEqual(Array(bytes[0..<21]), [0x89, 0x41, 0x45, 0x4C, 0x20] + Self.fingerprint + [0x20, 0x20, 0x23, 0x00]
                       + [0x00, 0x80, 0x00, 0x00])
        XCTAssertEqual(try CodedLatentFile.inspect(bytes).headerLength, 17)
        // With alpha and metadata (version 2.1): flags 3, the block, then the alpha section.
        let full = try Self.file(alpha: true, metadata: [Self.comment]).encoded()
        XCTAssertEqual(full[4], 0x21)
        XCTAssertEqual(full[16], 0x03)
        XCTAssertEqual(Array(full[17..<25]), [7, 4, 0, 4, 0x41, 0, 0, 0])
        let h = try CodedLatentFile.inspect(full)
        XCTAssertEqual(h.headerLength, 25)
        XCTAssertEqual(h.alphaOffset, 27)  // two varint bytes of alpha length
        XCTAssertEqual(Int(full[25] & 0x7F) | Int(full[26]) << 7, h.alphaLength)
        XCTAssertEqual(h.streamOffset, 27 + h.alphaLength)
    }

    func testWriteAndReadThroughFiles() throws {
        let folder = try TestFiles.temporaryFolder(self)
        let path = folder + "/a.ael", made = Self.file(alpha: true)
        try made.write(to: path)
        XCTAssertEqual(try CodedLatentFile.read(path: path), made)
        XCTAssertEqual(try LatentFiles.read(path: path), .coded(made))
        XCTAssertThrowsError(try made.write(to: path)) { XCTAssertEqual($0 as? LatentFileError, .alreadyExists(path: path)) }
        try Self.file(stream: [1, 2, 3, 4, 5]).write(to: path, force: true)
        XCTAssertEqual(try CodedLatentFile.read(path: path).stream, [1, 2, 3, 4, 5])
        XCTAssertThrowsError(try Self.file(stream: [1]).write(to: folder + "/b.ael")) { error in
            guard case .invalidRequest(folder + "/b.ael", _)? = error as? LatentFileError else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/b.ael"))
    }

    func testWriterRefusesWhatTheFormatCannotHold() {
        let bad = [Self.file(stream: [0, 0x80, 0]), Self.file(width: 0), Self.file(width: 16_385),
                   Self.file(width: 16_384, height: 16_384), Self.file(colorType: .rgb, bitDepth: 4),
                   // Metadata over the block's limit, a record invalid for its kind, a second profile.
                   Self.file(metadata: [Self.largest, Self.comment]),
                   Self.file(metadata: [MetadataRecord(kind: .icc, bytes: Array(repeating: 1, count: 200))]),
                   Self.file(metadata: [Self.largest, MetadataRecord(kind: .xmp, bytes: [1])]),
                   CodedLatentFile(modelFingerprint: [1, 2, 3], width: 8, height: 8, colorType: .gray, bitDepth: 8,
                                   stream: [0, 0x80, 0, 0]),
                   CodedLatentFile(modelFingerprint: Self.fingerprint, width: 8, height: 8, colorType: .gray, bitDepth: 8,
                                   stream: [0, 0x80, 0, 0], alpha: [1, 2, 3])]
        for file in bad {
            XCTAssertThrowsError(try file.encoded(), "\(file.width)x\(file.height) \(file.stream.count)") { error in
                guard case .invalidRequest? = error as? LatentFileError else { return XCTFail("\(error)") }
            }
        }
    }

    // MARK: Versions

    func testVersionDispatch() throws {
        // 1.x files still read, through the dispatch and through LatentFile.
        for name in ["golden-v1", "golden-v1-alpha"] {
            let path = GoldenLatentFileTests.folder.appendingPathComponent(name + ".ael").path
            XCTAssertEqual(try LatentFiles.read(path: path), .tiles(try LatentFile.read(path: path)), name)
        }
        let v2 = try Self.file().encoded()
        let v1 = try LatentFile(modelFingerprint: Self.fingerprint, width: 32, height: 32, colorType: .rgb, bitDepth: 8,
                                latentDim: 2, latents: [0.5, -1]).encoded()
        // Each type names the version it cannot hold.
        XCTAssertThrowsError(try LatentFile.decode(v2, path: "x.ael")) { error in
            XCTAssertEqual(error as? LatentFileError, .unsupportedVersion(path: "x.ael", major: 2, minor: 0, supportedMajors: [1]))
        }
        XCTAssertThrowsError(try CodedLatentFile.decode(v1, path: "x.ael")) { error in
            XCTAssertEqual(error as? LatentFileError, .unsupportedVersion(path: "x.ael", major: 1, minor: 0, supportedMajors: [2]))
        }
        // Version 3.0 (0x30) is refused naming it, before the checksum, by every reader.
        for versionByte: UInt8 in [0x30, 0x3F, 0x00, 0xF0] {
            var bytes = v2
            bytes[4] = versionByte
            let major = Int(versionByte >> 4), minor = Int(versionByte & 0x0F)
            assertRefused(bytes) {
                XCTAssertEqual($0, .unsupportedVersion(path: "x.ael", major: major, minor: minor, supportedMajors: [1, 2]))
            }
            XCTAssertThrowsError(try LatentFile.decode(bytes, path: "x.ael")) { error in
                XCTAssertEqual((error as? LatentFileError)?.reason,
                               "unsupported latent file format version \(major).\(minor) (this reader understands major versions 1 and 2)")
            }
        }
    }

    func testLaterMinorVersionsWithAnExtensionBlockRead() throws {
        // A 2.3 file (as a later writer might make it) reads as 2.1: its metadata records are
        // read, and records of a kind this reader does not know (9 here) are checked and skipped.
        let made = Self.file(alpha: true, metadata: [Self.comment])
        var bytes = try made.encoded()
        bytes[4] = 0x23
        bytes = Self.resealed(bytes)
        XCTAssertEqual(try CodedLatentFile.decode(bytes), made)
        XCTAssertEqual(try CodedLatentFile.inspect(bytes).minorVersion, 3)
        let plain = Array(try Self.file().encoded().dropLast(4))
        let head = Array(plain[0..<4]) + [0x23] + Array(plain[5..<16])
        let later = Self.assemble(head, [0x02, 13, 9, 0, 3, 1, 2, 3], [4, 0, 4, 0x41, 0, 0, 0], Array(plain[17...]))
        XCTAssertEqual(try CodedLatentFile.decode(later), Self.file(metadata: [Self.comment]))
        XCTAssertEqual(try CodedLatentFile.inspect(later).metadata.map(\.code), [9, 4])
        // A zero-length block is accepted, and in a 2.0 file (whose block has no defined
        // contents) the block is skipped, whatever it holds.
        XCTAssertEqual(try CodedLatentFile.decode(Self.assemble(head, [0x02, 0x00], Array(plain[17...]))), Self.file())
        let old = Self.assemble(Array(plain[0..<16]), [0x02, 0x03, 0xAA, 0xBB, 0xCC], Array(plain[17...]))
        XCTAssertEqual(try CodedLatentFile.decode(old), Self.file())
        XCTAssertEqual(try CodedLatentFile.inspect(old).metadata, [])
    }

    // MARK: Damage

    func testEveryTruncationIsRefused() throws {
        for made in [Self.file(), Self.file(alpha: true, metadata: [Self.comment]), Self.file(stream: Array(0..<40))] {
            let bytes = try made.encoded()
            for length in 0..<bytes.count {
                assertRefused(Array(bytes[0..<length]))
            }
        }
        // A prefix of the magic is a truncation (of the smallest latent file of any version, a
        // 1.x one); a 2.x file shorter than its minimum is named as truncated.
        assertRefused([0x89, 0x41]) { XCTAssertEqual($0, .truncated(path: "x.ael", expected: 22, found: 2)) }
        assertRefused(Array(try Self.file().encoded().prefix(24))) {
            XCTAssertEqual($0, .truncated(path: "x.ael", expected: 25, found: 24))
        }
    }

    func testEverySingleByteFlipIsRefused() throws {
        for made in [Self.file(), Self.file(alpha: true, metadata: [Self.comment]), Self.file(stream: Array(0..<40))] {
            let bytes = try made.encoded()
            for position in 0..<bytes.count {
                for flip: UInt8 in [0x01, 0x10, 0x80, 0xFF] {
                    var damaged = bytes
                    damaged[position] ^= flip
                    assertRefused(damaged)
                }
            }
        }
        // Inside the body the CRC is what catches it.
        var bytes = try Self.file(stream: Array(0..<40)).encoded()
        bytes[30] ^= 0x01
        assertRefused(bytes) { guard case .checksumMismatch = $0 else { return XCTFail("\($0)") } }
    }

    func testReservedFlagBitsAreRefused() throws {
        let bytes = try Self.file().encoded()
        for bit in 2..<8 {
            var damaged = bytes
            damaged[16] |= 1 << bit
            assertMalformed(Self.resealed(damaged), "reserved bits")
        }
    }

    func testExtensionBlockLimits() throws {
        let head = Array(try Self.file().encoded()[0..<16])
        let stream: [UInt8] = [0x00, 0x80, 0x00, 0x00]
        // 65,537 bytes: over the limit, refused at its length before anything else.
        var varint: [UInt8] = []
        LatentFileCodec.appendVarint(LatentFile.Limits.extensionBytes + 1, to: &varint)
        let over = Self.assemble(head, [0x02], varint, Array(repeating: 0, count: LatentFile.Limits.extensionBytes + 1), stream)
        assertRefused(over) {
            XCTAssertEqual($0, .limitExceeded(path: "x.ael", what: "header extension", value: 65_537, limit: 65_536))
        }
        // A block longer than the file, one that eats the stream, a non-minimal length.
        assertMalformed(Self.assemble(head, [0x02, 0x7F], stream), "extension runs past the end")
        assertMalformed(Self.assemble(head, [0x02, 0x04], stream), "stream is 0 bytes")
        assertMalformed(Self.assemble(head, [0x02, 0x81, 0x00], [1], stream), "not minimally encoded")
    }

    func testAlphaSectionIsChecked() throws {
        let made = Self.file(alpha: true)
        let bytes = try made.encoded()
        let h = try CodedLatentFile.inspect(bytes)
        let head = Array(bytes[0..<17]), plane = Array(bytes[h.alphaOffset ..< h.alphaOffset + h.alphaLength])
        let stream = made.stream
        func withLength(_ length: Int, _ body: [UInt8]) -> [UInt8] {
            var varint: [UInt8] = []
            LatentFileCodec.appendVarint(length, to: &varint)
            return Self.assemble(head, varint, body)
        }
        XCTAssertEqual(try CodedLatentFile.decode(withLength(plane.count, plane + stream)), made)
        // Too long: runs into the stream (the zlib stream has trailing bytes, or the stream is short).
        assertRefused(withLength(plane.count + 1, plane + stream))
        assertMalformed(withLength(plane.count + 2, plane + stream), "stream is 2 bytes")
        assertMalformed(withLength(plane.count + 100, plane + stream), "do not fit")
        // Too short: the zlib stream ends early.
        assertMalformed(withLength(plane.count - 1, plane + stream), "alpha plane")
        // Under 8 bytes, or too few to inflate to width x height.
        assertMalformed(withLength(7, Array(plane.prefix(7)) + stream), "cannot hold a 32x32 alpha plane")
        let big = Self.file(width: 16_384, height: 8_192, alpha: false)
        let bigHead = Array(try big.encoded()[0..<20])
        XCTAssertEqual(bigHead[18], 0x23)  // width took 3 bytes, height 2
        var flagged = bigHead
        flagged[19] = 0x01
        assertMalformed(Self.assemble(flagged, [8], Array(repeating: 0, count: 8), stream), "cannot hold a 16384x8192 alpha plane")
        // A plane of the wrong size inflates to too few, or would inflate to too many, bytes.
        let wrongSize = Zlib.compress(Array(repeating: 1, count: 32 * 32 - 1), level: 9)
        assertMalformed(withLength(wrongSize.count, wrongSize + stream), "alpha plane")
        let tooBig = Zlib.compress(Array(repeating: 1, count: 32 * 32 + 1), level: 9)
        assertMalformed(withLength(tooBig.count, tooBig + stream), "alpha plane")
    }

    func testHeaderFieldsAndLimits() throws {
        let fingerprint = [0x89, 0x41, 0x45, 0x4C, 0x20] + Self.fingerprint
        let stream: [UInt8] = [0x00, 0x80, 0x00, 0x00]
        assertRefused(Self.assemble(fingerprint, [0x81, 0x80, 0x01, 0x20, 0x23, 0x00], stream)) {
            XCTAssertEqual($0, .limitExceeded(path: "x.ael", what: "width", value: 16_385, limit: 16_384))
        }
        assertRefused(Self.assemble(fingerprint, [0x80, 0x80, 0x01, 0x80, 0x80, 0x01, 0x23, 0x00], stream)) {
            XCTAssertEqual($0, .limitExceeded(path: "x.ael", what: "pixel count (16384x16384)", value: 1 << 28, limit: 1 << 27))
        }
        assertMalformed(Self.assemble(fingerprint, [0x00, 0x20, 0x23, 0x00], stream), "is empty")
        assertMalformed(Self.assemble(fingerprint, [0xA0, 0x00, 0x20, 0x23, 0x00], stream), "width at byte 13 is not minimally encoded")
        assertMalformed(Self.assemble(fingerprint, [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], stream), "longer than 5 bytes")
        assertMalformed(Self.assemble(fingerprint, [0x20, 0x20, 0x13, 0x00], stream), "unknown PNG colour type 1")
        assertMalformed(Self.assemble(fingerprint, [0x20, 0x20, 0x22, 0x00], stream), "bit depth code 2")
        // The stream must hold at least the coder's 4-byte final state.
        // The stream must hold at least the coder's 4-byte final state (here after a 1-byte extension).
        assertMalformed(Self.assemble(fingerprint, [0x20, 0x20, 0x23, 0x02, 0x01, 0xAA], [0, 0x80, 0]), "stream is 3 bytes")
    }
}
