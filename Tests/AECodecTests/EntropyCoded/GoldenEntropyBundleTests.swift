import AECodec
import AEEntropyCoding
import AEFormats
import AENet
import Foundation
import AETestSupport
import XCTest

/// The committed format-1.4 bundle (Fixtures/bundles/golden-v1.4-conv.aemodel): an
/// entropy-coded, fully-convolutional model reads as the spec says.
final class GoldenEntropyBundleTests: XCTestCase {
    static var path: String { TestFixtures.path("bundles/golden-v1.4-conv.aemodel") }

    func testTheGoldenBundleReads() throws {
        let container = try BundleContainer.read(path: Self.path)
        XCTAssertEqual(container.header.version, "1.4")
        let bundle = try ModelBundle.read(path: Self.path)
        XCTAssertEqual(bundle.fingerprint, "597dbd52d0ccafc563a27a2f90ab2dfb")
        let arch = bundle.metadata.architecture
        XCTAssertEqual(arch.family, "conv-factorized")
        let entropy = try XCTUnwrap(arch.entropyModel)
        XCTAssertEqual(entropy.kind, "factorized")
        XCTAssertEqual(entropy.channels, 4)
        XCTAssertEqual(entropy.filters, [3, 3, 3])
        XCTAssertEqual(entropy.auxiliaryParameters, ["prior/quantiles"])
        XCTAssertEqual(bundle.metadata.training?.lambda, 0.01)

        let tables = try XCTUnwrap(try EntropyTables(bundle: bundle))
        XCTAssertEqual(tables.tables.count, 4)
        for t in tables.tables {
            XCTAssertEqual(t.cdf.first, 0)
            XCTAssertEqual(t.cdf.last, CDFTable.total)
            XCTAssertTrue(zip(t.cdf, t.cdf.dropFirst()).allSatisfy { $0 < $1 }, "strictly increasing")
        }
        // The tables round-trip through the tensors they came from.
        XCTAssertEqual(try EntropyTables(bundle: bundle.withEntropyTables(tables)), tables)

        let model = try bundle.makeModel()
        let prior = try XCTUnwrap(model.prior)
        XCTAssertEqual(prior.medians, tables.medians, "the tables' medians are the prior's (bisected) medians")
        let y = model.forward(BundleTesting.patternImages(1))
        XCTAssertEqual(y.shape, [1, 32, 32, 3])
        XCTAssertTrue(y.data.allSatisfy(\.isFinite))
    }

    /// Damaged tables (a non-integer, a row that does not rise) are refused naming the tables.
    func testDamagedTablesAreRefused() throws {
        let bundle = try ModelBundle.read(path: Self.path)
        let cdf = try XCTUnwrap(bundle[EntropyTables.cdfName])
        for damage in [{ (v: inout [Float]) in v[1] += 0.5 }, { (v: inout [Float]) in v[2] = v[1] }] {
            var values = cdf.values
            damage(&values)
            var b = bundle
            b.tensors.removeAll { $0.name == EntropyTables.cdfName }
            b.tensors.append(BundleTensor(name: EntropyTables.cdfName, shape: cdf.shape, values: values))
            XCTAssertThrowsError(try EntropyTables(bundle: b)) {
                XCTAssertTrue("\($0)".contains("(entropy tables)"), "\($0)")
            }
        }
        var missing = bundle
        missing.tensors.removeAll { $0.name == EntropyTables.medianName }
        XCTAssertThrowsError(try EntropyTables(bundle: missing))
    }
}
