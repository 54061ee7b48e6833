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
    /// Whether image work is split only at image rows, each row into the same pieces
    /// whatever the rows around it and the thread count (`forEachChunk`): every output row
    /// of a convolution or GDN is then the same bit for bit in a band of an image as in
    /// the whole image, at any thread count (the codec's banded runs). Off, chunks run
    /// across rows and images, which suits batches of small training patches.
    public let rowAligned: Bool

    public init(threads: Int, rowAligned: Bool = false) {
        self.threads = max(1, threads)
        self.rowAligned = rowAligned
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

extension Parallelism {
    /// Runs `body(pixels, worker)` over chunks of at most `chunk` flat pixels of `rows`
    /// image rows of `width` pixels each, spread over the workers: by default the workers'
    /// ranges of pixels cut into chunks of `chunk`; with `rowAligned` the workers' ranges
    /// of rows, each row cut into the same ceil(width / chunk) nearly equal pieces.
    public func forEachChunk(rows: Int, width: Int, chunk: Int, _ body: (Range<Int>, Int) -> Void) {
        precondition(chunk > 0, "chunks need pixels")
        if rowAligned {
            let pieces = Self.pieces(width: width, chunk: chunk)
            forEachRange(rows) { range, worker in
                for row in range {
                    for i in 0..<pieces { body(Self.piece(i, of: pieces, row: row, width: width), worker) }
                }
            }
        } else {
            forEachRange(rows * width) { range, worker in
                var p = range.lowerBound
                while p < range.upperBound {
                    let q = min(p + chunk, range.upperBound)
                    body(p..<q, worker)
                    p = q
                }
            }
        }
    }

    /// Pieces per row of `width` pixels for chunks of at most `chunk`.
    static func pieces(width: Int, chunk: Int) -> Int { max(1, (width + chunk - 1) / chunk) }

    /// The flat pixels of piece `i` of `pieces` of row `row`.
    static func piece(_ i: Int, of pieces: Int, row: Int, width: Int) -> Range<Int> {
        (row * width + width * i / pieces)..<(row * width + width * (i + 1) / pieces)
    }
}

#if canImport(Glibc)
import Glibc
#endif
