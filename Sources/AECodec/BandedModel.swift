import AEBase
import AEFormats
import AENet

/// A fully-convolutional codec model (`conv-factorized`) run over a padded image in
/// horizontal bands, so that memory is bounded by a budget rather than growing with the
/// image's height, with the same result as one run over the whole image.
///
/// A band starts and ends on a latent row (`unit` = 16 image rows, the analysis
/// transform's total stride), so each layer sees it laid out as in the whole image, and
/// it computes, around the latent rows it keeps, every row those depend on: the
/// receptive field, from the layers' kernels and strides (`RowReach`). For the 5x5
/// stride-2 transforms that is 15 image rows above a kept latent row's 16 and 30 below
/// (the analysis), and 2 latent rows above and 1 below (the synthesis): 1 + 2 and 2 + 1
/// latent rows of overlap, recomputed by neighbouring bands and thrown away. Values
/// outside the image are the same zeros in a band as in the whole image, and the model
/// splits its work at image rows (`Parallelism.rowAligned`: sgemm may round differently
/// when a call holds other rows), so the kept rows equal the whole-image run's bit for
/// bit (BandedCodingTests). Bands run through `Sequential.infer`, which keeps one
/// layer's input and output at a time.
///
/// Not thread-safe (the model has scratch buffers): one per codec.
final class BandedModel {
    /// Image rows per latent row.
    static let unit = ConvolutionalCodecModel.stride

    /// What one band's activations may take: the band height follows from it
    /// (`bytesPerRow`, `RowBands.keptRows`). A 4,000 x 3,000 photo through an N = 128,
    /// M = 192 model goes in bands of 16 kept latent rows (19 computed, about 0.5 GB);
    /// peak memory, maximum RSS from /usr/bin/time -v of the release tools: 0.81 GB
    /// encoding and 0.77 GB decoding (6.50 and 6.27 GB as one whole-image run). The rest
    /// is the image, the latent and the range coder's buffers (README, "Entropy-coded
    /// files"). A 768 x 512 photo is one band.
    static let memoryBudget = 512 << 20

    let model: Autoencoder
    /// Latent rows each band keeps; nil: as many as `memoryBudget` allows (tests force
    /// small bands to check that they change nothing).
    var bandRows: Int?

    /// nil when a layer of either transform is not row-local (see `RowReach`).
    init?(model: Autoencoder) {
        guard RowReach.inputRows(of: 0..<1, through: model.encoder.layers) != nil,
              RowReach.inputRows(of: 0..<1, through: model.decoder.layers) != nil else { return nil }
        self.model = model
    }

    // MARK: Plans

    /// The bands of the analysis transform over a padded image.
    func encoderBands(_ padded: PaddedImage) -> RowBands {
        let u = Self.unit, layers = model.encoder.layers
        return plan(padded, bytesPerRow: bytesPerRow(encoder: true, width: padded.paddedWidth)) { kept in
            // The image rows needed, rounded out to whole latent rows.
            let r = RowReach.inputRows(of: kept, through: layers)!
            return Self.floorDiv(r.lowerBound, u)..<(Self.floorDiv(r.upperBound - 1, u) + 1)
        }
    }

    /// The bands of the synthesis transform for a padded image.
    func decoderBands(_ padded: PaddedImage) -> RowBands {
        let u = Self.unit, layers = model.decoder.layers
        return plan(padded, bytesPerRow: bytesPerRow(encoder: false, width: padded.paddedWidth)) { kept in
            RowReach.inputRows(of: (kept.lowerBound * u)..<(kept.upperBound * u), through: layers)!
        }
    }

    /// What one latent row of a band costs in the encoder or the decoder, on a padded
    /// image `width` pixels wide. An inference pass (`Sequential.infer`) holds one layer's
    /// input and output at a time, and each GDN keeps its roots (one per value of its
    /// output) between calls: the largest input + output over the layers, plus the GDN
    /// outputs. (The convolutions' column scratch, at most 4 MB each, does not grow with
    /// the band.)
    func bytesPerRow(encoder: Bool, width: Int) -> Int {
        let u = Self.unit
        let layers = encoder ? model.encoder.layers : model.decoder.layers
        var shape = encoder ? [u, width, 3] : [1, width / u, model.decoder.inputShape.last ?? 0]
        var largestStep = 0, roots = 0
        for layer in layers {
            let input = shape.reduce(1, *)
            shape = layer.outputShape(for: shape)!
            let output = shape.reduce(1, *)
            largestStep = max(largestStep, input + output)
            if layer is GDN { roots += output }
        }
        return (largestStep + roots) * MemoryLayout<Float>.size
    }

    /// Bands of `bandRows` kept rows, or of as many as the budget allows. `reach` gives the
    /// latent rows that kept latent rows need (not clamped to the image).
    private func plan(_ padded: PaddedImage, bytesPerRow: Int, reach: @escaping (Range<Int>) -> Range<Int>) -> RowBands {
        let rows = padded.paddedHeight / Self.unit
        let keep = bandRows
            ?? RowBands.keptRows(budget: Self.memoryBudget, bytesPerRow: bytesPerRow, overlap: reach(0..<1).count - 1)
        return RowBands(rows: rows, keep: keep) { kept in
            let r = reach(kept)
            return max(0, r.lowerBound)..<min(rows, r.upperBound)
        }
    }

    // MARK: Runs

    /// The latent [1, H/16, W/16, M] of `image` padded as `padded`; nil when `shouldStop`
    /// said so between two bands.
    func encode(_ image: PNGImage, padded: PaddedImage, normalization: PixelNormalization,
                shouldStop: () -> Bool) -> Tensor? {
        let u = Self.unit, rowFloats = padded.paddedWidth / u * (model.encoder.outputShape.last ?? 0)
        var latent = Tensor(zeros: [1, padded.paddedHeight / u, padded.paddedWidth / u, model.encoder.outputShape.last ?? 0])
        for band in encoderBands(padded).bands {
            guard !shouldStop() else { return nil }
            let input = padded.input(image, normalization: normalization,
                                     rows: (band.computed.lowerBound * u)..<(band.computed.upperBound * u))
            let output = model.encoder.infer(input)
            let from = (band.kept.lowerBound - band.computed.lowerBound) * rowFloats
            latent.data.replaceSubrange(band.kept.lowerBound * rowFloats ..< band.kept.upperBound * rowFloats,
                                        with: output.data[from ..< from + band.kept.count * rowFloats])
        }
        return latent
    }

    /// Writes the image of `latent` ([1, H/16, W/16, M], padded as `padded`) into the
    /// colour channels of `dst`, band by band; false when `shouldStop` said so.
    func decode(_ latent: Tensor, padded: PaddedImage, normalization: PixelNormalization,
                into dst: UnsafeMutableBufferPointer<UInt8>, channels: Int, shouldStop: () -> Bool) -> Bool {
        let u = Self.unit, rowFloats = latent.count / max(1, latent.shape[1])
        for band in decoderBands(padded).bands {
            guard !shouldStop() else { return false }
            let rows = band.computed
            let input = Tensor(shape: [1, rows.count] + latent.shape.dropFirst(2),
                               data: Array(latent.data[rows.lowerBound * rowFloats ..< rows.upperBound * rowFloats]))
            let output = model.decoder.infer(input)
            let kept = (band.kept.lowerBound * u)..<min(padded.height, band.kept.upperBound * u)
            padded.place(output, firstRow: rows.lowerBound * u, rows: kept, normalization: normalization,
                         into: dst, channels: channels)
        }
        return true
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
