import NeuralNets
import TFLiteRuntime

/// `TransformerClassifier` in builtin operators. Frames are rows `[B·T, D]` wherever a layer acts
/// per frame (FULLY_CONNECTED, LayerNorm); attention reshapes them to heads `[B, H, T, d]`:
///   stem: PAD + CONV_2D (causal, as the TCN's convolutions), + pos `[T, D]`;
///   LayerNorm: MEAN, SUB, MUL, MEAN, ADD ε, RSQRT, MUL, MUL γ, ADD β (no builtin before LiteRT's
///     StableHLO ops);
///   attention: Q, K, V as three FULLY_CONNECTED (the in_proj rows split; 1/√d folded into Q's
///     weights and bias), TRANSPOSE to heads (K straight to `[B, H, d, T]`), BATCH_MATMUL, ADD the
///     key bias (mask − 1)·10⁹ `[B, 1, 1, T]`, SOFTMAX, BATCH_MATMUL, TRANSPOSE back, out_proj;
///   feed-forward: FULLY_CONNECTED, GELU (exact), FULLY_CONNECTED; residual ADDs;
///   final LayerNorm, masked mean (or max) over frames, the FULLY_CONNECTED head.
enum TransformerGraph {
    static func build(_ g: inout GraphBuilder, _ c: ModelConfig, _ w: WeightSource, landmarks: Int, mask: Int) throws -> Int {
        let B = g.shape(landmarks)[0], T = c.sequenceLength, D = c.hiddenDim, H = c.heads, d = D / H
        let frames = g.reshape(g.frameFeatures(landmarks, c), [B, 1, T, c.frameWidth], name: "frames")
        let stem = TCNGraph.conv(&g, frames, try w("stem.weight"), try w("stem.bias"), cin: c.frameWidth, out: D,
                                 K: c.kernelSize, dilation: 1, relu: false, name: "stem")
        let positioned = g.binary(.add, g.reshape(stem, [B, T, D], name: "stem_btd"), g.weight("pos", [T, D], try w("pos")), name: "positioned")
        var z = g.reshape(positioned, [B * T, D], name: "rows")
        let keyBias = g.reshape(g.binary(.mul, g.binary(.sub, mask, g.constant("one", [1], [1]), name: "mask_minus_one"),
                                         g.constant("big", [1], [1e9]), name: "key_bias"), [B, 1, 1, T], name: "key_bias4")
        for l in 0..<c.layers {
            let p = "layers.\(l)", a = "\(p).self_attn"
            let inW = try w("\(a).in_proj_weight"), inB = try w("\(a).in_proj_bias")
            let x = layerNorm(&g, z, try w("\(p).norm1.weight"), try w("\(p).norm1.bias"), name: "\(p).norm1")
            let scale = 1 / Float(d).squareRoot()
            func projection(_ part: Int, factor: Float) -> Int {
                let rows = Array(inW[(part * D * D)..<((part + 1) * D * D)]).map { $0 * factor }
                let bias = Array(inB[(part * D)..<((part + 1) * D)]).map { $0 * factor }
                return g.fullyConnected(x, weight: rows, bias: bias, out: D, name: "\(a).\(["q", "k", "v"][part])")
            }
            func heads(_ rows: Int, _ perm: [Int], _ name: String) -> Int {
                g.transpose(g.reshape(rows, [B, T, H, d], name: name + "_split"), perm, name: name)
            }
            let q = heads(projection(0, factor: scale), [0, 2, 1, 3], "\(a).q_heads")     // [B, H, T, d]
            let k = heads(projection(1, factor: 1), [0, 2, 3, 1], "\(a).k_heads")         // [B, H, d, T]
            let v = heads(projection(2, factor: 1), [0, 2, 1, 3], "\(a).v_heads")         // [B, H, T, d]
            let scores = g.binary(.add, g.batchMatMul(q, k, name: "\(a).scores"), keyBias, name: "\(a).masked_scores")
            let probabilities = g.unary(.softmax, scores, name: "\(a).probabilities", .softmax(beta: 1))
            let attended = g.transpose(g.batchMatMul(probabilities, v, name: "\(a).attended"), [0, 2, 1, 3], name: "\(a).merged")
            let out = g.fullyConnected(g.reshape(attended, [B * T, D], name: "\(a).rows"), weight: try w("\(a).out_proj.weight"),
                                       bias: try w("\(a).out_proj.bias"), out: D, name: "\(a).out_proj")
            let h = g.binary(.add, z, out, name: "\(p).attention_residual")
            let u = g.fullyConnected(layerNorm(&g, h, try w("\(p).norm2.weight"), try w("\(p).norm2.bias"), name: "\(p).norm2"),
                                     weight: try w("\(p).linear1.weight"), bias: try w("\(p).linear1.bias"),
                                     out: TransformerClassifier.feedForwardFactor * D, name: "\(p).linear1")
            let gelu = g.unary(.gelu, u, name: "\(p).gelu", .gelu(approximate: false))
            let f = g.fullyConnected(gelu, weight: try w("\(p).linear2.weight"), bias: try w("\(p).linear2.bias"), out: D, name: "\(p).linear2")
            z = g.binary(.add, h, f, name: "\(p).out")
        }
        let features = g.reshape(layerNorm(&g, z, try w("norm.weight"), try w("norm.bias"), name: "norm"), [B, T, D], name: "features")
        let mask3 = g.reshape(mask, [B, T, 1], name: "mask3")
        let pooled = c.pooling == .max ? g.maskedMax(features, mask3, steps: T) : g.maskedMean(features, mask3, steps: T)
        let logits = g.named("logits", [B, c.classCount])
        return g.fullyConnected(pooled, weight: try w("head.weight"), bias: try w("head.bias"), out: c.classCount, name: "head", output: logits)
    }

    /// PyTorch LayerNorm (ε = 1e-5, biased variance) over the last axis of rows `[N, D]`.
    static func layerNorm(_ g: inout GraphBuilder, _ x: Int, _ gamma: [Float], _ beta: [Float], name: String) -> Int {
        let axis = g.shape(x).count - 1
        let centered = g.binary(.sub, x, g.reduce(x, axes: [axis], keepDims: true, name: name + "_mean"), name: name + "_centered")
        let variance = g.reduce(g.binary(.mul, centered, centered, name: name + "_squares"), axes: [axis], keepDims: true, name: name + "_var")
        let inverse = g.unary(.rsqrt, g.binary(.add, variance, g.constant("eps", [1], [1e-5]), name: name + "_var_eps"), name: name + "_rstd")
        let scaled = g.binary(.mul, g.binary(.mul, centered, inverse, name: name + "_normalised"), g.weight(name + "_gamma", [gamma.count], gamma),
                              name: name + "_scaled")
        return g.binary(.add, scaled, g.weight(name + "_beta", [beta.count], beta), name: name)
    }
}
