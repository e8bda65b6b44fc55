import CKernels

/// A right-hand matrix B `[k, n]` packed once into 16-column panels for `multiply`: the layout in
/// which the GEMM micro-kernel streams it (what OpenBLAS's sgemm would repack on every call).
/// Weights of convolutions and linear layers are packed when a model loads.
public final class PackedMatrix {
    public let k: Int, n: Int
    private let storage: UnsafeMutablePointer<Float>

    /// B `[k, n]` row-major with leading dimension `ldb`, or, when `transposed`, B stored `[n, k]`
    /// (each output's k weights contiguous, `ldb` apart) — the OHWI / `[out, in]` weight layouts.
    public init(k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, transposed: Bool) {
        precondition(k >= 0 && n > 0)
        self.k = k; self.n = n
        let count = max(ck_packed_size(Int32(k), Int32(n)), 1)
        storage = .allocate(capacity: count)
        ck_pack_b(Int32(k), Int32(n), b, Int32(ldb), transposed ? 1 : 0, storage)
    }

    public convenience init(k: Int, n: Int, b: [Float], transposed: Bool = false) {
        precondition(b.count == k * n, "PackedMatrix: \(b.count) values for [\(k), \(n)]")
        self.init(k: k, n: n, b: b, ldb: transposed ? k : n, transposed: transposed)
    }

    deinit { storage.deallocate() }

    /// C[m, n] (ldc) = clamp(A[m, k] (lda) · B + bias, lower, upper), or C += A·B when `accumulate`.
    /// Every element sums its k products in order (each product rounded, then added) from 0 (or
    /// C's old value), then adds bias[j] — the same arithmetic on every kernel path and for any
    /// `threads` (rows and column panels shared out on the kernels' thread pool, `ck_parallel`).
    @inline(__always)
    public func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                         bias: UnsafePointer<Float>? = nil, lower: Float = -.infinity, upper: Float = .infinity,
                         accumulate: Bool = false, threads: Int = 1) {
        guard m > 0 else { return }
        ck_gemm_threads(Int32(m), Int32(n), Int32(k), a, Int32(lda), storage, c, Int32(ldc), bias, lower, upper,
                        accumulate ? 1 : 0, Int32(clamping: threads))
    }

    /// `multiply`, then C = C + R (R [m, n], `ldr`) and, when `alpha` is given, a per-column PReLU
    /// (y < 0 ? alpha[j]·y : y), each block of rows finished while it is in cache: the arithmetic
    /// of a GEMM, an ADD and a PRELU run one after the other, with one pass over C instead of three.
    @inline(__always)
    public func multiplyAddingResidual(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                       bias: UnsafePointer<Float>?, lower: Float, upper: Float,
                                       residual: UnsafePointer<Float>, ldr: Int, alpha: UnsafePointer<Float>?, threads: Int) {
        guard m > 0 else { return }
        ck_gemm_residual_threads(Int32(m), Int32(n), Int32(k), a, Int32(lda), storage, c, Int32(ldc), bias, lower, upper,
                                 residual, Int32(ldr), alpha, Int32(clamping: threads))
    }
}
