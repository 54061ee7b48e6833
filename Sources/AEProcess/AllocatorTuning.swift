import CMalloc

/// Process-wide allocator settings for the tools (not applied by the library on its own).
public enum AllocatorTuning {
    /// Keeps freed activation buffers in the heap for reuse instead of returning
    /// them to the kernel. glibc serves large blocks with mmap and unmaps them on
    /// free, so every batch would page-fault and have the kernel zero ~100 MB of
    /// fresh pages again; with this, the next batch reuses the same memory.
    /// Costs nothing in peak memory (the blocks are the same size every batch).
    public static func keepFreedMemory() {
        // glibc caps M_MMAP_THRESHOLD at 32 MB, below a batch-256 activation,
        // so switch mmap off for the heap instead.
        _ = mallopt(M_MMAP_MAX, 0)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
    }
}
