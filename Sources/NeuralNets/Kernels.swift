import CBLAS
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// Buffer-level helpers shared by the layers. Kernels take raw pointers (callers pass `[Float]`
/// arrays, which Swift bridges for the duration of the call) and write shapes in their first line.
enum Kernels {
    /// C[m,n] (ldc) = alpha·op(A)·op(B) + beta·C with explicit leading dimensions (row-major), for
    /// GEMMs on sub-blocks (one time step of a `[T,B,4H]` buffer, a strided gate block, …).
    @inline(__always)
    static func gemm(m: Int, n: Int, k: Int,
                     a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                     b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
                     c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        if m == 1 {
            // One row of C (batch-1 prediction, the recurrent step of one sequence): sgemv reads
            // op(B) in place, where sgemm packs all of B on every call — 45 % of an MLP 2×256
            // prediction, and an LSTM T=32 prediction took 2.7 ms instead of 0.9.
            // c[n] = alpha·a[k]·op(B) + beta·c: op(B) = Bᵀ ([n,k] stored) is NoTrans on B, else Trans.
            cblas_sgemv(CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans, transposeB ? Int32(n) : Int32(k),
                        transposeB ? Int32(k) : Int32(n), alpha, b, Int32(ldb), a, transposeA ? Int32(lda) : 1, beta, c, 1)
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// A `[count]` buffer whose contents the caller overwrites entirely (a GEMM with beta 0):
    /// skips the zero fill that `[Float](repeating: 0, …)` would spend a memset on.
    @inline(__always)
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// y[rows, n] = bias[n] for every row (the start value of a GEMM accumulating with beta 1).
    @inline(__always)
    static func broadcastRows(_ bias: UnsafePointer<Float>, rows: Int, n: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * n) { buffer, initialized in
            for r in 0..<rows { (buffer.baseAddress! + r * n).update(from: bias, count: n) }
            initialized = rows * n
        }
    }

    /// y[rows, n] += bias[n] for every row.
    @inline(__always)
    static func addRowVector(_ y: UnsafeMutablePointer<Float>, rows: Int, n: Int, _ bias: UnsafePointer<Float>) {
        for r in 0..<rows {
            let row = y + r * n
            for j in 0..<n { row[j] += bias[j] }
        }
    }

    /// into[n] += Σ_rows x[rows, n] (bias gradients). Accumulates in Float like PyTorch's CPU sum.
    @inline(__always)
    static func accumulateColumnSums(_ x: UnsafePointer<Float>, rows: Int, n: Int, into: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * n
            for j in 0..<n { into[j] += row[j] }
        }
    }

    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    /// tanh through one `expf`: 1 − 2/(e^{2x} + 1). glibc's `tanhf` (via expm1f) cost a fifth of
    /// LSTM training time; this form is within ~1e-7 absolute of it and saturates correctly
    /// (e^{2x} → ∞ gives 1, → 0 gives −1).
    @inline(__always) static func tanh(_ x: Float) -> Float { 1 - 2 / (expf(2 * x) + 1) }
}

/// PyTorch's default initialisers (torch/nn/modules/linear.py, conv.py, rnn.py `reset_parameters`).
public enum PyTorchInit {
    /// `kaiming_uniform_(w, a=√5)` on a weight with `fanIn` inputs per output: gain √(2/(1+a²)) = √(1/3),
    /// bound = gain·√(3/fan_in) = 1/√fan_in. Linear/Conv biases use the same bound, so both are U(±1/√fan_in).
    public static func fanInBound(_ fanIn: Int) -> Float { fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0 }
}
