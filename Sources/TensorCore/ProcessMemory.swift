import CKernels

/// How the C allocator treats freed blocks, set once by the executables at start-up.
public enum ProcessMemory {
    /// glibc serves blocks over its mmap threshold (128 KB, raised after the first such free) with
    /// fresh mappings and gives the heap's free top back to the system once it passes twice that.
    /// A batch prediction or a training step allocates and frees the same few hundred KB every
    /// time (a 256 × 256 activation is 256 KB), so each one faulted its pages in again and the
    /// kernel zeroed them: 15 % of a batch-256 MLP prediction was page faults. Blocks up to 32 MB
    /// now come from the heap and up to 128 MB of free heap is kept for reuse; larger arrays
    /// (datasets, videos) are still mapped and unmapped on their own.
    public static func keepFreedMemory() {
        ck_keep_freed_memory(32 << 20, 128 << 20)
    }
}
