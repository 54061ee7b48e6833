import AEFormats
import AETestSupport
import Foundation
import XCTest

/// Issue 16: `--version` on every tool prints the toolkit's version and the built-in
/// models with their fingerprints, and exits 0 (also after other arguments, as the
/// parser's own flag would; never after `--`, where it is a file name).
final class VersionToolTests: XCTestCase {
    func testEveryToolPrintsTheVersionAndTheBuiltInModels() throws {
        let dir = try TestFiles.temporaryFolder(self)
        let models = try EmbeddedModels.all.map { ($0.name, try $0.bundle().fingerprint) }
        XCTAssertFalse(models.isEmpty)
        for arguments in [["aeenc", "--version"], ["aedec", "--version"], ["aetrain", "--version"],
                          ["aeinfo", "--version"], ["aebench", "--version"], ["aeenc", "photo.png", "--version"]] {
            let r = try ToolProcess.run(arguments[0], Array(arguments.dropFirst()), in: dir)
            XCTAssertEqual(r.status, 0, "\(arguments): \(r.stderr)")
            XCTAssertEqual(r.stderr, "")
            let lines = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.first, "\(arguments[0]) \(AECodecVersion.string)", "\(arguments)")
            for (name, fingerprint) in models {
                XCTAssertTrue(lines.contains { $0.hasPrefix("  \(name)  \(fingerprint)") }, "\(arguments): \(lines)")
            }
            XCTAssertEqual(lines.filter { $0.hasSuffix("(default)") }.count, 1)
        }
        // Listed in the help.
        let help = try ToolProcess.run("aeenc", ["--help"], in: dir)
        XCTAssertTrue(String(decoding: help.stdout, as: UTF8.self).contains("--version"))
        // After '--' it names a file.
        let file = try ToolProcess.run("aeenc", ["--", "--version"], in: dir)
        XCTAssertEqual(file.status, 1)
        XCTAssertEqual(file.stderr, "aeenc: --version: no such file or folder\n")
    }
}
