import AECodec
import AEFormats
import AETestSupport
import Foundation
import XCTest

/// Bundle format 1.5's metadata key `quality` (Specs/model-bundle.md section 5.10): the
/// committed golden file, old files, round trips and refusals, and reading the metadata
/// alone (what the catalog of quality sets reads).
final class GoldenQualityBundleTests: XCTestCase {
    static var golden14: String { TestFixtures.path("bundles/golden-v1.4-conv.aemodel") }
    static var golden15: String { TestFixtures.path("bundles/golden-v1.5-quality.aemodel") }

    /// The committed 1.5 file: golden-v1.4-conv stamped with a level by `aetrain --stamp-quality`.
    func testTheGolden15BundleIsThe14BundleWithAQualityRecord() throws {
        let bytes = try TestFiles.bytes(Self.golden15)
        XCTAssertEqual(try BundleContainer.parse(bytes, path: "g").header.version, "1.5")
        let bundle = try ModelBundle.read(path: Self.golden15)
        XCTAssertEqual(bundle.metadata.quality,
                       BundleMetadata.QualityInfo(set: "golden", level: 2, kodakBitsPerPixel: 0.5, kodakPSNR: 21.25))
        // The fingerprint covers the weights only: the same as the 1.4 file's.
        XCTAssertEqual(bundle.fingerprint, "597dbd52d0ccafc563a27a2f90ab2dfb")
        let old = try ModelBundle.read(path: Self.golden14)
        XCTAssertNil(old.metadata.quality, "a 1.4 bundle has no quality record")
        XCTAssertEqual(bundle.tensors.map(\.name), old.tensors.map(\.name))
        XCTAssertEqual(bundle.tensors.map(\.bytes), old.tensors.map(\.bytes))
        var withoutQuality = bundle.metadata
        withoutQuality.quality = nil
        XCTAssertEqual(withoutQuality, old.metadata, "stamping changes nothing else")
        // Writers are canonical: the bundle writes back byte for byte, and without the
        // record as the 1.4 file (the lowest version it needs).
        XCTAssertEqual(try bundle.encoded(weights: bundle.weightType), bytes)
        var unstamped = bundle
        unstamped.metadata.quality = nil
        XCTAssertEqual(try unstamped.encoded(weights: unstamped.weightType), try TestFiles.bytes(Self.golden14))
        // The metadata alone reads the same, from the file and from memory.
        XCTAssertEqual(try BundleContainer.readMetadata(path: Self.golden15).metadata, bundle.metadata)
        XCTAssertEqual(try BundleContainer.readMetadata(bytes, path: "g").metadata, bundle.metadata)
    }

    func testOlderBundlesStillReadWithoutAQualityRecord() throws {
        for path in [TestFixtures.path("bundles/golden-v1.aemodel"), Self.golden14] {
            let bundle = try ModelBundle.read(path: path)
            XCTAssertNil(bundle.metadata.quality, path)
            XCTAssertEqual(try BundleContainer.readMetadata(path: path).metadata, bundle.metadata, path)
        }
    }

    func testQualityRoundTripsAndBadValuesAreRefusedByName() throws {
        var bundle = try ModelBundle.read(path: Self.golden14)
        bundle.metadata.quality = BundleMetadata.QualityInfo(set: "photo", level: 6, kodakBitsPerPixel: 1.4)
        let bytes = try bundle.encoded()
        XCTAssertEqual(try BundleContainer.parse(bytes, path: "q").header.version, "1.5")
        XCTAssertEqual(try ModelBundle.decode(bytes).metadata.quality, bundle.metadata.quality)

        let cases: [(BundleMetadata.QualityInfo, String)] = [
            (.init(set: "photo", level: 0), "quality.level 0"),
            (.init(set: "photo", level: 100), "quality.level 100"),
            (.init(set: "Photo", level: 1), "quality.set \"Photo\""),
            (.init(set: "a/b", level: 1), "quality.set \"a/b\""),
            (.init(set: "", level: 1), "quality.set \"\""),
            (.init(set: "photo", level: 1, kodakBitsPerPixel: -1), "quality.kodakBitsPerPixel"),
            (.init(set: "photo", level: 1, kodakPSNR: .nan), "quality.kodakPSNR"),
        ]
        for (quality, mention) in cases {
            var bad = bundle
            bad.metadata.quality = quality
            XCTAssertThrowsError(try bad.encoded(), mention) { XCTAssertTrue("\($0)".contains(mention), "\($0)") }
            // A file holding it (written around the check) is refused by readers, naming the field.
            let file = try Self.assemble(bad)
            guard let error = BundleTesting.bundleError({ _ = try ModelBundle.decode(file, path: "bad.aemodel") }) else { continue }
            XCTAssertTrue("\(error)".contains("invalid metadata") && "\(error)".contains(mention), "\(error)")
        }
    }

    /// The bytes of `bundle` without the writer's checks.
    static func assemble(_ bundle: ModelBundle) throws -> [UInt8] {
        BundleContainer.assemble(metadataJSON: try bundle.metadata.jsonBytes(), tensors: bundle.tensors.map {
            BundleContainer.Payload(name: $0.name, elementType: .f32, shape: $0.shape, bytes: $0.bytes)
        }, minorVersion: 5)
    }

    /// The metadata alone: its section is checked, the tensors are not read.
    func testReadingMetadataAloneChecksItsSectionOnly() throws {
        var bytes = try TestFiles.bytes(Self.golden15)
        let data = Int(TestBytes.u64(bytes, 56)), metadata = Int(TestBytes.u64(bytes, 24))
        bytes[data + 3] ^= 0x01
        XCTAssertEqual(try BundleContainer.readMetadata(bytes, path: "x").metadata.quality?.level, 2)
        XCTAssertThrowsError(try ModelBundle.decode(bytes, path: "x")) {
            XCTAssertTrue("\($0)".contains("checksum mismatch in tensor data"), "\($0)")
        }
        bytes[metadata + 3] ^= 0x01
        XCTAssertThrowsError(try BundleContainer.readMetadata(bytes, path: "x")) {
            XCTAssertTrue("\($0)".contains("checksum mismatch in metadata"), "\($0)")
        }
        XCTAssertThrowsError(try BundleContainer.readMetadata(Array(bytes.prefix(50)), path: "x"))
    }

    /// The catalog's cheaper fingerprint (from the stored bytes) is the fingerprint: on a
    /// float16 bundle, an entropy-coded one and a built-in one with a quantisation table.
    func testFingerprintFromStoredBytesIsTheFingerprint() throws {
        var containers = try [TestFixtures.path("bundles/golden-v1.aemodel"), Self.golden15].map { try BundleContainer.read(path: $0) }
        if let builtIn = EmbeddedModels.all.first { containers.append(try BundleContainer.parse(builtIn.bytes, path: builtIn.name)) }
        for c in containers {
            let bundle = try ModelBundle(container: c, path: "x")
            XCTAssertEqual(SHA256.hex(ModelFingerprint.bytes(of: c)), bundle.fingerprint)
        }
        let builtIn = try XCTUnwrap(EmbeddedModels.bundle(named: EmbeddedModels.digitModelName))
        XCTAssertNotNil(builtIn.quantization, "svhn-64 has a quantisation table, outside the fingerprint")
    }

}
