import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import AETestSupport
import Foundation
import XCTest

/// Runs the built `aeenc`, `aedec` and `aeinfo` executables: exit codes, messages,
/// standard input/output, folders, overwriting, interruption. The executables are
/// looked for next to the test binary (`.build/<config>/`); the tests are skipped
/// when they are not there.
final class AECodecToolTests: XCTestCase {
    /// Runs a tool to the end (or, with `interruptWhen`, sends SIGINT as soon as it returns true).
    @discardableResult
    func run(_ name: String, _ arguments: [String], stdin: String? = nil, in folder: String? = nil,
             interruptWhen: (() -> Bool)? = nil) throws -> ToolProcess.Result {
        let tool = try ToolProcess(name, arguments, in: folder, stdin: stdin)
        if let condition = interruptWhen {
            let deadline = Date().addingTimeInterval(60)
            while tool.isRunning && !condition() && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            tool.send(SIGINT)
        }
        return tool.result()
    }

    func folder() throws -> String { try TestFiles.temporaryFolder(self) }

    func writePNG(_ path: String, width: Int, height: Int, colorType: Int = 2, bitDepth: Int = 8, seed: Int = 1) throws {
        let (png, _) = TestPNG.sample(width: width, height: height, colorType: colorType, bitDepth: bitDepth,
                                      transparency: colorType == 0, seed: seed)
        try TestFiles.write(png, to: path)
    }

    func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// Files of a folder, hidden ones (temporary files) included.
    func listing(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    // MARK: Single files

    /// Without --model, aeenc codes with the photo codec's default level (when its levels
    /// are built in): the same bytes as --model photo and as that level's own name, for a
    /// photo and a 32x32 digit alike; svhn-64 stays by name.
    func testTheDefaultModelIsThePhotoCodecsDefaultLevel() throws {
        try XCTSkipUnless(EmbeddedModels.names.contains("photo-1"), "the photo levels are not built in")
        XCTAssertEqual(EmbeddedModels.defaultName, "photo")
        let level = EmbeddedModels.defaultModelName
        XCTAssertTrue(level.hasPrefix("photo-"), level)
        let dir = try folder()
        try writePNG(dir + "/photo.png", width: 160, height: 128)
        try writePNG(dir + "/digit.png", width: 32, height: 32)
        for image in ["photo", "digit"] {
            for (options, name) in [([String](), "default"), (["--model", "photo"], "set"), (["--model", level], "level"),
                                    (["--model", "svhn-64"], "tile")] {
                let r = try run("aeenc", ["\(image).png", "-o", "\(image)-\(name).ael", "--quiet"] + options, in: dir)
                XCTAssertEqual(r.status, 0, r.stderr)
                XCTAssertEqual(r.stderr, "")
            }
            let bytes = { (name: String) in FileManager.default.contents(atPath: dir + "/\(image)-\(name).ael") }
            XCTAssertNotNil(bytes("default"))
            XCTAssertEqual(bytes("default"), bytes("set"), image)
            XCTAssertEqual(bytes("default"), bytes("level"), image)
            XCTAssertNotEqual(bytes("default"), bytes("tile"), image)
        }
    }

    func testEncodeAndDecodeOneFileWithStatsAndReference() throws {
        let dir = try folder()
        try writePNG(dir + "/photo.png", width: 45, height: 30, colorType: 6)
        let enc = try run("aeenc", ["photo.png", "--stats"], in: dir)
        XCTAssertEqual(enc.status, 0, enc.stderr)
        XCTAssertEqual(enc.stderr, "")
        let stats = String(decoding: enc.stdout, as: UTF8.self)
        let size = try bytes(dir + "/photo.ael").count
        XCTAssertTrue(stats.hasPrefix("photo.png -> photo.ael: 45x30, wrote \(size) bytes, "), stats)
        XCTAssertTrue(stats.contains(String(format: "%.3f bpp", Double(size * 8) / 1350)), stats)
        XCTAssertTrue(stats.contains(String(format: "ratio %.1f:1 vs raw RGB", 4050 / Double(size))), stats)

        // The default output name of aedec is the original: never overwritten.
        let refused = try run("aedec", ["photo.ael"], in: dir)
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderr, "aedec: photo.png: already exists (use --force to overwrite)\n")

        let dec = try run("aedec", ["photo.ael", "-o", "back.png", "--reference", "photo.png"], in: dir)
        XCTAssertEqual(dec.status, 0, dec.stderr)
        let line = String(decoding: dec.stdout, as: UTF8.self)
        XCTAssertTrue(line.hasPrefix("photo.ael -> back.png: 45x30, read \(size) bytes"), line)
        XCTAssertTrue(line.contains("MSE ") && line.contains("PSNR ") && line.contains(" dB, SSIM ") && line.hasSuffix(" s\n"), line)
        let back = try PNGImage.read(path: dir + "/back.png")
        XCTAssertEqual([back.width, back.height, back.channels], [45, 30, 4])
        XCTAssertEqual(try listing(dir), ["back.png", "photo.ael", "photo.png"])
    }

