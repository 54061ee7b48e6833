import AEFormats
import AETestSupport
import Foundation
import XCTest

/// The README's library example runs as written: the README quotes
/// Examples/CodecExample's Package.swift and main.swift exactly, and that main.swift
/// (built in this package as the target ReadmeExample) encodes and decodes as the tools do.
/// (Scripts/check-readme-example.sh builds the example as a package of its own.)
final class ReadmeExampleTests: XCTestCase {
    /// The code block that follows `<!-- quoted from PATH -->` in the README.
    func quotedBlock(_ path: String, in readme: String) throws -> String {
        let marker = try XCTUnwrap(readme.range(of: "<!-- quoted from \(path) -->\n```swift\n"), "no quote of \(path)")
        let end = try XCTUnwrap(readme.range(of: "\n```\n", range: marker.upperBound..<readme.endIndex))
        return String(readme[marker.upperBound..<end.lowerBound]) + "\n"
    }

    func testTheREADMEQuotesTheExampleAsItIs() throws {
        let readme = try String(contentsOfFile: TestFixtures.repositoryRoot + "/README.md", encoding: .utf8)
        for path in ["Examples/CodecExample/Package.swift", "Examples/CodecExample/Sources/CodecExample/main.swift"] {
            let file = try String(contentsOfFile: TestFixtures.repositoryRoot + "/" + path, encoding: .utf8)
            XCTAssertEqual(try quotedBlock(path, in: readme), file, "the README's quote of \(path)")
        }
    }

    func testTheExampleEncodesAndDecodesAsTheToolsDo() throws {
        let dir = try TestFiles.temporaryFolder(self)
        let sample = TestFixtures.path("samples/house-number.png")
        let r = try ToolProcess("ReadmeExample", [sample, "example.png"], in: dir).result()
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try ToolProcess("aeenc", [sample, "-o", "tool.ael", "--model", "svhn-64-rd"], in: dir).result().status, 0)
        XCTAssertEqual(try ToolProcess("aedec", ["tool.ael", "-o", "tool.png"], in: dir).result().status, 0)
        let latentBytes = try TestFiles.bytes(dir + "/tool.ael").count
        XCTAssertTrue(r.stdoutText.hasPrefix("\(sample): \(latentBytes) bytes of latents, SSIM 0."), r.stdoutText)
        XCTAssertEqual(try PNGImage.read(path: dir + "/example.png"), try PNGImage.read(path: dir + "/tool.png"))
    }
}
