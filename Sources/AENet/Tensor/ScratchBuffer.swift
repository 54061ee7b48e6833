/// A reusable float buffer that grows on demand. Layers keep one per worker
/// thread so the hot loops never allocate (and never page-fault fresh memory).
final class ScratchBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init() {
        capacity = 0
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    }

    deinit { pointer.deallocate() }

    /// A pointer to at least `count` floats (contents unspecified).
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            capacity = count
        }
        return pointer
    }
}

/// One set of scratch buffers per worker thread.
final class WorkerScratch {
    private var buffers: [[ScratchBuffer]]

    init(workers: Int, buffersPerWorker: Int) {
        buffers = (0..<workers).map { _ in (0..<buffersPerWorker).map { _ in ScratchBuffer() } }
    }

    func buffer(_ index: Int, worker: Int) -> ScratchBuffer { buffers[worker][index] }

    /// Floats held by all the buffers together.
    var capacity: Int { buffers.joined().reduce(0) { $0 + $1.capacity } }
}
