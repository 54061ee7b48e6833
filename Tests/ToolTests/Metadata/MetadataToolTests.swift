import AEFormats
import AETestSupport
import Foundation
import XCTest

/// Issue 16, "Metadata is never lost without a word": aeenc carries the colour profile,
/// Exif, XMP and text of PNG, JPEG and WebP inputs into the latent file (`--metadata`,
/// default icc), says what it leaves out, and aedec puts them back into its PNG.
final class MetadataToolTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try TestFiles.temporaryFolder(self)
    }

    private func run(_ tool: String, _ arguments: [String], file: StaticString = #filePath,
                     line: UInt = #line) throws -> ToolProcess.Result {
        try ToolProcess.run(tool, arguments, in: dir, file: file, line: line)
    }

    /// Runs the tool and asserts exit status 0; returns standard error.
    @discardableResult
    private func succeed(_ tool: String, _ arguments: [String], file: StaticString = #filePath,
                         line: UInt = #line) throws -> String {
        let r = try run(tool, arguments, file: file, line: line)
        XCTAssertEqual(r.status, 0, "\(tool) \(arguments): \(r.stderr)", file: file, line: line)
        return r.stderr
    }

    private func chunks(_ name: String) throws -> [(type: String, data: [UInt8])] {
        TestMetadata.pngChunks(try TestFiles.bytes(dir + "/" + name))
    }

    static let profile = TestMetadata.iccProfile(size: 3_000)
    static let exif = TestMetadata.exif(orientation: 6)
    static let title = TestMetadata.pngChunk("tEXt", Array("Title".utf8) + [0] + [0x43, 0x61, 0x66, 0xE9])

    /// The sample PNG with a profile, Exif, XMP, two text chunks, and pHYs and tIME.
    private func writeRichPNG(_ name: String) throws {
        try TestFiles.write(TestMetadata.png(try TestFixtures.bytes("samples/house-number.png"), inserting: [
            TestMetadata.iccpChunk(Self.profile), TestMetadata.pngChunk("eXIf", Self.exif),
            TestMetadata.itxtChunk("XML:com.adobe.xmp", TestMetadata.xmp), Self.title,
            TestMetadata.itxtChunk("Description", Array("Zwei Häuser".utf8), language: "de"),
            TestMetadata.pngChunk("pHYs", [0, 0, 11, 19, 0, 0, 11, 19, 1]),
            TestMetadata.pngChunk("tIME", [7, 232, 1, 2, 3, 4, 5]),
        ]), to: dir + "/" + name)
    }

    /// The profile of the PNG's iCCP chunk, inflated.
    private func profile(in chunks: [(type: String, data: [UInt8])]) throws -> [UInt8]? {
        guard let iccp = chunks.first(where: { $0.type == "iCCP" })?.data,
              let nul = iccp.firstIndex(of: 0) else { return nil }
        return try Zlib.decompress(Array(iccp[(nul + 2)...]), maxSize: 1 << 20)
    }

    func testPNGMetadataRoundTripsWithAll() throws {
        try writeRichPNG("rich.png")
        // Per-tile latents (1.1), and entropy-coded ones (2.1, a model with entropy tables).
        for (options, version) in [(["--model", "svhn-64"], "1.1"), (["--model", "svhn-64-rd"], "2.1")] {
            let stderr = try succeed("aeenc", ["rich.png", "-o", "all.ael", "--force", "--metadata", "all"] + options)
            XCTAssertEqual(stderr, "aeenc: rich.png: note: metadata that latent files do not carry, left out: PNG pHYs chunk, PNG tIME chunk\n")
            let text = try run("aeinfo", ["all.ael"]).stdoutText
            for words in ["version \(version)", "metadata: icc 3,000 bytes (zlib-compressed to ", ", exif 26 bytes, ",
                          ", xmp \(TestMetadata.xmp.count) bytes", ", text 'Title' 13 bytes, text 'Description' "] {
                XCTAssertTrue(text.contains(words), "no '\(words)' in \(text)")
            }
            if version == "2.1" {
                // aeinfo --json prints one array, an element per file.
                let array = try XCTUnwrap(JSONSerialization.jsonObject(with: try run("aeinfo", ["all.ael", "--json"]).stdout) as? [[String: Any]])
                let json = try XCTUnwrap(array.first)
                XCTAssertEqual((json["metadata"] as? [[String: Any]])?.map { $0["kind"] as? String }, ["icc", "exif", "xmp", "text", "text"])
            }

            try succeed("aedec", ["all.ael", "-o", "all.png", "--force"])
            let input = TestMetadata.pngChunks(try TestFiles.bytes(dir + "/rich.png"))
            let output = try chunks("all.png")
            XCTAssertEqual(output.map(\.type).prefix(7), ["IHDR", "iCCP", "eXIf", "iTXt", "tEXt", "iTXt", "IDAT"])
            XCTAssertFalse(output.contains { $0.type == "sRGB" }, "the profile replaces the sRGB chunk")
            XCTAssertEqual(try profile(in: output), Self.profile)
            // eXIf, the XMP iTXt and the text chunks: byte-identical payloads.
            for k in 2...5 { XCTAssertEqual(output[k].data, input[k].data, output[k].type) }
        }
    }

    func testDefaultKeepsTheProfileAndNamesWhatItLeavesOut() throws {
        try writeRichPNG("rich.png")
        let stderr = try succeed("aeenc", ["--model", "svhn-64", "rich.png"])
        XCTAssertEqual(stderr, """
            aeenc: rich.png: note: --metadata icc (the default) left out metadata: exif, xmp, 2 text entries; --metadata all keeps it
            aeenc: rich.png: note: metadata that latent files do not carry, left out: PNG pHYs chunk, PNG tIME chunk

            """)
        try succeed("aedec", ["rich.ael", "-o", "out.png"])
        let output = try chunks("out.png")
        XCTAssertEqual(try profile(in: output), Self.profile)
        XCTAssertEqual(output.map(\.type).filter { !["IDAT"].contains($0) }, ["IHDR", "iCCP", "IEND"])

        // Several files: one note for the run, counting files.
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try writeRichPNG("in/a.png")
        try writeRichPNG("in/b.png")
        try TestFiles.write(try TestFixtures.bytes("samples/house-number.png"), to: dir + "/in/plain.png")
        XCTAssertEqual(try succeed("aeenc", ["--model", "svhn-64", "in", "-o", "out", "--metadata", "icc,text"]), """
            aeenc: note: --metadata icc,text left out metadata: exif (2 files), xmp (2 files); --metadata all keeps it
            aeenc: note: metadata that latent files do not carry, left out: PNG pHYs chunk (2 files), PNG tIME chunk (2 files)

            """)
        // An input without metadata gets a 1.0 file, as before.
        XCTAssertEqual(try LatentFile.inspect(try TestFiles.bytes(dir + "/out/plain.ael")).minorVersion, 0)
        XCTAssertEqual(try LatentFile.inspect(try TestFiles.bytes(dir + "/out/a.ael")).minorVersion, 1)
    }

    func testNoneKeepsNothing() throws {
        try writeRichPNG("rich.png")
        XCTAssertEqual(try succeed("aeenc", ["rich.png", "-o", "none.ael", "--metadata", "none"]),
                       "aeenc: rich.png: note: --metadata none left out metadata: icc, exif, xmp, 2 text entries; --metadata all keeps it\n")
        // The same bytes as the image without any metadata.
        try TestFiles.write(try TestFixtures.bytes("samples/house-number.png"), to: dir + "/plain.png")
        try succeed("aeenc", ["plain.png", "-o", "plain.ael"])
        XCTAssertEqual(try TestFiles.bytes(dir + "/none.ael"), try TestFiles.bytes(dir + "/plain.ael"))
        try succeed("aedec", ["none.ael", "-o", "none.png"])
        XCTAssertEqual(try chunks("none.png").map(\.type).filter { $0 != "IDAT" }, ["IHDR", "sRGB", "IEND"])
        // aedec's pixels do not depend on the metadata.
        try succeed("aeenc", ["rich.png", "-o", "all.ael", "--metadata", "all"])
        try succeed("aedec", ["all.ael", "-o", "all.png"])
        XCTAssertEqual(try PNGImage.read(path: dir + "/all.png"), try PNGImage.read(path: dir + "/none.png"))
    }

    func testJPEGWithASplitProfileAndExif() throws {
        let parts = TestMetadata.iccSegments(Self.profile, parts: 2)
        let jpeg = TestMetadata.jpeg(try TestFixtures.bytes("images/house-number.jpg"),
                                     inserting: [TestMetadata.exifSegment(Self.exif)] + parts)
        try TestFiles.write(jpeg, to: dir + "/photo.jpg")
        XCTAssertEqual(try succeed("aeenc", ["--model", "svhn-64", "photo.jpg", "--metadata", "icc,exif"]), "")
        try succeed("aedec", ["photo.ael", "-o", "photo.png"])
        let output = try chunks("photo.png")
        XCTAssertEqual(try profile(in: output), Self.profile)
        XCTAssertEqual(output.first { $0.type == "eXIf" }?.data, Self.exif)
        // Damaged: the second segment of the profile missing. Left out with a note; the image is encoded.
        try TestFiles.write(TestMetadata.jpeg(try TestFixtures.bytes("images/house-number.jpg"), inserting: [parts[0]]),
                            to: dir + "/half.jpg")
        XCTAssertEqual(try succeed("aeenc", ["--model", "svhn-64", "half.jpg"]),
                       "aeenc: half.jpg: note: damaged metadata left out: JPEG ICC profile (APP2 segments): segment 2 of 2 missing\n")
        XCTAssertEqual(try LatentFile.read(path: dir + "/half.ael").metadata, [])
    }

    func testWebPWithProfileAndExif() throws {
        let webp = TestMetadata.webp(try TestFixtures.bytes("images/house-number.webp"), width: 96, height: 64,
                                     icc: Self.profile, exif: Self.exif)
        try TestFiles.write(webp, to: dir + "/photo.webp")
        XCTAssertEqual(try succeed("aeenc", ["photo.webp", "--metadata", "all"]), "")
        try succeed("aedec", ["photo.ael", "-o", "photo.png"])
        let output = try chunks("photo.png")
        XCTAssertEqual(try profile(in: output), Self.profile)
        XCTAssertEqual(output.first { $0.type == "eXIf" }?.data, Self.exif)
    }

    func testDamagedPNGMetadataAndSizeTargets() throws {
        var badExif = TestMetadata.pngChunk("eXIf", Self.exif)
        badExif[badExif.count - 1] ^= 0xFF
        try TestFiles.write(TestMetadata.png(try TestFixtures.bytes("samples/house-number.png"),
                                             inserting: [TestMetadata.iccpChunk(Self.profile), badExif]), to: dir + "/bad.png")
        XCTAssertEqual(try succeed("aeenc", ["--model", "svhn-64", "bad.png", "--metadata", "all"]),
                       "aeenc: bad.png: note: damaged metadata left out: PNG eXIf chunk: CRC error\n")
        XCTAssertEqual(try LatentFile.read(path: dir + "/bad.ael").metadata.map(\.kind), [.icc])
        // A size target counts the metadata: it is part of the file.
        try succeed("aeenc", ["bad.png", "-o", "sized.ael", "--model", "svhn-rd", "--size", "100000"])
        let sized = try CodedLatentFile.read(path: dir + "/sized.ael")
        XCTAssertEqual(sized.metadata, [MetadataRecord(kind: .icc, bytes: Self.profile)])
    }

    func testTheOptionsValues() throws {
        for bad in ["jpeg", "icc,,exif", "icc,icc", "all,icc", ""] {
            let r = try run("aeenc", ["x.png", "--metadata", bad])
            XCTAssertEqual(r.status, 64, bad)
            XCTAssertTrue(r.stderr.contains("--metadata must be all, none, or a comma-separated list of icc, exif, xmp, text, got '\(bad)'"),
                          r.stderr)
        }
        let help = try run("aeenc", ["--help"]).stdoutText
        XCTAssertTrue(help.contains("--metadata <all|none|list>"), help)
        XCTAssertTrue(help.split(whereSeparator: \.isWhitespace).joined(separator: " ").contains("text. (default: icc)"), help)
    }
}
