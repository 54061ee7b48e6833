import AEBase
import AEFormats
import AETestSupport
import Foundation
import XCTest

/// `aeenc --print-quality` and the quality and time figures of `--stats` and `--json`
/// (`aedec --reference` too): PSNR, SSIM and MS-SSIM of what the file decodes to,
/// recomputed here from the decoded PNG with the library metrics (which
/// QualityMetricTests checks against pytorch_msssim).
final class QualityFiguresToolTests: XCTestCase {
    func run(_ name: String, _ arguments: [String], in folder: String) throws -> ToolProcess.Result {
        try ToolProcess(name, arguments, in: folder).result()
    }

    func object(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// Three inputs: a colour image with five MS-SSIM scales, a gray one, and one too small for MS-SSIM.
    func inputs() throws -> String {
        let dir = try TestFiles.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        for (from, to) in [("quality/even-rgb-reference.png", "a.png"), ("quality/gray-161-reference.png", "b.png"),
                           ("samples/house-number.png", "c.png")] {
            try TestFiles.write(try TestFixtures.bytes(from), to: dir + "/in/" + to)
        }
        return dir
    }

    func planes(_ path: String, grayAsRGB: Bool = false) throws -> [ImagePlane] {
        let image = try PNGImage.read(path: path)
        return ImagePlane.colourPlanes(pixels: image.pixels, width: image.width, height: image.height,
                                       channels: image.channels, grayAsRGB: grayAsRGB)
    }

    func testPrintQualityJSONGivesTheFiguresOfTheDecodedFile() throws {
        let dir = try inputs()
        let r = try run("aeenc", ["in", "-o", "ael", "--print-quality", "--json", "--threads", "2"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try object(r.stdoutText)
        let files = try XCTUnwrap(doc["files"] as? [[String: Any]])
        XCTAssertEqual(files.count, 3)
        XCTAssertEqual(try run("aedec", ["ael", "-o", "back"], in: dir).status, 0)
        var psnrs: [Double] = [], ssims: [Double] = [], squared = 0.0, values = 0
        for (name, record) in zip(["a", "b", "c"], files) {
            // The figures of the PNG aedec writes, against the input.
            let (input, back) = (dir + "/in/\(name).png", dir + "/back/\(name).png")
            let (a, b) = (try planes(input), try planes(back))
            let ssim = try XCTUnwrap(SSIM.index(a, b))
            XCTAssertEqual(try XCTUnwrap(record["ssim"] as? Double), ssim, accuracy: 1e-12, name)
            if let msssim = MSSSIM.index(a, b) {
                XCTAssertEqual(try XCTUnwrap(record["msssim"] as? Double), msssim, accuracy: 1e-12, name)
            } else {
                XCTAssertTrue(record["msssim"] is NSNull, "\(name): under 161 pixels a side")
            }
            let count = a.count * a[0].samples.count
            let sum = zip(a, b).reduce(0.0) { total, pair in
                zip(pair.0.samples, pair.1.samples).reduce(total) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) / (255 * 255) }
            }
            let mse = try XCTUnwrap(record["mse"] as? Double)
            XCTAssertEqual(mse, sum / Double(count), accuracy: 1e-12, name)
            XCTAssertEqual(try XCTUnwrap(record["psnr"] as? Double), 10 * log10(1 / mse), accuracy: 1e-9, name)
            XCTAssertGreaterThan(try XCTUnwrap(record["encodeSeconds"] as? Double), 0, name)
            XCTAssertGreaterThan(try XCTUnwrap(record["decodeSeconds"] as? Double), 0, name)
            psnrs.append(10 * log10(1 / mse))
            ssims.append(ssim)
            // Gray counts as R = G = B in the pooled MSE.
            squared += sum * (a.count == 1 ? 3 : 1)
            values += count * (a.count == 1 ? 3 : 1)
        }
        XCTAssertEqual(files.filter { $0["msssim"] is Double }.count, 2)
        let totals = try XCTUnwrap(doc["totals"] as? [String: Any])
        XCTAssertEqual(totals["compared"] as? Int, 3)
        XCTAssertEqual(totals["ssimCompared"] as? Int, 3)
        XCTAssertEqual(totals["msssimCompared"] as? Int, 2)
        XCTAssertEqual(try XCTUnwrap(totals["meanSSIM"] as? Double), ssims.reduce(0, +) / 3, accuracy: 1e-12)
        let msssims = files.compactMap { $0["msssim"] as? Double }
        XCTAssertEqual(try XCTUnwrap(totals["meanMSSSIM"] as? Double), msssims.reduce(0, +) / 2, accuracy: 1e-12)
        // The two means of PSNR: of the files' PSNR (CompressAI's), and of the pooled MSE.
        let meanPSNR = try XCTUnwrap(totals["meanPSNR"] as? Double)
        let pooled = try XCTUnwrap(totals["psnr"] as? Double)
        XCTAssertEqual(meanPSNR, psnrs.reduce(0, +) / 3, accuracy: 1e-9)
        XCTAssertEqual(pooled, 10 * log10(Double(values) / squared), accuracy: 1e-9)
        XCTAssertGreaterThan(abs(meanPSNR - pooled), 1e-3, "the files' PSNRs differ, so the two means do")
        let encode = files.compactMap { $0["encodeSeconds"] as? Double }.reduce(0, +)
        XCTAssertEqual(try XCTUnwrap(totals["encodeSeconds"] as? Double), encode, accuracy: 1e-5)

        // aedec --reference measures the same figures; aeenc without --print-quality decodes nothing.
        let dec = try object(try run("aedec", ["ael", "-o", "again", "--reference", "in", "--json"], in: dir).stdoutText)
        for (e, d) in zip(files, try XCTUnwrap(dec["files"] as? [[String: Any]])) {
            XCTAssertEqual(e["ssim"] as? Double, d["ssim"] as? Double)
            XCTAssertEqual(e["msssim"] as? Double, d["msssim"] as? Double)
            XCTAssertEqual(e["mse"] as? Double, d["mse"] as? Double)
            XCTAssertTrue(d["encodeSeconds"] is NSNull)
            XCTAssertGreaterThan(try XCTUnwrap(d["decodeSeconds"] as? Double), 0)
        }
        let plain = try object(try run("aeenc", ["in/c.png", "-o", "c.ael", "--json"], in: dir).stdoutText)
        let record = try XCTUnwrap((plain["files"] as? [[String: Any]])?.first)
        XCTAssertTrue(record["ssim"] is NSNull && record["msssim"] is NSNull && record["decodeSeconds"] is NSNull)
        XCTAssertGreaterThan(try XCTUnwrap(record["encodeSeconds"] as? Double), 0)
        let plainTotals = try XCTUnwrap(plain["totals"] as? [String: Any])
        XCTAssertEqual(plainTotals["ssimCompared"] as? Int, 0)
        XCTAssertTrue(plainTotals["meanSSIM"] is NSNull && plainTotals["decodeSeconds"] is NSNull)
    }

    func testPrintQualityLinesNameEveryFigureAndBothMeans() throws {
        let dir = try inputs()
        let r = try run("aeenc", ["--model", "svhn-64", "in", "-o", "ael", "--print-quality"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdoutText.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, r.stdoutText)
        for line in lines.prefix(3) {
            XCTAssertNotNil(line.range(of: #", MSE [0-9.]+, PSNR [0-9.]+ dB, SSIM 0\.[0-9]{5}, MS-SSIM (0\.[0-9]{5}|n/a), "#
                + #"encode [0-9.]+ s, decode [0-9.]+ s$"#, options: .regularExpression), line)
        }
        XCTAssertTrue(lines[2].contains("MS-SSIM n/a"), "96x64: " + lines[2])
        XCTAssertNotNil(lines[3].range(of: #"PSNR [0-9.]+ dB of the mean MSE, mean PSNR [0-9.]+ dB \(3 compared\), "#
            + #"mean SSIM 0\.[0-9]{5}, mean MS-SSIM 0\.[0-9]{5} \(2 of 3 files\), encode [0-9.]+ s, decode [0-9.]+ s$"#,
            options: .regularExpression), lines[3])
        // Without --print-quality: the encoding time only.
        let stats = try run("aeenc", ["--model", "svhn-64", "in/c.png", "-o", "c.ael", "--stats"], in: dir)
        XCTAssertNotNil(stats.stdoutText.range(of: #"vs raw RGB, encode [0-9.]+ s\n$"#, options: .regularExpression),
                        stats.stdoutText)
        let dec = try run("aedec", ["c.ael", "-o", "c.png", "--stats"], in: dir)
        XCTAssertNotNil(dec.stdoutText.range(of: #"vs raw RGB, decode [0-9.]+ s\n$"#, options: .regularExpression),
                        dec.stdoutText)
    }
}
