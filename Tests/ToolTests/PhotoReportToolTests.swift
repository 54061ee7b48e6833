import AECodec
import AEFormats
import AETestSupport
import Foundation
import XCTest

/// `aetrain report --photos` through the tool, with the three block-mean levels of
/// `QualityLevelTesting` as the quality set `tiny` in a `--model-path` folder.
final class PhotoReportToolTests: XCTestCase {
    /// A folder with `models/tiny-1...3.aemodel` and `photos/` holding two pictures of flat
    /// 16x16 blocks (one a JPEG, one cropped to sizes that are not multiples of 16).
    private func folder() throws -> String {
        let dir = try TestFiles.temporaryFolder(self)
        try QualityLevelTesting.writeLevels(to: dir + "/models")
        try FileManager.default.createDirectory(atPath: dir + "/photos", withIntermediateDirectories: true)
        try TestFiles.write(try QualityLevelTesting.picture().encoded(), to: dir + "/photos/blocks.png")
        try TestFiles.write(try JPEGImage.encode(QualityLevelTesting.picture(width: 100, height: 70), quality: 95),
                            to: dir + "/photos/blocks-small.jpg")
        return dir
    }

    private func run(_ arguments: [String], in dir: String) throws -> ToolProcess.Result {
        try ToolProcess.run("aetrain", ["report"] + arguments, in: dir, environment: ["AECODEC_MODEL_PATH": ""])
    }

    func testPhotoReportOfAQualitySet() throws {
        let dir = try folder()
        let r = try run(["tiny", "--model-path", "models", "--photos", "photos", "-o", "out", "--crop-images", "2",
                         "--crop-size", "48", "--peer-qualities", "5,30,60,90"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        // One line per level, then the summary.
        let lines = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, r.stderr)
        XCTAssertEqual(lines.last, "Wrote out/index.html (1 curves, 2 photos)")
        for (i, line) in lines.prefix(3).enumerated() {
            XCTAssertTrue(line.hasPrefix("tiny level \(i + 1): "), line)
            XCTAssertTrue(line.contains("; JPEG at the same size ") && line.contains("; WebP at the same size "), line)
            XCTAssertTrue(line.hasSuffix(" (2 photos)"), line)
        }
        // figures.csv: a larger level gives larger files and a higher PSNR (finer steps).
        let rows = try String(contentsOfFile: dir + "/out/figures.csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let ours = rows.filter { $0[0] == "ours" }
        XCTAssertEqual(ours.map { $0[2] }, ["level 1", "level 2", "level 3"])
        let bpp = ours.map { Double($0[6])! }, psnr = ours.map { Double($0[7])! }
        XCTAssertEqual(bpp, bpp.sorted(), "\(bpp)")
        XCTAssertEqual(psnr, psnr.sorted(), "\(psnr)")
        XCTAssertGreaterThan(psnr[2] - psnr[0], 10, "steps of 1/128 against 1/8 of the range")
        XCTAssertEqual(rows.filter { $0[0] == "jpeg" }.map { $0[3] }, ["5", "30", "60", "90"])
        XCTAssertEqual(rows.filter { $0[0] == "webp" }.count, 4)
        // The crops: the middle level (2) by default, each picture 48x48 at 2x.
        let html = try String(contentsOfFile: dir + "/out/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("ours at tiny level 2"))
        XCTAssertTrue(html.contains("<svg") && html.contains("ours: tiny"))
        for k in 1...2 {
            for what in ["original", "ours", "jpeg", "webp"] {
                let crop = try PNGImage.read(path: dir + "/out/crop-\(k)-\(what).png")
                XCTAssertEqual([crop.width, crop.height], [96, 96])
                XCTAssertTrue(html.contains("src=\"crop-\(k)-\(what).png\""))
            }
        }
        // --force replaces the report, whose crops and CSV files are its own.
        XCTAssertEqual(try run(["tiny", "--model-path", "models", "--photos", "photos", "-o", "out", "--force", "--quiet",
                                "--peer-qualities", "50"], in: dir).status, 0)
    }

    func testBadPhotoFoldersAndOptionsAreRefused() throws {
        let dir = try folder()
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        let empty = try run(["tiny", "--model-path", "models", "--photos", "empty", "-o", "out"], in: dir)
        XCTAssertEqual(empty.status, 1)
        XCTAssertEqual(empty.stderr, "aetrain: empty: holds no photos (files named .png, .jpg, .jpeg, .jpe, .jfif or .webp)\n")
        let missing = try run(["tiny", "--model-path", "models", "--photos", "nowhere", "-o", "out"], in: dir)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "aetrain: nowhere: no such folder (--photos takes a folder of PNG, JPEG or WebP photos)\n")
        let unknown = try run(["nosuchset", "--photos", "photos", "-o", "out"], in: dir)
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.hasPrefix("aetrain: nosuchset: no such model file"), unknown.stderr)
        // Usage errors (exit 64): no models, both data options, bad values.
        for arguments in [["--photos", "photos", "-o", "out"],
                          ["tiny", "--photos", "photos", "--test", "synthetic:4", "-o", "out"],
                          ["tiny", "--photos", "photos", "-o", "out", "--peer-qualities", "5,101"],
                          ["tiny", "--photos", "photos", "-o", "out", "--noise", "gaussian:0.1"],
                          ["tiny", "--photos", "photos", "-o", "out", "--crop-size", "8"]] {
            let r = try run(arguments, in: dir)
            XCTAssertEqual(r.status, 64, "\(arguments): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"))
    }
}
