import CBLAS

/// Matrix products on OpenBLAS (`cblas_sgemm`), with the naive triple loop kept beside it as the
/// reference the tests compare against.
public enum MatMul {
    /// C[m,n] = alpha · op(A) · op(B) + beta · C, row-major.
    /// A is `[m,k]` (or `[k,m]` when `transposeA`), B is `[k,n]` (or `[n,k]` when `transposeB`).
    @inlinable
    public static func gemm(m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, transposeA: Bool = false,
                            b: UnsafePointer<Float>, transposeB: Bool = false,
                            c: UnsafeMutablePointer<Float>,
                            alpha: Float = 1, beta: Float = 0) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched only when beta == 1; be explicit for k == 0.
            for i in 0..<(m * n) { c[i] = beta == 0 ? 0 : beta * c[i] }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(transposeA ? m : k),
                    b, Int32(transposeB ? k : n),
                    beta, c, Int32(n))
    }

    /// Reference kernel: the same contract as `gemm`, as three loops accumulating in Double.
    public static func naiveGemm(m: Int, n: Int, k: Int,
                                 a: UnsafePointer<Float>, transposeA: Bool = false,
                                 b: UnsafePointer<Float>, transposeB: Bool = false,
                                 c: UnsafeMutablePointer<Float>,
                                 alpha: Float = 1, beta: Float = 0) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transposeA ? a[p * m + i] : a[i * k + p]
                    let bv = transposeB ? b[j * k + p] : b[p * n + j]
                    sum += Double(av) * Double(bv)
                }
                let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * n + j])
                c[i * n + j] = Float(Double(alpha) * sum + prior)
            }
        }
    }
}

extension Tensor {
    /// `[m,k] · [k,n] → [m,n]` (batched over leading axes of `self` when rank > 2: `[..., k] · [k, n]`).
    public func matmul(_ other: Tensor, transposeOther: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank == 2, "matmul needs [..., k] · [k, n], got \(shape) · \(other.shape)")
        let k = shape[rank - 1]
        let m = count / max(k, 1)
        let (ok, n) = transposeOther ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        precondition(ok == k, "inner dimensions differ: \(shape) · \(other.shape)\(transposeOther ? "ᵀ" : "")")
        var out = [Float](repeating: 0, count: m * n)
        scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    MatMul.gemm(m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!,
                                transposeB: transposeOther, c: c.baseAddress!)
                }
            }
        }
        return Tensor(shape: Array(shape.dropLast()) + [n], scalars: out)
    }
}

/// OpenBLAS's own thread pool. The machines this runs on have 2 cores and our trainers and
/// interpreters already parallelise at a coarser grain, so the default is deliberately 1:
/// letting OpenBLAS spawn one thread per core under an outer parallel loop oversubscribes.
public enum BLASThreads {
    /// Threads OpenBLAS uses for one call. `ASLSH_BLAS_THREADS` overrides the default of 1.
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Apply the project default once at start-up (idempotent).
    public static func configureDefault() {
        let requested = ProcessInfoEnvironment.integer("ASLSH_BLAS_THREADS") ?? 1
        count = requested
    }
}

/// Tiny env reader kept here so TensorCore needs no Foundation for it.
enum ProcessInfoEnvironment {
    static func integer(_ name: String) -> Int? {
        guard let raw = getenv(name) else { return nil }
        return Int(String(cString: raw))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
