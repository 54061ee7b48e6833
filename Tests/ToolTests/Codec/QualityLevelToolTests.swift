import AEBase
import AECodec
import AEFormats
import AETestSupport
import Foundation
import XCTest

/// `aeenc --model SET` with `-q`, `--size`, `--bpp` and `--psnr`, `aedec` finding each
/// file's level, `aeinfo` naming levels, and `aetrain --stamp-quality`, on the three tiny
/// levels of `QualityLevelTesting` in a `--model-path` folder.
final class QualityLevelToolTests: XCTestCase {
    /// The levels, built once for the class (writing them is what each test repeats).
    static let levels: [ModelBundle] = QualityLevelTesting.scales.enumerated().map { i, scale in
        try! QualityLevelTesting.level(scale: scale, set: "tiny", level: i + 1)
    }

    /// A folder with `models/tiny-1...3.aemodel` and `in.png` (128x96 RGB).
    private func folder() throws -> String {
        let dir = try TestFiles.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        for (i, bundle) in Self.levels.enumerated() { try bundle.write(to: dir + "/models/tiny-\(i + 1).aemodel") }
        try TestFiles.write(try QualityLevelTesting.picture().encoded(), to: dir + "/in.png")
        return dir
    }

    /// Runs a tool in `dir` with no AECODEC_MODEL_PATH unless `environment` sets one.
    private func run(_ tool: String, _ arguments: [String], in dir: String, stdin: String? = nil,
                     environment: [String: String] = [:]) throws -> ToolProcess.Result {
        try ToolProcess.run(tool, arguments, in: dir, stdin: stdin,
                            environment: ["AECODEC_MODEL_PATH": ""].merging(environment) { $1 })
    }

    private let set = ["--model", "tiny", "--model-path", "models"]

    /// The 16 fingerprint bytes of level `level` as hex, and the 8 a latent file keeps.
    private func filePrefix(level: Int) -> String { String(Self.levels[level - 1].fingerprint.prefix(16)) }

    private func fingerprint(ofFile path: String) throws -> String {
        SHA256.hex(try CodedLatentFile.decode(try TestFiles.bytes(path)).modelFingerprint)
    }

    /// PSNR over RGB of a decoded image against the input picture (computed here, independently).
    private static func psnr(_ b: PNGImage) -> Double {
        let a = QualityLevelTesting.picture()
        precondition([b.width, b.height, b.channels] == [a.width, a.height, 3])
        var sum = 0.0
        for i in 0..<a.pixels.count { sum += pow(Double(a.pixels[i]) - Double(b.pixels[i]), 2) }
        return 10 * log10(255 * 255 / (sum / Double(a.pixels.count)))
    }

    /// Each level's latent file of in.png and its PSNR, from the library (what `aeenc -q`
    /// must write, byte for byte), and the decoded image's PNG bytes.
    static let expected: [(file: [UInt8], psnr: Double, png: [UInt8])] = levels.map { bundle in
        let codec = try! EntropyCodec(bundle: bundle)
        let file = try! codec.encode(CodecImage(image: QualityLevelTesting.picture(), colorType: .rgb, bitDepth: 8))
        let decoded = try! codec.decode(file)
        return (try! file.encoded(), psnr(decoded), try! decoded.encoded())
    }

    /// Writes each level's expected file as q1.ael ... q3.ael.
    private func writeExpected(_ dir: String) throws {
        for (i, e) in Self.expected.enumerated() { try TestFiles.write(e.file, to: dir + "/q\(i + 1).ael") }
    }

