/// Eight-lane exp / sigmoid / tanh for the LSTM cell (the scalar `Kernels.sigmoid` / `Kernels.tanh`
/// on glibc `expf` are the references; `NeuralNetsTests.VectorKernelTests` compares them).
enum VectorMath {
    typealias V = SIMD8<Float>

    /// e^x lane-wise, Cephes `expf` (S. Moshier, cephes/single/expf.c): x = n·ln2 + r with
    /// |r| ≤ ln2/2 (ln2 split into 0.693359375 − 2.12194440e-4 so n·C1 is exact), e^r by its degree-7
    /// minimax polynomial, 2^n assembled in the exponent bits. Max relative error ≈ 2 ulp on
    /// [−87.3, 88.3]; inputs are clamped there (e^x then saturates at ~1.2e−38 / ~2e38, which
    /// sigmoid and tanh below turn into their exact limits 0/1 and ±1 within float precision).
    @inline(__always)
    static func exp(_ x: V) -> V {
        let x = clamp(x, -87.3, 88.3)
        // round(x·log2 e) by the 1.5·2²³ trick: adding it leaves the rounded integer in the low
        // mantissa bits, which also gives 2^n without a float→int conversion.
        let magic = V(repeating: 12_582_912)
        let t = x * V(repeating: 1.44269504088896341) + magic
        let n = t - magic
        var r = x - n * V(repeating: 0.693359375)
        r = r - n * V(repeating: -2.12194440e-4)
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + V(repeating: 1.3981999507e-3)
        p = p * r + V(repeating: 8.3334519073e-3)
        p = p * r + V(repeating: 4.1665795894e-2)
        p = p * r + V(repeating: 1.6666665459e-1)
        p = p * r + V(repeating: 5.0000001201e-1)
        let er = p * (r * r) + r + V(repeating: 1)
        let bits = (unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return er * unsafeBitCast(bits, to: V.self)
    }

    /// Lane-wise min(max(x, lo), hi). Written as a lane loop (which LLVM turns into vmaxps/vminps)
    /// because the stdlib's generic `pointwiseMin/Max` stayed out-of-line calls (5 % of an LSTM
    /// prediction in a profile).
    @inline(__always)
    static func clamp(_ x: V, _ lo: Float, _ hi: Float) -> V {
        var r = x
        for i in 0..<V.scalarCount { r[i] = Swift.min(Swift.max(x[i], lo), hi) }
        return r
    }

    /// 1 / (1 + e^{−x}).
    @inline(__always)
    static func sigmoid(_ x: V) -> V { V(repeating: 1) / (V(repeating: 1) + exp(-x)) }

    /// 1 − 2/(e^{2x} + 1), the form `Kernels.tanh` uses.
    @inline(__always)
    static func tanh(_ x: V) -> V { V(repeating: 1) - V(repeating: 2) / (exp(x + x) + V(repeating: 1)) }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
}

extension Kernels {
    /// One LSTM cell update for one batch row, gate order i, f, g, o (PyTorch):
    /// row `[4H]` pre-activations (overwritten with the activated gates), c `[H]` in/out, then
    /// tanhC `[H]` = tanh(c_t), h `[H]` = out `[H]` = σ(o)·tanh(c_t). Eight lanes at a time.
    @inline(__always)
    static func lstmCell(row: UnsafeMutablePointer<Float>, H: Int, c: UnsafeMutablePointer<Float>,
                         tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                         out: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 8 <= H {
            let ig = VectorMath.sigmoid(VectorMath.load(row + j))
            let fg = VectorMath.sigmoid(VectorMath.load(row + H + j))
            let gg = VectorMath.tanh(VectorMath.load(row + 2 * H + j))
            let og = VectorMath.sigmoid(VectorMath.load(row + 3 * H + j))
            VectorMath.store(ig, row + j); VectorMath.store(fg, row + H + j)
            VectorMath.store(gg, row + 2 * H + j); VectorMath.store(og, row + 3 * H + j)
            let cn = fg * VectorMath.load(c + j) + ig * gg
            let th = VectorMath.tanh(cn)
            let hn = og * th
            VectorMath.store(cn, c + j); VectorMath.store(th, tanhC + j)
            VectorMath.store(hn, h + j); VectorMath.store(hn, out + j)
            j += 8
        }
        if j < H {   // tail (H not a multiple of 8): the scalar reference on the remaining lanes
            lstmCellNaive(row: row, H: H, range: j..<H, c: c, tanhC: tanhC, h: h, out: out)
        }
    }

