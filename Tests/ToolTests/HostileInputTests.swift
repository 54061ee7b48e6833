import AECodec
import AECommandLine
import AEData
import AEFormats
import AEProcess
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// Issue 17: the failures a hostile user found from outside, one test each (or a few per
/// test where they share a setting). Tool-level where the defect was tool-level.
final class HostileInputTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try TestFiles.temporaryFolder(self)
    }

    private func png(_ name: String, width: Int = 40, height: Int = 24, seed: Int = 1) throws {
        try TestFiles.write(TestPNG.sample(width: width, height: height, colorType: 2, bitDepth: 8, seed: seed).png,
                               to: dir + "/" + name)
    }

    private func run(_ tool: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws
        -> ToolProcess.Result {
        try ToolProcess.run(tool, arguments, in: dir, file: file, line: line)
    }

    private func listing(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    // MARK: 8, 12, 22: folders

    /// A FIFO named *.png in an input folder is named and skipped (it used to block the
    /// run in open()); an explicit FIFO input is still read.
    func testFIFOsInFoldersAreSkippedAndExplicitOnesRead() throws {
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: false)
        try png("in/b.png")
        XCTAssertEqual(mkfifo(dir + "/in/a.png", 0o644), 0)
        let r = try ToolProcess("aeenc", ["--model", "svhn-64", "in", "-o", "out"], in: dir)
        XCTAssertEqual(r.finish(timeout: 60), 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("aeenc: in/a.png: is not a regular file (a FIFO, device or socket); skipped\n"), r.stderr)
        XCTAssertEqual(try listing(dir + "/out"), ["b.ael"])

        // Named on the command line, a FIFO is read like a pipe.
        XCTAssertEqual(mkfifo(dir + "/pipe.png", 0o644), 0)
        let reader = try ToolProcess("aeenc", ["--model", "svhn-64", "pipe.png", "-o", "pipe.ael"], in: dir)
        let writer = FileHandle(forWritingAtPath: dir + "/pipe.png")!  // opens once the reader has
        writer.write(Data(try TestFiles.bytes(dir + "/in/b.png")))
        try writer.close()
        XCTAssertEqual(reader.finish(timeout: 60), 0, reader.stderr)
        XCTAssertEqual(try LatentFile.read(path: dir + "/pipe.ael").width, 40)
    }

    /// Nothing to convert: no output folder is left behind, and one empty folder named like
    /// a file is reported as what it is.
    func testNothingToDoLeavesNoOutputFolder() throws {
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: false)
        let r = try run("aeenc", ["empty", "-o", "outdir"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "aeenc: empty: the folder holds no PNG, JPEG or WebP images\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/outdir"))

        try FileManager.default.createDirectory(atPath: dir + "/x.png", withIntermediateDirectories: false)
        let folderNamedPNG = try run("aeenc", ["x.png", "-o", "x.ael"])
        XCTAssertEqual(folderNamedPNG.status, 1)
        XCTAssertEqual(folderNamedPNG.stderr, "aeenc: x.png: the folder holds no PNG, JPEG or WebP images\n")
        XCTAssertEqual(try listing(dir), ["empty", "x.png"])
    }

    // MARK: 14: --skip-existing

    func testSkipExistingRefusesAPNGWithoutItsEnd() throws {
        try png("a.png")
        XCTAssertEqual(try run("aeenc", ["a.png"]).status, 0)
        XCTAssertEqual(try run("aedec", ["a.ael", "-o", "d.png"]).status, 0)
        let whole = try TestFiles.bytes(dir + "/d.png")
        XCTAssertEqual(Array(whole.suffix(12)), PNGImage.endChunk)
        try TestFiles.write(Array(whole.dropLast(12)), to: dir + "/d.png")
        let r = try run("aedec", ["a.ael", "-o", "d.png", "--skip-existing"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("d.png: already exists and is not a complete PNG (it does not end with the IEND chunk)"), r.stderr)
        XCTAssertEqual(try TestFiles.bytes(dir + "/d.png"), Array(whole.dropLast(12)), "left as it was")
        // The complete file is kept.
        try TestFiles.write(whole, to: dir + "/d.png")
        XCTAssertEqual(try run("aedec", ["a.ael", "-o", "d.png", "--skip-existing"]).status, 0)
    }

    // MARK: 15, 16, 21: arguments

    func testOptionLikeWordsAndNegativeNumbersAreReportedAsWhatTheyAre() throws {
        try png("-dash.png")
        for (arguments, message) in [
            (["-dash.png"], "unknown option '-dash.png' (one-dash options are single letters); to name a file starting with '-', write ./-dash.png or put it after --"),
            (["-x.png"], "unknown option '-x.png'"),
            (["--bogus"], "Unknown option '--bogus'"),
            (["a.png", "--bits", "-8"], "--bits must be 8 or 16, got -8"),
        ] {
            let r = try run("aeenc", arguments)
            XCTAssertEqual(r.status, 64, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("OVERVIEW"), "no help for \(arguments)")
        }
        XCTAssertEqual(try listing(dir), ["-dash.png"], "nothing written")
        XCTAssertEqual(try run("aeenc", ["./-dash.png"]).status, 0)
        XCTAssertEqual(try run("aedec", ["-o", "back.png", "--", "-dash.ael"]).status, 0)

        let epochs = try run("aetrain", ["synthetic:10", "-o", "m.aemodel", "--epochs", "-1"])
        XCTAssertEqual(epochs.status, 64)
        XCTAssertTrue(epochs.stderr.contains("--epochs must be in 1...1,000,000, got -1"), epochs.stderr)
    }

    func testHelpListsEveryExitStatus() throws {
        for arguments in [["aeenc", "--help"], ["aedec", "--help"], ["aeinfo", "--help"], ["aetrain", "train", "--help"],
                          ["aetrain", "report", "--help"]] {
            let tool = try ToolProcess(arguments[0], Array(arguments.dropFirst()), in: dir)
            XCTAssertEqual(tool.finish(timeout: 60), 0)
            let help = tool.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // layout aside
            XCTAssertTrue(help.contains("64 usage error"), "\(arguments): \(help)")
        }
    }

    // MARK: 10, 11: limits of aetrain's numbers

    func testHugeNumbersAreRefusedBeforeAllocating() throws {
        for (arguments, message) in [
            (["--summary", "--latent-dim", "1000000000"], "--latent-dim must be in 1...4096, got 1000000000"),
            (["--summary", "--latent-dim", "65537"], "--latent-dim must be in 1...4096, got 65537"),
            (["synthetic:10", "-o", "m.aemodel", "--batch-size", "9223372036854775807"], "--batch-size must be in 1...65,536"),
            (["synthetic:10", "-o", "m.aemodel", "--threads", "10000"], "--threads must be in 1...256"),
            (["synthetic:10", "-o", "m.aemodel", "--limit", "5000000"], "--limit must be in 1...4,000,000"),
        ] {
            let r = try run("aetrain", arguments)
            XCTAssertEqual(r.status, 64, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
        let photos = TestFixtures.path("data/svhn_photos")
        for data in ["synthetic:100000000000", TestFixtures.path("data/images.npy") + "+synthetic:4000001",
                     "png:\(photos)/train,crops=random,count=1000000000",
                     "png:\(photos)/train,crops=random,per-image=3000000",
                     "svhn-photos:\(photos),count=1000000000"] {
            let r = try run("aetrain", [data, "-o", "m.aemodel"])
            XCTAssertEqual(r.status, 1, "\(data): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("4,000,000 images a data set may hold"), "\(data): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("\n") && r.stderr.firstIndex(of: "\n") != r.stderr.index(before: r.stderr.endIndex),
                           "one line: \(r.stderr)")
        }
        XCTAssertEqual(try listing(dir), [])
    }

    /// Without a shuffle, --limit bounds what generated sources make; the images are the
    /// same as the first ones of the full count.
    func testLimitBoundsGeneratedSources() throws {
        let limited = try DataSource.load("synthetic:200000,seed=4", limit: 100, threads: 2)
        XCTAssertEqual(limited.images.count, 100)
        XCTAssertEqual(limited.totalBeforeLimit, 100, "only the kept images were made")
        let full = try DataSource.load("synthetic:300,seed=4", threads: 2)
        XCTAssertEqual(limited.images.pixels, Array(full.images.pixels.prefix(100 * 3072)))

        let photos = TestFixtures.path("data/svhn_photos")
        let crops = try DataSource.load("svhn-photos:\(photos),count=500,seed=2", limit: 30, threads: 2)
        let allCrops = try DataSource.load("svhn-photos:\(photos),count=500,seed=2", threads: 2)
        XCTAssertEqual(crops.images.count, 30)
        XCTAssertEqual(crops.images.pixels, Array(allCrops.images.pixels.prefix(30 * 3072)))
        // With a shuffle every image is made, so the kept ones are a sample of all of them.
        XCTAssertEqual(try DataSource.load("synthetic:300,seed=4", limit: 100, shuffleSeed: 1, threads: 2).totalBeforeLimit, 300)
    }

    // MARK: 19: Ctrl-C before the first checkpoint

    func testInterruptBeforeTheFirstEpochSaysThereIsNoCheckpoint() throws {
        let tool = try ToolProcess("aetrain", ["synthetic:4000", "--latent-dim", "4", "--epochs", "2", "-o", "m.aemodel"], in: dir)
        guard tool.wait(until: { tool.stderr.contains("Data:") }, timeout: 120) else {
            throw XCTSkip("aetrain ended before its data was loaded: \(tool.stderr)")
        }
        kill(tool.pid, SIGINT)
        XCTAssertEqual(tool.finish(timeout: 120), 130, tool.stderr)
        guard !FileManager.default.fileExists(atPath: dir + "/m.aemodel.checkpoint") else {
            throw XCTSkip("the first epoch finished before the interrupt")
        }
        XCTAssertTrue(tool.stderr.contains("aetrain: m.aemodel: interrupted during epoch 1 before the first epoch finished, so there is no checkpoint: rerun without --resume to start again"),
                      tool.stderr)
    }

    // MARK: 20, 23, 24: messages

    /// A model whose latents come out NaN names the input; a damaged quantisation table
    /// names the model; never "<memory>".
    func testErrorsNameTheUsersFiles() throws {
        try png("a.png", width: 32, height: 32)
        var bundle = ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 3))
        let bias = bundle.tensors.firstIndex { $0.name == "dense/bias" }!
        bundle.tensors[bias] = BundleTensor(name: "dense/bias", shape: [4], values: [.nan, 0, 0, 0])
        _ = try bundle.write(to: dir + "/nan.aemodel")
        let nan = try run("aeenc", ["a.png", "--model", "nan.aemodel"])
        XCTAssertEqual(nan.status, 1)
        XCTAssertTrue(nan.stderr.hasPrefix("aeenc: a.png: "), nan.stderr)
        XCTAssertTrue(nan.stderr.contains("not a finite float16"), nan.stderr)

        // A table whose first scale is 0 (writers refuse it, so the bytes are patched).
        let good = ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 3))
        var tableBytes = try good.withQuantization(LatentQuantization(scale: [1, 1, 1, 1], offset: [0, 0, 0, 0])).encoded()
        let container = try BundleContainer.parse(tableBytes, path: "table")
        let scale = try XCTUnwrap(container.entries.first { $0.name == "quantization/scale" })
        let at = Int(container.header.dataOffset + scale.offset)
        tableBytes.replaceSubrange(at..<(at + 4), with: [0, 0, 0, 0])
        TestBytes.refreshBundleChecksums(&tableBytes)
        try TestFiles.write(tableBytes, to: dir + "/table.aemodel")
        let badTable = try run("aeenc", ["a.png", "--model", "table.aemodel", "--bits", "8", "-o", "t.ael"])
        XCTAssertEqual(badTable.status, 1)
        XCTAssertTrue(badTable.stderr.hasPrefix("aeenc: table.aemodel: the quantisation table's dimension 0 has scale 0.0"), badTable.stderr)
        XCTAssertEqual(try run("aeenc", ["a.png", "--model", "table.aemodel", "-o", "t16.ael"]).status, 0, "16-bit needs no table")
        XCTAssertFalse((nan.stderr + badTable.stderr).contains("<memory>"))
    }

    func testControlCharactersInNamesAreEscaped() throws {
        let r = try run("aeenc", ["a\nb\u{1B}[31mc\t.png"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "aeenc: a\\nb\\u{1B}[31mc\\t.png: no such file or folder\n")
    }

    func testAMissingReferenceIsNamedAsOneAndTheFileStillDecoded() throws {
        try FileManager.default.createDirectory(atPath: dir + "/refs", withIntermediateDirectories: false)
        try png("refs/a.png", seed: 1)
        try png("refs/b.png", seed: 2)
        XCTAssertEqual(try run("aeenc", ["refs", "-o", "lat"]).status, 0)
        try FileManager.default.removeItem(atPath: dir + "/refs/b.png")
        let r = try run("aedec", ["lat", "-o", "dec", "--reference", "refs"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("aedec: refs/b.png: cannot be the reference image of lat/b.ael (no such file or folder); decoded without a comparison\n"),
                      r.stderr)
        XCTAssertEqual(try listing(dir + "/dec"), ["a.png", "b.png"])
    }

    // MARK: 25 and the spec reader's findings: aeinfo

    func testAeinfoJSONIsValid() throws {
        let models = try ToolProcess("aeinfo", ["--models", "--json"], in: dir)
        XCTAssertEqual(models.finish(timeout: 60), 0, models.stderr)
        let list = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(models.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(list.map { $0["name"] as? String }, EmbeddedModels.names)
        XCTAssertEqual(list.filter { $0["default"] as? Bool == true }.count, 1)

        // Metadata that starts with a byte-order mark (JSONDecoder accepts it).
        let bundle = ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 3))
        var bytes = try bundle.encoded()
        let container = try BundleContainer.parse(bytes, path: "x")
        let payloads = container.entries.map {
            BundleContainer.Payload(name: $0.name, elementType: $0.elementType, shape: $0.shape, bytes: Array(container.data(of: $0)))
        }
        bytes = BundleContainer.assemble(metadataJSON: [0xEF, 0xBB, 0xBF] + container.metadataBytes, tensors: payloads)
        try TestFiles.write(bytes, to: dir + "/bom.aemodel")
        let info = try ToolProcess("aeinfo", ["--json", "bom.aemodel"], in: dir)
        XCTAssertEqual(info.finish(timeout: 60), 0, info.stderr)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [[String: Any]])?.count, 1, info.stdout)
    }

    /// The spec says readers refuse non-finite float16 latents; aeinfo does too.
    func testAeinfoRefusesNonFiniteLatents() throws {
        let file = LatentFile(modelFingerprint: [UInt8](repeating: 7, count: 16), width: 32, height: 32, colorType: .rgb,
                              bitDepth: 8, latentDim: 4, encoding: .float16, latents: [0.5, -1, 0.25, 2],
                              quantization: nil, alpha: nil)
        var bytes = try file.encoded()
        let h = try LatentFile.inspect(bytes)
        XCTAssertFalse(h.payloadCompressed, "a 4-value payload is stored")
        bytes[h.payloadOffset] = 0x00
        bytes[h.payloadOffset + 1] = 0x7E  // float16 NaN
        TestBytes.put(TestZlib.crc32(Array(bytes.dropLast(4))), &bytes, at: bytes.count - 4)  // the trailing CRC-32
        try TestFiles.write(bytes, to: dir + "/nan.ael")
        let r = try run("aeinfo", ["nan.ael"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("aeinfo: nan.ael: ") && r.stderr.contains("not finite"), r.stderr)
    }
}
