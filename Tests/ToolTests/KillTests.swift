import AEProcess
import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// No lost work: `aetrain` and `aeenc` are killed with SIGKILL (no handler runs) at
/// seeded random points, chosen by watching their progress (a checkpoint or outputs
/// appearing) plus a seeded delay, so the tests hold on a slow, loaded machine. After
/// every kill, whatever is visible must be complete and valid, and a rerun must finish
/// the rest without redoing or damaging it.
final class KillTests: XCTestCase {
    func folder() throws -> String { try TestFiles.temporaryFolder(self) }

    /// Visible (not hidden) names in a folder.
    func visible(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    func hidden(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(".") }.sorted()
    }

    /// A seeded delay in [0, `upTo`) seconds.
    func delay(_ rng: inout RandomGenerator, upTo seconds: Double) {
        Thread.sleep(forTimeInterval: Double(rng.nextUnitFloat()) * seconds)
    }

    // MARK: aetrain

    /// 128 synthetic images (96 train, 32 validation), batch 32: 3 batches an epoch.
    static let epochs = 5
    static let trainArguments = ["synthetic:128,seed=3", "--latent-dim", "4", "--epochs", "\(epochs)",
                                 "--batch-size", "32", "--validation-split", "0.25", "--seed", "5",
                                 "--threads", "2", "--quiet", "-o", "m.aemodel"]

    /// The rows of the history file (written after each checkpoint): one per completed epoch.
    func historyRows(_ path: String) -> [[Substring]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    }

    func historyEpochs(_ path: String) -> Int { historyRows(path).count }

    /// Seconds the last recorded epoch took (1 if none is recorded yet).
    func lastEpochSeconds(_ path: String) -> Double {
        historyRows(path).last.flatMap { $0.count == 5 ? Double($0[3]) : nil } ?? 1
    }

    /// Kills aetrain at several points in one run (each time after a seeded number of
    /// checkpoints and a seeded delay, some in the final bundle's writing), checks the
    /// files after each kill, resumes, and finally compares the bundle with an
    /// uninterrupted run's: the same weights.
    func testKilledTrainingLosesNoFinishedEpochAndResumesExactly() throws {
        let dir = try folder()
        let bundle = dir + "/m.aemodel", checkpoint = bundle + ".checkpoint", history = dir + "/m.history.csv"
        var rng = RandomGenerator(seed: 7)
        var kills = 0, resumed = false
        var lastCompleted = 0
        var killedAfter: [Int] = []
        var planted: String? = nil
        // At most 4 kill points; the run may finish first (then the chain ends).
        for round in 0..<4 {
            let tool = try ToolProcess("aetrain", Self.trainArguments + (resumed ? ["--resume"] : []), in: dir)
            // Wait for one or two more checkpoints than we had (the last round: the final
            // one, so the kill lands in the bundle's making), then a seeded delay of up
            // to an epoch's time: the kill falls mid-epoch or in a checkpoint's writing.
            let target = round == 3 ? Self.epochs : min(Self.epochs, lastCompleted + 1 + rng.nextInt(below: 2))
            let reached = tool.wait(until: { historyEpochs(history) >= target })
            if reached { delay(&rng, upTo: lastEpochSeconds(history)) }
            let status = tool.killNow()
            if status == 0 { break }  // finished before the kill: the final checks below apply
            XCTAssertEqual(status, 128 + SIGKILL, "round \(round): \(tool.stderr)")
            kills += 1

            // Whatever is visible is complete: the checkpoint (if still there) and any
            // bundle load and verify; the history file is whole.
            let names = visible(dir)
            XCTAssertTrue(Set(names).isSubset(of: ["m.aemodel", "m.aemodel.checkpoint", "m.history.csv"]), "\(names)")
            if FileManager.default.fileExists(atPath: bundle) {
                let finished = try ModelBundle.read(path: bundle)
                XCTAssertFalse(finished.isCheckpoint)
                XCTAssertEqual(finished.metadata.metrics?.epochs.count, Self.epochs)
            }
            guard FileManager.default.fileExists(atPath: checkpoint) else {
                // Killed after the checkpoint's removal: the bundle is the finished run.
                XCTAssertTrue(FileManager.default.fileExists(atPath: bundle), "neither checkpoint nor bundle")
                break
            }
            let saved = try ModelBundle.read(path: checkpoint)
            XCTAssertTrue(saved.isCheckpoint)
            let completed = try XCTUnwrap(saved.metadata.checkpoint?.completedEpochs)
            XCTAssertGreaterThanOrEqual(completed, reached ? target : lastCompleted, "round \(round)")
            XCTAssertEqual(saved.metadata.metrics?.epochs.count, completed)
            let rows = historyEpochs(history)
            XCTAssertTrue(rows == completed || rows == completed - 1, "history \(rows) rows, checkpoint \(completed)")
            lastCompleted = completed
            killedAfter.append(completed)
            resumed = true

            // A temporary file as a killed writer leaves it (its process is gone): the
            // next run removes it.
            if planted == nil {
                planted = dir + "/.m.aemodel.checkpoint.tmp-\(tool.pid)-beef"
                try TestFiles.write([1, 2, 3], to: planted!)
            }
        }
        XCTAssertGreaterThanOrEqual(kills, 1, "no kill landed before the run finished")
        print("KillTests: aetrain killed \(kills) times, with checkpoints after epochs \(killedAfter)")

        // Resume to the end (nothing left to do if the last kill came after the bundle).
        if FileManager.default.fileExists(atPath: checkpoint) {
            let final = try ToolProcess.run("aetrain", Self.trainArguments + ["--resume"], in: dir)
            XCTAssertEqual(final.status, 0, final.stderr)
        }
        XCTAssertEqual(visible(dir), ["m.aemodel", "m.history.csv"])
        XCTAssertEqual(hidden(dir), [], "temporary files left")
        XCTAssertEqual(historyEpochs(history), Self.epochs)
        let result = try ModelBundle.read(path: bundle)
        XCTAssertFalse(result.isCheckpoint)
        XCTAssertEqual(result.metadata.metrics?.epochs.count, Self.epochs)

        // The same weights as a run that was never killed (same options, same threads).
        let s = trainSettings(dir + "/reference.aemodel")
        let reference = try TrainingJob(settings: s).run(output: TerminalOutput(mode: .quiet))
        XCTAssertEqual(result.fingerprint, reference.fingerprint, "killed and resumed \(kills) times: other weights")
        XCTAssertEqual(result.metadata.metrics?.epochs.map(\.trainLoss), reference.history.map(\.trainLoss))
    }

