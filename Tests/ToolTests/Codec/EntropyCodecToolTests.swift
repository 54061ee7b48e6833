import AECodec
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// The fixtures of the entropy-coded tool tests (the library tests' EntropyCodecTesting
/// lives in AECodecTests).
private enum EntropyCodecTesting {
    static var convBundlePath: String { TestFixtures.path("coded/conv-tiny.aemodel") }
    static var sourcePNGPath: String { TestFixtures.path("codec/golden-source.png") }

    /// An untrained reference-family rate-distortion bundle (latent size 8, bisected quantiles, tables).
    static func referenceBundle(seed: UInt64 = 1) throws -> ModelBundle {
        let base = ReferenceModel.build(latentDim: 8, seed: seed)
        var rng = RandomGenerator(seed: seed)
        let prior = FactorizedPrior(channels: 8, rng: &rng)
        prior.setQuantilesByBisection()
        let model = Autoencoder(encoder: base.encoder, decoder: base.decoder, prior: prior)
        return ModelBundle(model: model).withEntropyTables(try EntropyTables(prior: prior))
    }
}

/// aeenc and aedec with entropy-coded files: --latent, --bits, aedec finding the model.
final class EntropyCodecToolTests: XCTestCase {
    /// A temporary folder with `models/conv-tiny.aemodel`, `models/reference.aemodel` (an
    /// untrained reference-family RD bundle) and `in.png` (40x24 RGBA).
    private func folder() throws -> String {
        let dir = try TestFiles.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: EntropyCodecTesting.convBundlePath, toPath: dir + "/models/conv-tiny.aemodel")
        _ = try EntropyCodecTesting.referenceBundle().write(to: dir + "/models/reference.aemodel")
        try FileManager.default.copyItem(atPath: EntropyCodecTesting.sourcePNGPath, toPath: dir + "/in.png")
        return dir
    }

    private func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    func testLatentFormsAndDefaults() throws {
        let dir = try folder()
        // A model with tables writes coded files by default, the same bytes as the library.
        var r = try ToolProcess.run("aeenc", ["in.png", "--model", "models/reference.aemodel", "-o", "default.ael"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try LatentFiles.majorVersion(try bytes(dir + "/default.ael")), 2)
        let codec = try EntropyCodec(bundle: try ModelBundle.read(path: dir + "/models/reference.aemodel"))
        let image = try CodecImage.decodePNG(try bytes(dir + "/in.png"), path: "in.png")
        XCTAssertEqual(try bytes(dir + "/default.ael"), try codec.encode(image).encoded())
        for (args, major) in [(["--latent", "f16"], 1), (["--bits", "16"], 1), (["--latent", "coded"], 2)] {
            r = try ToolProcess.run("aeenc", ["in.png", "--model", "models/reference.aemodel", "-o", "x.ael", "--force"] + args, in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try LatentFiles.majorVersion(try bytes(dir + "/x.ael")), major, "\(args)")
            // aedec reads either version with the same model.
            r = try ToolProcess.run("aedec", ["x.ael", "--model", "models/reference.aemodel", "-o", "x.png", "--force"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try PNGImage.decode(try bytes(dir + "/x.png")).width, 40)
        }
        // A model without tables (svhn-64) writes f16 by default and refuses coded.
        r = try ToolProcess.run("aeenc", ["--model", "svhn-64", "in.png", "-o", "builtin.ael"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try LatentFiles.majorVersion(try bytes(dir + "/builtin.ael")), 1)
        r = try ToolProcess.run("aeenc", ["--model", "svhn-64", "in.png", "--latent", "coded", "-o", "no.ael"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("has no entropy tables"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/no.ael"))
        // A whole-image model writes only coded files.
        r = try ToolProcess.run("aeenc", ["in.png", "--model", "models/conv-tiny.aemodel", "--latent", "u8", "-o", "no.ael"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("writes only entropy-coded latents"), r.stderr)
        r = try ToolProcess.run("aeenc", ["in.png", "--latent", "f32"], in: dir)
        XCTAssertEqual(r.status, 64, r.stderr)
    }

    func testStatsAndSkipExistingForCodedFiles() throws {
        let dir = try folder()
        let model = ["--model", "models/conv-tiny.aemodel"]
        let enc = try ToolProcess("aeenc", ["in.png", "-o", "c.ael", "--stats"] + model, in: dir)
        XCTAssertEqual(enc.finish(), 0, enc.stderr)
        let size = try bytes(dir + "/c.ael").count
        XCTAssertTrue(enc.stdout.contains("wrote \(size) bytes"), enc.stdout)
        let dec = try ToolProcess("aedec", ["c.ael", "-o", "c.png", "--reference", "in.png"] + model, in: dir)
        XCTAssertEqual(dec.finish(), 0, dec.stderr)
        XCTAssertTrue(dec.stdout.contains("PSNR"), dec.stdout)
        // A valid coded output is kept; a 1.x one, or a damaged one, is not.
        var r = try ToolProcess.run("aeenc", ["in.png", "-o", "c.ael", "--skip-existing"] + model, in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("kept 1 existing output"), r.stderr)
        var damaged = try bytes(dir + "/c.ael")
        damaged.removeLast(6)
        try Data(damaged).write(to: URL(fileURLWithPath: dir + "/c.ael"))
        r = try ToolProcess.run("aeenc", ["in.png", "-o", "c.ael", "--skip-existing"] + model, in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("aeenc: c.ael: already exists"), r.stderr)
        // Decoding a truncated file is one error line naming it.
        r = try ToolProcess.run("aedec", ["c.ael", "-o", "t.png"] + model, in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("aedec: c.ael: "), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }

    func testAedecFindsTheModelByFingerprint() throws {
        let dir = try folder()
        var r = try ToolProcess.run("aeenc", ["in.png", "--model", "models/conv-tiny.aemodel", "-o", "c.ael"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try ToolProcess.run("aedec", ["c.ael", "--model", "models/conv-tiny.aemodel", "-o", "expected.png"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = try bytes(dir + "/expected.png")
        // Not found: names the fingerprint and the places searched.
        let fingerprint = try ModelBundle.read(path: dir + "/models/conv-tiny.aemodel").fingerprint.prefix(16)
        r = try ToolProcess.run("aedec", ["c.ael", "-o", "a.png", "--model-path", "elsewhere"], in: dir,
                                environment: ["AECODEC_MODEL_PATH": ""])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("c.ael: was encoded with model \(fingerprint)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("built-in models") && r.stderr.contains("elsewhere"), r.stderr)
        // --model-path, and the environment variable (colon-separated).
        r = try ToolProcess.run("aedec", ["c.ael", "-o", "a.png", "--model-path", "elsewhere", "--model-path", "models"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try bytes(dir + "/a.png"), expected)
        r = try ToolProcess.run("aedec", ["c.ael", "-o", "b.png"], in: dir, environment: ["AECODEC_MODEL_PATH": "/nonexistent:" + dir + "/models"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try bytes(dir + "/b.png"), expected)
        // --model overrides: another model is refused, naming the file's fingerprint.
        r = try ToolProcess.run("aedec", ["c.ael", "-o", "w.png", "--model", "models/reference.aemodel", "--model-path", "models"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("was encoded with model \(fingerprint)"), r.stderr)
        // A 1.x file of a built-in model needs no option.
        r = try ToolProcess.run("aeenc", ["in.png", "-o", "f.ael"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try ToolProcess.run("aedec", ["f.ael", "-o", "f.png"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testEffortRefinesWholeImageLatentsOnly() throws {
        let dir = try folder()
        var r = try ToolProcess.run("aeenc", ["in.png", "--model", "models/conv-tiny.aemodel", "-o", "plain.ael"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try ToolProcess.run("aeenc", ["in.png", "--model", "models/conv-tiny.aemodel", "-o", "refined.ael",
                                          "--effort", "4", "--threads", "2"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        // The library's refined file, byte for byte; another latent than the plain one; aedec needs nothing new.
        let codec = try EntropyCodec(bundle: try ModelBundle.read(path: dir + "/models/conv-tiny.aemodel"))
        try codec.refineLatents(steps: 4)
        let image = try CodecImage.decodePNG(try bytes(dir + "/in.png"), path: "in.png")
        XCTAssertEqual(try bytes(dir + "/refined.ael"), try codec.encode(image).encoded())
        XCTAssertNotEqual(try bytes(dir + "/refined.ael"), try bytes(dir + "/plain.ael"))
        r = try ToolProcess.run("aedec", ["refined.ael", "--model", "models/conv-tiny.aemodel", "-o", "refined.png"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        // Tile models have nothing to refine; a negative effort is a usage error.
        r = try ToolProcess.run("aeenc", ["in.png", "--model", "models/reference.aemodel", "-o", "t.ael", "--effort", "2"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("--effort refines the latents of whole-image models"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/t.ael"))
        r = try ToolProcess.run("aeenc", ["in.png", "--model", "models/conv-tiny.aemodel", "--effort", "-1"], in: dir)
        XCTAssertEqual(r.status, 64, r.stderr)
    }
}
