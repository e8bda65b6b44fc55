import CBLAS
import CKernels

/// Which build of the numeric micro-kernels (`CKernels`: packed GEMM, depthwise convolution) runs.
/// One binary carries both and picks at run time from CPUID, like XNNPACK and OpenBLAS; the
/// environment variable `ASLSH_KERNELS=portable` forces the portable build. All builds give
/// bit-identical results (no fused multiply-add, the same order of sums), so the choice changes
/// speed only.
public enum KernelPath: Int32, CustomStringConvertible, CaseIterable, Sendable {
    /// Baseline x86-64 (SSE2): runs on any x86-64 CPU. The reference.
    case portable = 0
    /// 256-bit AVX lanes, on CPUs with AVX and an OS that saves the YMM state.
    case avx = 1
    /// The AVX kernels, with a 512-bit packed GEMM, on CPUs with AVX-512 (F, CD, BW, DQ, VL) and
    /// an OS that saves the ZMM state. `ASLSH_KERNELS=avx` keeps such a CPU on the AVX path.
    case avx512 = 2

    /// Whether this path runs the 256-bit AVX kernels (AVX and AVX-512 both do).
    public var hasAVX: Bool { self != .portable }

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

/// What the numeric code runs on in this process, for `aslsh --version` and benchmark headers:
/// the CPU's vector features, our kernel path, and the kernel OpenBLAS chose for this CPU
/// (`OPENBLAS_CORETYPE` overrides it when the CPU can run that kernel; training and the other
/// BLAS-backed products follow it).
public enum ComputeEnvironment {
    /// OpenBLAS's kernel family, e.g. "Haswell" (loads OpenBLAS if nothing has yet).
    public static var blasCore: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS could not be loaded; the message names the library, the reason and the package.
    public struct BLASUnavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Loads OpenBLAS unless it is loaded, or throws `BLASUnavailable` (commands that multiply
    /// matrices call this first, so a broken installation fails the command, not the shell).
    public static func loadBLAS() throws {
        var buffer = [CChar](repeating: 0, count: 512)
        guard aslsh_blas_load(&buffer, buffer.count) == 0 else {
            throw BLASUnavailable(description: String(cString: buffer))
        }
    }

    /// Why an `OPENBLAS_CORETYPE` in the environment was not used, or nil when it was (or unset).
    public static var blasCoreNote: String? {
        _ = blasCore
        let note = String(cString: aslsh_blas_core_note())
        return note.isEmpty ? nil : note
    }

    /// e.g. "kernels: avx (256-bit); OpenBLAS: Haswell; CPU: sse2 sse4.2 avx avx2 fma"; with
    /// " (OPENBLAS_CORETYPE=Haswell ignored: this CPU lacks avx2)" after the OpenBLAS core when so.
    public static var summary: String {
        let core = blasCore + (blasCoreNote.map { " (\($0))" } ?? "")
        return "kernels: \(KernelPath.active); OpenBLAS: \(core); CPU: \(KernelPath.cpuFeatures)"
    }
}
