@testable import AECodec
@testable import AEData
@testable import AEFormats
import AEBase
import AENet
import Foundation
import XCTest

/// The sizes quoted in Specs/latent-file.md ("Measured sizes"). Skipped unless
/// `AE_MEASURE_LATENTS` names a model bundle (or checkpoint) with a 32x32 RGB input:
///
///     AE_MEASURE_LATENTS=/work/runs/seed-64.aemodel swift test --filter LatentFileMeasurementTests
///
/// Optional: `AE_MEASURE_KODAK` (folder of kodimNN.png, default /work/shared/datasets/kodak)
/// `AE_MEASURE_SVHN` (an .npy of 32x32x3 images, default the shared SVHN test images),
/// `AE_MEASURE_SVHN_COUNT` (default 2000) and `AE_MEASURE_SAMPLE_OUT` (writes the first
/// SVHN image's .ael there: the spec's worked hexdump).
final class LatentFileMeasurementTests: XCTestCase {
    func testMeasureLayoutsOnRealLatents() throws {
        guard let bundlePath = ProcessInfo.processInfo.environment["AE_MEASURE_LATENTS"] else {
            throw XCTSkip("set AE_MEASURE_LATENTS=<bundle> to measure latent file sizes")
        }
        let env = ProcessInfo.processInfo.environment
        let kodak = env["AE_MEASURE_KODAK"] ?? "/work/shared/datasets/kodak"
        let svhn = env["AE_MEASURE_SVHN"] ?? "/work/shared/datasets/svhn/cropped_subset/test_images.npy"
        let bundle = try ModelBundle.read(path: bundlePath)
        let model = try bundle.makeModel(threads: 1)
        let dim = bundle.metadata.architecture.latentDim
        print("model \(bundlePath): fingerprint \(bundle.fingerprint), latent \(dim)")

        func encode(_ tiles: [[Float]]) -> [Float] {
            var out: [Float] = []
            var start = 0
            while start < tiles.count {
                let chunk = tiles[start ..< min(start + 128, tiles.count)]
                let input = Tensor(shape: [chunk.count, 32, 32, 3], data: Array(chunk.joined()))
                out += model.encode(input).data
                start += chunk.count
            }
            return out
        }
        func sizes(_ latents: [Float], tiles: Int, encoding: LatentFile.LatentEncoding,
                   quantization: LatentQuantization? = nil) -> [String: Int] {
            let codes: [UInt16] = encoding == .float16
                ? latents.map { Float16($0).bitPattern }
                : latents.enumerated().map { UInt16(quantization!.code($1, dimension: $0 % dim)) }
            let size = encoding == .float16 ? 2 : 1
            var result = ["raw": codes.count * size]
            for layout in LatentPayloadLayout.allCases {
                let bytes = layout.arrange(codes, bytesPerValue: size, tiles: tiles, dim: dim)
                result["\(layout)"] = Zlib.compress(bytes, level: 9).count
            }
            return result
        }
        func row(_ name: String, _ s: [String: Int]) {
            print(name.padding(toLength: 34, withPad: " ", startingAt: 0),
                  "raw \(s["raw"]!)  zlib interleaved \(s["interleaved"]!)  zlib planesByTile \(s["planesByTile"]!)  zlib planesByDimension \(s["planesByDimension"]!)")
        }

        // Kodak photos, tiled 32x32.
        var totals: [String: Int] = [:]
        var fileTotal = 0, pixelTotal = 0
        var allLatents: [[Float]] = []
        let names = (1...24).map { String(format: "kodim%02d.png", $0) }
            .filter { FileManager.default.fileExists(atPath: kodak + "/" + $0) }
        for name in names {
            let image = try PNGImage.read(path: kodak + "/" + name, channels: 3)
            let across = image.width / 32, down = image.height / 32
            var tiles: [[Float]] = []
            for ty in 0..<down {
                for tx in 0..<across {
                    var t = [Float](repeating: 0, count: 32 * 32 * 3)
                    for y in 0..<32 {
                        for x in 0..<32 {
                            for c in 0..<3 {
                                t[(y * 32 + x) * 3 + c] = Float(image.pixels[((ty * 32 + y) * image.width + tx * 32 + x) * 3 + c]) / 255
                            }
                        }
                    }
                    tiles.append(t)
                }
            }
            let latents = encode(tiles)
            allLatents.append(latents)
            let s = sizes(latents, tiles: tiles.count, encoding: .float16)
            row("\(name) \(image.width)x\(image.height)", s)
            for (k, v) in s { totals[k, default: 0] += v }
            let file = LatentFile(modelFingerprint: ModelFingerprint.bytes(of: bundle.tensors), width: image.width,
                                  height: image.height, colorType: .rgb, bitDepth: 8, latentDim: dim, latents: latents)
            let bytes = try file.encoded()
            XCTAssertEqual(try LatentFile.decode(bytes), file)
            fileTotal += bytes.count
            pixelTotal += image.width * image.height
            if name == "kodim01.png" {
                let h = try LatentFile.inspect(bytes)
                print("kodim01.ael: \(bytes.count) bytes (payload \(h.payloadLength), \(h.payloadCompressed ? "zlib" : "stored")), \(String(format: "%.3f", h.bitsPerPixel)) bpp")
            }
        }
        if !names.isEmpty {
            row("all \(names.count) Kodak photos", totals)
            print("all Kodak .ael files: \(fileTotal) bytes, \(String(format: "%.3f", Double(fileTotal * 8) / Double(pixelTotal))) bpp")
            // uint8 with a per-dimension min/max table measured on these latents (a stand-in for issue 5's).
            let flat = Array(allLatents.joined())
            var lo = [Float](repeating: .infinity, count: dim), hi = [Float](repeating: -.infinity, count: dim)
            for (i, v) in flat.enumerated() { lo[i % dim] = min(lo[i % dim], v); hi[i % dim] = max(hi[i % dim], v) }
            let q = LatentQuantization(scale: (0..<dim).map { max(hi[$0] - lo[$0], 1e-6) / 255 }, offset: lo)
            let s = sizes(allLatents[0], tiles: allLatents[0].count / dim, encoding: .uint8, quantization: q)
            print("kodim01 uint8:", "raw \(s["raw"]!)  zlib tile-major \(s["planesByTile"]!)  zlib dimension-major \(s["planesByDimension"]!)")
            var hist = [Int](repeating: 0, count: 256)
            for v in allLatents[0] { hist[Int(Float16(v).bitPattern >> 8)] += 1 }
            print("kodim01 distinct float16 high bytes: \(hist.filter { $0 > 0 }.count), latent range \(flat.min()!) ... \(flat.max()!)")
        }

        // SVHN digits: one tile per image.
        if FileManager.default.fileExists(atPath: svhn) {
            let set = try NpyFile(path: svhn).images
            let count = min(set.count, Int(env["AE_MEASURE_SVHN_COUNT"] ?? "") ?? 2000)
            let latents = model.encode(set.batch(0..<count)).data
            var stored = 0, compressed = 0, zlibSum = 0, zlibPlanes = 0
            for i in 0..<count {
                let one = Array(latents[i * dim ..< (i + 1) * dim])
                let file = LatentFile(modelFingerprint: ModelFingerprint.bytes(of: bundle.tensors), width: 32, height: 32,
                                      colorType: .rgb, bitDepth: 8, latentDim: dim, latents: one)
                let h = try LatentFile.inspect(try file.encoded())
                if i == 0, let out = env["AE_MEASURE_SAMPLE_OUT"] { try file.write(to: out, force: true) }
                if h.payloadCompressed { compressed += 1 } else { stored += 1 }
                let s = sizes(one, tiles: 1, encoding: .float16)
                zlibSum += s["interleaved"]!
                zlibPlanes += s["planesByDimension"]!
            }
            print("SVHN \(count) single-tile files: stored \(stored), compressed \(compressed); mean zlib interleaved \(Double(zlibSum) / Double(count)) bytes, byte planes \(Double(zlibPlanes) / Double(count)) bytes for \(dim * 2) raw")
            let s = sizes(Array(latents), tiles: count, encoding: .float16)
            row("SVHN \(count) tiles as one grid", s)
        }
    }
}
