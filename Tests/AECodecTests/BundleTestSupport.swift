import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import AENet
import Foundation
import XCTest

/// Helpers for the model bundle tests.
enum BundleTesting {
    /// The repository's Fixtures/bundles folder, found from this source file.
    static let fixturesURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bundles")

    /// A fresh empty temporary folder, removed when the test ends.
    static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("aecodec-bundle-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A deterministic batch of `count` 32x32 RGB images in [0, 1].
    static func patternImages(_ count: Int) -> Tensor {
        var t = Tensor(zeros: [count, 32, 32, 3])
        for i in 0..<t.count { t.data[i] = Float((i * 37 + i / 3072 * 11) % 251) / 255 }
        return t
    }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
    }

    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
    }

    static func put<T: FixedWidthInteger>(_ value: T, _ b: inout [UInt8], at: Int) {
        for i in 0..<(T.bitWidth / 8) { b[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    /// Recomputes the section CRCs and the header CRC after a test patched the bytes.
    static func refreshChecksums(_ b: inout [UInt8]) {
        let headerLength = Int(u32(b, 12))
        for (offsetAt, lengthAt, crcAt) in [(24, 32, 80), (40, 48, 84), (56, 64, 88)] {
            let offset = Int(u64(b, offsetAt)), length = Int(u64(b, lengthAt))
            guard offset + length <= b.count else { continue }
            put(Zlib.crc32(Array(b[offset..<(offset + length)])), &b, at: crcAt)
        }
        put(Zlib.crc32(Array(b[0..<(headerLength - 4)])), &b, at: headerLength - 4)
    }

    /// Largest absolute difference between two equally shaped tensors.
    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape)
        return zip(a.data, b.data).reduce(0) { max($0, abs($1.0 - $1.1)) }
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
