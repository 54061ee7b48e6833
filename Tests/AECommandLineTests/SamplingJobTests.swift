import AEBase
import AECodec
import AECommandLine
import AEData
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// `aetrain sample` and `aetrain interpolate`: pictures that are what the model decodes,
/// deterministic under a seed, written under the tools' output rules.
final class SamplingJobTests: XCTestCase {
    var folder = ""
    var model: Autoencoder!

    override func setUpWithError() throws {
        folder = try TestFiles.temporaryFolder(self)
        model = ReferenceModel.build(latentDim: 4, seed: 8, threads: 1, variational: true)
        _ = try ModelBundle(model: model).write(to: folder + "/vae.aemodel")
        _ = try ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 8)).write(to: folder + "/plain.aemodel")
    }

    /// Pixel (x, y) of cell (row, column) in a grid drawn at scale 2 with gaps of 2.
    private func cell(_ grid: PNGImage, row: Int, column: Int, x: Int, y: Int) -> [UInt8] {
        let o = ((row * 66 + 2 * y) * grid.width + column * 66 + 2 * x) * 3
        return Array(grid.pixels[o ..< o + 3])
    }

    private func sample(_ name: String, seed: UInt64, force: Bool = false, model: String = "vae.aemodel") throws -> SampleJob.Result {
        var s = SampleJob.Settings()
        s.model = folder + "/" + model
        s.count = 5
        s.columns = 3
        s.seed = seed
        s.output = folder + "/" + name
        s.force = force
        return try SampleJob(settings: s).run()
    }

    func testSamplesAreTheDecodedPriorDrawsAndDeterministic() throws {
        XCTAssertEqual(try sample("a.png", seed: 7).latentDim, 4)
        let grid = try PNGImage.read(path: folder + "/a.png")
        XCTAssertEqual(grid.width, 3 * 64 + 2 * 2)
        XCTAssertEqual(grid.height, 2 * 64 + 2)
        let decoded = model.decode(LatentSpace.priorDraws(count: 5, dimensions: 4, seed: 7)).pngImages()
        for (k, image) in decoded.enumerated() {
            for (x, y) in [(0, 0), (31, 31), (10, 20)] {
                let o = (y * 32 + x) * 3
                XCTAssertEqual(cell(grid, row: k / 3, column: k % 3, x: x, y: y), Array(image.pixels[o ..< o + 3]), "draw \(k)")
            }
        }
        _ = try sample("b.png", seed: 7)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/a.png")),
                       try Data(contentsOf: URL(fileURLWithPath: folder + "/b.png")), "same seed, same picture")
        _ = try sample("c.png", seed: 8)
        XCTAssertNotEqual(try PNGImage.read(path: folder + "/c.png"), grid)
    }

    func testSampleRefusals() throws {
        ExperimentTesting.assertRefused(containing: "plain.aemodel: is not a variational model") {
            _ = try sample("p.png", seed: 1, model: "plain.aemodel")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/p.png"))
        _ = try sample("a.png", seed: 1)
        ExperimentTesting.assertRefused(containing: "a.png: already exists") { _ = try sample("a.png", seed: 2) }
        _ = try sample("a.png", seed: 2, force: true)
        ExperimentTesting.assertRefused(containing: "is read by this run") { _ = try sample("vae.aemodel", seed: 1, force: true) }
        XCTAssertNoThrow(try ModelBundle.read(path: folder + "/vae.aemodel"))
        ExperimentTesting.assertRefused(containing: "does not exist") { _ = try sample("missing/a.png", seed: 1) }
    }

    func testInterpolationStrips() throws {
        let images = syntheticImagesForStrip()
        try images.pngImage(at: 0).encoded().write(to: folder + "/a.png")
        try images.pngImage(at: 1).encoded().write(to: folder + "/b.png")
        var s = InterpolateJob.Settings()
        s.model = folder + "/vae.aemodel"
        s.first = folder + "/a.png"
        s.second = folder + "/b.png"
        s.steps = 4
        s.output = folder + "/strip.png"
        XCTAssertEqual(try InterpolateJob(settings: s).run().rows, ["linear", "great circle"])
        let strip = try PNGImage.read(path: s.output)
        XCTAssertEqual(strip.width, 6 * 64 + 5 * 2)
        XCTAssertEqual(strip.height, 2 * 64 + 2)
        let z = model.encode(images.batch(0 ..< 2))
        let ends = model.decode(z).pngImages()
        let middle = model.decode(LatentSpace.linearPath(from: Array(z.data[0 ..< 4]), to: Array(z.data[4 ..< 8]), steps: 4)).pngImages()
        let arc = model.decode(LatentSpace.greatCirclePath(from: Array(z.data[0 ..< 4]), to: Array(z.data[4 ..< 8]), steps: 4)).pngImages()
        for (x, y) in [(0, 0), (17, 9), (31, 31)] {
            let o = (y * 32 + x) * 3
            for row in 0 ..< 2 {
                XCTAssertEqual(cell(strip, row: row, column: 0, x: x, y: y), Array(images.pngImage(at: 0).pixels[o ..< o + 3]))
                XCTAssertEqual(cell(strip, row: row, column: 1, x: x, y: y), Array(ends[0].pixels[o ..< o + 3]), "t = 0 is A's latent")
                XCTAssertEqual(cell(strip, row: row, column: 4, x: x, y: y), Array(ends[1].pixels[o ..< o + 3]), "t = 1 is B's latent")
                XCTAssertEqual(cell(strip, row: row, column: 5, x: x, y: y), Array(images.pngImage(at: 1).pixels[o ..< o + 3]))
            }
            XCTAssertEqual(cell(strip, row: 0, column: 2, x: x, y: y), Array(middle[1].pixels[o ..< o + 3]))
            XCTAssertEqual(cell(strip, row: 1, column: 2, x: x, y: y), Array(arc[1].pixels[o ..< o + 3]))
        }

        // A plain model: the straight line only. A picture of another size: refused, named.
        s.model = folder + "/plain.aemodel"
        s.force = true
        XCTAssertEqual(try InterpolateJob(settings: s).run().rows, ["linear"])
        try PNGImage(width: 40, height: 32, channels: 3, pixels: [UInt8](repeating: 9, count: 40 * 32 * 3)).encoded()
            .write(to: folder + "/wide.png")
        s.second = folder + "/wide.png"
        ExperimentTesting.assertRefused(containing: "wide.png: is 40x32; the model takes 32x32 images") {
            _ = try InterpolateJob(settings: s).run()
        }
        s.second = folder + "/missing.png"
        ExperimentTesting.assertRefused(containing: "missing.png") { _ = try InterpolateJob(settings: s).run() }
    }

    private func syntheticImagesForStrip() -> ImageSet {
        (try? DataSource.load("synthetic:2,seed=4", threads: 1).images)!
    }
}

extension Array where Element == UInt8 {
    /// Writes the bytes to `path`.
    func write(to path: String) throws { try Data(self).write(to: URL(fileURLWithPath: path)) }
}