    func testStandardInputAndOutput() throws {
        let dir = try folder()
        try writePNG(dir + "/a.png", width: 40, height: 33, colorType: 0)
        XCTAssertEqual(try run("aeenc", ["a.png"], in: dir).status, 0)
        let piped = try run("aeenc", ["-"], stdin: dir + "/a.png")
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual([UInt8](piped.stdout), try bytes(dir + "/a.ael"), "stdin/stdout must give the file's bytes")
        let toStdout = try run("aeenc", ["a.png", "-o", "-", "--stats"], in: dir)
        XCTAssertEqual([UInt8](toStdout.stdout), try bytes(dir + "/a.ael"))
        XCTAssertTrue(toStdout.stderr.hasPrefix("a.png -> -: 40x33"), "stats go to stderr when the data use stdout")

        let decoded = try run("aedec", ["-"], stdin: dir + "/a.ael")
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(try run("aedec", ["a.ael", "-o", "b.png"], in: dir).status, 0)
        XCTAssertEqual([UInt8](decoded.stdout), try bytes(dir + "/b.png"))
        XCTAssertEqual(try PNGImage.header(of: [UInt8](decoded.stdout)).colorType, 4, "gray + tRNS comes back gray + alpha")

        let bad = try run("aeenc", ["-"], stdin: dir + "/a.ael")
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr, "aeenc: <stdin>: is a latent file (.ael), not an image: decode it with aedec\n")
        XCTAssertTrue(bad.stdout.isEmpty)
    }

    // MARK: Folders and several files

    func testFolderModeOverTwoWorkersGivesTheSingleFileBytes() throws {
        let dir = try folder()
        let input = dir + "/in"
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        let shapes = [(32, 32, 2), (1, 1, 0), (33, 17, 6), (100, 7, 3), (70, 65, 4), (64, 40, 2)]
        for (i, (w, h, t)) in shapes.enumerated() {
            try writePNG(input + "/img\(i).png", width: w, height: h, colorType: t, seed: i)
        }
        try TestFiles.write(Array("notes".utf8), to: input + "/readme.txt")

        // readme.txt is not an image: named, skipped, and exit status 2 (every image done).
        let enc = try run("aeenc", ["in", "-o", "latents", "--threads", "2"], in: dir)
        XCTAssertEqual(enc.status, 2, enc.stderr)
        XCTAssertEqual(enc.stderr, "aeenc: in/readme.txt: skipped: not a PNG, JPEG or WebP image (starts with 6e 6f 74 65 73)\n"
                       + "aeenc: skipped 1 entry of the input folders (named above)\n")
        XCTAssertEqual(try listing(dir + "/latents"), (0..<6).map { "img\($0).ael" })
        // Each file as encoded alone, single-threaded: the same bytes.
        for i in 0..<6 {
            let alone = try run("aeenc", ["in/img\(i).png", "-o", "-", "--threads", "1"], in: dir)
            XCTAssertEqual([UInt8](alone.stdout), try bytes(dir + "/latents/img\(i).ael"), "img\(i)")
        }
        let dec = try run("aedec", ["latents", "-o", "decoded"], in: dir)
        XCTAssertEqual(dec.status, 0, dec.stderr)
        XCTAssertEqual(try listing(dir + "/decoded"), (0..<6).map { "img\($0).png" })
        for (i, (w, h, t)) in shapes.enumerated() {
            let header = try PNGImage.header(of: try bytes(dir + "/decoded/img\(i).png"))
            XCTAssertEqual([header.width, header.height], [w, h])
            XCTAssertEqual(header.colorType, [0: 4, 2: 2, 3: 2, 4: 4, 6: 6][t]!, "img\(i) type \(t)")
        }

        // Several files without -o: next to their inputs; a failure does not stop the others.
        try TestFiles.write(Array("not a png".utf8), to: dir + "/broken.png")
        let mixed = try run("aeenc", ["in/img0.png", "broken.png", "in/img2.png"], in: dir)
        XCTAssertEqual(mixed.status, 1)
        XCTAssertEqual(mixed.stderr, "aeenc: broken.png: not a PNG, JPEG or WebP image (starts with 6e 6f 74 20 61 20 70 6e)\naeenc: 1 of 3 files failed\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: input + "/img0.ael"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: input + "/img2.ael"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/broken.ael"))

        // Several inputs need an output folder, not a file name.
        let notFolder = try run("aeenc", ["in/img0.png", "in/img1.png", "-o", "both.ael"], in: dir)
        XCTAssertEqual(notFolder.status, 1)
        XCTAssertEqual(notFolder.stderr, "aeenc: both.ael: with several inputs, -o names an output folder, not a .ael file\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/both.ael"))
    }

    // MARK: Overwriting

    func testNeverOverwritesWithoutForceAndNeverAnInput() throws {
        let dir = try folder()
        try writePNG(dir + "/x.png", width: 20, height: 20)
        XCTAssertEqual(try run("aeenc", ["x.png"], in: dir).status, 0)
        try TestFiles.write([1, 2, 3], to: dir + "/x.ael")
        let again = try run("aeenc", ["x.png"], in: dir)
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "aeenc: x.ael: already exists (use --force to overwrite)\n")
        XCTAssertEqual(try bytes(dir + "/x.ael"), [1, 2, 3])
        let forced = try run("aeenc", ["x.png", "--force"], in: dir)
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(Array(try bytes(dir + "/x.ael").prefix(4)), LatentFile.magic)

        // The output is the input (directly, or through a symlink), even with --force.
        let same = try run("aeenc", ["x.png", "-o", "x.png", "--force"], in: dir)
        XCTAssertEqual(same.status, 1)
        XCTAssertTrue(same.stderr.contains("is read by this run"), same.stderr)
        // (.png: aedec refuses other output extensions as a usage error before anything else.)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.png", withDestinationPath: "x.ael")
        let viaLink = try run("aedec", ["x.ael", "-o", "link.png", "--force"], in: dir)
        XCTAssertEqual(viaLink.status, 1)
        XCTAssertTrue(viaLink.stderr.contains("is read by this run"), viaLink.stderr)
        XCTAssertEqual(Array(try bytes(dir + "/x.ael").prefix(4)), LatentFile.magic)
        XCTAssertEqual(try listing(dir), ["link.png", "x.ael", "x.png"])
    }

    /// Issue 17.1: `--reference` files (and the model) are read by the run, so never outputs,
    /// even with --force: single file, default output name, folders, standard input.
    func testNeverOverwritesTheReferenceOrTheModel() throws {
        let dir = try folder()
        try writePNG(dir + "/x.png", width: 20, height: 20)
        XCTAssertEqual(try run("aeenc", ["x.png"], in: dir).status, 0)
        let original = try bytes(dir + "/x.png")
        // The output defaults to x.png beside x.ael, which is also the reference.
        let byDefault = try run("aedec", ["x.ael", "--reference", "x.png", "--force"], in: dir)
        XCTAssertEqual(byDefault.status, 1)
        XCTAssertTrue(byDefault.stderr.contains("is read by this run"), byDefault.stderr)
        XCTAssertEqual(try bytes(dir + "/x.png"), original)
        let named = try run("aedec", ["x.ael", "-o", "x.png", "--reference", "x.png", "--force"], in: dir)
        XCTAssertEqual(named.status, 1)
        XCTAssertEqual(try bytes(dir + "/x.png"), original)
        let stdin = try run("aedec", ["-", "-o", "x.png", "--reference", "x.png", "--force"], stdin: dir + "/x.ael", in: dir)
        XCTAssertEqual(stdin.status, 1)
        XCTAssertEqual(try bytes(dir + "/x.png"), original)

        // Folders: latents/ decoded into originals/, references from originals/.
        try FileManager.default.createDirectory(atPath: dir + "/originals", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/latents", withIntermediateDirectories: true)
        try writePNG(dir + "/originals/a.png", width: 20, height: 12)
        try writePNG(dir + "/originals/b.png", width: 12, height: 20)
        XCTAssertEqual(try run("aeenc", ["originals", "-o", "latents"], in: dir).status, 0)
        let a = try bytes(dir + "/originals/a.png"), b = try bytes(dir + "/originals/b.png")
        let folders = try run("aedec", ["latents", "-o", "originals", "--reference", "originals", "--force"], in: dir)
        XCTAssertEqual(folders.status, 1)
        XCTAssertEqual(try bytes(dir + "/originals/a.png"), a)
        XCTAssertEqual(try bytes(dir + "/originals/b.png"), b)

        // The model file given with --model.
        let model = dir + "/model.aemodel"
        try FileManager.default.copyItem(atPath: TestFixtures.goldenBundlePath, toPath: model)
        let modelBytes = try bytes(model)
        try writePNG(dir + "/g.png", width: 32, height: 32)
        let overModel = try run("aeenc", ["g.png", "--model", "model.aemodel", "-o", "model.aemodel", "--force"], in: dir)
        XCTAssertEqual(overModel.status, 1)
        XCTAssertEqual(try bytes(model), modelBytes)
    }

    // MARK: Refusals

    func testRefusalsAreOneLineAndLeaveNoOutput() throws {
        let dir = try folder()
        try writePNG(dir + "/p.png", width: 36, height: 20)
        XCTAssertEqual(try run("aeenc", ["--model", "svhn-64", "p.png"], in: dir).status, 0)
        let golden = TestFixtures.goldenBundlePath

        // Decoding with another model names both fingerprints and the matching built-in model.
        let wrong = try run("aedec", ["p.ael", "-o", "w.png", "--model", golden], in: dir)
        XCTAssertEqual(wrong.status, 1)
        let bundle = try XCTUnwrap(try EmbeddedModels.bundle(named: EmbeddedModels.digitModelName))
        let goldenFP = try ModelBundle.read(path: golden).fingerprint
        XCTAssertEqual(wrong.stderr, "aedec: p.ael: was encoded with model \(bundle.fingerprint.prefix(16)) but the model in use "
                       + "(\(golden)) is \(goldenFP); it matches the built-in model \(EmbeddedModels.digitModelName): "
                       + "use --model \(EmbeddedModels.digitModelName)\n")

        // Damaged latent files.
        let good = try bytes(dir + "/p.ael")
        try TestFiles.write(Array(good.prefix(good.count - 5)), to: dir + "/cut.ael")
        var flipped = good
        flipped[good.count / 2] ^= 0x40
        try TestFiles.write(flipped, to: dir + "/flip.ael")
        var future = good
        future[4] = 0x30  // major 3: 1 and 2 are read
        try TestFiles.write(future, to: dir + "/future.ael")
        for name in ["cut", "flip", "future"] {
            let r = try run("aedec", ["\(name).ael"], in: dir)
            XCTAssertEqual(r.status, 1, name)
            XCTAssertTrue(r.stderr.hasPrefix("aedec: \(name).ael: "), r.stderr)
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
        }
        XCTAssertTrue(try run("aedec", ["future.ael"], in: dir).stderr.contains("version"))

        // Not a PNG, an empty file, a PNG declaring a huge image, a missing file, a PNG to aedec.
        try TestFiles.write(Array("GIF89a".utf8), to: dir + "/fake.png")
        try TestFiles.write([], to: dir + "/empty.png")
        var huge: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], ihdr: [UInt8] = []
        TestPNG.be32(20_000, &ihdr); TestPNG.be32(20_000, &ihdr)
        ihdr += [8, 2, 0, 0, 0]
        TestPNG.chunk("IHDR", ihdr, &huge)
        TestPNG.chunk("IDAT", Zlib.compress([0]), &huge)
        TestPNG.chunk("IEND", [], &huge)
        try TestFiles.write(huge, to: dir + "/huge.png")
        let expectations = [
            ("aeenc", "fake.png", "aeenc: fake.png: not a PNG, JPEG or WebP image (starts with 47 49 46 38 39 61)"),
            ("aeenc", "empty.png", "aeenc: empty.png: empty file, not a PNG, JPEG or WebP image"),
            ("aeenc", "huge.png", "aeenc: huge.png: image is 20000x20000, over the codec's limit of 16384 pixels a side and 134217728 pixels in all"),
            ("aeenc", "missing.png", "aeenc: missing.png: no such file or folder"),
            ("aedec", "p.png", "aedec: p.png: is a PNG image, not a latent file: encode it with aeenc"),
        ]
        for (tool, input, message) in expectations {
            let r = try run(tool, [input, "-o", "out.\(tool == "aeenc" ? "ael" : "png")"], in: dir)
            XCTAssertEqual(r.status, 1, input)
            XCTAssertEqual(r.stderr, message + "\n")
        }
        let unknownModel = try run("aeenc", ["p.png", "--model", "svhn-9000", "-o", "m.ael"], in: dir)
        XCTAssertEqual(unknownModel.status, 1)
        XCTAssertTrue(unknownModel.stderr.hasPrefix("aeenc: svhn-9000: no such model file, and no built-in model or quality set by that name"), unknownModel.stderr)
        // Nothing but the inputs and the one good output.
        XCTAssertEqual(try listing(dir), ["cut.ael", "empty.png", "fake.png", "flip.ael", "future.ael", "huge.png", "p.ael", "p.png"])
    }

    // MARK: Ctrl-C

    func testInterruptStopsBetweenFilesLeavingCompleteOutputs() throws {
        let dir = try folder()
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        for i in 0..<40 { try writePNG(dir + "/in/f\(String(format: "%02d", i)).png", width: 256, height: 256, seed: i) }
        // Interrupt once the first outputs exist (the signal handler is installed by then).
        let r = try run("aeenc", ["--model", "svhn-64", "in", "-o", "out"], in: dir, interruptWhen: {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/out")) ?? []).contains { $0.hasSuffix(".ael") }
        })
        let written = try listing(dir + "/out")
        XCTAssertFalse(written.contains { $0.hasPrefix(".") }, "temporary files left: \(written)")
        for name in written { XCTAssertNoThrow(try LatentFile.read(path: dir + "/out/" + name), name) }
        guard r.status != 0 else { throw XCTSkip("the run finished before the interrupt arrived") }
        XCTAssertEqual(r.status, 130, r.stderr)
        XCTAssertLessThan(written.count, 40)
        XCTAssertTrue(r.stderr.hasSuffix("aeenc: interrupted: \(written.count) of 40 files written, each complete; the rest not started\n"),
                      r.stderr)
    }

    /// Issue 17.9 and 17.17: Ctrl-C during one large image stops its tile loop (exit 130,
    /// no output); a second signal ends the process at once while all threads are busy.
    func testInterruptStopsInsideOneLargeImage() throws {
        let dir = try folder()
        try writePNG(dir + "/big.png", width: 2048, height: 2048)
        for signals in [1, 2] {
            let process = try ToolProcess("aeenc", ["big.png", "--threads", "2", "--force"], in: dir, stdout: .file("/dev/null"))
            Thread.sleep(forTimeInterval: 1.0)  // past start-up and the PNG decoding, into the tiles
            guard process.isRunning else { throw XCTSkip("the encode finished within a second") }
            let sent = Date()
            // Two different signals, so the second is not merged with a still-pending first.
            kill(process.pid, SIGINT)
            if signals == 2 { kill(process.pid, SIGTERM) }
            process.finish(timeout: 60)
            let stopSeconds = Date().timeIntervalSince(sent)
            let stderr = process.stderr
            // Within a chunk's time (a few seconds, more under ThreadSanitizer), not the
            // whole image's (about ten times longer).
            XCTAssertLessThan(stopSeconds, 20, "stopped \(stopSeconds) s after the signal")
            if signals == 1 {
                XCTAssertEqual(process.termination, .exited(130), stderr)
                XCTAssertTrue(stderr.hasSuffix("aeenc: interrupted: 0 of 1 files written, each complete; the rest not started\n"), stderr)
            } else {
                // Whichever of the two was handled second ends it.
                XCTAssertTrue([.signalled(SIGINT), .signalled(SIGTERM)].contains(process.termination), "\(process.termination)")
            }
            XCTAssertEqual(try listing(dir), ["big.png"], "no output, no temporary file")
        }
    }

    // MARK: Failing standard output

    /// Issue 17.4: a full or closed standard output is a one-line error and exit 1, not a crash.
    func testFailingStandardOutputIsAnError() throws {
        let dir = try folder()
        try writePNG(dir + "/x.png", width: 40, height: 40)
        XCTAssertEqual(try run("aeenc", ["x.png"], in: dir).status, 0)
        for (name, input) in [("aeenc", "x.png"), ("aedec", "x.ael")] {
            // /dev/full: every write fails with ENOSPC.
            let full = try ToolProcess.run(name, [input, "-o", "-"], in: dir, stdout: .file("/dev/full"))
            XCTAssertEqual(full.termination, .exited(1), full.stderr)
            XCTAssertEqual(full.stderr, "\(name): -: cannot write to standard output: No space left on device\n")

            // A pipe nobody reads any more: EPIPE, not a silent SIGPIPE death.
            let closed = try ToolProcess.run(name, [input, "-o", "-"], in: dir, stdout: .closedPipe)
            XCTAssertEqual(closed.termination, .exited(1), closed.stderr)
            XCTAssertEqual(closed.stderr, "\(name): -: cannot write to standard output: Broken pipe\n")
        }
    }

    // MARK: aeinfo

    func testAeinfoListsTheBuiltInModels() throws {
        let r = try run("aeinfo", ["--models"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = String(decoding: r.stdout, as: UTF8.self)
        let bundle = try XCTUnwrap(try EmbeddedModels.bundle(named: EmbeddedModels.digitModelName))
        XCTAssertTrue(text.contains("\(EmbeddedModels.digitModelName)  latent 64"), text)
        XCTAssertTrue(text.contains(bundle.fingerprint), text)
    }
}
