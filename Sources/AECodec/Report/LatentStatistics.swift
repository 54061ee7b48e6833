import AEFormats
/// Per-dimension statistics of a set of latent vectors: what the encoder uses each
/// number for, and how much of its range it spends.
public struct LatentStatistics: Equatable, Sendable {
    public let dimensions: Int
    public let count: Int
    public let mean: [Double]
    /// Population standard deviation.
    public let standardDeviation: [Double]
    public let minimum: [Double]
    public let maximum: [Double]

    /// Statistics of `count` vectors of `dimensions` values stored one after another.
    public init(latents: [Float], dimensions: Int) {
        precondition(dimensions > 0 && latents.count % dimensions == 0, "latents do not divide into vectors")
        let count = latents.count / dimensions
        self.dimensions = dimensions
        self.count = count
        var sum = [Double](repeating: 0, count: dimensions)
        var lo = [Double](repeating: .infinity, count: dimensions)
        var hi = [Double](repeating: -.infinity, count: dimensions)
        latents.withUnsafeBufferPointer { z in
            for i in 0..<count {
                for d in 0..<dimensions {
                    let v = Double(z[i * dimensions + d])
                    sum[d] += v
                    lo[d] = min(lo[d], v)
                    hi[d] = max(hi[d], v)
                }
            }
        }
        let n = Double(max(1, count))
        let mean = sum.map { $0 / n }
        // Second pass about the mean: no cancellation for dimensions far from zero.
        var squares = [Double](repeating: 0, count: dimensions)
        latents.withUnsafeBufferPointer { z in
            for i in 0..<count {
                for d in 0..<dimensions {
                    let e = Double(z[i * dimensions + d]) - mean[d]
                    squares[d] += e * e
                }
            }
        }
        self.mean = mean
        standardDeviation = squares.map { ($0 / n).squareRoot() }
        minimum = count == 0 ? [Double](repeating: 0, count: dimensions) : lo
        maximum = count == 0 ? [Double](repeating: 0, count: dimensions) : hi
    }

    /// Counts of dimension `d`'s values in `bins` equal bins from its minimum to its maximum.
    public static func histogram(of latents: [Float], dimensions: Int, dimension d: Int, bins: Int,
                                 lower: Double, upper: Double) -> [Int] {
        var counts = [Int](repeating: 0, count: bins)
        let width = (upper - lower) / Double(bins)
        for i in stride(from: d, to: latents.count, by: dimensions) {
            let v = Double(latents[i])
            let b = width > 0 ? Int((v - lower) / width) : 0
            counts[min(bins - 1, max(0, b))] += 1
        }
        return counts
    }
}
