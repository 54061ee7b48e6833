@testable import AENet
import Foundation
import XCTest

/// `RowReach` against the rows a network really reads, and row-aligned work splitting
/// (`Parallelism.rowAligned`): a band that holds the rows `RowReach` names gives the
/// whole image's output rows bit for bit, at any thread count.
final class RowReachTests: XCTestCase {
    private func model(threads: Int = 1, rowAligned: Bool = true) -> Autoencoder {
        ConvolutionalCodecModel.build(channels: 6, latentChannels: 5, seed: 4,
                                      parallelism: Parallelism(threads: threads, rowAligned: rowAligned))
    }

    /// Rows `rows` of an NHWC batch of one image.
    private func rows(_ t: Tensor, _ rows: Range<Int>) -> [Float] {
        let row = t.shape[2] * t.shape[3]
        return Array(t.data[(rows.lowerBound * row)..<(rows.upperBound * row)])
    }

    func testTheCodecTransformsReachWhatTheirKernelsAndStridesSay() {
        let m = model()
        // The analysis: latent row r reads image rows 16r - 15 ... 16r + 45
        // (o*2 - 1 ..< o*2 + 4 per 5x5 stride-2 layer, four times).
        XCTAssertEqual(RowReach.inputRows(of: 3..<4, through: m.encoder.layers), 33..<94)
        XCTAssertEqual(RowReach.inputRows(of: 3..<7, through: m.encoder.layers), 33..<142)
        // The synthesis: image rows 16r ..< 16(r + 1) receive latent rows r - 2 ... r + 1.
        XCTAssertEqual(RowReach.inputRows(of: 48..<64, through: m.decoder.layers), 1..<5)
        XCTAssertEqual(RowReach.inputRows(of: 0..<16, through: m.decoder.layers), -2..<2)
        // Dense layers are not row-local.
        XCTAssertNil(RowReach.inputRows(of: 0..<1, through: ReferenceModel.build(latentDim: 4, seed: 1).encoder.layers))
    }

    /// Changing one input row changes exactly the output rows whose reach holds it.
    func testReachIsWhatTheNetworkReads() {
        let m = model(rowAligned: false)
        var rng = RandomGenerator(seed: 9)
        let (h, w) = (96, 32)
        let image = randomTensor([1, h, w, 3], &rng, in: 0, 1)
        let latent = m.encode(image)
        for y in [0, 1, 17, 40, 95] {
            var changed = image
            for i in (y * w * 3)..<((y + 1) * w * 3) { changed.data[i] += 0.5 }
            let out = m.encode(changed)
            for r in 0..<(h / 16) {
                let reads = RowReach.inputRows(of: r..<(r + 1), through: m.encoder.layers)!.contains(y)
                XCTAssertEqual(self.rows(out, r..<(r + 1)) != self.rows(latent, r..<(r + 1)), reads, "image row \(y), latent row \(r)")
            }
        }
        let small = randomTensor([1, 6, 2, 5], &rng)
        let decoded = m.decode(small)
        for y in 0..<6 {
            var changed = small
            for i in (y * 2 * 5)..<((y + 1) * 2 * 5) { changed.data[i] += 0.5 }
            let out = m.decode(changed)
            for r in 0..<(6 * 16) {
                let reads = RowReach.inputRows(of: r..<(r + 1), through: m.decoder.layers)!.contains(y)
                XCTAssertEqual(self.rows(out, r..<(r + 1)) != self.rows(decoded, r..<(r + 1)), reads, "latent row \(y), image row \(r)")
            }
        }
    }

