@testable import AEFormats
import AEBase
import AETestSupport
import Foundation
import XCTest

/// Reading metadata from PNG, JPEG and WebP inputs (`ImageMetadata`), putting it back into
/// PNGs (`PNGMetadataWriter`), and what is noted as not carried or damaged.
final class ImageMetadataTests: XCTestCase {
    static let profile = TestMetadata.iccProfile(size: 3_000)
    static let exif = TestMetadata.exif(orientation: 6)

    /// The sample PNG with every kind of metadata chunk, and two chunks latent files do not carry.
    static func richPNG() throws -> [UInt8] {
        TestMetadata.png(try TestFixtures.bytes("samples/house-number.png"), inserting: [
            TestMetadata.iccpChunk(profile),
            TestMetadata.pngChunk("eXIf", exif),
            TestMetadata.itxtChunk("XML:com.adobe.xmp", TestMetadata.xmp),
            TestMetadata.pngChunk("tEXt", Array("Title".utf8) + [0] + [0x43, 0x61, 0x66, 0xE9]),  // "Café" in Latin-1
            TestMetadata.pngChunk("zTXt", Array("Author".utf8) + [0, 0] + TestZlib.compress(Array("Ann".utf8))),
            TestMetadata.itxtChunk("Title", Array("Maison".utf8), language: "fr", translated: "Titre"),
            TestMetadata.pngChunk("pHYs", [0, 0, 11, 19, 0, 0, 11, 19, 1]),
            TestMetadata.pngChunk("tIME", [7, 232, 1, 2, 3, 4, 5]),
        ])
    }

    static let richRecords: [MetadataRecord] = [
        MetadataRecord(kind: .icc, bytes: profile), MetadataRecord(kind: .exif, bytes: exif),
        MetadataRecord(kind: .xmp, bytes: TestMetadata.xmp),
        MetadataRecord(text: TextEntry(keyword: "Title", text: "Café")!),
        MetadataRecord(text: TextEntry(keyword: "Author", text: "Ann")!),
        MetadataRecord(text: TextEntry(keyword: "Title", languageTag: "fr", translatedKeyword: "Titre", text: "Maison")!),
    ]

    func testPNGMetadataIsReadAndWrittenBack() throws {
        let png = try Self.richPNG()
        let found = ImageMetadata.read(png)
        XCTAssertEqual(found.records, Self.richRecords)
        XCTAssertEqual(found.notCarried, ["PNG pHYs chunk", "PNG tIME chunk"])
        XCTAssertEqual(found.damaged, [])
        // Back into a PNG as libpng's writer makes it: after IHDR, the sRGB chunk replaced by the profile.
        let image = try PNGImage.decode(png)
        let plain = try image.encoded()
        XCTAssertTrue(TestMetadata.pngChunks(plain).contains { $0.type == "sRGB" })
        let written = try PNGMetadataWriter.inserting(found.records, into: plain)
        let chunks = TestMetadata.pngChunks(written)
        XCTAssertEqual(chunks.map(\.type).prefix(7), ["IHDR", "iCCP", "eXIf", "iTXt", "tEXt", "tEXt", "iTXt"])
        XCTAssertFalse(chunks.contains { $0.type == "sRGB" })
        XCTAssertEqual(chunks.last?.type, "IEND")
        // Payloads as the input had them (the profile is recompressed, under its own name).
        let input = TestMetadata.pngChunks(png)
        for type in ["eXIf", "tEXt"] {
            XCTAssertEqual(chunks.first { $0.type == type }?.data, input.first { $0.type == type }?.data, type)
        }
        XCTAssertEqual(chunks[3].data, input.first { $0.type == "iTXt" }?.data, "the XMP chunk")
        XCTAssertEqual(ImageMetadata.read(written).records, Self.richRecords)
        XCTAssertEqual(try PNGImage.decode(written), image, "the pixels are the same")
        // Nothing to add: the bytes are unchanged.
        XCTAssertEqual(try PNGMetadataWriter.inserting([], into: plain), plain)
        XCTAssertThrowsError(try PNGMetadataWriter.inserting(Self.richRecords, into: Array(plain.dropLast(12))))
    }

