import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import XCTest

final class PNGFolderCropsTests: XCTestCase {
    /// A folder with wide.png (70x40), exact.png (32x32), small.png (20x50), a text file,
    /// a hidden PNG and a sub-folder; returns the folder and the images by name.
    private func makeFolder() throws -> (String, [String: PNGImage]) {
        let folder = try TestFiles.temporaryFolder(self)
        var images: [String: PNGImage] = [:]
        var rng = RandomGenerator(seed: 21)
        for (name, w, h) in [("wide.png", 70, 40), ("exact.png", 32, 32), ("small.png", 20, 50)] {
            let image = PNGImage(width: w, height: h, channels: 3,
                                 pixels: (0..<(w * h * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            images[name] = image
            try TestFiles.write(try image.encoded(), to: folder + "/" + name)
        }
        try TestFiles.write(Array("not an image".utf8), to: folder + "/notes.txt")
        try TestFiles.write(try images["exact.png"]!.encoded(), to: folder + "/.hidden.png")
        try FileManager.default.createDirectory(atPath: folder + "/sub.png", withIntermediateDirectories: false)
        return (folder, images)
    }

    /// Crop `k` of a set as bytes.
    private func crop(_ set: ImageSet, _ k: Int) -> [UInt8] { Array(set.pixels[(k * 3072)..<((k + 1) * 3072)]) }

    /// The 32x32 window of `image` at (x0, y0), edge pixels repeated.
    private func window(_ image: PNGImage, _ x0: Int, _ y0: Int) -> [UInt8] {
        var out: [UInt8] = []
        for y in 0..<32 {
            for x in 0..<32 {
                let sx = min(max(x0 + x, 0), image.width - 1), sy = min(max(y0 + y, 0), image.height - 1)
                out += image.pixels[((sy * image.width + sx) * 3)..<((sy * image.width + sx) * 3 + 3)]
            }
        }
        return out
    }

    func testTilesPadSmallImagesAndFollowNameOrder() throws {
        let (folder, images) = try makeFolder()
        let result = try PNGFolderCrops(path: folder)
        XCTAssertEqual(result.files.map { ($0 as NSString).lastPathComponent }, ["exact.png", "small.png", "wide.png"])
        XCTAssertEqual(result.images.count, 1 + 1 + 2)  // exact: itself; small: 1 padded tile; wide: 2x1
        XCTAssertEqual(crop(result.images, 0), images["exact.png"]!.pixels)
        XCTAssertEqual(crop(result.images, 1), window(images["small.png"]!, 0, 0))  // columns 20...31 repeat column 19
        XCTAssertEqual(crop(result.images, 2), window(images["wide.png"]!, 0, 0))
        XCTAssertEqual(crop(result.images, 3), window(images["wide.png"]!, 32, 0))
        XCTAssertTrue(result.skipped.isEmpty)
    }

    func testSkipSmallImages() throws {
        let (folder, _) = try makeFolder()
        let result = try PNGFolderCrops(path: folder, options: .init(mode: .tiles, smallImages: .skip))
        XCTAssertEqual(result.images.count, 3)
        XCTAssertEqual(result.skipped.map { ($0 as NSString).lastPathComponent }, ["small.png"])
    }

    func testRandomCropsAreSeededAndInside() throws {
        let (folder, images) = try makeFolder()
        let a = try PNGFolderCrops(path: folder, options: .init(mode: .randomPerImage(5), seed: 7))
        var single = PNGFolderCrops.Options(mode: .randomPerImage(5), seed: 7)
        single.threads = 1
        let b = try PNGFolderCrops(path: folder, options: single)
        let c = try PNGFolderCrops(path: folder, options: .init(mode: .randomPerImage(5), seed: 8))
        XCTAssertEqual(a.images.count, 15)
        XCTAssertEqual(a.images.pixels, b.images.pixels)
        XCTAssertNotEqual(a.images.pixels, c.images.pixels)
        // Each wide.png crop is one of its 39 x 9 whole-pixel windows.
        let wide = images["wide.png"]!
        let windows = Set((0...38).flatMap { x in (0...8).map { y in window(wide, x, y) } })
        for k in 10..<15 { XCTAssertTrue(windows.contains(crop(a.images, k)), "crop \(k)") }
        for k in 0..<5 { XCTAssertEqual(crop(a.images, k), images["exact.png"]!.pixels) }

        let total = try PNGFolderCrops(path: folder, options: .init(mode: .randomTotal(7), seed: 1))
        XCTAssertEqual(total.images.count, 7)  // 3 + 2 + 2 in name order
        XCTAssertEqual(crop(total.images, 2), images["exact.png"]!.pixels)
        XCTAssertNotEqual(crop(total.images, 3), images["exact.png"]!.pixels)
    }

    func testSingleFileAndErrors() throws {
        let (folder, images) = try makeFolder()
        let one = try PNGFolderCrops(path: folder + "/wide.png")
        XCTAssertEqual(one.images.count, 2)
        XCTAssertEqual(crop(one.images, 1), window(images["wide.png"]!, 32, 0))

        let empty = try TestFiles.temporaryFolder(self)
        if case .emptyDataSet? = DataFixtures.dataError({ _ = try PNGFolderCrops(path: empty) }) {} else { XCTFail() }
        XCTAssertEqual(DataFixtures.dataError { _ = try PNGFolderCrops(path: empty + "/none") }, .missingFile(path: empty + "/none"))

        try TestFiles.write(Array("fake".utf8), to: folder + "/fake.png")
        let fake = DataFixtures.dataError { _ = try PNGFolderCrops(path: folder) }
        XCTAssertEqual(fake, .unrecognizedFormat(path: folder + "/fake.png", reason: "not a PNG file (no PNG signature)"))
        try FileManager.default.removeItem(atPath: folder + "/fake.png")

        let good = try images["exact.png"]!.encoded()
        try TestFiles.write(Array(good[..<(good.count - 30)]), to: folder + "/cut.png")
        let cut = DataFixtures.dataError { _ = try PNGFolderCrops(path: folder) }
        guard case .corrupt(let path, _)? = cut else { return XCTFail(String(describing: cut)) }
        XCTAssertEqual(path, folder + "/cut.png")
    }
}
