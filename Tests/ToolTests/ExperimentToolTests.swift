import AEFormats
import AETestSupport
import Foundation
import XCTest

/// The experiments through the tools: a variational model trained by aetrain, encoded and
/// decoded by aeenc/aedec, sampled and interpolated by aetrain; exit statuses and
/// one-line errors as the other subcommands.
extension AECodecToolTests {
    func testVariationalModelThroughTheTools() throws {
        let dir = try folder()
        let train = try run("aetrain", ["synthetic:40,seed=1", "-o", "vae.aemodel", "--variational", "--beta", "0.5",
                                        "--noise", "mask:0.1", "--latent-dim", "2", "--epochs", "1", "--batch-size", "20",
                                        "--validation-split", "0.25", "--threads", "1", "--quiet"], in: dir)
        XCTAssertEqual(train.status, 0, train.stderr)
        try writePNG(dir + "/a.png", width: 32, height: 32, seed: 1)
        try writePNG(dir + "/b.png", width: 32, height: 32, seed: 2)
        XCTAssertEqual(try run("aeenc", ["a.png", "--model", "vae.aemodel", "-o", "a.ael"], in: dir).status, 0)
        let decoded = try run("aedec", ["a.ael", "--model", "vae.aemodel", "-o", "back.png"], in: dir)
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(try PNGImage.read(path: dir + "/back.png").width, 32)

        for name in ["s1.png", "s2.png"] {
            let r = try run("aetrain", ["sample", "vae.aemodel", "-n", "6", "-o", name, "--seed", "3"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/s1.png")),
                       try Data(contentsOf: URL(fileURLWithPath: dir + "/s2.png")))
        let strip = try run("aetrain", ["interpolate", "vae.aemodel", "a.png", "b.png", "--steps", "5", "-o", "strip.png"], in: dir)
        XCTAssertEqual(strip.status, 0, strip.stderr)
        XCTAssertEqual(try PNGImage.read(path: dir + "/strip.png").height, 2 * 64 + 2, "linear and great-circle rows")

        let again = try run("aetrain", ["sample", "vae.aemodel", "-n", "6", "-o", "s1.png"], in: dir)
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "aetrain: s1.png: already exists (use --force to overwrite)\n")
        let plain = try run("aetrain", ["sample", TestFixtures.goldenBundlePath, "-n", "2", "-o", "p.png"], in: dir)
        XCTAssertEqual(plain.status, 1)
        XCTAssertTrue(plain.stderr.hasSuffix("is not a variational model (train one with aetrain --variational): it has no prior to sample from\n"), plain.stderr)
        XCTAssertEqual(try run("aetrain", ["sample", "vae.aemodel", "-n", "0", "-o", "z.png"], in: dir).status, 64)
        XCTAssertEqual(try run("aetrain", ["synthetic:8", "-o", "n.aemodel", "--noise", "blur:2"], in: dir).status, 64)
        let probe = try run("aetrain", ["probe", "vae.aemodel", "--train", "synthetic:20", "--test", "synthetic:10"], in: dir)
        XCTAssertEqual(probe.status, 1)
        XCTAssertEqual(probe.stderr, "aetrain: synthetic:20: has no labels; the probe needs labelled images (a MAT file with y, or npy:IMAGES.npy,labels=LABELS.npy)\n")
        XCTAssertEqual(try listing(dir).sorted(), ["a.ael", "a.png", "b.png", "back.png", "s1.png", "s2.png", "strip.png",
                                                   "vae.aemodel", "vae.history.csv"])
    }
}