    func testJPEGMetadataIsRead() throws {
        let base = try TestFixtures.bytes("images/house-number.jpg")
        let parts = TestMetadata.iccSegments(Self.profile, parts: 3)
        let jpeg = TestMetadata.jpeg(base, inserting: [
            TestMetadata.exifSegment(Self.exif), parts[1], parts[0],
            TestMetadata.jpegSegment(0xE1, Array("http://ns.adobe.com/xap/1.0/".utf8) + [0] + TestMetadata.xmp),
            TestMetadata.jpegSegment(0xED, Array("Photoshop 3.0".utf8) + [0, 1, 2]), parts[2],
            TestMetadata.jpegSegment(0xFE, Array("made by hand".utf8)),
        ])
        let found = ImageMetadata.read(jpeg)
        XCTAssertEqual(found.records, [MetadataRecord(kind: .icc, bytes: Self.profile), MetadataRecord(kind: .exif, bytes: Self.exif),
                                       MetadataRecord(kind: .xmp, bytes: TestMetadata.xmp),
                                       MetadataRecord(text: TextEntry(keyword: "Comment", text: "made by hand")!)])
        XCTAssertEqual(found.notCarried, ["JPEG APP13 segment ('Photoshop 3.0')"])
        XCTAssertEqual(found.damaged, [])
        XCTAssertEqual(try ImageFile.decode(jpeg), try ImageFile.decode(base), "libjpeg reads it as before")
        XCTAssertEqual(ImageMetadata.read(base), ImageMetadata(), "JFIF alone is no metadata")
    }

    func testWebPMetadataIsRead() throws {
        let base = try TestFixtures.bytes("images/house-number.webp")
        let webp = TestMetadata.webp(base, width: 96, height: 64, icc: Self.profile,
                                     exif: Array("Exif".utf8) + [0, 0] + Self.exif, xmp: TestMetadata.xmp)
        let found = ImageMetadata.read(webp)
        XCTAssertEqual(found.records, [MetadataRecord(kind: .icc, bytes: Self.profile), MetadataRecord(kind: .exif, bytes: Self.exif),
                                       MetadataRecord(kind: .xmp, bytes: TestMetadata.xmp)])
        XCTAssertEqual(found.damaged, [])
        XCTAssertEqual(try ImageFile.decode(webp), try ImageFile.decode(base), "libwebp reads it as before")
        // An unknown chunk is named; an odd-length chunk is padded.
        var withOther = TestMetadata.webp(base, width: 96, height: 64, exif: Self.exif + [0])
        withOther += TestMetadata.riffChunk("ABCD", [1, 2, 3])
        let size = withOther.count - 8
        for k in 0..<4 { withOther[4 + k] = UInt8(truncatingIfNeeded: size >> (8 * k)) }
        XCTAssertEqual(ImageMetadata.read(withOther).notCarried, ["WebP ABCD chunk"])
        XCTAssertEqual(ImageMetadata.read(withOther).records.map(\.bytes), [Self.exif + [0]])
    }

