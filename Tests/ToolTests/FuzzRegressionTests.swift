import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import AETestSupport
import Foundation
import FuzzChecks
import XCTest

/// Replays every committed fuzz input (Fixtures/fuzz/TARGET: seeds, the minimised corpus
/// `corpus-*` and each input that once crashed, hung or over-allocated) through the reader its target fuzzes, as
/// the target calls it: the checks and the repaired variants are FuzzChecks, shared with the targets (Fuzz/README.md). Each must be read or refused with the reader's
/// typed error; a crash takes the whole test run down, so it cannot go unnoticed.
final class FuzzRegressionTests: XCTestCase {
    static let root = TestFixtures.repositoryRoot + "/Fixtures/fuzz/"

    /// The committed inputs of `target`, by file name.
    private func inputs(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let folder = Self.root + target
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return try names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            (name, try TestFixtures.bytes("data/../fuzz/\(target)/\(name)"))
        }
    }

    /// Runs every input of `target` through its fuzz target's variants and checks
    /// (FuzzChecks, the same code the libFuzzer target runs); a refusal must be one of
    /// `typed`, an invariant failure fails the test. Returns (inputs, variants read).
    @discardableResult
    private func replay(_ target: String, variants: ([UInt8]) -> [[UInt8]], check: ([UInt8]) throws -> Void,
                        typed: (Error) -> Bool) throws -> (inputs: Int, accepted: Int) {
        let all = try inputs(target)
        var accepted = 0
        for (name, bytes) in all {
            let start = Date()
            for (k, input) in variants(bytes).enumerated() {
                do {
                    try check(input)
                    accepted += 1
                } catch let failure as FuzzInvariantFailure {
                    XCTFail("\(target)/\(name) variant \(k): \(failure)")
                } catch {
                    XCTAssertTrue(typed(error), "\(target)/\(name) variant \(k): untyped error \(type(of: error)): \(error)")
                }
            }
            let seconds = Date().timeIntervalSince(start)
            XCTAssertLessThan(seconds, 5, "\(target)/\(name) took \(seconds) s (the fuzzers' -timeout)")
        }
        return (all.count, accepted)
    }

    func testLatentFileInputs() throws {
        let r = try replay("latent", variants: FuzzLatentFile.variants, check: FuzzLatentFile.check,
                           typed: { $0 is LatentFileError })
        XCTAssertGreaterThan(r.inputs, 0, "Fixtures/fuzz/latent is empty")
        XCTAssertGreaterThan(r.accepted, 0, "no latent input decodes: the seeds are missing")
    }

    func testModelBundleInputs() throws {
        let r = try replay("bundle", variants: FuzzModelBundle.variants, check: FuzzModelBundle.check,
                           typed: { $0 is BundleError })
        XCTAssertGreaterThanOrEqual(r.inputs, 3, "the seed bundles are missing")
    }

    func testMATFileInputs() throws {
        let r = try replay("mat", variants: FuzzMATFile.variants, check: FuzzMATFile.check,
                           typed: { $0 is DataSourceError })
        XCTAssertGreaterThan(r.inputs, 0, "Fixtures/fuzz/mat is empty")
    }

    func testNpyFileInputs() throws {
        let r = try replay("npy", variants: FuzzNpyFile.variants, check: FuzzNpyFile.check,
                           typed: { $0 is DataSourceError })
        XCTAssertGreaterThan(r.inputs, 0, "Fixtures/fuzz/npy is empty")
    }

    func testImageInputs() throws {
        let r = try replay("image", variants: FuzzImage.variants, check: FuzzImage.check, typed: { $0 is CodecError })
        XCTAssertGreaterThanOrEqual(r.inputs, 6, "the seed JPEG and WebP files are missing")
        XCTAssertGreaterThanOrEqual(r.accepted, 6, "the seed JPEG and WebP files should decode")
    }

    func testImageMetadataInputs() throws {
        let r = try replay("metadata", variants: FuzzImageMetadata.variants, check: FuzzImageMetadata.check, typed: { _ in false })
        XCTAssertGreaterThanOrEqual(r.inputs, 5, "the seed images with metadata are missing")
        // Reading never fails (`typed` accepts no error): every input and variant is read.
        XCTAssertGreaterThan(r.accepted, r.inputs, "the repaired variant of seed-bad-crc.png is read too")
        for name in ["seed-metadata.png", "seed-metadata.jpg", "seed-metadata.webp"] {
            let found = ImageMetadata.read(try TestFixtures.bytes("fuzz/metadata/" + name))
            XCTAssertEqual(found.records.map(\.kind), name.hasSuffix("png") ? [.icc, .exif, .xmp, .text, .text, .text]
                           : (name.hasSuffix("jpg") ? [.icc, .exif, .xmp, .text] : [.icc, .exif, .xmp]), name)
            XCTAssertEqual(found.notCarried.count, 1, name)
        }
    }

    func testPNGInputs() throws {
        let r = try replay("png", variants: FuzzPNG.variants, check: FuzzPNG.check, typed: { $0 is CodecError })
        XCTAssertGreaterThanOrEqual(r.inputs, 8, "the seed PNGs are missing")
        XCTAssertGreaterThanOrEqual(r.accepted, 8, "the seed PNGs (and the seed-raw-* ones as raw image data) should decode")
    }
}
