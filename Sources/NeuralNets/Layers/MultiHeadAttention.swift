import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// PyTorch `nn.MultiheadAttention(D, H, batch_first=True)` used as self-attention with a key
/// padding mask: x `[B, T, D]`, valid `[B, T]` (mask > 0.5) → y `[B, T, D]`.
///   [Q K V] = x·W_inᵀ + b_in   (`in_proj_weight` `[3D, D]`, `in_proj_bias` `[3D]`),
///   per head h (width d = D/H): P = softmax(Q_h K_hᵀ/√d + M), M = −∞ on padded keys,
///   O_h = P·V_h,  y = [O_1 … O_H]·W_outᵀ + b_out   (`out_proj.weight`/`.bias`).
/// A row with no valid key attends to nothing (O = 0) where PyTorch would return NaN.
/// Attention-weight dropout is not applied (the encoder layer drops its residual branches).
public final class MultiHeadAttention {
    public let dim: Int
    public let heads: Int
    public var headDim: Int { dim / heads }
    let inProjection: Linear
    let outProjection: Linear
    /// Caches: qkv `[B·T, 3D]`, P `[B, H, T, T]`, validity `[B, T]`.
    private var qkv: [Float] = []
    private var probabilities: [Float] = []
    private var valid: [Bool] = []
    private var batch = 0, steps = 0

    /// PyTorch init: in_proj xavier_uniform (bound √(6/(D + 3D))), in_proj_bias 0, out_proj
    /// bias 0 and its weight `nn.Linear`'s default U(±1/√D) (torch/nn/modules/activation.py `_reset_parameters`).
    public init(_ name: String, dim: Int, heads: Int, store: ParameterStore, rng: inout SeededRandom) {
        precondition(heads > 0 && dim % heads == 0, "attention width \(dim) is not a multiple of \(heads) heads")
        self.dim = dim
        self.heads = heads
        inProjection = Linear(weightName: "\(name).in_proj_weight", biasName: "\(name).in_proj_bias", in: dim, out: 3 * dim,
                              weightBound: (6 / Float(4 * dim)).squareRoot(), biasBound: nil, store: store, rng: &rng)
        outProjection = Linear(weightName: "\(name).out_proj.weight", biasName: "\(name).out_proj.bias", in: dim, out: dim,
                               weightBound: PyTorchInit.fanInBound(dim), biasBound: nil, store: store, rng: &rng)
    }

