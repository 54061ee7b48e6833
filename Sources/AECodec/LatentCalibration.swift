import AEFormats
import AENet

extension LatentQuantization {
    /// Fraction of the values left outside the table at each end of every dimension
    /// (the 0.1th and 99.9th percentiles); such values are clamped to codes 0 and 255.
    public static let calibrationTail = 0.001

    /// The per-dimension table of `.uint8` latents, measured on `images` encoded by `model`:
    /// `offset[d]` is the 0.1th percentile of dimension `d`, `scale[d]` the distance to the
    /// 99.9th percentile over 255 (at least 1e-6 times the larger magnitude, and positive,
    /// so a constant dimension still gets a valid table). Images go through the encoder in
    /// batches of `batchSize`.
    public static func measure(model: Autoencoder, images: ImageSet, batchSize: Int = 256) -> LatentQuantization {
        let dim = model.latentDim
        let n = images.count
        precondition(n > 0, "calibrating a quantisation table needs images")
        var byDim = [[Float]](repeating: [], count: dim)
        for d in 0..<dim { byDim[d].reserveCapacity(n) }
        var start = 0
        while start < n {
            let end = min(start + batchSize, n)
            let z = model.encode(images.batch(start..<end)).data
            for i in 0..<(end - start) {
                for d in 0..<dim { byDim[d].append(z[i * dim + d]) }
            }
            start = end
        }
        var scale = [Float](repeating: 1, count: dim), offset = [Float](repeating: 0, count: dim)
        let cut = Int((Double(n) * calibrationTail).rounded(.down))
        for d in 0..<dim {
            let v = byDim[d].filter(\.isFinite).sorted()
            guard !v.isEmpty else { continue }
            let k = min(cut, (v.count - 1) / 2)
            let lo = v[k], hi = v[v.count - 1 - k]
            offset[d] = lo
            scale[d] = max((hi - lo) / 255, max(abs(lo), abs(hi)) * 1e-6, Float.leastNormalMagnitude)
        }
        return LatentQuantization(scale: scale, offset: offset)
    }
}