    func testDamagedMetadataIsLeftOutWithItsReason() throws {
        let base = try TestFixtures.bytes("samples/house-number.png")
        var badCRC = TestMetadata.iccpChunk(Self.profile)
        badCRC[badCRC.count - 1] ^= 1
        // A zTXt "bomb": 20 MiB of one letter in about 20 KB, over the 16 MiB an image's metadata may inflate to.
        let bomb = TestMetadata.pngChunk("zTXt", Array("Bomb".utf8) + [0, 0] + Zlib.compress(Array(repeating: 0x41, count: 20 << 20), level: 9))
        let png = TestMetadata.png(base, inserting: [
            badCRC,
            TestMetadata.pngChunk("iCCP", Array("p".utf8) + [0, 0, 1, 2, 3]),
            TestMetadata.pngChunk("eXIf", [1, 2, 3, 4, 5, 6, 7, 8]),
            TestMetadata.iccpChunk(Self.profile), TestMetadata.iccpChunk(TestMetadata.iccProfile(size: 200)),
            TestMetadata.pngChunk("tEXt", [0, 0x41]),
            TestMetadata.itxtChunk("Note", [0xFF, 0xFE]),
            bomb,
        ])
        let found = ImageMetadata.read(png)
        XCTAssertEqual(found.records, [MetadataRecord(kind: .icc, bytes: Self.profile)])
        XCTAssertEqual(found.damaged.count, 7, "\(found.damaged)")
        for (k, words) in ["PNG iCCP chunk: CRC error", "PNG iCCP chunk: zlib stream", "PNG eXIf chunk: Exif data do not start with a TIFF header",
                           "PNG iCCP chunk: a second icc record; the first is kept", "PNG tEXt chunk: no keyword",
                           "PNG iTXt chunk: text that is not UTF-8", "PNG zTXt chunk: inflates to more than"].enumerated() {
            XCTAssertTrue(found.damaged[k].hasPrefix(words), "\(found.damaged[k]) does not start with \(words)")
        }
        XCTAssertNoThrow(try PNGImage.decode(png), "libpng skips them too")

        // JPEG: a profile with a segment missing, or segments that disagree.
        let jpeg = try TestFixtures.bytes("images/house-number.jpg")
        let parts = TestMetadata.iccSegments(Self.profile, parts: 3)
        XCTAssertEqual(ImageMetadata.read(TestMetadata.jpeg(jpeg, inserting: [parts[0], parts[2]])).damaged,
                       ["JPEG ICC profile (APP2 segments): segment 2 of 3 missing"])
        let other = TestMetadata.iccSegments(Self.profile, parts: 2)
        XCTAssertEqual(ImageMetadata.read(TestMetadata.jpeg(jpeg, inserting: [parts[0], other[1]])).damaged,
                       ["JPEG ICC profile (APP2 segments): the segments disagree on their number"])
        // WebP: a metadata chunk that runs past the end of the file.
        let webp = TestMetadata.webp(try TestFixtures.bytes("images/house-number.webp"), width: 96, height: 64, exif: Self.exif)
        XCTAssertEqual(ImageMetadata.read(Array(webp.dropLast(3))).damaged, ["WebP EXIF chunk: its 26 bytes run past the end of the file"])
    }

    func testEveryTruncationReadsWithoutFailing() throws {
        // Whatever the cut, reading returns (what it found before the cut), never traps.
        let inputs = [try Self.richPNG(),
                      TestMetadata.jpeg(try TestFixtures.bytes("images/house-number.jpg"),
                                        inserting: TestMetadata.iccSegments(Self.profile, parts: 2) + [TestMetadata.exifSegment(Self.exif)]),
                      TestMetadata.webp(try TestFixtures.bytes("images/house-number.webp"), width: 96, height: 64,
                                        icc: Self.profile, exif: Self.exif, xmp: TestMetadata.xmp)]
        for input in inputs {
            let full = ImageMetadata.read(input).records
            XCTAssertFalse(full.isEmpty)
            for length in stride(from: 0, to: input.count, by: input.count > 4_000 ? 3 : 1) {
                let records = ImageMetadata.read(Array(input[0..<length])).records
                XCTAssertTrue(records.allSatisfy(full.contains), "cut at \(length)")
            }
        }
    }

