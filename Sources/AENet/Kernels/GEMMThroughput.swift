import Foundation

/// The machine's single-precision matrix-multiply speed as the engine uses it (each
/// worker one single-threaded sgemm at a time): the scale that benchmarks' achieved
/// GFLOP/s are read against.
public enum GEMMThroughput {
    /// GFLOP/s of `parallelism.threads` workers each multiplying two `size` x `size`
    /// matrices `repeats` times at once (after one untimed multiply each).
    public static func measure(parallelism: Parallelism, size: Int = 1024, repeats: Int = 4) -> Double {
        let workers = parallelism.threads
        let a = [Float](repeating: 0.5, count: size * size)
        var c = [Float](repeating: 0, count: workers * size * size)
        var seconds = 0.0
        a.withUnsafeBufferPointer { a in
            c.withUnsafeMutableBufferPointer { c in
                let a = a.baseAddress!, c = c.baseAddress!
                for timed in [false, true] {
                    let start = Date()
                    parallelism.forEachRange(workers) { range, _ in
                        for w in range {
                            for _ in 0..<(timed ? repeats : 1) {
                                sgemm(m: size, n: size, k: size, a: a, lda: size, b: a, ldb: size, beta: 0,
                                      c: c + w * size * size, ldc: size)
                            }
                        }
                    }
                    seconds = Date().timeIntervalSince(start)
                }
            }
        }
        return Double(workers * repeats) * 2 * Double(size * size * size) / seconds / 1e9
    }
}