    func testQPicksTheLevelAndAedecAndAeinfoFindIt() throws {
        let dir = try folder()
        let measured = Self.expected.map { (bytes: $0.file.count, psnr: $0.psnr) }
        // The levels are what the tests below rely on: ordered in size and PSNR.
        XCTAssertTrue(measured[0].bytes < measured[1].bytes && measured[1].bytes < measured[2].bytes, "\(measured)")
        XCTAssertTrue(measured[0].psnr < measured[1].psnr && measured[1].psnr < measured[2].psnr, "\(measured)")
        for level in 1...3 {
            let r = try run("aeenc", ["in.png", "-q", "\(level)", "-o", "q\(level).ael"] + set, in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try fingerprint(ofFile: dir + "/q\(level).ael"), filePrefix(level: level), "-q \(level)")
            XCTAssertEqual(try TestFiles.bytes(dir + "/q\(level).ael"), Self.expected[level - 1].file, "-q \(level)")
        }
        // Without -q: the middle level; --stats names it.
        var r = try run("aeenc", ["in.png", "-o", "default.ael", "--stats"] + set, in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try TestFiles.bytes(dir + "/default.ael"), try TestFiles.bytes(dir + "/q2.ael"))
        XCTAssertTrue(r.stdoutText.contains("wrote \(measured[1].bytes) bytes") && r.stdoutText.contains("level 2 of tiny"), r.stdoutText)
        // The set is found through AECODEC_MODEL_PATH too.
        r = try run("aeenc", ["in.png", "--model", "tiny", "-q", "3", "-o", "env.ael"], in: dir,
                    environment: ["AECODEC_MODEL_PATH": "/nonexistent:" + dir + "/models"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try TestFiles.bytes(dir + "/env.ael"), try TestFiles.bytes(dir + "/q3.ael"))

        // aedec needs no option but where the models are: the files of all three levels in
        // one run, each with its own level's bundle (--stats names it).
        try FileManager.default.createDirectory(atPath: dir + "/mixed", withIntermediateDirectories: true)
        for level in 1...3 { try FileManager.default.copyItem(atPath: dir + "/q\(level).ael", toPath: dir + "/mixed/q\(level).ael") }
        r = try run("aedec", ["mixed", "-o", "back", "--stats"], in: dir, environment: ["AECODEC_MODEL_PATH": dir + "/models"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for level in 1...3 {
            XCTAssertEqual(try TestFiles.bytes(dir + "/back/q\(level).png"), Self.expected[level - 1].png)
            XCTAssertTrue(r.stdoutText.contains("q\(level).png: 128x96, read \(measured[level - 1].bytes) bytes"), r.stdoutText)
        }
        XCTAssertTrue(r.stdoutText.contains("level 1 of tiny") && r.stdoutText.contains("level 3 of tiny"), r.stdoutText)
        // Standard input too.
        r = try run("aedec", ["-", "-o", "stdin.png", "--model-path", "models"], in: dir, stdin: dir + "/q1.ael")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try TestFiles.bytes(dir + "/stdin.png"), Self.expected[0].png)
        // A file of none of the places searched: that file's error; the others decode.
        r = try run("aedec", ["mixed", "-o", "none", "--force"], in: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("mixed/q2.ael: was encoded with model \(filePrefix(level: 2)), which is in none of the places searched"), r.stderr)

        // aeinfo names the file's level when it finds the model.
        r = try run("aeinfo", ["q3.ael", "--model-path", "models"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdoutText.contains("model: models/tiny-3.aemodel, level 3 of tiny"), r.stdoutText)
        r = try run("aeinfo", ["--json", "q3.ael", "--model-path", "models"], in: dir)
        let json = try XCTUnwrap((try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]])?.first)  // an array of one
        let model = try XCTUnwrap(json["model"] as? [String: Any])
        XCTAssertEqual(model["fingerprint"] as? String, Self.levels[2].fingerprint)
        XCTAssertEqual((model["quality"] as? [String: Any])?["level"] as? Int, 3)
        r = try run("aeinfo", ["q3.ael"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdoutText.contains("model: "), "not found: no model line")
    }

    func testSizeAndBppKeepTheLargestLevelThatFits() throws {
        let dir = try folder()
        try writeExpected(dir)
        let sizes = Self.expected.map(\.file.count)
        let pixels = 128 * 96
        // (option, expected level, missed)
        let cases: [([String], Int, Bool)] = [
            (["--size", "\(sizes[1])"], 2, false),
            (["--size", "\(sizes[1] - 1)"], 1, false),
            (["--size", "\(sizes[2])"], 3, false),
            (["--size", "\(sizes[0] - 1)"], 1, true),
            (["--bpp", "\(Double(sizes[1] * 8) / Double(pixels))"], 2, false),
            (["--bpp", "0.001"], 1, true),
        ]
        for (option, level, missed) in cases {
            let r = try run("aeenc", ["in.png", "-o", "t.ael", "--force", "--stats"] + option + set, in: dir)
            XCTAssertEqual(r.status, 0, "\(option): \(r.stderr)")
            XCTAssertEqual(try TestFiles.bytes(dir + "/t.ael"), try TestFiles.bytes(dir + "/q\(level).ael"), "\(option)")
            XCTAssertTrue(r.stdoutText.contains("level \(level) of tiny"), "\(option): \(r.stdoutText)")
            if missed {
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
                XCTAssertTrue(r.stderr.hasPrefix("aeenc: in.png: warning: even level 1 of tiny, the smallest, takes "), r.stderr)
                XCTAssertTrue(r.stderr.contains("over \(option.joined(separator: " ")); wrote it"), r.stderr)
            } else {
                XCTAssertEqual(r.stderr, "", "\(option)")
            }
        }
    }

    func testPSNRKeepsTheSmallestLevelThatReachesIt() throws {
        let dir = try folder()
        try writeExpected(dir)
        let psnrs = Self.expected.map(\.psnr)
        let cases: [(Double, Int, Bool)] = [
            (psnrs[1] - 0.01, 2, false),
            (psnrs[1] + 0.01, 3, false),
            (psnrs[0] - 1, 1, false),
            (1, 1, false),
            (psnrs[2] + 0.5, 3, true),
        ]
        for (target, level, missed) in cases {
            let option = ["--psnr", String(format: "%.4f", target)]
            let r = try run("aeenc", ["in.png", "-o", "p.ael", "--force", "--stats"] + option + set, in: dir)
            XCTAssertEqual(r.status, 0, "\(option): \(r.stderr)")
            XCTAssertEqual(try TestFiles.bytes(dir + "/p.ael"), try TestFiles.bytes(dir + "/q\(level).ael"), "\(option)")
            // The measured PSNR is the one aedec's output gives.
            XCTAssertTrue(r.stdoutText.contains(String(format: "PSNR %.2f dB, level \(level) of tiny", psnrs[level - 1])), r.stdoutText)
            if missed {
                XCTAssertTrue(r.stderr.hasPrefix("aeenc: in.png: warning: even level 3 of tiny, the top one, reaches only "
                    + String(format: "%.2f dB", psnrs[2])), r.stderr)
            } else {
                XCTAssertEqual(r.stderr, "", "\(option)")
            }
        }
    }

    func testTargetsWorkPerFileAndThroughStandardStreams() throws {
        let dir = try folder()
        try writeExpected(dir)
        let sizes = Self.expected.map(\.file.count)
        // A second picture, half as tall: smaller files at every level, so --size sizes[1]
        // takes a higher level for it than for in.png.
        let small = CodecImage(image: QualityLevelTesting.picture(width: 128, height: 48), colorType: .rgb, bitDepth: 8)
        let smallFiles = try Self.levels.map { try EntropyCodec(bundle: $0).encode(small).encoded() }
        let fitting = try XCTUnwrap(smallFiles.last { $0.count <= sizes[1] })
        XCTAssertEqual(fitting, smallFiles[2], "b.png fits level 3")
        try FileManager.default.createDirectory(atPath: dir + "/many", withIntermediateDirectories: true)
        try TestFiles.write(try QualityLevelTesting.picture().encoded(), to: dir + "/many/a.png")
        try TestFiles.write(try small.image.encoded(), to: dir + "/many/b.png")
        var r = try run("aeenc", ["many", "-o", "out", "--size", "\(sizes[1])", "--threads", "2", "--stats"] + set, in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try TestFiles.bytes(dir + "/out/a.ael"), Self.expected[1].file)
        XCTAssertEqual(try TestFiles.bytes(dir + "/out/b.ael"), fitting)
        XCTAssertTrue(r.stdoutText.contains("a.ael: 128x96, wrote \(sizes[1]) bytes") && r.stdoutText.contains("level 3 of tiny"), r.stdoutText)

        // Standard input and output: the same bytes.
        let stdout = dir + "/stdout.ael"
        let enc = try ToolProcess("aeenc", ["-", "--size", "\(sizes[1])"] + set, in: dir, stdin: dir + "/in.png",
                                  stdout: .file(stdout), environment: ["AECODEC_MODEL_PATH": ""])
        XCTAssertEqual(enc.finish(), 0, enc.stderr)
        XCTAssertEqual(try TestFiles.bytes(stdout), try TestFiles.bytes(dir + "/q2.ael"))

        // --skip-existing keeps a file of any of the set's levels.
        r = try run("aeenc", ["many", "-o", "out", "--size", "\(sizes[1])", "--skip-existing"] + set, in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("kept 2 existing outputs"), r.stderr)
    }

    func testUnknownSetsLevelsAndBadCombinationsAreRefused() throws {
        let dir = try folder()
        // (arguments, exit status, what stderr says)
        let cases: [([String], Int32, String)] = [
            (["--model", "paintings", "--model-path", "models"], 1,
             "aeenc: paintings: no such model file, and no built-in model or quality set by that name (built-in: "),
            (["-q", "4"] + set, 64, "aeenc: -q 4: the quality set tiny has no level 4 (its levels: 1, 2, 3)"),
            (["-q", "1", "--model", "svhn-64"], 64, "aeenc: -q 1: chooses among the levels of a quality set, and built-in svhn-64 is a single model"),
            (["--size", "100", "--model", "models/tiny-1.aemodel"], 64, "aeenc: --size 100: chooses among the levels of a quality set, and models/tiny-1.aemodel is a single model"),
            (["--size", "100", "--latent", "f16"] + set, 64, "aeenc: --size 100: searches the levels' entropy-coded files; leave out --latent f16"),
            (["-q", "2", "--size", "100"] + set, 64, "-q, --size exclude each other"),
            (["--bpp", "1", "--psnr", "30"] + set, 64, "--bpp, --psnr exclude each other"),
            (["-q", "0"] + set, 64, "-q must be a level in 1...99"),
            (["--size", "0"] + set, 64, "--size must be a positive number of bytes"),
            (["--psnr", "-3"] + set, 64, "--psnr must be a positive number of dB"),
        ]
        for (arguments, status, message) in cases {
            let r = try run("aeenc", ["in.png", "-o", "x.ael"] + arguments, in: dir)
            XCTAssertEqual(r.status, status, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.ael"), "\(arguments)")
        }
        // The unknown set's message names the sets there are.
        let r = try run("aeenc", ["in.png", "--model", "paintings", "--model-path", "models"], in: dir)
        let sets = (ModelCatalog(folders: []).qualitySets().map(\.name) + ["tiny"]).sorted().joined(separator: ", ")
        XCTAssertTrue(r.stderr.contains("quality sets: \(sets)"), r.stderr)  // the built-in sets too
        // aedec has no level options.
        XCTAssertEqual(try run("aedec", ["x.ael", "-q", "1"], in: dir).status, 64)
    }

    func testAeinfoListsTheSetsAndStampingKeepsTheFingerprint() throws {
        let dir = try folder()
        // Stamp measured figures onto level 2 (as a new file in a second folder).
        try FileManager.default.createDirectory(atPath: dir + "/more", withIntermediateDirectories: true)
        var r = try run("aetrain", ["--stamp-quality", "models/tiny-2.aemodel", "--quality-set", "tiny", "--quality-level", "2",
                                    "--kodak-bpp", "0.25", "--kodak-psnr", "30.5", "-o", "more/tiny-2b.aemodel"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let stamped = try ModelBundle.read(path: dir + "/more/tiny-2b.aemodel")
        XCTAssertEqual(stamped.fingerprint, Self.levels[1].fingerprint)
        XCTAssertEqual(stamped.metadata.quality, BundleMetadata.QualityInfo(set: "tiny", level: 2, kodakBitsPerPixel: 0.25, kodakPSNR: 30.5))
        XCTAssertTrue(r.stderr.contains("as level 2 of tiny (fingerprint \(stamped.fingerprint), unchanged)"), r.stderr)
        // --weights f16 converts while stamping: half the size, a new fingerprint, said so.
        try FileManager.default.createDirectory(atPath: dir + "/half", withIntermediateDirectories: true)
        r = try run("aetrain", ["--stamp-quality", "models/tiny-2.aemodel", "--quality-set", "tiny", "--quality-level", "2",
                                "--weights", "f16", "-o", "half/tiny-2.aemodel"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let half = try ModelBundle.read(path: dir + "/half/tiny-2.aemodel")
        XCTAssertEqual(half.weightType, .f16)
        XCTAssertNotEqual(half.fingerprint, Self.levels[1].fingerprint)
        XCTAssertTrue(r.stderr.contains("(fingerprint \(half.fingerprint), was \(Self.levels[1].fingerprint): weights converted to f16)"), r.stderr)
        // Another set's level 1, from the stamped bundle.
        r = try run("aetrain", ["--stamp-quality", "models/tiny-1.aemodel", "--quality-set", "other", "--quality-level", "1",
                                "-o", "more/other-1.aemodel"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)

        // more/ first: its level 2 (with figures) is used, models/'s is shadowed.
        r = try run("aeinfo", ["--models", "--model-path", "more", "--model-path", "models"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = r.stdoutText
        XCTAssertTrue(text.contains("  tiny: levels 1, 2, 3 (default 2)"), text)
        XCTAssertTrue(text.contains("    level 2  more/tiny-2b.aemodel  0.250 bpp, 30.50 dB on Kodak"), text)
        XCTAssertTrue(text.contains("    level 1  models/tiny-1.aemodel  not measured on Kodak"), text)
        XCTAssertTrue(text.contains("(not used: models/tiny-2.aemodel, which claims level 2 again)"), text)
        XCTAssertTrue(text.contains("  other: levels 1 (default 1)"), text)
        r = try run("aeinfo", ["--models", "--json", "--model-path", "more", "--model-path", "models"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let list = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]])
        XCTAssertEqual(list.filter { $0["builtIn"] as? Bool == true }.compactMap { $0["name"] as? String }, EmbeddedModels.names)
        let level2 = try XCTUnwrap(list.first { $0["path"] as? String == "more/tiny-2b.aemodel" })
        XCTAssertEqual(level2["fingerprint"] as? String, Self.levels[1].fingerprint)
        let quality = try XCTUnwrap(level2["quality"] as? [String: Any])
        XCTAssertEqual(quality["kodakBitsPerPixel"] as? Double, 0.25)
        XCTAssertEqual(quality["level"] as? Int, 2)
        XCTAssertEqual(list.filter { $0["builtIn"] as? Bool == false }.count, 5, "3 + 1 shadowed + other's 1")
        // aeinfo on the bundle shows its record.
        r = try run("aeinfo", ["more/tiny-2b.aemodel"], in: dir)
        XCTAssertTrue(r.stdoutText.contains("quality: level 2 of tiny (0.250 bpp, 30.50 dB on Kodak) (aeenc --model tiny -q 2)"), r.stdoutText)

        // Bad stamping requests are usage errors.
        for arguments in [["--stamp-quality", "models/tiny-1.aemodel", "-o", "s.aemodel"],
                          ["--stamp-quality", "models/tiny-1.aemodel", "--quality-set", "Tiny", "--quality-level", "1", "-o", "s.aemodel"],
                          ["--stamp-quality", "models/tiny-1.aemodel", "--quality-set", "tiny", "--quality-level", "100", "-o", "s.aemodel"],
                          ["--stamp-quality", "models/tiny-1.aemodel", "--quality-set", "tiny", "--quality-level", "1", "--weights", "f8", "-o", "s.aemodel"],
                          ["--quality-set", "tiny", "--quality-level", "1", "--kodak-bpp", "1", "x.png", "-o", "s.aemodel"]] {
            r = try run("aetrain", arguments, in: dir)
            XCTAssertEqual(r.status, 64, "\(arguments): \(r.stderr)")
        }
        // Never over the bundle it reads.
        r = try run("aetrain", ["--stamp-quality", "models/tiny-1.aemodel", "--quality-set", "tiny", "--quality-level", "1",
                                "-o", "models/tiny-1.aemodel", "--force"], in: dir)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("is read by this run"), r.stderr)
    }
}
