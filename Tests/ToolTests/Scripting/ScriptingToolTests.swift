import AEBase
import AECodec
import AEEntropyCoding
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// What scripts use: `aeenc`/`aedec --json`, the order of `--stats` lines, `--shard K/N`
/// and `aeinfo --latents`. Runs the built executables.
final class ScriptingToolTests: XCTestCase {
    func folder() throws -> String { try TestFiles.temporaryFolder(self) }

    func run(_ name: String, _ arguments: [String], in folder: String? = nil, stdin: String? = nil,
             environment: [String: String] = [:]) throws -> ToolProcess.Result {
        try ToolProcess(name, arguments, in: folder, stdin: stdin, environment: environment).result()
    }

    /// Writes `count` PNGs `in/img<i>.png` of different sizes; the first is the largest,
    /// so with two workers it finishes after files that come later in the input order.
    func writeImages(_ dir: String, count: Int, folder name: String = "in") throws -> [(width: Int, height: Int)] {
        try FileManager.default.createDirectory(atPath: dir + "/" + name, withIntermediateDirectories: true)
        var sizes: [(width: Int, height: Int)] = []
        for i in 0..<count {
            let (w, h) = i == 0 ? (160, 128) : (8 + 5 * i, 9 + 3 * i)
            let (png, _) = TestPNG.sample(width: w, height: h, colorType: 2, bitDepth: 8, seed: i)
            try TestFiles.write(png, to: "\(dir)/\(name)/img\(i).png")
            sizes.append((w, h))
        }
        return sizes
    }

