/// Per-feature standardisation fitted on training features [N, D]: x -> (x - mean) / sd,
/// so a linear classifier and a nearest-neighbour distance weigh every latent dimension
/// (or pixel) alike. A feature that never varies is only centred.
public struct FeatureScaling: Sendable {
    public let mean: [Float]
    public let inverseDeviation: [Float]

    public init(fitting features: Tensor) {
        precondition(features.rank == 2 && features.batch > 0, "features [N, D], N > 0")
        let (n, d) = (features.shape[0], features.shape[1])
        var sum = [Double](repeating: 0, count: d), squares = [Double](repeating: 0, count: d)
        for r in 0 ..< n {
            for c in 0 ..< d {
                let x = Double(features.data[r * d + c])
                sum[c] += x
                squares[c] += x * x
            }
        }
        mean = sum.map { Float($0 / Double(n)) }
        inverseDeviation = (0 ..< d).map { c in
            let m = sum[c] / Double(n)
            let sd = max(0, squares[c] / Double(n) - m * m).squareRoot()
            return sd > 1e-12 ? Float(1 / sd) : 1
        }
    }

    public func apply(_ features: Tensor) -> Tensor {
        let d = mean.count
        precondition(features.rank == 2 && features.shape[1] == d, "features [N, \(d)]")
        var out = features
        for i in 0 ..< out.count { out.data[i] = (out.data[i] - mean[i % d]) * inverseDeviation[i % d] }
        return out
    }
}
