import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import AENet
import Foundation
import XCTest

/// Paths of the committed data fixtures (Fixtures/data, written by
/// Scripts/make_data_fixtures.py) and of the shared datasets, plus small helpers.
enum DataFixtures {
    /// The repository root (this file is Tests/AECodecTests/DataFixtures.swift).
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func path(_ name: String) -> String { repositoryRoot + "/Fixtures/data/" + name }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    /// The shared datasets folder (`../shared/datasets` next to the repository, or
    /// /work/shared/datasets); skips the test when neither exists.
    static func sharedDatasets() throws -> String {
        let candidates = [repositoryRoot + "/../shared/datasets", "/work/shared/datasets"]
        for c in candidates where FileManager.default.fileExists(atPath: c + "/svhn/README.txt") {
            return URL(fileURLWithPath: c).standardizedFileURL.path
        }
        throw XCTSkip("shared datasets not found (looked in \(candidates.joined(separator: ", ")))")
    }

    /// The 4 ground-truth images of images.npy, read independently of NpyFile
    /// (the array data follow a 128-byte header).
    static func groundTruth() throws -> [UInt8] {
        let b = try bytes("images.npy")
        precondition(b.count == 128 + 4 * 3072)
        return Array(b[128...])
    }

    /// A fresh temporary folder, removed at the end of the test.
    static func temporaryFolder(_ test: XCTestCase) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("aecodec-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// The bytes of the file at `path`.
    static func bytesOf(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Asserts that `body` throws a DataSourceError and returns it.
    @discardableResult
    static func dataError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> DataSourceError? {
        do {
            try body()
            XCTFail("expected a DataSourceError, nothing was thrown", file: file, line: line)
        } catch let error as DataSourceError {
            return error
        } catch {
            XCTFail("expected a DataSourceError, got \(type(of: error)): \(error)", file: file, line: line)
        }
        return nil
    }
}