    func object(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [])
        return try XCTUnwrap(value as? [String: Any], "not a JSON object: \(text)", file: file, line: line)
    }

    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    // MARK: --json

    func testEncodeJSONHasOneRecordPerFileInInputOrderAndTotals() throws {
        let dir = try folder()
        let sizes = try writeImages(dir, count: 5)
        try TestFiles.write(Array("not a png".utf8), to: dir + "/in/img5.png")
        var documents: [[String: Any]] = []
        for round in 0..<2 {
            let r = try run("aeenc", ["--model", "svhn-64", "in", "-o", "out", "--threads", "2", "--json", "--force"], in: dir)
            XCTAssertEqual(r.status, 1, "one input is broken")
            XCTAssertTrue(r.stderr.contains("aeenc: in/img5.png: "), r.stderr)
            let doc = try object(r.stdoutText)  // stdout holds the document and nothing else
            XCTAssertEqual(doc["tool"] as? String, "aeenc")
            XCTAssertEqual(doc["interrupted"] as? Bool, false)
            let files = try XCTUnwrap(doc["files"] as? [[String: Any]])
            XCTAssertEqual(files.map { $0["input"] as? String }, (0..<5).map { "in/img\($0).png" }, "round \(round)")
            var totalBytes = 0, totalPixels = 0
            for (i, record) in files.enumerated() {
                let out = dir + "/out/img\(i).ael"
                let bytes = try TestFiles.bytes(out)
                XCTAssertEqual(record["output"] as? String, "out/img\(i).ael")
                XCTAssertEqual(record["bytes"] as? Int, bytes.count)
                XCTAssertEqual(record["width"] as? Int, sizes[i].width)
                XCTAssertEqual(record["height"] as? Int, sizes[i].height)
                let pixels = sizes[i].width * sizes[i].height
                XCTAssertEqual(try XCTUnwrap(record["bitsPerPixel"] as? Double), Double(bytes.count * 8) / Double(pixels),
                               accuracy: 1e-9)
                // The file's header carries the first 8 bytes of the model fingerprint.
                let fingerprint = try XCTUnwrap(record["modelFingerprint"] as? String)
                XCTAssertEqual(fingerprint.count, 32)
                XCTAssertTrue(fingerprint.hasPrefix(hex(try LatentFile.inspect(bytes, path: out).modelFingerprint)))
                XCTAssertTrue(record["psnr"] is NSNull, "no reference when encoding at a fixed level")
                XCTAssertTrue(record["qualityLevel"] is NSNull)
                XCTAssertGreaterThanOrEqual(try XCTUnwrap(record["seconds"] as? Double), 0)
                totalBytes += bytes.count
                totalPixels += pixels
            }
            let totals = try XCTUnwrap(doc["totals"] as? [String: Any])
            XCTAssertEqual(totals["inputs"] as? Int, 6)
            XCTAssertEqual(totals["written"] as? Int, 5)
            XCTAssertEqual(totals["failed"] as? Int, 1)
            XCTAssertEqual(totals["bytes"] as? Int, totalBytes)
            XCTAssertEqual(totals["pixels"] as? Int, totalPixels)
            XCTAssertEqual(try XCTUnwrap(totals["bitsPerPixel"] as? Double), Double(totalBytes * 8) / Double(totalPixels),
                           accuracy: 1e-9)
            XCTAssertTrue(totals["mse"] is NSNull && totals["meanPSNR"] is NSNull)
            documents.append(doc)
        }
        // Every run the same document but for the times.
        func withoutTimes(_ doc: [String: Any]) -> NSDictionary {
            var d = doc
            d["files"] = (doc["files"] as! [[String: Any]]).map { f -> [String: Any] in
                var f = f
                for key in ["seconds", "encodeSeconds"] { f[key] = nil }
                return f
            }
            var totals = doc["totals"] as! [String: Any]
            for key in ["seconds", "encodeSeconds"] { totals[key] = nil }
            d["totals"] = totals
            return d as NSDictionary
        }
        XCTAssertEqual(withoutTimes(documents[0]), withoutTimes(documents[1]))
    }

    func testDecodeJSONWithReferencesMeasuresEveryFile() throws {
        let dir = try folder()
        _ = try writeImages(dir, count: 3)
        XCTAssertEqual(try run("aeenc", ["in", "-o", "ael"], in: dir).status, 0)
        let r = try run("aedec", ["ael", "-o", "back", "--reference", "in", "--json", "--threads", "2"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try object(r.stdoutText)
        XCTAssertEqual(doc["tool"] as? String, "aedec")
        let files = try XCTUnwrap(doc["files"] as? [[String: Any]])
        XCTAssertEqual(files.map { $0["output"] as? String }, ["back/img0.png", "back/img1.png", "back/img2.png"])
        var psnrs: [Double] = []
        for record in files {
            let mse = try XCTUnwrap(record["mse"] as? Double)
            let psnr = try XCTUnwrap(record["psnr"] as? Double)
            XCTAssertGreaterThan(mse, 0)
            XCTAssertEqual(psnr, 10 * log10(1 / mse), accuracy: 1e-9)
            psnrs.append(psnr)
        }
        let totals = try XCTUnwrap(doc["totals"] as? [String: Any])
        XCTAssertEqual(totals["compared"] as? Int, 3)
        XCTAssertEqual(try XCTUnwrap(totals["meanPSNR"] as? Double), psnrs.reduce(0, +) / 3, accuracy: 1e-9)
        XCTAssertNotNil(totals["psnr"] as? Double)

        // The data on standard output: the document goes to standard error.
        let piped = try run("aedec", ["ael/img1.ael", "-o", "-", "--json"], in: dir)
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual([UInt8](piped.stdout.prefix(8)), PNGImage.signature)
        let onError = try object(piped.stderr)
        XCTAssertEqual((onError["files"] as? [[String: Any]])?.first?["output"] as? String, "-")
    }

    // MARK: --stats order

    func testStatsLinesFollowTheInputOrderWithSeveralWorkers() throws {
        let dir = try folder()
        _ = try writeImages(dir, count: 6)
        let r = try run("aeenc", ["in", "-o", "out", "--threads", "2", "--stats"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdoutText.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 7)
        XCTAssertEqual(lines.prefix(6).map { $0.components(separatedBy: " -> ").first! }, (0..<6).map { "in/img\($0).png" })
        XCTAssertTrue(lines[6].hasPrefix("total: 6 files"), lines[6])
    }

    /// On a terminal (a pseudo-terminal from util-linux `script`), every `--stats` line
    /// starts on a cleared line: never after the progress bar's text.
    func testStatsLinesNeverRunIntoTheProgressBarOnATerminal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("no /usr/bin/script") }
        let dir = try folder()
        _ = try writeImages(dir, count: 8)
        let aeenc = try ToolProcess.path(of: "aeenc")
        let r = try ToolProcess.run(executable: "/usr/bin/script",
                                    ["-qec", "'\(aeenc)' in -o out --threads 2 --stats", "/dev/null"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = r.stdoutText
        XCTAssertTrue(text.contains("files/s"), "the bar was drawn: \(text.debugDescription)")
        let lines = text.components(separatedBy: "\u{1B}[2K").flatMap { $0.components(separatedBy: "\n") }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
        let stats = lines.filter { $0.contains(" -> ") }
        XCTAssertEqual(stats.count, 8, text.debugDescription)
        for line in stats { XCTAssertTrue(line.hasPrefix("in/img"), "ran into the bar: \(line.debugDescription)") }
    }

    /// Help within 80 columns, and each option's default stated once (not the text's
    /// "(default: all cores)" and the parser's "(default: 2)" both).
    func testHelpStatesEachDefaultOnceWithin80Columns() throws {
        for (tool, arguments) in [("aetrain", ["train"]), ("aetrain", ["report"]), ("aetrain", ["probe"]),
                                  ("aetrain", ["sample"]), ("aetrain", ["interpolate"]), ("aebench", [])] {
            let r = try run(tool, arguments + ["--help"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let flat = r.stdoutText.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            XCTAssertTrue(flat.contains("--threads"), "\(tool) \(arguments)")
            XCTAssertNil(flat.range(of: #"\(default: [^)]*\)\.? \(default:"#, options: .regularExpression),
                         "\(tool) \(arguments) states a default twice")
        }
        for tool in ["aeenc", "aedec", "aeinfo"] {
            let r = try run(tool, ["--help"])
            XCTAssertEqual(r.status, 0, r.stderr)
            for line in r.stdoutText.split(separator: "\n") {
                XCTAssertLessThanOrEqual(line.count, 80, "\(tool): \(line)")
            }
            let flat = r.stdoutText.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            XCTAssertNil(flat.range(of: #"\(default: [^)]*\)\.? \(default:"#, options: .regularExpression),
                         "\(tool) states a default twice")
            // Usage first (after the one-paragraph overview), the long explanations last.
            let text = r.stdoutText
            let usage = try XCTUnwrap(text.range(of: "\nUSAGE: ")).lowerBound
            let options = try XCTUnwrap(text.range(of: "\nOPTIONS:\n")).lowerBound
            let details = try XCTUnwrap(text.range(of: "\nDETAILS:\n")).lowerBound
            XCTAssertTrue(usage < options && options < details, tool)
            XCTAssertEqual(text[..<usage].components(separatedBy: "\n\n").count, 1, "\(tool): one overview paragraph")
            XCTAssertEqual(try run(tool, ["-h"]).stdoutText, text)
            if tool != "aeinfo" { XCTAssertTrue(flat.contains("--threads <n> Worker threads (default: all cores);"), flat) }
        }
    }

    // MARK: --shard

    func testShardsPartitionAFolderExactlyAndStably() throws {
        let dir = try folder()
        _ = try writeImages(dir, count: 1, folder: "in")
        for i in 1..<13 {
            let (png, _) = TestPNG.sample(width: 6 + i, height: 5, colorType: 2, bitDepth: 8, seed: i)
            try TestFiles.write(png, to: "\(dir)/in/photo-\(i).png")
        }
        let all = try FileManager.default.contentsOfDirectory(atPath: dir + "/in").filter { $0.hasSuffix(".png") }
        let n = 3
        var shares: [[String]] = []
        for k in 1...n {
            let r = try run("aeenc", ["in", "-o", "out\(k)", "--shard", "\(k)/\(n)", "--json"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            let written = (try object(r.stdoutText)["files"] as? [[String: Any]] ?? []).compactMap { $0["input"] as? String }
            let listed = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/out\(k)")) ?? []
            XCTAssertEqual(Set(listed), Set(written.map { ($0 as NSString).lastPathComponent.replacingOccurrences(of: ".png", with: ".ael") }))
            shares.append(written.map { ($0 as NSString).lastPathComponent })
            // The same share every run (and with --skip-existing nothing is left to do).
            let again = try run("aeenc", ["in", "-o", "again\(k)", "--shard", "\(k)/\(n)", "--json"], in: dir)
            XCTAssertEqual((try object(again.stdoutText)["files"] as? [[String: Any]] ?? []).compactMap { $0["input"] as? String },
                           written)
        }
        // Every file in exactly one share; with 13 files over 3 shards no share is empty here.
        XCTAssertEqual(shares.flatMap { $0 }.sorted(), all.sorted())
        XCTAssertEqual(Set(shares.flatMap { $0 }).count, all.count)
        XCTAssertTrue(shares.allSatisfy { !$0.isEmpty }, "\(shares)")
        // A file keeps its share when others are added.
        let (png, _) = TestPNG.sample(width: 9, height: 9, colorType: 2, bitDepth: 8, seed: 99)
        try TestFiles.write(png, to: dir + "/in/added.png")
        for k in 1...n {
            let r = try run("aeenc", ["in", "-o", "grown\(k)", "--shard", "\(k)/\(n)", "--json"], in: dir)
            let names = (try object(r.stdoutText)["files"] as? [[String: Any]] ?? []).compactMap {
                ($0["input"] as? String).map { ($0 as NSString).lastPathComponent }
            }
            XCTAssertEqual(names.filter { $0 != "added.png" }, shares[k - 1])
        }
        // 1/1 is everything; bad shares are usage errors.
        let whole = try run("aeenc", ["in", "-o", "whole", "--shard", "1/1", "--json"], in: dir)
        XCTAssertEqual((try object(whole.stdoutText)["totals"] as? [String: Any])?["written"] as? Int, all.count + 1)
        for bad in ["0/3", "4/3", "1/0", "2", "a/b", "1/3/4"] {
            let r = try run("aeenc", ["in", "--shard", bad], in: dir)
            XCTAssertEqual(r.status, 64, "\(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--shard must be K/N"), r.stderr)
        }
        let stdin = try run("aeenc", ["-", "--shard", "1/2"], stdin: dir + "/in/added.png")
        XCTAssertEqual(stdin.status, 64, stdin.stderr)
    }

    func testDecodingShardsPartitionTheLatentFiles() throws {
        let dir = try folder()
        _ = try writeImages(dir, count: 7)
        XCTAssertEqual(try run("aeenc", ["in", "-o", "ael"], in: dir).status, 0)
        var decoded: [String] = []
        for k in 1...2 {
            let r = try run("aedec", ["ael", "-o", "png", "--shard", "\(k)/2", "--skip-existing"], in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            decoded = try FileManager.default.contentsOfDirectory(atPath: dir + "/png").sorted()
        }
        XCTAssertEqual(decoded, (0..<7).map { "img\($0).png" })
    }

    // MARK: aeinfo --latents

    /// Runs `aeinfo --latents` on one file and returns its object (the array's one element).
    func latents(_ path: String, _ extra: [String] = [], in dir: String? = nil) throws -> [String: Any] {
        let r = try run("aeinfo", ["--latents", path] + extra, in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let array = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]], r.stdoutText)
        XCTAssertEqual(array.count, 1)
        return try XCTUnwrap(array.first)
    }

    func floats(_ value: Any?) throws -> [Float] {
        try XCTUnwrap(value as? [NSNumber]).map { Float($0.doubleValue) }
    }

    /// 2.0 files: the symbols, coded again under the bundle's tables, give the file's
    /// stream byte for byte; values are symbol + median; the shape is the codec's.
    func checkCoded(_ path: String, bundle: ModelBundle, doc: [String: Any]) throws {
        let file = try CodedLatentFile.read(path: path)
        let tables = try XCTUnwrap(try EntropyTables(bundle: bundle))
        let shape = try XCTUnwrap(doc["shape"] as? [Int])
        XCTAssertEqual(shape, try EntropyCodec(bundle: bundle).latentShape(width: file.width, height: file.height))
        let symbols = try XCTUnwrap(doc["symbols"] as? [Int]).map { Int32($0) }
        XCTAssertEqual(symbols.count, shape.reduce(1, *))
        let c = tables.tables.count
        XCTAssertEqual(RangeEncoder.encode(symbols, tableIndexes: symbols.indices.map { $0 % c }, tables: tables.tables),
                       file.stream)
        XCTAssertEqual(try floats(doc["values"]), symbols.enumerated().map { Float($0.element) + tables.medians[$0.offset % c] })
    }

    func testLatentsOfACodedWholeImageFile() throws {
        let golden = TestFixtures.path("coded/golden-conv.ael")
        let models = TestFixtures.path("coded")
        let doc = try latents(golden, ["--model-path", models])
        XCTAssertEqual(doc["version"] as? String, "2.0")
        XCTAssertEqual(doc["shape"] as? [Int], [1, 2, 3, 16], "40x24 pads to 48x32: a 3x2 latent of 16 channels")
        try checkCoded(golden, bundle: try ModelBundle.read(path: models + "/conv-tiny.aemodel"), doc: doc)
        // Without its model: one line naming the fingerprint, exit 1.
        let r = try run("aeinfo", ["--latents", golden])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("aeinfo: \(golden): its values need the model "), r.stderr)
    }

    func testLatentsOfACodedTileFile() throws {
        let dir = try folder()
        let base = ReferenceModel.build(latentDim: 8, seed: 3)
        var rng = RandomGenerator(seed: 3)
        let prior = FactorizedPrior(channels: 8, rng: &rng)
        prior.setQuantilesByBisection()
        let bundle = ModelBundle(model: Autoencoder(encoder: base.encoder, decoder: base.decoder, prior: prior))
            .withEntropyTables(try EntropyTables(prior: prior))
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        _ = try bundle.write(to: dir + "/models/tiles.aemodel")
        _ = try writeImages(dir, count: 2)
        let enc = try run("aeenc", ["in/img1.png", "-o", "t.ael", "--model", "models/tiles.aemodel"], in: dir)
        XCTAssertEqual(enc.status, 0, enc.stderr)
        let doc = try latents("t.ael", ["--model-path", "models"], in: dir)
        XCTAssertEqual(doc["shape"] as? [Int], [1, 8], "a 13x12 image is one 32x32 tile of 8 values")
        try checkCoded(dir + "/t.ael", bundle: bundle, doc: doc)
    }

    func testLatentsOfVersion1FilesAreTheStoredValues() throws {
        let dir = try folder()
        _ = try writeImages(dir, count: 1)
        XCTAssertEqual(try run("aeenc", ["--model", "svhn-64", "in/img0.png", "-o", "f16.ael", "--latent", "f16"], in: dir).status, 0)
        XCTAssertEqual(try run("aeenc", ["--model", "svhn-64", "in/img0.png", "-o", "u8.ael", "--latent", "u8"], in: dir).status, 0)
        let f16 = try latents("f16.ael", in: dir)
        let file = try LatentFile.read(path: dir + "/f16.ael")
        XCTAssertEqual(f16["shape"] as? [Int], [20, file.latentDim], "160x128 is 5x4 tiles")
        XCTAssertEqual(f16["encoding"] as? String, "float16")
        XCTAssertNil(f16["symbols"])
        XCTAssertEqual(try floats(f16["values"]), file.latents)

        let quantization = try XCTUnwrap(EmbeddedModels.bundle(named: EmbeddedModels.digitModelName)).quantization
        let u8 = try latents("u8.ael", in: dir)
        XCTAssertEqual(u8["encoding"] as? String, "uint8")
        XCTAssertEqual(try floats(u8["values"]), try LatentFile.read(path: dir + "/u8.ael", quantization: quantization).latents)
    }
}
