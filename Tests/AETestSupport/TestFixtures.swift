import Foundation
import XCTest

/// Where the tests find the committed fixtures (Fixtures/, found from this source file,
/// Tests/AETestSupport/TestFixtures.swift) and the shared datasets.
public enum TestFixtures {
    /// The repository root.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The Fixtures folder.
    public static let folder = repositoryRoot + "/Fixtures"

    /// A path under Fixtures, e.g. `path("data/images.npy")`.
    public static func path(_ relative: String) -> String { folder + "/" + relative }

    public static func url(_ relative: String) -> URL { URL(fileURLWithPath: path(relative)) }

    /// The bytes of a file under Fixtures.
    public static func bytes(_ relative: String) throws -> [UInt8] { try TestFiles.bytes(path(relative)) }

    /// The golden model bundle (Fixtures/bundles/README.md).
    public static var goldenBundlePath: String { path("bundles/golden-v1.aemodel") }

    /// The shared datasets folder (`../shared/datasets` next to the repository, or
    /// /work/shared/datasets); skips the test when neither exists.
    public static func sharedDatasets() throws -> String {
        let candidates = [repositoryRoot + "/../shared/datasets", "/work/shared/datasets"]
        for c in candidates where FileManager.default.fileExists(atPath: c + "/svhn/README.txt") {
            return URL(fileURLWithPath: c).standardizedFileURL.path
        }
        throw XCTSkip("shared datasets not found (looked in \(candidates.joined(separator: ", ")))")
    }
}
