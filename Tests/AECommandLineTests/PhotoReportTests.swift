import AEProcess
import AECodec
import AECommandLine
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// `aetrain report --photos` (`PhotoReportJob`, `PhotoEvaluation`): every figure is checked
/// against the codecs run here directly; the page, the crops and the CSV files against
/// what they must show; bad folders and models are refused with nothing written.
final class PhotoReportTests: XCTestCase {
    /// A tiny untrained `conv-factorized` model (N = M = 4) with its prior's entropy tables,
    /// optionally recorded as a level of a quality set.
    static func tinyBundle(seed: UInt64, set: String? = nil, level: Int? = nil) throws -> ModelBundle {
        let model = ConvolutionalCodecModel.build(channels: 4, latentChannels: 4, seed: seed)
        let prior = try XCTUnwrap(model.prior)
        prior.setQuantilesByBisection()
        var metadata = BundleMetadata(describing: model)
        metadata.architecture.family = ModelFamily.convolutional.name
        if let set, let level { metadata.quality = BundleMetadata.QualityInfo(set: set, level: level) }
        return ModelBundle(model: model, metadata: metadata).withEntropyTables(try EntropyTables(prior: prior))
    }

    /// A small photo-like RGB picture: smooth gradients, a sharp edge and seeded noise.
    static func photo(width w: Int, height h: Int, seed: UInt64) -> PNGImage {
        var pixels: [UInt8] = []
        for y in 0..<h {
            for x in 0..<w {
                let edge = x > w / 2 + y / 4 ? 60 : 0
                for c in 0..<3 {
                    let noise = Int(SplitMix64.mix(seed &* 1_000_003 &+ UInt64((y * w + x) * 3 + c)) % 24)
                    let v: Int = 40 + (x * 150) / w + (y * (40 + 30 * c)) / h + edge + noise
                    pixels.append(UInt8(min(255, v)))
                }
            }
        }
        return PNGImage(width: w, height: h, channels: 3, pixels: pixels)
    }

