/// A GEMM for prediction-sized problems on weights packed once: C[m, n] (ldc) += A[m, k] (lda) ·
/// P[k, n], with P row-major (each input's n weights contiguous). OpenBLAS's sgemm repacks both
/// operands on every call, which for a TCN prediction (m = 32 time steps, n = 64, k = 64…192)
/// cost as much as the multiply itself; here the weights are packed once per parameter
/// generation by the layer and A is read in place. Register block: 4 rows × 16 columns (eight
/// SIMD8 accumulators, fused multiply-adds where the hardware has them: `multiplyAdd`); column
/// tails in 8-lane and scalar steps, row tails one row at a time.
/// The reference is `Kernels.gemm` (tests compare).
extension Kernels {
    typealias V8 = SIMD8<Float>

    static func packedGemmAccumulate(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                     p: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int) {
        var i = 0
        while i + 4 <= m {
            let a0 = a + i &* lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
            let c0 = c + i &* ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
            var j = 0
            while j + 16 <= n {
                var x0 = load8(c0 + j), y0 = load8(c0 + j + 8), x1 = load8(c1 + j), y1 = load8(c1 + j + 8)
                var x2 = load8(c2 + j), y2 = load8(c2 + j + 8), x3 = load8(c3 + j), y3 = load8(c3 + j + 8)
                var w = p + j
                for q in 0..<k {
                    let wl = load8(w), wh = load8(w + 8)
                    let s0 = V8(repeating: a0[q]), s1 = V8(repeating: a1[q])
                    let s2 = V8(repeating: a2[q]), s3 = V8(repeating: a3[q])
                    multiplyAdd(&x0, wl, s0); multiplyAdd(&y0, wh, s0); multiplyAdd(&x1, wl, s1); multiplyAdd(&y1, wh, s1)
                    multiplyAdd(&x2, wl, s2); multiplyAdd(&y2, wh, s2); multiplyAdd(&x3, wl, s3); multiplyAdd(&y3, wh, s3)
                    w += n
                }
                store8(x0, c0 + j); store8(y0, c0 + j + 8); store8(x1, c1 + j); store8(y1, c1 + j + 8)
                store8(x2, c2 + j); store8(y2, c2 + j + 8); store8(x3, c3 + j); store8(y3, c3 + j + 8)
                j += 16
            }
            packedGemmColumns(rows: i..<(i + 4), from: j, n: n, k: k, a: a, lda: lda, p: p, c: c, ldc: ldc)
            i += 4
        }
        if i < m { packedGemmColumns(rows: i..<m, from: 0, n: n, k: k, a: a, lda: lda, p: p, c: c, ldc: ldc) }
    }

    /// Rows `rows`, columns `from..<n` of `packedGemmAccumulate`, one row at a time (8 lanes, then scalars).
    private static func packedGemmColumns(rows: Range<Int>, from j0: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                          p: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard j0 < n else { return }
        for i in rows {
            let ar = a + i &* lda, cr = c + i &* ldc
            var j = j0
            while j + 8 <= n {
                var x = load8(cr + j)
                var w = p + j
                for q in 0..<k { multiplyAdd(&x, load8(w), V8(repeating: ar[q])); w += n }
                store8(x, cr + j)
                j += 8
            }
            while j < n {
                var s = cr[j]
                for q in 0..<k { s += ar[q] * p[q &* n &+ j] }
                cr[j] = s
                j += 1
            }
        }
    }

    /// acc += a·b lane-wise: one fused vfmadd where the build targets FMA hardware (`ASLSH_FMA`,
    /// set with AVX2 in Package.swift), else a multiply and an add (an FMA without the instruction
    /// would be a libm call per lane).
    @inline(__always) static func multiplyAdd(_ acc: inout V8, _ a: V8, _ b: V8) {
        #if ASLSH_FMA
        acc.addProduct(a, b)
        #else
        acc += a * b
        #endif
    }

    @inline(__always) static func load8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
    @inline(__always) static func store8(_ v: V8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self) }
}