    func testTextEntries() throws {
        let entry = try XCTUnwrap(TextEntry(keyword: "Café", languageTag: "fr-CA", translatedKeyword: "Café", text: "Über\nzwei Zeilen"))
        XCTAssertEqual(entry.body.prefix(5), [0x43, 0x61, 0x66, 0xE9, 0], "the keyword is Latin-1")
        XCTAssertEqual(TextEntry(body: entry.body), entry)
        XCTAssertNil(MetadataRecord(text: entry).problem)
        for bad in [TextEntry(keyword: "", text: "x"), TextEntry(keyword: String(repeating: "k", count: 80), text: "x"),
                    TextEntry(keyword: "K\u{0}", text: "x"), TextEntry(keyword: "Snow ☃", text: "x"),
                    TextEntry(keyword: "K", languageTag: "é", text: "x"), TextEntry(keyword: "K", text: "a\u{0}b")] {
            XCTAssertNil(bad)
        }
        XCTAssertNil(TextEntry(body: Array("K".utf8) + [0, 0, 0xFF]), "three NULs are needed")
        XCTAssertNil(TextEntry(body: Array("K".utf8) + [0, 0, 0, 0xFF]), "the text must be UTF-8")
        // Written back as tEXt when it can be, else iTXt.
        let latin = MetadataRecord(text: TextEntry(keyword: "K", text: "Café")!)
        XCTAssertEqual(Array(PNGMetadataWriter.chunk(for: latin)[4..<8]), Array("tEXt".utf8))
        let snowman = MetadataRecord(text: TextEntry(keyword: "K", text: "☃")!)
        XCTAssertEqual(Array(PNGMetadataWriter.chunk(for: snowman)[4..<8]), Array("iTXt".utf8))
    }

    func testFittingLeavesOutWhatDoesNotFitInOneBlock() throws {
        // An incompressible 70,000-byte profile does not fit; the records after it still do.
        let noise = (0..<70_000).map { UInt8(truncatingIfNeeded: SplitMix64.mix(UInt64($0))) }
        var big = TestMetadata.iccProfile(size: 70_000)
        big.replaceSubrange(128..., with: noise[128...])
        let records = [MetadataRecord(kind: .icc, bytes: big), MetadataRecord(kind: .exif, bytes: Self.exif),
                       MetadataRecord(text: TextEntry(keyword: "K", text: "v")!)]
        let (kept, leftOut) = MetadataBlock.fitting(records)
        XCTAssertEqual(kept, Array(records[1...]))
        XCTAssertEqual(leftOut, [records[0]])
        XCTAssertNoThrow(try MetadataBlock.encode(kept))
        XCTAssertThrowsError(try MetadataBlock.encode(records))
        // A compressible profile of the same size fits (zlib-compressed in the file).
        XCTAssertEqual(MetadataBlock.fitting([MetadataRecord(kind: .icc, bytes: TestMetadata.iccProfile(size: 70_000))]).leftOut, [])
    }

    func testBlockLimitsAreCheckedBeforeInflating() throws {
        func block(_ records: [[UInt8]]) -> ArraySlice<UInt8> { ArraySlice(records.flatMap { $0 }) }
        func varint(_ v: Int) -> [UInt8] { var out: [UInt8] = []; LatentFileCodec.appendVarint(v, to: &out); return out }
        let stream = Zlib.compress(Array(repeating: 0, count: 4 << 20), level: 9)
        // A declared size past deflate's ratio; then records that together declare more than 16 MiB.
        let lie = [1, 1] + varint(100) + varint(1 << 30) + Array(repeating: 0, count: 100)
        XCTAssertThrowsError(try MetadataBlock.decode(block([lie]), path: "x")) {
            XCTAssertTrue("\($0)".contains("100 compressed bytes for 1073741824 bytes of content"), "\($0)")
        }
        let text = [4, 1] + varint(stream.count) + varint(4 << 20) + stream
        XCTAssertThrowsError(try MetadataBlock.decode(block(Array(repeating: text, count: 5)), path: "x")) {
            XCTAssertEqual($0 as? LatentFileError, .limitExceeded(path: "x", what: "metadata (inflated bytes)",
                                                                 value: 5 << 22, limit: 1 << 24))
        }
        // A stream that inflates past what its record declares stops there.
        let bomb = [3, 1] + varint(stream.count) + varint(1 << 20) + stream
        XCTAssertThrowsError(try MetadataBlock.decode(block([bomb]), path: "x")) {
            XCTAssertTrue("\($0)".contains("more than the allowed 1048576 bytes"), "\($0)")
        }
    }
}
