import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import XCTest

final class DataSourceTests: XCTestCase {
    private func spec(_ kind: DataSourceSpec.Kind, _ path: String, _ options: [(String, String)] = []) -> DataSourceSpec {
        DataSourceSpec(kind: kind, path: path, options: options.map { (key: $0.0, value: $0.1) })
    }

    func testParsing() throws {
        XCTAssertEqual(try DataSourceSpec.parse("data/train.mat"), [spec(.mat, "data/train.mat")])
        XCTAssertEqual(try DataSourceSpec.parse("x.NPY"), [spec(.npy, "x.NPY")])
        XCTAssertEqual(try DataSourceSpec.parse("synthetic:1_000,seed=3"), [spec(.synthetic, "1_000", [("seed", "3")])])
        XCTAssertEqual(try DataSourceSpec.parse("a.mat + svhn-photos:/d/format1,count=15566,seed=2 + synthetic:5"),
                       [spec(.mat, "a.mat"), spec(.svhnPhotos, "/d/format1", [("count", "15566"), ("seed", "2")]),
                        spec(.synthetic, "5")])
        XCTAssertEqual(try DataSourceSpec.parse("png:/photos,crops=random,per-image=4,small=skip"),
                       [spec(.png, "/photos", [("crops", "random"), ("per-image", "4"), ("small", "skip")])])
        XCTAssertEqual(try DataSourceSpec.parse("mat:weird-name.bin,limit=10"), [spec(.mat, "weird-name.bin", [("limit", "10")])])
        XCTAssertEqual(try DataSourceSpec.parse(arguments: ["a.npy", "b.mat"]), [spec(.npy, "a.npy"), spec(.mat, "b.mat")])
        XCTAssertEqual(try DataSourceSpec.parse(DataFixtures.path("svhn_photos")), [spec(.png, DataFixtures.path("svhn_photos"))])
        XCTAssertEqual(spec(.svhnPhotos, "/d", [("count", "5")]).description, "svhn-photos:/d,count=5")

        let bad: [(String, String)] = [
            ("", "no data source given"),
            ("a.mat+", "empty source"),
            ("foo:bar", "unknown kind 'foo'"),
            ("synthetic:0", "synthetic image count must be a positive integer, got '0'"),
            ("synthetic:ten", "must be a positive integer"),
            ("a.npy,bogus=1", "unknown option 'bogus' for npy sources"),
            ("a.npy,limit", "option 'limit' is not KEY=VALUE"),
            ("png:/p,count=5", "count and per-image need crops=random"),
            ("png:/p,crops=random", "exactly one of count=N"),
            ("png:/p,crops=grid", "crops must be 'tiles' or 'random'"),
            ("png:/p,small=crop", "small must be 'pad' or 'skip'"),
            ("svhn-photos:/d,scale=1.3-0.9", "scale must be LO-HI"),
            ("svhn-photos:/d,augment=maybe", "augment must be yes or no"),
            ("svhn-photos:/d,seed=-1", "seed must be a non-negative integer"),
            ("svhn-photos:", "needs a path"),
        ]
        for (argument, message) in bad {
            let error = DataFixtures.dataError { _ = try DataSourceSpec.parse(argument) }
            guard case .invalidArgument(_, let reason)? = error else {
                XCTFail("\(argument): \(String(describing: error))"); continue
            }
            XCTAssertTrue(reason.contains(message), "\(argument): \(reason)")
        }
    }

    func testExistingPathsAreTakenVerbatimAndSniffed() throws {
        let temp = try TestFiles.temporaryFolder(self)
        let odd = temp + "/a+b,c.npy"
        try FileManager.default.copyItem(atPath: DataFixtures.path("images.npy"), toPath: odd)
        XCTAssertEqual(try DataSourceSpec.parse(odd), [spec(.npy, odd)])
        try FileManager.default.copyItem(atPath: DataFixtures.path("images_plain.mat"), toPath: temp + "/data.bin")
        XCTAssertEqual(try DataSourceSpec.parse(temp + "/data.bin"), [spec(.mat, temp + "/data.bin")])
        try TestFiles.write([1, 2, 3], to: temp + "/junk.bin")
        guard case .unrecognizedFormat? = DataFixtures.dataError({ _ = try DataSourceSpec.parse(temp + "/junk.bin") }) else {
            return XCTFail()
        }
        XCTAssertEqual(DataFixtures.dataError { _ = try DataSourceSpec.parse(temp + "/none") }, .missingFile(path: temp + "/none"))
    }

