import Dispatch
import CBLAS

/// Work splitting across CPU threads.
///
/// The engine parallelises over the batch itself and calls BLAS from each worker,
/// so the tools switch OpenBLAS's own threads off at start-up
/// (`useSingleThreadedBLAS`) to avoid oversubscribing the cores.
public struct Parallelism: Sendable {
    /// Number of worker threads used for batch-split work.
    public let threads: Int

    public init(threads: Int) {
        self.threads = max(1, threads)
    }

    /// Makes OpenBLAS single-threaded: our workers own the cores. OpenBLAS keeps one
    /// process-wide thread count, so this is the program's choice, made once at start-up
    /// (the tools do), never a side effect of building a layer.
    public static func useSingleThreadedBLAS() {
        openblas_set_num_threads(1)
    }

    /// Number of online CPUs.
    public static var availableCores: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// A requested worker count capped to the cores: more threads than cores only add
    /// memory (each has its own scratch buffers) and never speed.
    public static func capped(_ threads: Int) -> Int { max(1, min(threads, availableCores)) }

    /// Splits `0..<count` into at most `threads` contiguous ranges and runs
    /// `body(range, worker)` for each, concurrently. Returns when all are done.
    public func forEachRange(_ count: Int, _ body: (Range<Int>, Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            if count > 0 { body(0..<count, 0) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = count * w / workers
            let hi = count * (w + 1) / workers
            if hi > lo { body(lo..<hi, w) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
