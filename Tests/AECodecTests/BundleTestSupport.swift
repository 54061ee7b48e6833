import AECodec
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// Helpers for the model bundle tests.
enum BundleTesting {
    /// A fresh empty temporary folder, removed when the test ends.
    static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        URL(fileURLWithPath: try TestFiles.temporaryFolder(test))
    }

    /// A deterministic batch of `count` 32x32 RGB images in [0, 1].
    static func patternImages(_ count: Int) -> Tensor {
        var t = Tensor(zeros: [count, 32, 32, 3])
        for i in 0..<t.count { t.data[i] = Float((i * 37 + i / 3072 * 11) % 251) / 255 }
        return t
    }

    /// Largest absolute difference between two equally shaped tensors.
    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape)
        return TestMath.maxDifference(a.data, b.data)
    }

    /// Runs `body` and returns the `BundleError` it throws (failing if it throws none).
    static func bundleError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> BundleError? {
        do {
            try body()
            XCTFail("expected a BundleError", file: file, line: line)
            return nil
        } catch let e as BundleError {
            return e
        } catch {
            XCTFail("expected a BundleError, got \(error)", file: file, line: line)
            return nil
        }
    }
}
