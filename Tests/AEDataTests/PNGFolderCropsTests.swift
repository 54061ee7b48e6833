import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import XCTest

private extension PNGImage {
    /// The colour channels of an RGBA image, alpha dropped.
    var rgbOnly: [UInt8] { (0..<(width * height)).flatMap { pixels[(4 * $0)..<(4 * $0 + 3)] } }
}

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
        XCTAssertEqual(fake, .unrecognizedFormat(path: folder + "/fake.png", reason: "not a PNG, JPEG or WebP image (starts with 66 61 6b 65)"))
        try FileManager.default.removeItem(atPath: folder + "/fake.png")

        let good = try images["exact.png"]!.encoded()
        try TestFiles.write(Array(good[..<(good.count - 30)]), to: folder + "/cut.png")
        let cut = DataFixtures.dataError { _ = try PNGFolderCrops(path: folder) }
        guard case .corrupt(let path, _)? = cut else { return XCTFail(String(describing: cut)) }
        XCTAssertEqual(path, folder + "/cut.png")
    }

    /// Issue 16: JPEG and WebP files are training images too (by their bytes; named like
    /// images in a folder), converted to RGB: the lossless WebP gives its PNG source's
    /// crops exactly, a gray JPEG comes as R = G = B, WebP alpha is composited onto black.
    func testJPEGAndWebPImagesAreCroppedLikePNGs() throws {
        let folder = try TestFiles.temporaryFolder(self)
        try TestFiles.write(try TestFixtures.bytes("images/house-number-lossless.webp"), to: folder + "/a.webp")
        try TestFiles.write(try TestFixtures.bytes("images/house-number-gray.jpg"), to: folder + "/b.JPG")
        try TestFiles.write(try TestFixtures.bytes("images/golden-source-lossless.webp"), to: folder + "/c.webp")
        let crops = try PNGFolderCrops(path: folder)
        XCTAssertEqual(crops.files.map { ($0 as NSString).lastPathComponent }, ["a.webp", "b.JPG", "c.webp"])
        XCTAssertEqual(crops.images.count, 6 + 6 + 1)  // 96x64 twice (3 x 2 tiles), 40x24 padded (1 tile)
        let png = try PNGImage.read(path: TestFixtures.path("samples/house-number.png"))
        XCTAssertEqual(crop(crops.images, 4), window(png, 32, 32))
        let gray = crop(crops.images, 6)
        var colored = 0
        for i in stride(from: 0, to: gray.count, by: 3) where gray[i] != gray[i + 1] || gray[i] != gray[i + 2] {
            colored += 1
        }
        XCTAssertEqual(colored, 0, "gray pixels come as R = G = B")
        let rgba = try PNGImage.read(path: TestFixtures.path("codec/golden-source.png"))
        // WebP alpha composited onto black in linear light, as libpng does for a PNG.
        let fromWebP = try ImageFile.decodeRGB(try TestFixtures.bytes("images/golden-source-lossless.webp")).pixels
        let fromPNG = try PNGImage.decode(try rgba.encoded(), channels: 3).pixels
        XCTAssertEqual(fromWebP.count, fromPNG.count)
        let differences = zip(fromWebP, fromPNG).map { abs(Int($0) - Int($1)) }
        // The same formula, rounded differently: libpng's 8-bit compositing uses approximate
        // tables (here a mean of 1.1 steps apart, 12 at most, on dark samples).
        XCTAssertLessThan(Double(differences.reduce(0, +)) / Double(differences.count), 2)
        XCTAssertLessThanOrEqual(differences.max() ?? 99, 16)
        XCTAssertNotEqual(fromWebP, try ImageFile.decode(try TestFixtures.bytes("images/golden-source-lossless.webp")).rgbOnly,
                          "alpha is applied, not dropped")
        XCTAssertEqual(Array(crop(crops.images, 12)[0..<3]), Array(fromWebP[0..<3]))
        // A single file, its kind inferred from its bytes whatever its name.
        try TestFiles.write(try TestFixtures.bytes("images/house-number.jpg"), to: folder + "/photo.data")
        let source = try DataSource.load("\(folder)/photo.data")
        XCTAssertEqual(source.images.count, 6)
    }
}
