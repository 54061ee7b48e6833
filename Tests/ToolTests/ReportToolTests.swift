import AECodec
import AEFormats
import AETestSupport
import Foundation
import XCTest

/// aetrain report through the tool.
extension AECodecToolTests {
    func testAetrainReportThroughTheTool() throws {
        let dir = try folder()
        let r = try run("aetrain", ["report", TestFixtures.goldenBundlePath, "--test", "synthetic:8,seed=2",
                                    "-o", "out", "--grid-images", "4", "--quiet"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out/index.html"))
        let again = try run("aetrain", ["report", TestFixtures.goldenBundlePath, "--test", "synthetic:8", "-o", "out"], in: dir)
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "aetrain: out: already exists (use --force to overwrite)\n")
        let missing = try run("aetrain", ["report", "-o", "other"], in: dir)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--test"), missing.stderr)
        XCTAssertEqual(try listing(dir), ["out"])
    }
}
