import AECodec
import AEFormats
import AETestSupport
import Foundation
import XCTest

/// 8-bit latents through the tools: aeenc --bits 8, aedec, aetrain --quantize-from.
extension AECodecToolTests {
    func testBits8EncodesOneByteLatentsThatAedecDecodes() throws {
        let dir = try folder()
        try writePNG(dir + "/photo.png", width: 70, height: 40)
        let enc16 = try run("aeenc", ["--model", "svhn-64", "photo.png", "-o", "half.ael"], in: dir)
        XCTAssertEqual(enc16.status, 0, enc16.stderr)
        let enc = try run("aeenc", ["--model", "svhn-64", "photo.png", "--bits", "8", "--stats"], in: dir)
        XCTAssertEqual(enc.status, 0, enc.stderr)
        let file = try bytes(dir + "/photo.ael")
        XCTAssertEqual(try LatentFile.inspect(file).encoding, .uint8)
        XCTAssertLessThan(file.count, try bytes(dir + "/half.ael").count * 6 / 10)

        let dec = try run("aedec", ["photo.ael", "-o", "back.png", "--reference", "photo.png"], in: dir)
        XCTAssertEqual(dec.status, 0, dec.stderr)
        XCTAssertTrue(String(decoding: dec.stdout, as: UTF8.self).contains("PSNR "))
        let back = try PNGImage.read(path: dir + "/back.png")
        XCTAssertEqual([back.width, back.height], [70, 40])

        // Another model's uint8 file is refused as such, naming the model that made it.
        let other = try run("aedec", ["photo.ael", "-o", "other.png", "--model", "svhn-16"], in: dir)
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("was encoded with model") && other.stderr.contains("svhn-64"), other.stderr)

        let bad = try run("aeenc", ["--model", "svhn-64", "photo.png", "--bits", "12", "-o", "x.ael"], in: dir)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.ael"))
    }

    func testBits8WithAModelWithoutATableFailsInOneLine() throws {
        let dir = try folder()
        try writePNG(dir + "/photo.png", width: 32, height: 32)
        let r = try run("aeenc", ["photo.png", "--bits", "8", "--model", TestFixtures.goldenBundlePath], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("aeenc: ") && r.stderr.contains("no latent quantisation table"), r.stderr)
        XCTAssertEqual(try listing(dir), ["photo.png"])
    }

    func testAetrainQuantizeFromAddsATableAndKeepsTheFingerprint() throws {
        let dir = try folder()
        let r = try run("aetrain", ["--quantize-from", TestFixtures.goldenBundlePath, "synthetic:50,seed=4",
                                    "-o", "q.aemodel", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let original = try ModelBundle.read(path: TestFixtures.goldenBundlePath)
        let q = try ModelBundle.read(path: dir + "/q.aemodel")
        XCTAssertEqual(q.fingerprint, original.fingerprint)
        XCTAssertEqual(q.weightType, original.weightType)
        XCTAssertEqual(q.quantization?.latentDim, original.metadata.architecture.latentDim)
        let again = try run("aetrain", ["--quantize-from", TestFixtures.goldenBundlePath, "synthetic:50,seed=4",
                                        "-o", "q.aemodel", "--quiet"], in: dir)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("already exists"), again.stderr)
    }
}
