import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import AETestSupport
import Foundation
import XCTest

/// The same input gives the same bytes at any thread count, through the codec API and
/// through the tools (`--threads`), for the built-in models, both latent encodings and
/// sizes that are and are not multiples of the 32-pixel tile. (CodecTests covers the
/// golden model, and images alone or batched together.)
final class DeterminismTests: XCTestCase {
    /// Width, height, PNG colour type; 300x260 is 90 tiles, more than one 64-tile chunk,
    /// so a single image is itself split over the threads.
    static let shapes = [(32, 32, 2), (45, 70, 6), (100, 64, 0), (1, 1, 2), (300, 260, 2)]

    static func images() throws -> [(name: String, png: [UInt8], image: CodecImage)] {
        try shapes.enumerated().map { i, shape in
            let (w, h, t) = shape
            let (png, _) = TestPNG.sample(width: w, height: h, colorType: t, bitDepth: 8, seed: 20 + i)
            let name = "d\(i)-\(w)x\(h)"
            return (name, png, try CodecImage.decodePNG(png, path: name))
        }
    }

    func testCodecGivesTheSameLatentAndPNGBytesWithOneAndTwoThreads() throws {
        let images = try Self.images()
        // The tile models (the whole-image photo levels code through EntropyCodec, whose
        // thread independence BandedCodingTests and the tool tests check).
        for model in EmbeddedModels.names {
            let bundle = try XCTUnwrap(try EmbeddedModels.bundle(named: model))
            guard bundle.metadata.architecture.family == "reference-svhn" else {
                XCTAssertThrowsError(try ImageCodec(bundle: bundle), "\(model) is no tile model")
                continue
            }
            let one = try ImageCodec(bundle: bundle, threads: 1), two = try ImageCodec(bundle: bundle, threads: 2)
            for encoding in [LatentFile.LatentEncoding.float16, .uint8] {
                let latents1 = try images.map { try one.encode($0.image, encoding: encoding).encoded() }
                let latents2 = try images.map { try two.encode($0.image, encoding: encoding).encoded() }
                let together = try two.encode(images.map(\.image), encoding: encoding).map { try $0.encoded() }
                for (k, item) in images.enumerated() {
                    let what = "\(model) \(encoding) \(item.name)"
                    XCTAssertEqual(latents2[k], latents1[k], what)
                    XCTAssertEqual(together[k], latents1[k], "\(what), encoded with the others")
                    let file = try LatentFile.decode(latents1[k], quantization: bundle.quantization)
                    let png1 = try one.decode(file).encoded(), png2 = try two.decode(file).encoded()
                    XCTAssertEqual(png2, png1, what)
                    let back = try PNGImage.decode(png1)
                    XCTAssertEqual([back.width, back.height], [item.image.image.width, item.image.image.height], what)
                }
            }
        }
    }

    /// `aeenc`/`aedec --threads 1` and `--threads 2` write the same files: folders
    /// (one worker per thread) and a single large image (its chunks over the threads).
    func testToolsWriteTheSameFilesWithOneAndTwoThreads() throws {
        let dir = try TestFiles.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        let images = try Self.images()
        for item in images { try TestFiles.write(item.png, to: dir + "/in/\(item.name).png") }
        func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + path))) }

        for bits in ["16", "8"] {
            for threads in ["1", "2"] {
                let enc = try ToolProcess.run("aeenc", ["--model", "svhn-64", "in", "-o", "lat\(bits)-\(threads)", "--bits", bits,
                                                        "--threads", threads, "--quiet"], in: dir)
                XCTAssertEqual(enc.status, 0, enc.stderr)
                let dec = try ToolProcess.run("aedec", ["lat\(bits)-\(threads)", "-o", "dec\(bits)-\(threads)",
                                                        "--threads", threads, "--quiet"], in: dir)
                XCTAssertEqual(dec.status, 0, dec.stderr)
                let big = images.last!.name
                let single = try ToolProcess.run("aeenc", ["--model", "svhn-64", "in/\(big).png", "-o", "single\(bits)-\(threads).ael",
                                                           "--bits", bits, "--threads", threads], in: dir)
                XCTAssertEqual(single.status, 0, single.stderr)
            }
            for item in images {
                let what = "--bits \(bits) \(item.name)"
                XCTAssertEqual(try bytes("lat\(bits)-2/\(item.name).ael"), try bytes("lat\(bits)-1/\(item.name).ael"), what)
                XCTAssertEqual(try bytes("dec\(bits)-2/\(item.name).png"), try bytes("dec\(bits)-1/\(item.name).png"), what)
            }
            XCTAssertEqual(try bytes("single\(bits)-2.ael"), try bytes("single\(bits)-1.ael"), "--bits \(bits) single file")
            XCTAssertEqual(try bytes("single\(bits)-1.ael"), try bytes("lat\(bits)-1/\(images.last!.name).ael"))
        }
    }
}