    /// A folder of three photos (two PNGs and a JPEG, none a multiple of 16 in size), a hidden
    /// PNG and a text file (both passed over); returns the photos as the report reads them.
    func makePhotos(in folder: String) throws -> [PNGImage] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let a = Self.photo(width: 72, height: 40, seed: 1), b = Self.photo(width: 40, height: 56, seed: 2)
        try TestFiles.write(try a.encoded(), to: folder + "/a.png")
        try TestFiles.write(try b.encoded(), to: folder + "/b.png")
        let jpeg = try JPEGImage.encode(Self.photo(width: 48, height: 48, seed: 3), quality: 90)
        try TestFiles.write(jpeg, to: folder + "/c.jpg")
        try TestFiles.write(try a.encoded(), to: folder + "/.hidden.png")
        try TestFiles.write(Array("notes".utf8), to: folder + "/notes.txt")
        return [a, b, try JPEGImage.decode(jpeg)]
    }

    func settings(_ models: [String], photos: String, output: String) -> PhotoReportJob.Settings {
        var s = PhotoReportJob.Settings()
        s.models = models
        s.photos = photos
        s.output = output
        s.cropPhotos = 2
        s.cropSize = 32
        s.grid = [0, 10, 30, 50, 75, 95]
        s.threads = 2
        return s
    }

    /// PSNR over RGB, summed here in Float64 from the samples.
    func psnr(_ a: PNGImage, _ b: PNGImage) -> Double {
        let sum = zip(a.pixels, b.pixels).reduce(0.0) { $0 + pow((Double($1.0) - Double($1.1)) / 255, 2) }
        return 10 * log10(Double(a.pixels.count) / sum)
    }

    func testFiguresAreTheCodecsOwn() throws {
        let dir = try TestFiles.temporaryFolder(self)
        let photos = try makePhotos(in: dir + "/photos")
        let bundles = try [11, 12].map { try Self.tinyBundle(seed: $0) }
        let paths = [dir + "/m1.aemodel", dir + "/m2.aemodel"]
        for (b, p) in zip(bundles, paths) { _ = try b.write(to: p) }
        let result = try PhotoReportJob(settings: settings([paths[0] + "+" + paths[1]], photos: dir + "/photos", output: dir + "/out"))
            .run(output: TerminalOutput(mode: .quiet))
        let e = result.evaluation
        XCTAssertEqual(e.curves.map(\.name), ["m1.aemodel+m2.aemodel"])
        XCTAssertEqual(e.curves[0].points.map(\.label), ["m1.aemodel", "m2.aemodel"])
        XCTAssertEqual(e.photos.map(\.name), ["a.png", "b.png", "c.jpg"])
        XCTAssertEqual(e.peers, [.jpeg, .webp])
        XCTAssertEqual(e.qualities, [[1, 10, 30, 50, 75, 95], [0, 10, 30, 50, 75, 95]])

        for (m, photo) in zip(e.photos, photos) {
            XCTAssertEqual([m.width, m.height], [photo.width, photo.height])
            // Ours: the file aeenc writes, decoded from its bytes as aedec does.
            for (p, bundle) in bundles.enumerated() {
                let codec = try EntropyCodec(bundle: bundle)
                let bytes = try codec.encode(CodecImage(image: photo, colorType: .rgb, bitDepth: 8)).encoded()
                let decoded = try codec.decode(try CodedLatentFile.decode(bytes))
                XCTAssertEqual(m.ours[0][p].bytes, bytes.count, m.name)
                XCTAssertEqual(m.ours[0][p].psnr, psnr(photo, decoded), accuracy: 1e-9, m.name)
            }
            // The peers at each quality.
            for (k, peer) in e.peers.enumerated() {
                for (q, quality) in e.qualities[k].enumerated() {
                    let bytes = peer == .jpeg ? try JPEGImage.encode(photo, quality: quality)
                        : try WebPImage.encode(photo, quality: Double(quality), method: 6)
                    let decoded = peer == .jpeg ? try JPEGImage.decode(bytes) : try WebPImage.decode(bytes)
                    XCTAssertEqual(m.peers[k][q].bytes, bytes.count, "\(m.name) \(peer) \(quality)")
                    XCTAssertEqual(m.peers[k][q].psnr, psnr(photo, decoded), accuracy: 1e-9)
                }
                XCTAssertEqual(m.peers[k].map(\.bytes), m.peers[k].map(\.bytes).sorted(), "\(peer) grows with quality")
                // Same size: the nearest file, ties to the smaller, by a scan here.
                for target in [0, m.peers[k][2].bytes, m.peers[k][2].bytes + 1, 1 << 30] + m.ours[0].map(\.bytes) {
                    let best = m.peers[k].indices.min { i, j in
                        (abs(m.peers[k][i].bytes - target), m.peers[k][i].bytes) < (abs(m.peers[k][j].bytes - target), m.peers[k][j].bytes)
                    }!
                    XCTAssertEqual(m.nearestQuality(peer: k, bytes: target), best)
                }
            }
        }

        // figures.csv: our rows' means and the peers' at the same size, computed here.
        let figures = try String(contentsOfFile: dir + "/out/figures.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(figures[0], ["codec", "curve", "point", "quality", "photos", "mean_bytes", "mean_bpp", "mean_psnr_db",
                                    "jpeg_same_size_bpp", "jpeg_same_size_psnr_db", "webp_same_size_bpp", "webp_same_size_psnr_db"])
        XCTAssertEqual(figures.count, 1 + 2 + 12)
        for p in 0..<2 {
            let row = figures[1 + p]
            XCTAssertEqual(Array(row[0..<5]), ["ours", "m1.aemodel+m2.aemodel", e.curves[0].points[p].label, "", "3"])
            let bpp = e.photos.map { 8 * Double($0.ours[0][p].bytes) / Double($0.width * $0.height) }.reduce(0, +) / 3
            XCTAssertEqual(Double(row[6])!, bpp, accuracy: 1e-5)
            XCTAssertEqual(Double(row[7])!, e.photos.map { $0.ours[0][p].psnr }.reduce(0, +) / 3, accuracy: 1e-4)
            let jpegSameSize = e.photos.map { m in m.peers[0][m.nearestQuality(peer: 0, bytes: m.ours[0][p].bytes)].psnr }.reduce(0, +) / 3
            XCTAssertEqual(Double(row[9])!, jpegSameSize, accuracy: 1e-4)
        }
        XCTAssertEqual(Array(figures[3][0..<5]), ["jpeg", "jpeg", "", "1", "3"])
        let images = try String(contentsOfFile: dir + "/out/images.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(images.count, 1 + 3 * (2 + 12))
        XCTAssertTrue(images[1].hasPrefix("a.png,72,40,ours,m1.aemodel+m2.aemodel,m1.aemodel,,\(e.photos[0].ours[0][0].bytes),"), String(images[1]))

        // The crops: two photos (the first and the second of three), 32x32 drawn at 2x.
        XCTAssertEqual(Set(result.files), Set(["index.html", "figures.csv", "images.csv"]
            + [1, 2].flatMap { k in ["original", "ours", "jpeg", "webp"].map { "crop-\(k)-\($0).png" } }))
        XCTAssertNotNil(e.photos[0].crops)
        XCTAssertNotNil(e.photos[1].crops)
        XCTAssertNil(e.photos[2].crops)
        let m = e.photos[0], crops = try XCTUnwrap(m.crops)
        XCTAssertEqual([crops.width, crops.height], [32, 32])
        XCTAssertTrue(crops.x + 32 <= 72 && crops.y + 32 <= 40)
        // Ours at the middle point (the upper of two: m2), the peers at the nearest size to it.
        let ours = try EntropyCodec(bundle: bundles[1])
        let oursDecoded = try ours.decode(try ours.encode(CodecImage(image: photos[0], colorType: .rgb, bitDepth: 8)))
        let jpegQuality = e.qualities[0][m.nearestQuality(peer: 0, bytes: m.ours[0][1].bytes)]
        let jpegDecoded = try JPEGImage.decode(try JPEGImage.encode(photos[0], quality: jpegQuality))
        for (what, full) in [("original", photos[0]), ("ours", oursDecoded), ("jpeg", jpegDecoded)] {
            let shown = try PNGImage.read(path: dir + "/out/crop-1-\(what).png")
            XCTAssertEqual([shown.width, shown.height], [64, 64], what)
            for (x, y) in [(0, 0), (31, 0), (5, 17), (31, 31)] {
                for (dx, dy) in [(0, 0), (1, 1)] {
                    let s = ((2 * y + dy) * 64 + 2 * x + dx) * 3, o = ((crops.y + y) * 72 + crops.x + x) * 3
                    XCTAssertEqual(Array(shown.pixels[s..<(s + 3)]), Array(full.pixels[o..<(o + 3)]), "\(what) (\(x), \(y))")
                }
            }
        }

        // The page: the chart, the tables, every crop with the sizes under it.
        let html = try String(contentsOfFile: dir + "/out/index.html", encoding: .utf8)
        for needle in ["<svg", "<polyline", "ours: m1.aemodel+m2.aemodel", ">JPEG<", ">WebP<", "crop-2-webp.png", "2. At the same size",
                       "JPEG quality \(jpegQuality): \(NumberText.grouped(m.peers[0][m.nearestQuality(peer: 0, bytes: m.ours[0][1].bytes)].bytes)) bytes",
                       "ours (m1.aemodel+m2.aemodel m2.aemodel): \(NumberText.grouped(m.ours[0][1].bytes)) bytes"] {
            XCTAssertTrue(html.contains(needle), needle)
        }
    }

    func testQualitySetsBecomeCurvesOfTheirLevels() throws {
        let dir = try TestFiles.temporaryFolder(self)
        _ = try makePhotos(in: dir + "/photos")
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        for level in [2, 1] { _ = try Self.tinyBundle(seed: UInt64(20 + level), set: "tiny", level: level).write(to: dir + "/models/t\(level).aemodel") }
        _ = try Self.tinyBundle(seed: 30).write(to: dir + "/single.aemodel")
        var s = settings(["tiny", dir + "/single.aemodel"], photos: dir + "/photos", output: dir + "/out")
        s.modelSearchPath = [dir + "/models"]
        s.cropPoint = 1
        s.limit = 2
        let e = try PhotoReportJob(settings: s).run(output: TerminalOutput(mode: .quiet)).evaluation
        XCTAssertEqual(e.curves.map(\.name), ["tiny", "single.aemodel"])
        XCTAssertEqual(e.curves[0].points.map(\.label), ["level 1", "level 2"])
        XCTAssertEqual(e.curves[0].points.map(\.source), [dir + "/models/t1.aemodel", dir + "/models/t2.aemodel"])
        XCTAssertEqual([e.curves[0].title(1), e.curves[1].title(0)], ["tiny level 2", "single.aemodel"])
        XCTAssertEqual(e.photos.map(\.name), ["a.png", "b.png"], "--limit 2")
        let html = try String(contentsOfFile: dir + "/out/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("ours at tiny level 1"), "--crop-level 1")
    }

    func testDetailedRegionFindsTheTexture() {
        // A flat 200x150 picture with a noisy 40x40 patch at (120, 90).
        var pixels = [UInt8](repeating: 128, count: 200 * 150 * 3)
        for y in 90..<130 {
            for x in 120..<160 {
                for c in 0..<3 { pixels[(y * 200 + x) * 3 + c] = UInt8(SplitMix64.mix(UInt64((y * 200 + x) * 3 + c)) % 256) }
            }
        }
        let r = PhotoCrops.detailedRegion(of: PNGImage(width: 200, height: 150, channels: 3, pixels: pixels), size: 64)
        XCTAssertEqual([r.width, r.height], [64, 64])
        XCTAssertTrue(r.x <= 120 && r.x + 64 >= 160 && r.y <= 90 && r.y + 64 >= 130, "\(r)")
        let small = PhotoCrops.detailedRegion(of: PNGImage(width: 20, height: 10, channels: 3, pixels: [UInt8](repeating: 0, count: 600)), size: 64)
        XCTAssertEqual([small.x, small.y, small.width, small.height], [0, 0, 20, 10], "a photo smaller than the crop")
    }

    /// Bad photo folders and models: one clear error each, and no report folder.
    func testRefusalsNameTheProblemAndWriteNothing() throws {
        let dir = try TestFiles.temporaryFolder(self)
        _ = try makePhotos(in: dir + "/photos")
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        try TestFiles.write(Array("text".utf8), to: dir + "/empty/readme.txt")
        try FileManager.default.createDirectory(atPath: dir + "/broken", withIntermediateDirectories: true)
        try TestFiles.write(try Self.photo(width: 20, height: 20, seed: 1).encoded(), to: dir + "/broken/a.png")
        try TestFiles.write(Array("not an image at all".utf8), to: dir + "/broken/b.png")
        let model = dir + "/m.aemodel"
        _ = try Self.tinyBundle(seed: 1).write(to: model)

        let cases: [(models: [String], photos: String, cropPoint: Int?, message: String)] = [
            ([model], dir + "/missing", nil, "\(dir)/missing: no such folder (--photos takes a folder of PNG, JPEG or WebP photos)"),
            ([model], model, nil, "\(model): is not a folder (--photos takes a folder of PNG, JPEG or WebP photos)"),
            ([model], dir + "/empty", nil, "\(dir)/empty: holds no photos (files named .png, .jpg, .jpeg, .jpe, .jfif or .webp)"),
            ([model], dir + "/broken", nil, "\(dir)/broken/b.png: not a PNG, JPEG or WebP image (starts with 6e 6f 74 20 61 6e 20 69)"),
            ([TestFixtures.goldenBundlePath], dir + "/photos", nil, "\(TestFixtures.goldenBundlePath): has no entropy tables"),
            ([model], dir + "/photos", 2, "--crop-level 2: m.aemodel has 1 point(s)"),
            ([], dir + "/photos", nil, "no models given"),
        ]
        for c in cases {
            var s = settings(c.models, photos: c.photos, output: dir + "/out")
            s.cropPoint = c.cropPoint
            XCTAssertThrowsError(try PhotoReportJob(settings: s).run(output: TerminalOutput(mode: .quiet))) { error in
                XCTAssertTrue("\(error)".hasPrefix(c.message) || "\(error)".contains(c.message), "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"), c.message)
        }
    }
}
