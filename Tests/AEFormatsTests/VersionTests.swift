import AEFormats
import AEBase
import XCTest

final class VersionTests: XCTestCase {
    func testVersionIsSemantic() {
        let parts = AECodecVersion.string.split(separator: ".")
        XCTAssertEqual(parts.count, 3)
        XCTAssertTrue(parts.allSatisfy { Int($0) != nil })
    }
}
