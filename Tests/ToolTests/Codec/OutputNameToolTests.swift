import AEFormats
import AETestSupport
import Foundation
import XCTest

/// Issue 16: aedec writes PNG, so `-o` naming one output file with another extension
/// (`x.jpg`) is a usage error (exit 64) instead of PNG bytes under a JPEG name.
final class OutputNameToolTests: XCTestCase {
    func testAedecRefusesOutputNamesThatAreNotPNG() throws {
        let dir = try TestFiles.temporaryFolder(self)
        try TestFiles.write(TestPNG.sample(width: 40, height: 24, colorType: 2, bitDepth: 8, seed: 3).png, to: dir + "/a.png")
        XCTAssertEqual(try ToolProcess.run("aeenc", ["a.png"], in: dir).status, 0)
        for name in ["x.jpg", "x.webp", "x.JPEG", "dir/x.gif"] {
            let r = try ToolProcess.run("aedec", ["a.ael", "-o", name], in: dir)
            XCTAssertEqual(r.status, 64, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("-o \(name): aedec writes PNG images only; name the output .png"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + name), name)
        }
        // Standard input too; and .png in any case, or no extension, are written as PNG.
        XCTAssertEqual(try ToolProcess.run("aedec", ["-", "-o", "y.jpg"], in: dir, stdin: dir + "/a.ael").status, 64)
        for name in ["x.png", "x2.PNG", "plain"] {
            let r = try ToolProcess.run("aedec", ["a.ael", "-o", name], in: dir)
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            XCTAssertEqual(ImageFormat.detect(try TestFiles.bytes(dir + "/" + name)), .png, name)
        }
        // A folder output may be named anything.
        try FileManager.default.createDirectory(atPath: dir + "/out.jpg", withIntermediateDirectories: false)
        let folder = try ToolProcess.run("aedec", ["a.ael", "-o", "out.jpg"], in: dir)
        XCTAssertEqual(folder.status, 0, folder.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out.jpg/a.png"))
    }
}
