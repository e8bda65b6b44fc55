import TensorCore

/// PyTorch `nn.TransformerEncoderLayer(D, H, dim_feedforward=F, activation="gelu",
/// batch_first=True, norm_first=True)`, the pre-norm block (Xiong et al. 2020, "On Layer
/// Normalization in the Transformer Architecture"):
///   h = x + drop(attention(norm1(x), key padding mask)),
///   y = h + drop(linear2(drop(gelu(linear1(norm2(h)))))).
/// x `[B, T, D]`, valid `[B, T]` → y `[B, T, D]`. Parameter names are PyTorch's
/// (`self_attn.in_proj_weight`, `linear1.weight`, `norm1.weight`, …) in its registration order.
public final class TransformerEncoderLayer {
    public let attention: MultiHeadAttention
    let linear1: Linear
    let linear2: Linear
    let norm1: LayerNorm
    let norm2: LayerNorm
    let gelu = ActivationLayer(.gelu)
    let dropAttention: Dropout, dropHidden: Dropout, dropFeedForward: Dropout
    private var shape: [Int] = []

    public init(_ name: String, dim: Int, heads: Int, feedForward: Int, dropout: Float,
                store: ParameterStore, rng: inout SeededRandom, dropoutSeed: UInt64 = 0) {
        attention = MultiHeadAttention("\(name).self_attn", dim: dim, heads: heads, store: store, rng: &rng)
        linear1 = Linear("\(name).linear1", in: dim, out: feedForward, store: store, rng: &rng)
        linear2 = Linear("\(name).linear2", in: feedForward, out: dim, store: store, rng: &rng)
        norm1 = LayerNorm("\(name).norm1", dim: dim, store: store)
        norm2 = LayerNorm("\(name).norm2", dim: dim, store: store)
        dropAttention = Dropout(dropout, seed: dropoutSeed)
        dropHidden = Dropout(dropout, seed: dropoutSeed &+ 0x5151)
        dropFeedForward = Dropout(dropout, seed: dropoutSeed &+ 0xA2A2)
    }

    public func forward(_ x: Tensor, valid: Tensor, training: Bool) -> Tensor {
        shape = x.shape
        var h = dropAttention.forward(attention.forward(norm1.forward(x), valid: valid), training: training)
        h.addScaled(x)
        let hidden = dropHidden.forward(gelu.forward(linear1.forward(norm2.forward(h))), training: training)
        var y = dropFeedForward.forward(linear2.forward(hidden), training: training)
        y.addScaled(h)
        return y.reshaped(shape)
    }

    /// dY → dX: each residual branch's gradient added to the identity path's.
    public func backward(_ dY: Tensor) -> Tensor {
        let dFF = dropFeedForward.backward(dY)
        var dH = norm2.backward(linear1.backward(gelu.backward(dropHidden.backward(linear2.backward(dFF))))).reshaped(shape)
        dH.addScaled(dY)
        var dX = norm1.backward(attention.backward(dropAttention.backward(dH))).reshaped(shape)
        dX.addScaled(dH)
        return dX
    }
}
