import AECodec
import AEFormats
import AETestSupport
import Foundation
import XCTest

/// The catalog of bundles the tools search (`ModelCatalog`, `QualitySet`) and `--model`
/// lookup of quality sets (`ModelLookup.resolve`).
final class ModelCatalogTests: XCTestCase {
    static var golden14: String { GoldenQualityBundleTests.golden14 }

    /// A distinct bundle (its own fingerprint) of the golden family as level `level` of `set`.
    static func levelBundle(set: String, level: Int, variant: Int = 0) throws -> ModelBundle {
        var bundle = try ModelBundle.read(path: golden14)
        let i = bundle.tensors.firstIndex { $0.name == "analysis_conv0/bias" }!
        let t = bundle.tensors[i]
        bundle.tensors[i] = BundleTensor(name: t.name, shape: t.shape, values: t.values.map { $0 + Float(level * 10 + variant) * 1e-3 })
        bundle.metadata.quality = BundleMetadata.QualityInfo(set: set, level: level)
        return bundle
    }

    func testTheCatalogGroupsLevelsInSearchOrder() throws {
        let root = try TestFiles.temporaryFolder(self)
        let (a, b) = (root + "/a", root + "/b")
        for f in [a, b] { try FileManager.default.createDirectory(atPath: f, withIntermediateDirectories: true) }
        // Folder a: levels 3 and 1 of "tiny" (named out of order) and level 2 of "other".
        let tiny3 = try Self.levelBundle(set: "tiny", level: 3).write(to: a + "/x-first.aemodel")
        let tiny1 = try Self.levelBundle(set: "tiny", level: 1).write(to: a + "/y.aemodel")
        _ = try Self.levelBundle(set: "other", level: 2, variant: 7).write(to: a + "/z.aemodel")
        // Not bundles, or no level: passed over.
        try TestFiles.write(Array("not a bundle".utf8), to: a + "/junk.aemodel")
        try ModelBundle.read(path: Self.golden14).write(to: a + "/plain.aemodel")
        // Folder b: level 2 of tiny, and level 1 again (shadowed by a's).
        let tiny2 = try Self.levelBundle(set: "tiny", level: 2).write(to: b + "/tiny-2.aemodel")
        let shadow = try Self.levelBundle(set: "tiny", level: 1, variant: 5).write(to: b + "/tiny-1.aemodel")
        XCTAssertNotEqual(shadow, tiny1)

        let catalog = ModelCatalog(folders: [a, b])
        let sets = catalog.qualitySets()
        // The built-in models' sets (svhn-rd) come first in the search, then the folders'.
        let builtIn = ModelCatalog(folders: []).qualitySets().map(\.name)
        XCTAssertFalse(builtIn.contains("tiny") || builtIn.contains("other"))
        XCTAssertEqual(sets.map(\.name), (builtIn + ["other", "tiny"]).sorted())
        let tiny = try XCTUnwrap(catalog.qualitySet(named: "tiny"))
        XCTAssertEqual(tiny.numbers, [1, 2, 3])
        XCTAssertEqual(tiny.levels.map(\.name), [a + "/y.aemodel", b + "/tiny-2.aemodel", a + "/x-first.aemodel"])
        XCTAssertEqual(tiny.shadowed.map(\.name), [b + "/tiny-1.aemodel"])
        XCTAssertEqual(tiny.defaultLevel.metadata.quality?.level, 2)
        XCTAssertEqual(try tiny.level(3)?.bundle().fingerprint, tiny3)
        XCTAssertNil(tiny.level(4))
        XCTAssertEqual(catalog.qualitySet(named: "other")?.defaultLevel.metadata.quality?.level, 2, "one level: it")
        // Folders in the other order: b's level 1 comes first.
        XCTAssertEqual(ModelCatalog(folders: [b, a]).qualitySet(named: "tiny")?.level(1)?.name, b + "/tiny-1.aemodel")

        // By fingerprint (a latent file's 8 bytes): any bundle in the catalog.
        let prefix = stride(from: 0, to: 16, by: 2).map { UInt8(tiny2.dropFirst($0).prefix(2), radix: 16)! }
        XCTAssertEqual(catalog.find(fingerprintPrefix: prefix)?.entry.name, b + "/tiny-2.aemodel")
        XCTAssertNil(ModelCatalog(folders: [a]).find(fingerprintPrefix: prefix)?.entry.name)

        // --model: a file, a built-in model, then a set; anything else names what exists.
        guard case .set(let set) = try ModelLookup.resolve("tiny", folders: [a, b]) else { return XCTFail("a set") }
        XCTAssertEqual(set.numbers, [1, 2, 3])
        guard case .model(_, let name) = try ModelLookup.resolve(a + "/y.aemodel", folders: [a, b]) else { return XCTFail("a file") }
        XCTAssertEqual(name, a + "/y.aemodel")
        guard case .model = try ModelLookup.resolve(EmbeddedModels.digitModelName, folders: [a, b]) else { return XCTFail("built-in") }
        XCTAssertThrowsError(try ModelLookup.resolve("paintings", folders: [a, b])) {
            let text = "\($0)"
            let listed = ((builtIn + ["other", "tiny"]).sorted()).joined(separator: ", ")
            XCTAssertTrue(text.contains("no built-in model or quality set by that name") && text.contains("quality sets: \(listed)"), text)
        }
    }
}