    func testConcatenationLimitAndShuffle() throws {
        let npy = DataFixtures.path("images.npy"), mat = DataFixtures.path("images_compressed.mat")
        let argument = "\(npy)+\(mat)+synthetic:3,seed=9"
        let all = try DataSource.load(argument)
        XCTAssertEqual(all.images.count, 11)
        let truth = try DataFixtures.groundTruth()
        XCTAssertEqual(Array(all.images.pixels[..<(4 * 3072)]), truth)
        XCTAssertEqual(Array(all.images.pixels[(4 * 3072)..<(8 * 3072)]), truth)
        XCTAssertEqual(Array(all.images.pixels[(8 * 3072)...]), SyntheticImages.generate(count: 3, seed: 9).pixels)
        XCTAssertEqual(all.sources.map(\.imageCount), [4, 4, 3])
        XCTAssertEqual(all.sources.map(\.kind), [.npy, .mat, .synthetic])

        // limit without a shuffle: a prefix.
        let first6 = try DataSource.load(argument, limit: 6)
        XCTAssertEqual(first6.images.pixels, Array(all.images.pixels[..<(6 * 3072)]))
        // The synthetic source past the limit makes only one image (issue 17.11: --limit
        // bounds generation), so 4 + 4 + 1 were made.
        XCTAssertEqual(first6.totalBeforeLimit, 9)
        XCTAssertTrue(first6.description.contains("the first 6 of 9"), first6.description)

        // With a shuffle: a seeded permutation, then the prefix.
        let shuffled = try DataSource.load(argument, limit: 11, shuffleSeed: 4)
        XCTAssertEqual(try DataSource.load(argument, limit: 11, shuffleSeed: 4).images.pixels, shuffled.images.pixels)
        XCTAssertNotEqual(shuffled.images.pixels, all.images.pixels)
        let images = { (set: ImageSet) in (0..<set.count).map { Array(set.pixels[($0 * 3072)..<(($0 + 1) * 3072)]) } }
        XCTAssertEqual(images(shuffled.images).map { $0.hashValue }.sorted(), images(all.images).map { $0.hashValue }.sorted())
        let shuffled5 = try DataSource.load(argument, limit: 5, shuffleSeed: 4)
        XCTAssertEqual(shuffled5.images.pixels, Array(shuffled.images.pixels[..<(5 * 3072)]))
        XCTAssertTrue(shuffled5.description.contains("shuffled with seed 4"))

        // Per-source limit.
        let limited = try DataSource.load("\(npy),limit=2+synthetic:2")
        XCTAssertEqual(limited.images.count, 4)
        XCTAssertEqual(Array(limited.images.pixels[..<(2 * 3072)]), Array(truth[..<(2 * 3072)]))
    }

    func testDescriptionsAndReproducibleSpecs() throws {
        let folder = DataFixtures.path("svhn_photos")
        let loaded = try DataSource.load("\(DataFixtures.path("images_compressed.mat"))+svhn-photos:\(folder),count=10",
                                         seed: 77, threads: 1)
        XCTAssertEqual(loaded.images.count, 14)
        let mat = loaded.sources[0], photos = loaded.sources[1]
        XCTAssertTrue(mat.description.contains("mat \(DataFixtures.path("images_compressed.mat")): 4 images"), mat.description)
        XCTAssertTrue(mat.detail.contains("X uint8 32x32x3x4, zlib-compressed"), mat.detail)
        XCTAssertEqual(photos.spec.description,
                       "svhn-photos:\(folder),count=10,seed=77,augment=yes,shift=0.15,scale=0.9-1.3")
        XCTAssertTrue(photos.detail.contains("4 train boxes from 2 train photos"), photos.detail)
        // The recorded spec reproduces the images, whatever the default seed.
        let again = try DataSource.load(photos.spec.description, seed: 1)
        XCTAssertEqual(again.images.pixels, Array(loaded.images.pixels[(4 * 3072)...]))
        XCTAssertTrue(loaded.description.hasPrefix("training data: 14 images of 32x32x3"), loaded.description)
        XCTAssertEqual(loaded.kind, "mat+svhn-photos")
        XCTAssertEqual(loaded.argument, "mat:\(DataFixtures.path("images_compressed.mat"))+\(photos.spec.description)")
        XCTAssertEqual(try DataSource.load(loaded.argument).images.pixels, loaded.images.pixels)
        let info = BundleMetadata.DataSourceInfo(loaded, trainCount: 12, validationCount: 2)
        XCTAssertEqual(info.kind, "mat+svhn-photos")
        XCTAssertEqual(info.sampleCount, 14)
        XCTAssertEqual(info.description, loaded.argument + " (4 + 10 images)")
    }

    func testErrorsComeBeforeAnythingIsUsed() throws {
        let good = DataFixtures.path("images.npy")
        XCTAssertEqual(DataFixtures.dataError { _ = try DataSource.load("\(good)+/nonexistent/x.mat") },
                       .missingFile(path: "/nonexistent/x.mat"))
        let wrong = DataFixtures.dataError { _ = try DataSource.load("\(good)+\(DataFixtures.path("wrong_dims.mat"))") }
        XCTAssertEqual(wrong?.description, "\(DataFixtures.path("wrong_dims.mat")): X has shape 28x28x1x5, expected 32x32x3xN")
        let empty = DataFixtures.dataError {
            _ = try DataSource.load("npy:\(DataFixtures.path("images.npy"))", limit: 0)
        }
        guard case .invalidArgument? = empty else { return XCTFail(String(describing: empty)) }
        let temp = try TestFiles.temporaryFolder(self)
        var header = Array("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 32, 32, 3), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        let zero: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + header
        try TestFiles.write(zero, to: temp + "/zero.npy")
        XCTAssertEqual(DataFixtures.dataError { _ = try DataSource.load(temp + "/zero.npy") },
                       .emptyDataSet(path: temp + "/zero.npy", reason: "the source holds no images"))
        XCTAssertTrue(DataSource.syntaxHelp.contains("svhn-photos:FOLDER"))

        // The tools print data errors as `tool: <path>: <reason>`.
        let error = DataSourceError.missingVariable(path: "t.mat", name: "X", found: ["y"])
        XCTAssertEqual(ToolReporter.message(tool: "aetrain", error: error), "aetrain: t.mat: no variable 'X' (found: y)")
        XCTAssertEqual(error.description, "t.mat: no variable 'X' (found: y)")
    }
}
