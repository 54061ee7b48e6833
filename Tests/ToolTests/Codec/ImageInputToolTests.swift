import AEFormats
import AETestSupport
import Foundation
import XCTest

/// Issue 16: JPEG and WebP input to `aeenc` (recognised by their bytes, not their names)
/// and folders of mixed files (nothing skipped without a word; exit status 2 says it).
final class ImageInputToolTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try TestFiles.temporaryFolder(self)
    }

    private func run(_ tool: String, _ arguments: [String], stdin: String? = nil,
                     file: StaticString = #filePath, line: UInt = #line) throws -> ToolProcess.Result {
        try ToolProcess.run(tool, arguments, in: dir, stdin: stdin, file: file, line: line)
    }

    /// Copies Fixtures/images/`name` (or a sample PNG) into the test folder as `as`.
    private func copy(_ fixture: String, as name: String) throws {
        try TestFiles.write(try TestFixtures.bytes(fixture), to: dir + "/" + name)
    }

    private func listing(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir + "/" + folder).sorted()
    }

    func testJPEGAndWebPEncodeAndDecodeWithTheirLayout() throws {
        try copy("images/house-number.jpg", as: "photo.jpg")
        try copy("images/house-number-gray.jpg", as: "gray.jpeg")
        try copy("images/golden-source-lossless.webp", as: "alpha.webp")
        try copy("samples/house-number.png", as: "original.png")
        for name in ["photo.jpg", "gray.jpeg", "alpha.webp"] {
            let enc = try run("aeenc", [name, "--stats"])
            XCTAssertEqual(enc.status, 0, enc.stderr)
            XCTAssertTrue(String(decoding: enc.stdout, as: UTF8.self).hasPrefix(name + " -> "), name)
        }
        // The decoded images: RGB, gray and RGBA with the WebP's alpha exactly.
        XCTAssertEqual(try run("aedec", ["photo.ael", "-o", "photo.png", "--reference", "original.png"]).status, 0)
        XCTAssertEqual(try PNGImage.header(of: try TestFiles.bytes(dir + "/photo.png")).colorType, 2)
        XCTAssertEqual(try run("aedec", ["gray.ael", "-o", "gray.png"]).status, 0)
        XCTAssertEqual(try PNGImage.header(of: try TestFiles.bytes(dir + "/gray.png")).colorType, 0)
        XCTAssertEqual(try run("aedec", ["alpha.ael", "-o", "alpha.png"]).status, 0)
        let alpha = try PNGImage.read(path: dir + "/alpha.png")
        let source = try PNGImage.read(path: TestFixtures.path("codec/golden-source.png"))
        XCTAssertEqual(alpha.channels, 4)
        XCTAssertEqual(stride(from: 3, to: alpha.pixels.count, by: 4).map { alpha.pixels[$0] },
                       stride(from: 3, to: source.pixels.count, by: 4).map { source.pixels[$0] }, "alpha restored exactly")

        // A JPEG or WebP as the reference of aedec: its pixels, whatever the name.
        XCTAssertEqual(try run("aeenc", ["original.png", "-o", "o.ael"]).status, 0)
        try copy("images/house-number-lossless.webp", as: "reference.jpg")
        let png = try run("aedec", ["o.ael", "-o", "o1.png", "--reference", "original.png", "--stats"])
        let webp = try run("aedec", ["o.ael", "-o", "o2.png", "--reference", "reference.jpg", "--stats"])
        XCTAssertEqual(webp.status, 0, webp.stderr)
        let figures = { (r: ToolProcess.Result) -> String in  // from the MSE to the SSIMs, without the time
            let line = r.stdoutText
            return String(line[(line.range(of: "MSE ")?.lowerBound ?? line.startIndex)...].components(separatedBy: ", decode ")[0])
        }
        XCTAssertTrue(figures(png).hasPrefix("MSE ") && figures(png).contains(" dB, SSIM "), figures(png))
        XCTAssertEqual(figures(png), figures(webp), "lossless WebP reference = the PNG reference")
    }

    func testInputsAreRecognisedByTheirBytesNotTheirNames() throws {
        try copy("images/house-number.jpg", as: "really-a-jpeg.png")
        try copy("images/house-number.webp", as: "image.dat")
        try copy("samples/house-number.png", as: "png-without-extension")
        for name in ["really-a-jpeg.png", "image.dat", "png-without-extension"] {
            let r = try run("aeenc", ["--model", "svhn-64", name, "-o", name + ".ael"])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            XCTAssertEqual(try LatentFile.read(path: dir + "/" + name + ".ael").width, 96)
        }
        // Standard input too.
        let piped = try run("aeenc", ["--model", "svhn-64", "-"], stdin: dir + "/image.dat")
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual([UInt8](piped.stdout), try TestFiles.bytes(dir + "/image.dat.ael"))
        // An image to aedec is named as what it is.
        let wrongTool = try run("aedec", ["image.dat", "-o", "x.png"])
        XCTAssertEqual(wrongTool.status, 1)
        XCTAssertEqual(wrongTool.stderr, "aedec: image.dat: is a WebP image, not a latent file: encode it with aeenc\n")
    }

    /// A folder of JPEG, WebP, PNG and other files: every image is encoded, whatever its
    /// name; every other entry is named with its reason and the exit status is 2; latent
    /// files (the outputs of an earlier run in place) are passed over; a file named like an
    /// image that is not one is an error (exit status 1).
    func testMixedFolderNamesWhatItSkipsAndSaysItInTheExitStatus() throws {
        try FileManager.default.createDirectory(atPath: dir + "/in/sub", withIntermediateDirectories: true)
        try copy("images/house-number.jpg", as: "in/a.JPG")
        try copy("images/house-number.webp", as: "in/b.webp")
        try copy("samples/house-number.png", as: "in/c.png")
        try copy("images/house-number-progressive.jpg", as: "in/d.bin")
        try TestFiles.write(Array("some notes".utf8), to: dir + "/in/notes.txt")
        try TestFiles.write([], to: dir + "/in/empty")
        try TestFiles.write(Array("hidden".utf8), to: dir + "/in/.hidden")
        let r = try run("aeenc", ["in", "-o", "out"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertEqual(r.stderr, """
            aeenc: in/empty: skipped: empty file, not a PNG, JPEG or WebP image
            aeenc: in/notes.txt: skipped: not a PNG, JPEG or WebP image (starts with 73 6f 6d 65 20 6e 6f 74)
            aeenc: in/sub: skipped: a folder (folders inside an input folder are not searched)
            aeenc: skipped 3 entries of the input folders (named above)

            """)
        XCTAssertEqual(try listing("out"), ["a.ael", "b.ael", "c.ael", "d.ael"])

        // Encoded in place, then again with --skip-existing: the latent files beside the
        // images are not inputs and not reported.
        let inPlace = try run("aeenc", ["in"])
        XCTAssertEqual(inPlace.status, 2, inPlace.stderr)
        let rerun = try run("aeenc", ["in", "--skip-existing"])
        XCTAssertEqual(rerun.status, 2, rerun.stderr)
        XCTAssertFalse(rerun.stderr.contains(".ael"), rerun.stderr)
        XCTAssertTrue(rerun.stderr.contains("kept 4 existing outputs"), rerun.stderr)

        // Only images: exit status 0, nothing said.
        for name in ["notes.txt", "empty", "sub"] { try FileManager.default.removeItem(atPath: dir + "/in/" + name) }
        let clean = try run("aeenc", ["in", "-o", "out2"])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertEqual(clean.stderr, "")

        // A name that claims an image is an input, and an error when it is not one.
        try TestFiles.write(Array("GIF89a......".utf8), to: dir + "/in/fake.jpg")
        let broken = try run("aeenc", ["in", "-o", "out3"])
        XCTAssertEqual(broken.status, 1, broken.stderr)
        XCTAssertEqual(broken.stderr, "aeenc: in/fake.jpg: not a PNG, JPEG or WebP image (starts with 47 49 46 38 39 61 2e 2e)\n"
                       + "aeenc: 1 of 5 files failed\n")

        // aedec: the same rules for latent files (images beside them are passed over).
        try TestFiles.write(Array("x".utf8), to: dir + "/out/readme")
        try copy("samples/house-number.png", as: "out/original.png")
        let dec = try run("aedec", ["out", "-o", "decoded"])
        XCTAssertEqual(dec.status, 2, dec.stderr)
        XCTAssertEqual(dec.stderr, "aedec: out/readme: skipped: not a latent file (starts with 78)\n"
                       + "aedec: skipped 1 entry of the input folders (named above)\n")
        XCTAssertEqual(try listing("decoded"), ["a.png", "b.png", "c.png", "d.png"])
    }

    func testDamagedJPEGAndWebPAreOneLineNamingTheFile() throws {
        let jpg = try TestFixtures.bytes("images/house-number.jpg")
        try TestFiles.write(Array(jpg.prefix(jpg.count / 2)), to: dir + "/cut.jpg")
        var big = jpg
        let at = (2..<(big.count - 9)).first { big[$0] == 0xFF && big[$0 + 1] == 0xC0 }!
        big[at + 5] = 0x80; big[at + 6] = 0; big[at + 7] = 0x80; big[at + 8] = 0  // 32768 x 32768
        try TestFiles.write(big, to: dir + "/huge.jpg")
        let webp = try TestFixtures.bytes("images/house-number.webp")
        try TestFiles.write(Array(webp.prefix(60)), to: dir + "/cut.webp")
        let expectations = [
            ("cut.jpg", "aeenc: cut.jpg: cannot decode JPEG: Premature end of JPEG file"),
            ("huge.jpg", "aeenc: huge.jpg: image is 32768x32768, over the codec's limit of 16384 pixels a side and 134217728 pixels in all"),
            ("cut.webp", "aeenc: cut.webp: cannot decode WebP: truncated (not enough data)"),
        ]
        for (name, message) in expectations {
            let r = try run("aeenc", [name, "-o", name + ".ael"])
            XCTAssertEqual(r.status, 1, name)
            XCTAssertEqual(r.stderr, message + "\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + name + ".ael"))
        }
    }
}
