/// A plan of horizontal bands over an image `rows` latent rows high (one latent row is
/// `BandedModel.unit` image rows): each band keeps `keep` consecutive latent rows of the
/// result and computes the rows around them that its kept rows depend on, `reach(kept)`
/// (already clamped to the image), so that what it keeps equals one run over the whole image.
struct RowBands: Equatable {
    struct Band: Equatable {
        /// The latent rows the band computes: the encoder is fed their image rows, the
        /// decoder these latent rows.
        let computed: Range<Int>
        /// The latent rows it keeps (for the decoder: their image rows), inside `computed`.
        let kept: Range<Int>
    }

    let bands: [Band]

    init(rows: Int, keep: Int, reach: (Range<Int>) -> Range<Int>) {
        precondition(rows > 0 && keep > 0, "bands need rows")
        bands = stride(from: 0, to: rows, by: keep).map { start in
            let kept = start..<min(rows, start + keep)
            let computed = reach(kept)
            precondition(computed.lowerBound <= kept.lowerBound && kept.upperBound <= computed.upperBound,
                         "a band computes \(computed), not all of its kept rows \(kept)")
            return Band(computed: computed, kept: kept)
        }
    }

    /// Kept rows per band so that a band's computed rows (kept plus `overlap`) cost at most
    /// `budget` bytes at `bytesPerRow` each, but at least `overlap` (and one), so that bands
    /// never recompute more than they keep: very wide images (over about 13,000 pixels
    /// with N = 128 and 512 MiB) go over the budget rather than take 2 to 4 times as long.
    static func keptRows(budget: Int, bytesPerRow: Int, overlap: Int) -> Int {
        max(1, overlap, budget / max(1, bytesPerRow) - overlap)
    }
}
