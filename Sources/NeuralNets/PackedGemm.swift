import TensorCore

/// The GEMM for prediction-sized problems on weights packed once: C[m, n] (ldc) += A[m, k] (lda) · P,
/// P a `PackedMatrix` (TensorCore, on CKernels' run-time-dispatched micro-kernel). OpenBLAS's sgemm
/// repacks both operands on every call, which for a TCN prediction (m = 32 time steps, n = 64,
/// k = 64…192) cost as much as the multiply itself; here the weights are packed once per parameter
/// generation by the layer and A is read in place. Every element sums in order of k on every CPU.
/// The reference is `Kernels.gemm` (tests compare).
extension Kernels {
    static func packedGemmAccumulate(m: Int, a: UnsafePointer<Float>, lda: Int, p: PackedMatrix,
                                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        p.multiply(m: m, a: a, lda: lda, c: c, ldc: ldc, accumulate: true)
    }
}