    /// The settings `trainArguments` give, for runs in this process.
    func trainSettings(_ output: String) -> TrainingJob.Settings {
        var s = TrainingJob.Settings()
        s.data = ["synthetic:128,seed=3"]
        s.output = output
        s.latentDim = 4
        s.options.epochs = Self.epochs
        s.options.batchSize = 32
        s.options.validationSplit = 0.25
        s.options.seed = 5
        s.initSeed = 5
        s.threads = 2
        s.oneDNN = true  // aetrain's default engine
        return s
    }

    /// A kill after the bundle is written but before the checkpoint is removed leaves
    /// both: `--resume` then finishes (writing the same bundle again) instead of
    /// refusing the existing output.
    func testResumeWithBothBundleAndCheckpointLeft() throws {
        let dir = try folder()
        let path = dir + "/m.aemodel"
        XCTAssertEqual(try ToolProcess.run("aetrain", Self.trainArguments, in: dir).status, 0)
        let finished = try ModelBundle.read(path: path).fingerprint
        // A checkpoint beside the bundle: the same run stopped in its last epoch.
        var s = trainSettings(path)
        s.force = true
        var batches = 0
        XCTAssertThrowsError(try TrainingJob(settings: s).run(output: TerminalOutput(mode: .quiet), shouldStop: {
            batches += 1
            return batches > 3 * (Self.epochs - 1)
        }))
        XCTAssertEqual(try ModelBundle.read(path: path).fingerprint, finished, "the bundle is still there")
        XCTAssertEqual(try ModelBundle.read(path: path + ".checkpoint").metadata.checkpoint?.completedEpochs, Self.epochs - 1)

        let again = try ToolProcess.run("aetrain", Self.trainArguments + ["--resume"], in: dir)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".checkpoint"))
        XCTAssertEqual(try ModelBundle.read(path: path).fingerprint, finished)
    }

    // MARK: aeenc

    /// 240 PNGs of 96x96 (9 tiles each): long enough to be killed mid-way.
    func makeInputs(_ folder: String, count: Int) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var names: [String] = []
        for i in 0..<count {
            let name = String(format: "img%03d", i)
            let (png, _) = TestPNG.sample(width: 96, height: 96, colorType: 2, bitDepth: 8, seed: i)
            try TestFiles.write(png, to: folder + "/" + name + ".png")
            names.append(name)
        }
        return names
    }

    /// Bytes, inode and modification time of a file (what a rerun must leave untouched).
    struct Snapshot: Equatable {
        var bytes: [UInt8]
        var inode: UInt64
        var mtime: Int
        var mtimeNanoseconds: Int

        init(_ path: String) throws {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            var info = stat()
            guard stat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
            inode = UInt64(info.st_ino)
            mtime = info.st_mtim.tv_sec
            mtimeNanoseconds = info.st_mtim.tv_nsec
        }
    }

    /// Kills aeenc twice while it encodes a folder (after a seeded number of outputs
    /// and a seeded delay): every output present is complete and the bytes a whole run
    /// gives; `--skip-existing` reruns keep them untouched (bytes, inode, mtime), remove
    /// the killed run's temporary files and write only the missing outputs.
    func testKilledFolderEncodeLeavesCompleteOutputsAndARerunFinishesTheRest() throws {
        let dir = try folder()
        let count = 240
        let names = try makeInputs(dir + "/in", count: count)
        let out = dir + "/out"
        // The bytes each output must have (the same at any thread count: see DeterminismTests).
        let builtIn = try XCTUnwrap(try EmbeddedModels.bundle(named: EmbeddedModels.digitModelName))
        let codec = try ImageCodec(bundle: builtIn, name: "built-in \(EmbeddedModels.digitModelName)", threads: 2)
        var expected: [String: [UInt8]] = [:]
        for name in names {
            let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/in/\(name).png")))
            expected[name + ".ael"] = try codec.encode(try CodecImage.decodePNG(png, path: name)).encoded()
        }

        var rng = RandomGenerator(seed: 11)
        var before: [String: Snapshot] = [:]
        var planted: String? = nil
        for round in 0..<2 {
            let arguments = ["in", "--model", "svhn-64", "-o", "out", "--threads", "2", "--quiet"] + (round > 0 ? ["--skip-existing"] : [])
            let tool = try ToolProcess("aeenc", arguments, in: dir)
            let target = before.count + 1 + rng.nextInt(below: 48)
            let reached = tool.wait(until: { visible(out).count >= target })
            if reached { delay(&rng, upTo: 0.2) }
            let status = tool.killNow()
            XCTAssertEqual(status, 128 + SIGKILL, "round \(round): the run ended before the kill; \(tool.stderr)")

            let present = visible(out)
            XCTAssertGreaterThanOrEqual(present.count, before.count)
            XCTAssertLessThan(present.count, count, "round \(round): killed after the last output")
            for name in present {
                XCTAssertEqual(try Snapshot(out + "/" + name).bytes, expected[name], "\(name) incomplete or wrong")
                XCTAssertNoThrow(try LatentFile.read(path: out + "/" + name))
            }
            for (name, snapshot) in before {
                XCTAssertEqual(try Snapshot(out + "/" + name), snapshot, "round \(round): \(name) was touched")
            }
            // Hidden files can only be temporary files of the killed run.
            for name in hidden(out) {
                XCTAssertTrue(name.contains(".ael.tmp-\(tool.pid)-"), "unexpected hidden file \(name)")
            }
            before = try Dictionary(uniqueKeysWithValues: present.map { ($0, try Snapshot(out + "/" + $0)) })
            // A stale temporary file for a missing output, as a killed writer leaves it.
            if planted == nil, let missing = expected.keys.sorted().first(where: { before[$0] == nil }) {
                planted = out + "/.\(missing).tmp-\(tool.pid)-beef"
                try TestFiles.write([1, 2, 3], to: planted!)
            }
        }

        let rerun = try ToolProcess.run("aeenc", ["--model", "svhn-64", "in", "-o", "out", "--threads", "2", "--quiet", "--skip-existing"], in: dir)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(rerun.stderr, "aeenc: kept \(before.count) existing outputs (--skip-existing)\n")
        XCTAssertEqual(visible(out), expected.keys.sorted())
        XCTAssertEqual(hidden(out), [], "temporary files left")
        for (name, bytes) in expected {
            XCTAssertEqual(try Snapshot(out + "/" + name).bytes, bytes, name)
        }
        for (name, snapshot) in before {
            XCTAssertEqual(try Snapshot(out + "/" + name), snapshot, "\(name) was rewritten by the rerun")
        }

        // Without --skip-existing a rerun refuses every existing output and leaves it alone.
        let snapshots = try expected.keys.sorted().map { try Snapshot(out + "/" + $0) }
        let refused = try ToolProcess.run("aeenc", ["--model", "svhn-64", "in", "-o", "out", "--threads", "2", "--quiet"], in: dir)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasSuffix("aeenc: \(count) of \(count) files failed\n"), refused.stderr)
        XCTAssertEqual(try expected.keys.sorted().map { try Snapshot(out + "/" + $0) }, snapshots)
    }

    /// `--skip-existing` keeps only outputs that are valid for this run: a damaged file,
    /// or one from another model or bit depth, is an error and stays as it was; a
    /// temporary file of a live process is not touched.
    func testSkipExistingRefusesInvalidOutputsAndSparesLiveTemporaries() throws {
        let dir = try folder()
        let names = try makeInputs(dir + "/in", count: 4)
        XCTAssertEqual(try ToolProcess.run("aeenc", ["--model", "svhn-64", "in", "-o", "out", "--quiet"], in: dir).status, 0)
        let out = dir + "/out"
        var damaged = try Snapshot(out + "/\(names[0]).ael").bytes
        damaged[damaged.count / 2] ^= 1
        try TestFiles.write(damaged, to: out + "/\(names[0]).ael")
        XCTAssertEqual(try ToolProcess.run("aeenc", ["--model", "svhn-64", "in/\(names[1]).png", "-o", "out/\(names[1]).ael", "--force",
                                                     "--model", TestFixtures.goldenBundlePath], in: dir).status, 0)
        XCTAssertEqual(try ToolProcess.run("aeenc", ["--model", "svhn-64", "in/\(names[2]).png", "-o", "out/\(names[2]).ael", "--force",
                                                     "--bits", "8"], in: dir).status, 0)
        try FileManager.default.removeItem(atPath: out + "/\(names[3]).ael")
        let live = out + "/.\(names[3]).ael.tmp-\(getpid())-1"
        try TestFiles.write([7], to: live)
        let snapshots = try (0..<3).map { try Snapshot(out + "/\(names[$0]).ael") }

        let r = try ToolProcess.run("aeenc", ["--model", "svhn-64", "in", "-o", "out", "--quiet", "--skip-existing"], in: dir)
        XCTAssertEqual(r.status, 1)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, r.stderr)
        XCTAssertTrue(lines[0].hasPrefix("aeenc: out/\(names[0]).ael: already exists and is not a valid latent file: "), lines[0])
        XCTAssertEqual(lines[1], "aeenc: out/\(names[1]).ael: already exists and was encoded with another model (use --force to replace it)")
        XCTAssertEqual(lines[2], "aeenc: out/\(names[2]).ael: already exists and holds 8-bit latents, not 16-bit (use --force to replace it)")
        XCTAssertEqual(lines[3], "aeenc: 3 of 4 files failed")
        XCTAssertEqual(try (0..<3).map { try Snapshot(out + "/\(names[$0]).ael") }, snapshots)
        XCTAssertNoThrow(try LatentFile.read(path: out + "/\(names[3]).ael"))
        XCTAssertEqual(try Snapshot(live).bytes, [7], "a live process's temporary file was touched")

        let both = try ToolProcess.run("aeenc", ["--model", "svhn-64", "in", "-o", "out", "--force", "--skip-existing"], in: dir)
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.contains("--force and --skip-existing exclude each other"), both.stderr)
    }

    /// aedec's rerun: existing valid PNGs are kept, the missing ones written.
    func testDecoderSkipsExistingPNGs() throws {
        let dir = try folder()
        _ = try makeInputs(dir + "/in", count: 3)
        XCTAssertEqual(try ToolProcess.run("aeenc", ["in", "-o", "lat", "--quiet"], in: dir).status, 0)
        XCTAssertEqual(try ToolProcess.run("aedec", ["lat", "-o", "dec", "--quiet"], in: dir).status, 0)
        let kept = try Snapshot(dir + "/dec/img000.png")
        let whole = try Snapshot(dir + "/dec/img001.png").bytes
        try FileManager.default.removeItem(atPath: dir + "/dec/img001.png")
        try TestFiles.write(Array(whole.prefix(whole.count / 2)), to: dir + "/dec/img002.png")
        let r = try ToolProcess.run("aedec", ["lat", "-o", "dec", "--quiet", "--skip-existing"], in: dir)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("aedec: dec/img002.png: already exists and is not a complete PNG"), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("aedec: 1 of 3 files failed\naedec: kept 1 existing output (--skip-existing)\n"), r.stderr)
        XCTAssertEqual(try Snapshot(dir + "/dec/img000.png"), kept)
        XCTAssertEqual(try Snapshot(dir + "/dec/img001.png").bytes, whole)
    }
}
