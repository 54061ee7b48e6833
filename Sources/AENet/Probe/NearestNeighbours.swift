/// k-nearest-neighbour classification by Euclidean distance: a query takes the class
/// most of its k nearest training vectors have; on a tie, the tied class whose first
/// member is nearest. Distances ||q||^2 - 2 q.t + ||t||^2 come from one matrix product
/// per chunk of queries (||q||^2 is left out: it does not change a query's ranking).
public struct NearestNeighbours: Sendable {
    public let training: Tensor
    public let labels: [UInt8]
    public let classes: Int
    private let squaredNorms: [Float]

    public init(training: Tensor, labels: [UInt8], classes: Int) {
        precondition(training.rank == 2 && training.batch == labels.count && training.batch > 0, "one label per vector")
        self.training = training
        self.labels = labels
        self.classes = classes
        let d = training.shape[1]
        squaredNorms = (0 ..< training.batch).map { r in
            training.data[(r * d) ..< ((r + 1) * d)].reduce(0) { $0 + $1 * $1 }
        }
    }

    public func predict(_ queries: Tensor, k: Int, parallelism: Parallelism = Parallelism(threads: 1)) -> [UInt8] {
        let d = training.shape[1], n = training.batch
        precondition(queries.rank == 2 && queries.shape[1] == d, "queries [M, \(d)]")
        let k = min(max(1, k), n)
        let chunk = 128
        let chunks = (queries.batch + chunk - 1) / chunk
        var result = [UInt8](repeating: 0, count: queries.batch)
        result.withUnsafeMutableBufferPointer { out in
            let out = out
            parallelism.forEachRange(chunks) { range, _ in
                var products = [Float](repeating: 0, count: chunk * n)
                for c in range {
                    let lo = c * chunk, rows = min(chunk, queries.batch - lo)
                    queries.data.withUnsafeBufferPointer { q in
                        training.data.withUnsafeBufferPointer { t in
                            products.withUnsafeMutableBufferPointer { p in
                                sgemm(transB: true, m: rows, n: n, k: d, a: q.baseAddress! + lo * d, lda: d,
                                      b: t.baseAddress!, ldb: d, beta: 0, c: p.baseAddress!, ldc: n)
                            }
                        }
                    }
                    for r in 0 ..< rows {
                        out[lo + r] = vote(nearest(k, distances: (0 ..< n).map { squaredNorms[$0] - 2 * products[r * n + $0] }))
                    }
                }
            }
        }
        return result
    }

    /// The indices of the k smallest distances, nearest first (ties by index).
    private func nearest(_ k: Int, distances: [Float]) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for i in distances.indices {
            if best.count == k, let last = best.last, distances[i] >= distances[last] { continue }
            var at = best.count
            while at > 0 && distances[best[at - 1]] > distances[i] { at -= 1 }
            best.insert(i, at: at)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    private func vote(_ neighbours: [Int]) -> UInt8 {
        var counts = [Int](repeating: 0, count: classes), first = [Int](repeating: Int.max, count: classes)
        for (rank, i) in neighbours.enumerated() {
            let c = Int(labels[i])
            counts[c] += 1
            first[c] = min(first[c], rank)
        }
        var winner = 0
        for c in 1 ..< classes where counts[c] > counts[winner] || (counts[c] == counts[winner] && first[c] < first[winner]) {
            winner = c
        }
        return UInt8(winner)
    }
}
