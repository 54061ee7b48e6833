import AETestSupport
import Foundation
import XCTest

/// `aeinfo` on latent files of format 2.0, and on a major version no reader knows.
extension AECodecToolTests {
    func testAeinfoShowsVersion2Files() throws {
        let golden = TestFixtures.path("latent/golden-v2.ael")
        // The golden file's recorded fields (Fixtures/latent/README.md).
        let record = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: TestFixtures.url("latent/golden-v2.json"))) as? [String: Any])
        let streamLength = try XCTUnwrap(record["streamLength"] as? Int)
        let fileLength = try XCTUnwrap(record["fileLength"] as? Int)
        let text = try run("aeinfo", [golden])
        XCTAssertEqual(text.status, 0, text.stderr)
        let out = String(decoding: text.stdout, as: UTF8.self)
        XCTAssertTrue(out.contains("format: version 2.0 (entropy-coded latents)"), out)
        XCTAssertTrue(out.contains("stream: \(streamLength) bytes of entropy-coded latents (rANS) at offset 17"), out)
        let json = try run("aeinfo", ["--json", golden])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap((JSONSerialization.jsonObject(with: json.stdout) as? [[String: Any]])?.first)  // an array of one
        XCTAssertEqual(object["fileLength"] as? Int, fileLength)
        XCTAssertEqual((object["header"] as? [String: Any])?["majorVersion"] as? Int, 2)

        var bytes = try Data(contentsOf: URL(fileURLWithPath: golden))
        bytes[4] = 0x30
        let future = URL(fileURLWithPath: try folder() + "/future.ael")
        try bytes.write(to: future)
        let refused = try run("aeinfo", [future.path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderr, "aeinfo: \(future.path): unsupported latent file format version 3.0 (this reader understands major versions 1 and 2)\n")
    }
}
