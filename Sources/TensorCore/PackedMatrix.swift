import CBLAS
import CKernels

/// Which build of the numeric micro-kernels (`CKernels`: packed GEMM, depthwise convolution) runs.
/// One binary carries both and picks at run time from CPUID, like XNNPACK and OpenBLAS; the
/// environment variable `ASLSH_KERNELS=portable` forces the portable build. Both builds give
/// bit-identical results (no fused multiply-add, the same order of sums), so the choice changes
/// speed only.
public enum KernelPath: Int32, CustomStringConvertible, CaseIterable, Sendable {
    /// Baseline x86-64 (SSE2): runs on any x86-64 CPU. The reference.
    case portable = 0
    /// 256-bit AVX lanes, on CPUs with AVX and an OS that saves the YMM state.
    case avx = 1

    /// The path the kernels take in this process.
    public static var active: KernelPath { KernelPath(rawValue: ck_active_isa()) ?? .portable }
    /// The best path this CPU can run.
    public static var supported: KernelPath { KernelPath(rawValue: ck_supported_isa()) ?? .portable }

    /// Makes the kernels take `path` from now on (tests and benchmarks). False, and nothing
    /// changes, when the CPU cannot run it.
    @discardableResult
    public static func force(_ path: KernelPath) -> Bool { ck_force_isa(path.rawValue) == 1 }

    /// The CPU's vector features as CPUID reports them, e.g. "sse2 sse4.2 avx avx2 fma".
    public static var cpuFeatures: String { String(cString: ck_cpu_features()) }

    public var description: String { String(cString: ck_isa_name(rawValue)) }
}

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
    /// C's old value), then adds bias[j] — the same arithmetic on every kernel path.
    @inline(__always)
    public func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                         bias: UnsafePointer<Float>? = nil, lower: Float = -.infinity, upper: Float = .infinity,
                         accumulate: Bool = false) {
        guard m > 0 else { return }
        ck_gemm(Int32(m), Int32(n), Int32(k), a, Int32(lda), storage, c, Int32(ldc), bias, lower, upper, accumulate ? 1 : 0)
    }
}

/// What the numeric code runs on in this process, for `aslsh --version` and benchmark headers:
/// the CPU's vector features, our kernel path, and the kernel OpenBLAS chose for this CPU
/// (`OPENBLAS_CORETYPE` overrides it; training and the other BLAS-backed products follow it).
public enum ComputeEnvironment {
    public static var blasCore: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// e.g. "kernels: avx (256-bit); OpenBLAS: Haswell; CPU: sse2 sse4.2 avx avx2 fma".
    public static var summary: String {
        "kernels: \(KernelPath.active); OpenBLAS: \(blasCore); CPU: \(KernelPath.cpuFeatures)"
    }
}