    public func forward(_ x: Tensor, valid mask: Tensor) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == dim && mask.shape == [x.shape[0], x.shape[1]],
                     "attention(\(dim)) got \(x.shape) with mask \(mask.shape)")
        let (B, T, D, H, d) = (x.shape[0], x.shape[1], dim, heads, headDim)
        batch = B; steps = T
        valid = mask.scalars.map { $0 > 0.5 }
        qkv = inProjection.forward(x.reshaped([B * T, D])).scalars
        probabilities = Kernels.uninitialized(B * H * T * T)
        var context = [Float](repeating: 0, count: B * T * D)
        let scale = 1 / Float(d).squareRoot()
        qkv.withUnsafeBufferPointer { qp in
        probabilities.withUnsafeMutableBufferPointer { pp in
        context.withUnsafeMutableBufferPointer { cp in
            let q = qp.baseAddress!, p = pp.baseAddress!, ctx = cp.baseAddress!
            Parallel.chunks(B * H, minimum: max(1, 4096 / max(T * T * d, 1))) { range in
                for bh in range {
                    let (b, h) = (bh / H, bh % H)
                    let rows = q + b * T * 3 * D, scores = p + bh * T * T
                    // S = Q_h·K_hᵀ·scale  [T, T]
                    Kernels.gemm(m: T, n: T, k: d, a: rows + h * d, lda: 3 * D, b: rows + D + h * d, ldb: 3 * D,
                                 transposeB: true, c: scores, ldc: T, alpha: scale)
                    MultiHeadAttention.maskedSoftmaxRows(scores, rows: T, valid: valid, offset: b * T)
                    // O_h = P·V_h  [T, d] into the context's columns h·d…
                    Kernels.gemm(m: T, n: d, k: T, a: scores, lda: T, b: rows + 2 * D + h * d, ldb: 3 * D,
                                 c: ctx + b * T * D + h * d, ldc: D)
                }
            }
        }}}
        return outProjection.forward(Tensor(shape: [B * T, D], scalars: context)).reshaped([B, T, D])
    }

    /// Row-wise softmax of `scores` `[rows, T]` over the valid keys `valid[offset ..< offset + T]`;
    /// padded keys get probability 0, and a row with no valid key is all 0.
    static func maskedSoftmaxRows(_ s: UnsafeMutablePointer<Float>, rows: Int, valid: [Bool], offset: Int) {
        let T = rows
        for i in 0..<rows {
            let row = s + i * T
            var top = -Float.infinity
            for j in 0..<T where valid[offset + j] { top = max(top, row[j]) }
            guard top > -Float.infinity else { row.update(repeating: 0, count: T); continue }
            var total: Float = 0
            for j in 0..<T {
                let e: Float = valid[offset + j] ? expf(row[j] - top) : 0
                row[j] = e
                total += e
            }
            let inv = 1 / total
            for j in 0..<T { row[j] *= inv }
        }
    }

    /// dY `[B, T, D]` → dX `[B, T, D]`. Per head: dV = Pᵀ·dO, dP = dO·Vᵀ,
    /// dS = P ⊙ (dP − Σ_j dP⊙P), dQ = dS·K·scale, dK = dSᵀ·Q·scale.
    public func backward(_ dY: Tensor) -> Tensor {
        let (B, T, D, H, d) = (batch, steps, dim, heads, headDim)
        precondition(B * T > 0 && dY.count == B * T * D, "attention backward before forward or with another batch")
        let dContext = outProjection.backward(dY.reshaped([B * T, D])).scalars
        var dQKV = [Float](repeating: 0, count: B * T * 3 * D)
        let scale = 1 / Float(d).squareRoot()
        qkv.withUnsafeBufferPointer { qp in
        probabilities.withUnsafeBufferPointer { pp in
        dContext.withUnsafeBufferPointer { dcp in
        dQKV.withUnsafeMutableBufferPointer { dqp in
            let q = qp.baseAddress!, p = pp.baseAddress!, dctx = dcp.baseAddress!, dq = dqp.baseAddress!
            Parallel.chunks(B * H, minimum: max(1, 4096 / max(T * T * d, 1))) { range in
                var dS = Kernels.uninitialized(T * T)
                dS.withUnsafeMutableBufferPointer { dsp in
                    let ds = dsp.baseAddress!
                    for bh in range {
                        let (b, h) = (bh / H, bh % H)
                        let rows = q + b * T * 3 * D, dRows = dq + b * T * 3 * D
                        let probs = p + bh * T * T, dO = dctx + b * T * D + h * d
                        // dV_h = Pᵀ·dO_h  [T, d]
                        Kernels.gemm(m: T, n: d, k: T, a: probs, lda: T, transposeA: true, b: dO, ldb: D,
                                     c: dRows + 2 * D + h * d, ldc: 3 * D)
                        // dP = dO_h·V_hᵀ  [T, T], then dS in place
                        Kernels.gemm(m: T, n: T, k: d, a: dO, lda: D, b: rows + 2 * D + h * d, ldb: 3 * D,
                                     transposeB: true, c: ds, ldc: T)
                        for i in 0..<T {
                            var dot: Float = 0
                            for j in 0..<T { dot += ds[i * T + j] * probs[i * T + j] }
                            for j in 0..<T { ds[i * T + j] = probs[i * T + j] * (ds[i * T + j] - dot) }
                        }
                        // dQ_h = dS·K_h·scale, dK_h = dSᵀ·Q_h·scale
                        Kernels.gemm(m: T, n: d, k: T, a: ds, lda: T, b: rows + D + h * d, ldb: 3 * D,
                                     c: dRows + h * d, ldc: 3 * D, alpha: scale)
                        Kernels.gemm(m: T, n: d, k: T, a: ds, lda: T, transposeA: true, b: rows + h * d, ldb: 3 * D,
                                     c: dRows + D + h * d, ldc: 3 * D, alpha: scale)
                    }
                }
            }
        }}}}
        return inProjection.backward(Tensor(shape: [B * T, 3 * D], scalars: dQKV)).reshaped([B, T, D])
    }

    /// Reference: the defining formulas as direct loops in Double (tests compare the GEMM path to it).
    public static func naiveForward(x: Tensor, valid: [Bool], inWeight: Tensor, inBias: Tensor,
                                    outWeight: Tensor, outBias: Tensor, heads H: Int) -> Tensor {
        let (B, T, D) = (x.shape[0], x.shape[1], x.shape[2]), d = D / H
        func proj(_ w: Tensor, _ bias: Tensor, _ input: [Double], rows: Int, inW: Int, outW: Int) -> [Double] {
            var y = [Double](repeating: 0, count: rows * outW)
            for r in 0..<rows { for o in 0..<outW {
                var s = Double(bias.scalars[o])
                for i in 0..<inW { s += Double(w.scalars[o * inW + i]) * input[r * inW + i] }
                y[r * outW + o] = s
            } }
            return y
        }
        let qkv = proj(inWeight, inBias, x.scalars.map(Double.init), rows: B * T, inW: D, outW: 3 * D)
        var ctx = [Double](repeating: 0, count: B * T * D)
        for b in 0..<B { for h in 0..<H { for i in 0..<T {
            var s = [Double](repeating: -.infinity, count: T)
            for j in 0..<T where valid[b * T + j] {
                var dot = 0.0
                for c in 0..<d { dot += qkv[(b * T + i) * 3 * D + h * d + c] * qkv[(b * T + j) * 3 * D + D + h * d + c] }
                s[j] = dot / Double(d).squareRoot()
            }
            guard let top = s.max(), top > -.infinity else { continue }
            let e = s.map { $0 == -.infinity ? 0 : exp($0 - top) }
            let total = e.reduce(0, +)
            for c in 0..<d {
                var o = 0.0
                for j in 0..<T { o += e[j] / total * qkv[(b * T + j) * 3 * D + 2 * D + h * d + c] }
                ctx[(b * T + i) * D + h * d + c] = o
            }
        } } }
        return Tensor(shape: [B, T, D], scalars: proj(outWeight, outBias, ctx, rows: B * T, inW: D, outW: D).map(Float.init))
    }
}
