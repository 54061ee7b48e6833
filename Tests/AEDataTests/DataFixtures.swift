import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// The committed data fixtures (Fixtures/data, written by Scripts/make_data_fixtures.py)
/// and the data sources' errors.
enum DataFixtures {
    static func path(_ name: String) -> String { TestFixtures.path("data/" + name) }

    static func bytes(_ name: String) throws -> [UInt8] { try TestFixtures.bytes("data/" + name) }

    /// The 4 ground-truth images of images.npy, read independently of NpyFile
    /// (the array data follow a 128-byte header).
    static func groundTruth() throws -> [UInt8] {
        let b = try bytes("images.npy")
        precondition(b.count == 128 + 4 * 3072)
        return Array(b[128...])
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
