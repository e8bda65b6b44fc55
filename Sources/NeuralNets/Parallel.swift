import CKernels
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// How many threads the NN kernels split their work over (batch rows of the recurrences, row
/// blocks of the large GEMMs). OpenBLAS itself stays single-threaded (`BLASThreads`): each worker
/// calls a 1-thread sgemm on its own block, so nothing is oversubscribed. Default: min(2, cores)
/// (the machines this runs on have 2), overridden by `ASLSH_NN_THREADS`. 1 = fully serial.
public enum NNThreads {
    nonisolated(unsafe) private static var current: Int = {
        if let raw = getenv("ASLSH_NN_THREADS"), let n = Int(String(cString: raw)) { return max(1, n) }
        return max(1, min(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }()

    public static var count: Int {
        get { current }
        set { current = max(1, newValue) }
    }
}

enum Parallel {
    /// Splits `0..<count` into at most `NNThreads.count` contiguous chunks of at least `minimum`
    /// items and runs `body` on each, concurrently; serial (no dispatch) when one chunk.
    ///
    /// The chunks run on the kernels' pool (`ck_parallel`), whose workers spin briefly between
    /// jobs: a training step hands it dozens of jobs a few microseconds apart, and libdispatch's
    /// `concurrentPerform`, which woke a sleeping thread through the kernel for each, cost a
    /// fifth to a quarter of an MLP's or TCN's training time on 2 cores. A chunk that asks for the pool again
    /// (or a job while another thread's model holds it) runs its work serially: the same chunks,
    /// the same results.
    static func chunks(_ count: Int, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = max(1, min(NNThreads.count, count / max(minimum, 1)))
        if workers == 1 { if count > 0 { body(0..<count) }; return }
        let per = (count + workers - 1) / workers
        withoutActuallyEscaping(body) { body in
            var job = ChunkJob(body: body, count: count, per: per)
            withUnsafeMutablePointer(to: &job) { pointer in
                ck_parallel(Int32(workers), { context, w in
                    let job = context!.assumingMemoryBound(to: ChunkJob.self).pointee
                    let lo = Int(w) * job.per, hi = min(job.count, lo + job.per)
                    if lo < hi { job.body(lo..<hi) }
                }, pointer, Int32(workers))
            }
        }
    }
}

/// What `Parallel.chunks` hands the kernels' pool.
private struct ChunkJob {
    let body: (Range<Int>) -> Void
    let count: Int
    let per: Int
}

extension Kernels {
    /// Elementwise passes shorter than this stay on one thread (per chunk).
    static let parallelElementwiseMinimum = 1 << 15

    /// Below this many multiply-adds a GEMM runs on one thread (dispatch costs ~10 µs).
    static let parallelGemmThreshold = 1 << 20

    /// `gemm` with C's rows split over `NNThreads.count` workers: C[m,n] = alpha·op(A)·op(B) + beta·C.
    /// Each worker computes whole rows of C with the same k order, so the result equals the serial
    /// call (tests compare both).
    static func parallelGemm(m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                             b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                             c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
        guard NNThreads.count > 1, m * n * k >= parallelGemmThreshold, m >= 16 else {
            gemm(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, transposeB: transposeB,
                 c: c, ldc: ldc, alpha: alpha, beta: beta)
            return
        }
        Parallel.chunks(m, minimum: 8) { rows in
            // Row r of op(A) starts at a + r·lda, or at column r when A is stored transposed.
            let aBlock = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
            gemm(m: rows.count, n: n, k: k, a: aBlock, lda: lda, transposeA: transposeA, b: b, ldb: ldb,
                 transposeB: transposeB, c: c + rows.lowerBound * ldc, ldc: ldc, alpha: alpha, beta: beta)
        }
    }
}