    /// Reference for `lstmCell`: the same update one lane at a time on glibc `expf`.
    static func lstmCellNaive(row: UnsafeMutablePointer<Float>, H: Int, range: Range<Int>, c: UnsafeMutablePointer<Float>,
                              tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                              out: UnsafeMutablePointer<Float>) {
        for j in range {
            let ig = sigmoid(row[j]), fg = sigmoid(row[H + j])
            let gg = tanh(row[2 * H + j]), og = sigmoid(row[3 * H + j])
            row[j] = ig; row[H + j] = fg; row[2 * H + j] = gg; row[3 * H + j] = og
            let cn = fg * c[j] + ig * gg
            let th = tanh(cn)
            c[j] = cn
            tanhC[j] = th
            h[j] = og * th
            out[j] = og * th
        }
    }
}

extension Kernels {
    /// W_hh `[4H, H]` (PyTorch gate rows i, f, g, o) → `[H/8][H][4][8]`: for each block of eight
    /// hidden units and each input k, the 32 weights that feed that block's four gates, contiguous,
    /// so one sequence's step streams W_hh once, in order (`lstmStepPacked`). H must be a multiple of 8.
    static func packGateWeights(_ w: UnsafePointer<Float>, H: Int) -> [Float] {
        precondition(H % 8 == 0, "packGateWeights needs H % 8 == 0, got \(H)")
        var packed = uninitialized(4 * H * H)
        packed.withUnsafeMutableBufferPointer { p in
            for block in 0..<(H / 8) {
                for k in 0..<H {
                    let dst = p.baseAddress! + (block * H + k) * 32
                    for g in 0..<4 { for l in 0..<8 { dst[g * 8 + l] = w[(g * H + block * 8 + l) * H + k] } }
                }
            }
        }
        return packed
    }

    /// One LSTM step of one sequence with the recurrent product fused into the cell: for each block
    /// of eight hidden units, gates = pre `[4H]` (input projection + both biases) + W_hh·hIn summed
    /// over k from `packed` (`packGateWeights`), then c `[H]` and hOut `[H]` updated as `lstmCell`
    /// does. hIn and hOut must not alias (later blocks still read hIn). Replaces a 4H×H sgemv (which
    /// reads W_hh row by row and has to reduce each row across lanes) plus a second pass over the
    /// gates; the reference is `gemm(m: 1)` + `lstmCellNaive` (`lstmStepNaive`).
    static func lstmStepPacked(pre: UnsafePointer<Float>, packed: UnsafePointer<Float>, H: Int,
                               hIn: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, hOut: UnsafeMutablePointer<Float>) {
        typealias V = VectorMath.V
        for block in 0..<(H / 8) {
            let j = block * 8
            var p = packed + block * H * 32
            // Two sets of four accumulators (even and odd k) so the adds are not one long chain.
            var i0 = VectorMath.load(pre + j), f0 = VectorMath.load(pre + H + j)
            var g0 = VectorMath.load(pre + 2 * H + j), o0 = VectorMath.load(pre + 3 * H + j)
            var i1 = V(), f1 = V(), g1 = V(), o1 = V()
            var k = 0
            while k + 2 <= H {
                let h0 = V(repeating: hIn[k]), h1 = V(repeating: hIn[k + 1])
                multiplyAdd(&i0, VectorMath.load(p), h0); multiplyAdd(&f0, VectorMath.load(p + 8), h0)
                multiplyAdd(&g0, VectorMath.load(p + 16), h0); multiplyAdd(&o0, VectorMath.load(p + 24), h0)
                multiplyAdd(&i1, VectorMath.load(p + 32), h1); multiplyAdd(&f1, VectorMath.load(p + 40), h1)
                multiplyAdd(&g1, VectorMath.load(p + 48), h1); multiplyAdd(&o1, VectorMath.load(p + 56), h1)
                p += 64; k += 2
            }
            if k < H {
                let h0 = V(repeating: hIn[k])
                multiplyAdd(&i0, VectorMath.load(p), h0); multiplyAdd(&f0, VectorMath.load(p + 8), h0)
                multiplyAdd(&g0, VectorMath.load(p + 16), h0); multiplyAdd(&o0, VectorMath.load(p + 24), h0)
            }
            let ig = VectorMath.sigmoid(i0 + i1), fg = VectorMath.sigmoid(f0 + f1)
            let gg = VectorMath.tanh(g0 + g1), og = VectorMath.sigmoid(o0 + o1)
            let cn = fg * VectorMath.load(c + j) + ig * gg
            VectorMath.store(cn, c + j)
            VectorMath.store(og * VectorMath.tanh(cn), hOut + j)
        }
    }

    /// Reference for `lstmStepPacked` on the unpacked W_hh `[4H, H]`: the gate GEMM then the
    /// scalar cell (glibc `expf`).
    static func lstmStepNaive(pre: UnsafePointer<Float>, weightHH: UnsafePointer<Float>, H: Int,
                              hIn: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, hOut: UnsafeMutablePointer<Float>) {
        var gates = Array(UnsafeBufferPointer(start: pre, count: 4 * H))
        var tanhC = [Float](repeating: 0, count: H), h = [Float](repeating: 0, count: H)
        gemm(m: 1, n: 4 * H, k: H, a: hIn, lda: H, b: weightHH, ldb: H, transposeB: true, c: &gates, ldc: 4 * H, beta: 1)
        lstmCellNaive(row: &gates, H: H, range: 0..<H, c: c, tanhC: &tanhC, h: &h, out: hOut)
    }
}
