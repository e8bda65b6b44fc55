import CKernels

/// e^x over a buffer with the LSTM's exp (CKernels' Cephes `expf` polynomial, ≈ 2 ulp on
/// [−87.3, 88.3], clamped outside): the function its vector sigmoid and tanh are built on. The
/// reference is glibc `expf` (`NeuralNetsTests.FastKernelTests` compares).
enum VectorMath {
    static func exp(_ x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        ck_exp(x, &y, Int32(x.count))
        return y
    }
}

extension Kernels {
    /// One LSTM cell update for one batch row, gate order i, f, g, o (PyTorch):
    /// row `[4H]` pre-activations (overwritten with the activated gates), c `[H]` in/out, then
    /// tanhC `[H]` = tanh(c_t), h `[H]` = out `[H]` = σ(o)·tanh(c_t). Eight lanes at a time.
    @inline(__always)
    static func lstmCell(row: UnsafeMutablePointer<Float>, H: Int, c: UnsafeMutablePointer<Float>,
                         tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                         out: UnsafeMutablePointer<Float>) {
        ck_lstm_cell(row, Int32(H), c, tanhC, h, out)   // eight lanes at a time (CKernels)
        let vectorH = H & ~7
        if vectorH < H {   // tail (H not a multiple of 8): the scalar reference on the remaining lanes
            lstmCellNaive(row: row, H: H, range: vectorH..<H, c: c, tanhC: tanhC, h: h, out: out)
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
        precondition(H % 8 == 0, "lstmStepPacked needs H % 8 == 0, got \(H)")
        ck_lstm_step(pre, packed, Int32(H), hIn, c, hOut)
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
