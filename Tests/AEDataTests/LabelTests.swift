import AEData
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// Labels beside the images: MAT's `y` (zero written as 10), .npy label files, and the
/// loader keeping them with their images through limits, shuffles and concatenation.
final class LabelTests: XCTestCase {
    /// The fixtures' digits (y = 1, 10, 3, 7).
    let digits: [UInt8] = [1, 0, 3, 7]

    func testMATFilesReadTheirLabels() throws {
        for name in ["images_plain.mat", "images_compressed.mat", "images_bigendian.mat"] {
            XCTAssertEqual(try MATFile(path: DataFixtures.path(name)).images.labels, digits, name)
        }
        XCTAssertEqual(try MATFile(path: DataFixtures.path("images_double.mat")).images.labels, [1, 0], "double y")
        XCTAssertNil(try MATFile(path: DataFixtures.path("single_image.mat")).images.labels, "no y")
    }

    func testNpyLabelFiles() throws {
        let labelled = try DataSource.load("npy:\(DataFixtures.path("images.npy")),labels=\(DataFixtures.path("labels.npy"))")
        XCTAssertEqual(labelled.images.labels, digits)
        XCTAssertEqual(labelled.images.pixels, try DataFixtures.groundTruth())
        XCTAssertEqual(try NpyLabels(path: DataFixtures.path("labels_int64_be.npy")).labels, digits, "(N, 1) big-endian int64")
        XCTAssertNil(try DataSource.load(DataFixtures.path("images.npy")).images.labels)

        let bad = DataFixtures.dataError { _ = try NpyLabels(path: DataFixtures.path("labels_bad.npy")) }
        XCTAssertTrue("\(bad!)".contains("label 2 is 11.0"), "\(bad!)")
        let short = DataFixtures.dataError {
            _ = try DataSource.load("npy:\(DataFixtures.path("images.npy")),labels=\(DataFixtures.path("labels_short.npy"))")
        }
        XCTAssertTrue("\(short!)".contains("holds 3 labels for the 4 images"), "\(short!)")
        let images = DataFixtures.dataError { _ = try NpyLabels(path: DataFixtures.path("images.npy")) }
        XCTAssertTrue("\(images!)".contains("expected (N,)"), "\(images!)")
    }

    func testLabelsFollowTheirImagesThroughShufflesLimitsAndSources() throws {
        let mat = DataFixtures.path("images_plain.mat")
        let truth = try DataFixtures.groundTruth()
        let shuffled = try DataSource.load("\(mat)+\(mat)", limit: 6, shuffleSeed: 3)
        XCTAssertEqual(shuffled.images.count, 6)
        let labels = try XCTUnwrap(shuffled.images.labels)
        for i in 0 ..< 6 {
            let pixels = Array(shuffled.images.pixels[(i * 3072) ..< ((i + 1) * 3072)])
            let original = try XCTUnwrap((0 ..< 4).first { Array(truth[($0 * 3072) ..< (($0 + 1) * 3072)]) == pixels })
            XCTAssertEqual(labels[i], digits[original])
        }
        XCTAssertEqual(try DataSource.load("\(mat),limit=3").images.labels, [1, 0, 3])
        XCTAssertEqual(try DataSource.load(mat).images.subset(1 ..< 3).labels, [0, 3])
        XCTAssertNil(try DataSource.load("\(mat)+synthetic:2").images.labels, "a source without labels")
    }

    /// The real SVHN crops: the MAT file's labels are the .npy copy's, with the README's counts.
    func testRealSVHNLabels() throws {
        let svhn = try TestFixtures.sharedDatasets() + "/svhn/cropped_subset"
        let mat = try XCTUnwrap(try MATFile(path: svhn + "/train_32x32_subset.mat").images.labels)
        let npy = try NpyLabels(path: svhn + "/train_labels.npy").labels
        XCTAssertEqual(mat, npy)
        var counts = [Int](repeating: 0, count: 10)
        for l in mat { counts[Int(l)] += 1 }
        XCTAssertEqual(counts, [315, 871, 603, 507, 463, 428, 326, 321, 326, 274])
        let test = try DataSource.load(svhn + "/test_32x32_subset.mat").images.labels
        XCTAssertEqual(test?.prefix(4), [5, 2, 1, 0])
    }
}

extension LabelTests {
    /// SVHN photo crops carry the digit of their box: crop k uses box k mod B.
    func testPhotoCropsAreLabelledWithTheirBoxesDigits() throws {
        let crops = try SVHNPhotoCrops(folder: DataFixtures.path("svhn_photos"), options: .init(count: 7, seed: 1))
        let boxes = crops.boxes.map { UInt8($0.label) }
        XCTAssertEqual(boxes, [1, 9, 4, 0])
        XCTAssertEqual(crops.images.labels, (0 ..< 7).map { boxes[$0 % 4] })
    }
}
