import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// Scripts/keras2aemodel.py and Scripts/aemodel2keras.py, run as a user runs them, on
/// the committed Keras files (Fixtures/keras): what they write, what they refuse, and
/// that our reader and tools take the result. Needs a python3 with numpy and h5py
/// (Scripts/install-deps.sh installs them); skipped without one.
final class KerasConverterTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try TestFiles.temporaryFolder(self)
    }

    func script(_ name: String, _ arguments: [String]) throws -> ToolProcess.Result {
        try ToolProcess.run(executable: try KerasFixtures.python(), [KerasFixtures.scripts + "/" + name] + arguments,
                            in: folder)
    }

    func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    var committed: ModelBundle {
        get throws { try ModelBundle.read(path: KerasFixtures.path("reference-16.aemodel")) }
    }

    func testBothKerasFormatsConvertToTheCommittedBundle() throws {
        let expected = try committed
        for (input, format) in [("reference-16.keras", "keras-v3"), ("reference-16-autoencoder.h5", "keras-h5")] {
            let run = try script("keras2aemodel.py", [KerasFixtures.path(input), "-o", "out.aemodel", "--force"])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdoutText.hasSuffix("-> out.aemodel: latent 16, fingerprint \(expected.fingerprint)\n"), run.stdoutText)
            let bundle = try ModelBundle.read(path: folder + "/out.aemodel")
            XCTAssertEqual(bundle.fingerprint, expected.fingerprint, input)
            XCTAssertEqual(bundle.tensors.map(\.name), expected.tensors.map(\.name))
            XCTAssertEqual(bundle.metadata.architecture, expected.metadata.architecture)
            XCTAssertEqual(bundle.metadata.tool.name, "keras2aemodel")
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: folder + "/out.aemodel")).prefix(8000),
                              as: UTF8.self)
            XCTAssertTrue(text.contains("\"format\" : \"\(format)\""), input)
            XCTAssertTrue(text.contains("\"file\" : \"\(input)\""), input)
        }
        XCTAssertEqual(try listing(), ["out.aemodel"], "no temporary files left")
    }

    /// Keras -> bundle -> Keras -> bundle, in both Keras layouts: the same weights, bit
    /// for bit (the fingerprint covers every weight byte). The arrays themselves are
    /// compared with the original Keras file by Scripts/test_keras_convert.py.
    func testKerasToBundleToKerasAndBackKeepsEveryWeight() throws {
        let expected = try committed.fingerprint
        for (layout, output) in [("sequential", "back.keras"), ("autoencoder", "back.keras"),
                                 ("sequential", "back.weights.h5"), ("autoencoder", "back.weights.h5"),
                                 ("functional", "back.weights.h5")] {
            let out = try script("aemodel2keras.py", [KerasFixtures.path("reference-16.aemodel"), "-o", output,
                                                      "--layout", layout, "--force"])
            XCTAssertEqual(out.status, 0, out.stderr)
            XCTAssertEqual(out.stdoutText, "\(KerasFixtures.path("reference-16.aemodel")) -> \(output): latent 16, "
                           + "layout \(layout), fingerprint \(expected)\n")
            guard output.hasSuffix(".keras") else { continue }
            let back = try script("keras2aemodel.py", [output, "-o", "again.aemodel", "--force", "--quiet"])
            XCTAssertEqual(back.status, 0, back.stderr)
            XCTAssertEqual(try ModelBundle.read(path: folder + "/again.aemodel").fingerprint, expected, layout)
        }
    }

    func testWrongArchitecturesAreRefusedNamingTheFirstLayerThatDiffers() throws {
        let cases = [
            ("wrong-first-conv16.keras",
             "layer 1 'conv2d' (Conv2D): filters 16, the reference has 32"),
            ("missing-maxpool.h5",
             "layer 2 'conv2d_1' (Conv2D) is a Conv2D where the reference has MaxPooling2D 'max_pooling2d'"),
        ]
        for (input, reason) in cases {
            let run = try script("keras2aemodel.py", [KerasFixtures.path(input), "-o", "out.aemodel"])
            XCTAssertEqual(run.status, 1)
            XCTAssertEqual(run.stderr, "keras2aemodel: \(KerasFixtures.path(input)): not the reference architecture: \(reason)\n")
            XCTAssertEqual(run.stdoutText, "")
        }
        XCTAssertEqual(try listing(), [], "no output, partial or temporary")
    }

    func testDamagedFilesAreRefusedInOneLineWithoutOutput() throws {
        let keras = [UInt8](try Data(contentsOf: URL(fileURLWithPath: KerasFixtures.path("reference-16.keras"))))
        let legacy = [UInt8](try Data(contentsOf: URL(fileURLWithPath: KerasFixtures.path("reference-16-autoencoder.h5"))))
        var flipped = keras
        flipped[keras.count / 2] ^= 0x40  // inside model.weights.h5: the zip's CRC-32 catches it
        let inputs: [(String, [UInt8], String)] = [
            ("half.keras", Array(keras.prefix(keras.count / 2)), "damaged or truncated .keras archive"),
            ("flipped.keras", flipped, "damaged or truncated .keras archive"),
            ("half.h5", Array(legacy.prefix(legacy.count / 2)), "damaged or truncated Keras file"),
            ("head.h5", Array(legacy.prefix(2000)), "damaged or truncated Keras file"),
            ("empty.keras", [], "empty file"),
            ("notes.keras", Array("not a model".utf8), "neither a Keras 3 .keras archive nor an HDF5 .h5 file"),
        ]
        for (name, bytes, reason) in inputs {
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name))
            let run = try script("keras2aemodel.py", [name, "-o", "out.aemodel"])
            XCTAssertEqual(run.status, 1, name)
            XCTAssertTrue(run.stderr.hasPrefix("keras2aemodel: \(name): \(reason)"), run.stderr)
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, 1, "one line: \(run.stderr)")
        }
        let missing = try script("keras2aemodel.py", ["missing.keras"])
        XCTAssertEqual(missing.stderr, "keras2aemodel: missing.keras: cannot read: No such file or directory\n")
        let left = try listing()
        XCTAssertFalse(left.contains { $0.hasSuffix(".aemodel") || $0.hasPrefix(".") }, "\(left)")

        // The reverse direction checks the bundle the same way.
        let bundle = [UInt8](try Data(contentsOf: URL(fileURLWithPath: KerasFixtures.path("reference-16.aemodel"))))
        try Data(bundle.prefix(5000)).write(to: URL(fileURLWithPath: folder + "/cut.aemodel"))
        let cut = try script("aemodel2keras.py", ["cut.aemodel", "-o", "cut.keras"])
        XCTAssertEqual(cut.status, 1)
        XCTAssertEqual(cut.stderr, "aemodel2keras: cut.aemodel: truncated: expected 1613772 bytes, found 5000\n")
        let wrongName = try script("aemodel2keras.py", [KerasFixtures.path("reference-16.aemodel"), "-o", "x.h5"])
        XCTAssertEqual(wrongName.stderr, "aemodel2keras: x.h5: the output must end in .keras or .weights.h5\n")
        XCTAssertFalse(try listing().contains { $0.hasSuffix(".keras") && $0.hasPrefix("cut") || $0 == "x.h5" })
    }

    /// Issue 16: a SavedModel folder is refused saying what to do; a `.keras` output in
    /// the functional layout (weights only) too.
    func testSavedModelFoldersAndFunctionalKerasFilesAreRefusedSayingWhatToDo() throws {
        try FileManager.default.createDirectory(atPath: folder + "/saved/variables", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: folder + "/saved/saved_model.pb"))
        let saved = try script("keras2aemodel.py", ["saved", "-o", "out.aemodel"])
        XCTAssertEqual(saved.status, 1)
        XCTAssertTrue(saved.stderr.hasPrefix("keras2aemodel: saved: is a TensorFlow SavedModel folder"), saved.stderr)
        XCTAssertTrue(saved.stderr.contains("model.save('model.keras')"), saved.stderr)
        XCTAssertEqual(saved.stderr.filter { $0 == "\n" }.count, 1, "one line")
        let functional = try script("aemodel2keras.py", [KerasFixtures.path("reference-16.aemodel"), "-o", "f.keras",
                                                        "--layout", "functional"])
        XCTAssertEqual(functional.status, 1)
        XCTAssertTrue(functional.stderr.contains("--layout functional writes .weights.h5 files"), functional.stderr)
        XCTAssertEqual(try listing(), ["saved"])
    }

    func testExistingOutputsNeedForce() throws {
        let input = KerasFixtures.path("reference-16.keras")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: folder + "/out.aemodel"))
        let refused = try script("keras2aemodel.py", [input, "-o", "out.aemodel"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderr, "keras2aemodel: out.aemodel: already exists (use --force to overwrite)\n")
        XCTAssertEqual(try String(contentsOfFile: folder + "/out.aemodel", encoding: .utf8), "keep me")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: folder + "/out.keras"))
        let reverse = try script("aemodel2keras.py", [KerasFixtures.path("reference-16.aemodel"), "-o", "out.keras"])
        XCTAssertEqual(reverse.stderr, "aemodel2keras: out.keras: already exists (use --force to overwrite)\n")
        XCTAssertEqual(try String(contentsOfFile: folder + "/out.keras", encoding: .utf8), "keep me")

        let forced = try script("keras2aemodel.py", [input, "-o", "out.aemodel", "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try ModelBundle.read(path: folder + "/out.aemodel").fingerprint, try committed.fingerprint)
        XCTAssertEqual(try listing(), ["out.aemodel", "out.keras"])
    }

    /// The converted bundle works in our tools like a bundle aetrain wrote.
    func testConvertedBundleWorksInTheTools() throws {
        let model = KerasFixtures.path("reference-16.aemodel")
        let fingerprint = try committed.fingerprint
        let info = try ToolProcess.run("aeinfo", [model])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdoutText.contains("format: version 1.3"), info.stdoutText)
        XCTAssertTrue(info.stdoutText.contains("fingerprint: \(fingerprint)"), info.stdoutText)
        XCTAssertTrue(info.stdoutText.contains("latent 16"), info.stdoutText)

        let sample = TestFixtures.repositoryRoot + "/Fixtures/samples/house-number.png"
        let enc = try ToolProcess.run("aeenc", [sample, "--model", model, "-o", "digit.ael"], in: folder)
        XCTAssertEqual(enc.status, 0, enc.stderr)
        let latent = try LatentFile.read(path: folder + "/digit.ael")
        XCTAssertEqual(SHA256.hex(latent.modelFingerprint), String(fingerprint.prefix(16)))
        let dec = try ToolProcess.run("aedec", ["digit.ael", "--model", model, "-o", "digit.png",
                                                "--reference", sample], in: folder)
        XCTAssertEqual(dec.status, 0, dec.stderr)
        XCTAssertTrue(dec.stdoutText.contains("PSNR"), dec.stdoutText)
        let original = try PNGImage.read(path: sample), back = try PNGImage.read(path: folder + "/digit.png")
        XCTAssertEqual([back.width, back.height], [original.width, original.height])
    }

    /// Scripts/test_keras_convert.py: kernel layouts, the spec's own reader on the
    /// output, identical arrays after Keras -> bundle -> Keras, float16, refusals.
    func testPythonUnitTests() throws {
        let run = try ToolProcess.run(executable: try KerasFixtures.python(),
                                               ["-m", "unittest", "discover", "-s", KerasFixtures.scripts,
                                                "-p", "test_keras*.py"], in: folder)
        XCTAssertEqual(run.status, 0, run.stderr)
        // Some tests were found (not "Ran 0 tests") and all passed.
        XCTAssertNotNil(run.stderr.range(of: #"Ran [1-9][0-9]* tests?"#, options: .regularExpression), run.stderr)
        XCTAssertTrue(run.stderr.contains("\nOK"), run.stderr)
    }
}
