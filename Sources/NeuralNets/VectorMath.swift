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
        let x = pointwiseMax(pointwiseMin(x, V(repeating: 88.3)), V(repeating: -87.3))
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