    /// Bands of 16-row multiples that hold the reach of their kept rows give the whole
    /// run's rows bit for bit, row-aligned, at one and two threads (2,080 wide: GDN cuts
    /// its rows in two pieces).
    func testBandsGiveTheWholeRunsRowsBitForBit() {
        var rng = RandomGenerator(seed: 10)
        for (h, w) in [(160, 48), (96, 528), (48, 2080), (64, 16)] {
            let whole = model(threads: 1)
            let image = randomTensor([1, h, w, 3], &rng, in: 0, 1)
            let latent = whole.encode(image)
            let pixels = whole.decode(latent)
            let rowFloats = (w / 16) * 5
            for threads in [1, 2] {
                let banded = model(threads: threads)
                for kept in [0..<1, 1..<3, (h / 16 - 1)..<(h / 16)] {
                    // The analysis: image rows rounded out to latent rows, clamped to the image.
                    let need = RowReach.inputRows(of: kept, through: banded.encoder.layers)!
                    let band = max(0, need.lowerBound / 16 * 16)..<min(h, (need.upperBound + 15) / 16 * 16)
                    let bandImage = Tensor(shape: [1, band.count, w, 3], data: rows(image, band))
                    let out = banded.encode(bandImage)
                    let first = band.lowerBound / 16
                    XCTAssertEqual(rows(out, (kept.lowerBound - first)..<(kept.upperBound - first)), rows(latent, kept),
                                   "\(w)x\(h) latent rows \(kept), \(threads) threads")
                    // The synthesis: latent rows, clamped.
                    let imageRows = (kept.lowerBound * 16)..<(kept.upperBound * 16)
                    let reach = RowReach.inputRows(of: imageRows, through: banded.decoder.layers)!
                    let fed = max(0, reach.lowerBound)..<min(h / 16, reach.upperBound)
                    let slice = Tensor(shape: [1, fed.count, w / 16, 5],
                                       data: Array(latent.data[(fed.lowerBound * rowFloats)..<(fed.upperBound * rowFloats)]))
                    let back = banded.decode(slice)
                    let offset = fed.lowerBound * 16
                    XCTAssertEqual(rows(back, (imageRows.lowerBound - offset)..<(imageRows.upperBound - offset)),
                                   rows(pixels, imageRows), "\(w)x\(h) image rows \(imageRows), \(threads) threads")
                }
            }
        }
    }

    /// Rows wider than a chunk: the convolution and the transposed convolution cut each
    /// row into the same pieces in a band as in the whole image.
    func testWideRowsGiveTheSameRowsInABand() {
        var rng = RandomGenerator(seed: 12)
        for threads in [1, 2] {
            let par = Parallelism(threads: threads, rowAligned: true)
            // 25 x 64 taps per pixel: chunks of 655 pixels, so the 700-pixel rows come in two pieces.
            let conv = Convolution(name: "c", inputChannels: 64, filters: 8, kernelSize: 5, stride: 2, rng: &rng, parallelism: par)
            let x = randomTensor([1, 12, 1400, 64], &rng)
            let y = conv.forward(x)
            let band = conv.forward(Tensor(shape: [1, 8, 1400, 64], data: rows(x, 4..<12)))
            XCTAssertEqual(rows(band, 2..<4), rows(y, 4..<6), "convolution, \(threads) threads")
            let transposed = TransposedConvolution(name: "t", inputChannels: 8, filters: 64, kernelSize: 5, stride: 2,
                                                   rng: &rng, parallelism: par)
            let s = randomTensor([1, 6, 700, 8], &rng)
            let z = transposed.forward(s)
            let zBand = transposed.forward(Tensor(shape: [1, 4, 700, 8], data: rows(s, 2..<6)))
            XCTAssertEqual(rows(zBand, 2..<5), rows(z, 6..<9), "transposed convolution, \(threads) threads")
        }
    }

    func testForEachChunkCutsEveryRowTheSameWay() {
        for threads in [1, 2, 3] {
            let lock = NSLock()
            var seen: [Range<Int>] = []
            Parallelism(threads: threads, rowAligned: true).forEachChunk(rows: 5, width: 10, chunk: 4) { p, _ in
                lock.withLock { seen.append(p) }
            }
            let all = seen.sorted { $0.lowerBound < $1.lowerBound }
            XCTAssertEqual(all, (0..<5).flatMap { r in [0..<3, 3..<6, 6..<10].map { (r * 10 + $0.lowerBound)..<(r * 10 + $0.upperBound) } })
        }
        var flat: [Range<Int>] = []
        Parallelism(threads: 1).forEachChunk(rows: 5, width: 10, chunk: 4) { p, _ in flat.append(p) }
        XCTAssertEqual(flat.count, 13, "flat chunks run across rows")
    }

    /// Row-aligned splitting computes the same function as flat chunks (to rounding).
    func testRowAlignedSplittingComputesTheSameFunction() {
        var rng = RandomGenerator(seed: 11)
        let image = randomTensor([1, 48, 1040, 3], &rng, in: 0, 1)
        let (flat, aligned) = (model(rowAligned: false), model(rowAligned: true))
        let a = aligned.encode(image), b = flat.encode(image)
        assertClose(a, b, tolerance: 1e-5 * max(1, b.data.map(abs).max()!), "latent")
        assertClose(aligned.decode(a), flat.decode(a), tolerance: 1e-5, "reconstruction")
    }
}
