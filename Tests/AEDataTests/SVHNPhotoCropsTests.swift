import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import XCTest

final class SVHNPhotoCropsTests: XCTestCase {
    private var folder: String { DataFixtures.path("svhn_photos") }

    private func options(count: Int? = nil, seed: UInt64 = 0, augment: Bool = true, threads: Int = 2) -> SVHNPhotoCrops.Options {
        var o = SVHNPhotoCrops.Options(count: count, seed: seed, augment: augment)
        o.threads = threads
        return o
    }

    /// Whether any pixel is magenta-like (the colour of the test photo; the train
    /// photos' green channel never drops below 100).
    private func hasMagenta(_ set: ImageSet) -> Bool {
        stride(from: 0, to: set.pixels.count, by: 3).contains { set.pixels[$0 + 1] < 90 }
    }

    func testCSVParsingAndTheTrainFilter() throws {
        let text = String(decoding: try DataFixtures.bytes("svhn_photos/digit_boxes.csv"), as: UTF8.self)
        let all = try SVHNDigitBoxes.parse(text, path: "boxes.csv")
        XCTAssertEqual(all.count, 7)
        XCTAssertEqual(all.map(\.split), ["test", "train", "train", "test", "train", "train", "test"])
        XCTAssertEqual(all[4], SVHNDigitBox(split: "train", image: 2, digit: 1, label: 4, left: -1, top: 2,
                                            width: 9, height: 15, imageWidth: 24, imageHeight: 20))
        let train = SVHNPhotoCrops.trainingBoxes(all)
        XCTAssertEqual(train.map { "\($0.image)/\($0.digit)" }, ["1/1", "1/2", "2/1", "1/3"])
        XCTAssertTrue(train.allSatisfy { $0.split == "train" })

        let crlf = try SVHNDigitBoxes.parse(text.replacingOccurrences(of: "\n", with: "\r\n"), path: "boxes.csv")
        XCTAssertEqual(crlf, all)
        XCTAssertThrowsError(try SVHNDigitBoxes.parse("split,image\ntrain,1\n", path: "b.csv")) { error in
            XCTAssertTrue("\(error)".contains("no column 'digit'"), "\(error)")
        }
        XCTAssertThrowsError(try SVHNDigitBoxes.parse(text.replacingOccurrences(of: "train,1,2,9,17", with: "train,1,2,9,x"), path: "b.csv")) { error in
            XCTAssertTrue("\(error)".contains("line 4: left 'x' is not an integer"), "\(error)")
        }
    }

    func testRecipeCropsUseOnlyTrainPhotos() throws {
        // test/2.png is named by a test row but does not exist: loading proves it is never opened.
        let crops = try SVHNPhotoCrops(folder: folder, options: options(augment: false))
        XCTAssertEqual(crops.images.count, 4)  // one per train box
        XCTAssertEqual(crops.photoFiles, [folder + "/train/1.png", folder + "/train/2.png"])
        XCTAssertFalse(hasMagenta(crops.images))
    }

    func testRecipeWindowGeometry() {
        var rng = RandomGenerator(seed: 0)
        func box(_ left: Int, _ top: Int, _ w: Int, _ h: Int) -> SVHNDigitBox {
            SVHNDigitBox(split: "train", image: 1, digit: 1, label: 1, left: left, top: top, width: w, height: h,
                         imageWidth: 100, imageHeight: 100)
        }
        // side = max(w, h); corner = round_half_up(left + (w - side) / 2), likewise for top.
        XCTAssertTrue(SVHNPhotoCrops.window(for: box(5, 6, 12, 20), augment: false, rng: &rng) == (1, 6, 20))
        XCTAssertTrue(SVHNPhotoCrops.window(for: box(30, 10, 16, 25), augment: false, rng: &rng) == (26, 10, 25))  // 25.5 -> 26
        XCTAssertTrue(SVHNPhotoCrops.window(for: box(-1, 2, 9, 15), augment: false, rng: &rng) == (-4, 2, 15))
        XCTAssertTrue(SVHNPhotoCrops.window(for: box(10, 3, 30, 11), augment: false, rng: &rng) == (10, -6, 30))  // -6.5 -> -6
        // Augmented windows stay within the shift and scale ranges.
        for _ in 0..<1000 {
            let w = SVHNPhotoCrops.window(for: box(40, 30, 10, 20), augment: true, rng: &rng)
            XCTAssertTrue((18...26).contains(w.side), "\(w.side)")
            let cx = w.x0 + w.side / 2, cy = w.y0 + w.side / 2
            XCTAssertLessThanOrEqual(abs(cx - 45), 3.0 + 1e-9)
            XCTAssertLessThanOrEqual(abs(cy - 40), 3.0 + 1e-9)
        }
    }

    func testAugmentedCropsAreDeterministicAndCountable() throws {
        let a = try SVHNPhotoCrops(folder: folder, options: options(count: 50, seed: 3))
        let b = try SVHNPhotoCrops(folder: folder, options: options(count: 50, seed: 3, threads: 1))
        let c = try SVHNPhotoCrops(folder: folder, options: options(count: 50, seed: 4))
        XCTAssertEqual(a.images.count, 50)
        XCTAssertEqual(a.images.pixels, b.images.pixels)
        XCTAssertNotEqual(a.images.pixels, c.images.pixels)
        XCTAssertFalse(hasMagenta(a.images))
        // Crops 0..<k do not depend on the total count.
        let shorter = try SVHNPhotoCrops(folder: folder, options: options(count: 9, seed: 3))
        XCTAssertEqual(shorter.images.pixels, Array(a.images.pixels[..<(9 * 3072)]))
        // Augmented crops differ from the recipe crops.
        let plain = try SVHNPhotoCrops(folder: folder, options: options(augment: false))
        XCTAssertNotEqual(Array(a.images.pixels[..<(4 * 3072)]), plain.images.pixels)
    }

    func testErrors() throws {
        let temp = try TestFiles.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: temp + "/train", withIntermediateDirectories: true)
        let header = "split,image,digit,label,left,top,width,height,image_width,image_height\n"

        try TestFiles.write(Array((header + "test,1,1,5,4,4,20,30,40,40\n").utf8), to: temp + "/digit_boxes.csv")
        let onlyTest = DataFixtures.dataError { _ = try SVHNPhotoCrops(folder: temp) }
        XCTAssertEqual(onlyTest, .emptyDataSet(path: temp + "/digit_boxes.csv", reason: "no rows with split 'train'"))

        try TestFiles.write(Array((header + "train,3,1,5,4,4,20,30,40,40\n").utf8), to: temp + "/digit_boxes.csv")
        XCTAssertEqual(DataFixtures.dataError { _ = try SVHNPhotoCrops(folder: temp) }, .missingFile(path: temp + "/train/3.png"))

        try FileManager.default.copyItem(atPath: folder + "/train/1.png", toPath: temp + "/train/3.png")
        let mismatch = DataFixtures.dataError { _ = try SVHNPhotoCrops(folder: temp) }
        XCTAssertEqual(mismatch, .corrupt(path: temp + "/train/3.png", reason: "photo is 48x40 but digit_boxes.csv says 40x40"))

        XCTAssertEqual(DataFixtures.dataError { _ = try SVHNPhotoCrops(folder: temp + "/nope") },
                       .missingFile(path: temp + "/nope/digit_boxes.csv"))
    }
}
