import NeuralNets
import TensorCore

/// ONNX `Cast` target codes (TensorProto.DataType).
enum ElementType {
    static let float = 1, int32 = 6, int64 = 7, bool = 9
}

/// The graph pieces every architecture shares: Linear as Gemm, masked pooling over time.
/// Ops are those of the pinned opset (17): ReduceSum takes `axes` as an input, ReduceMax as an attribute.
extension GraphBuilder {
    /// `parameters[name].weight/bias` (PyTorch `nn.Linear`, weight `[out, in]`) as Gemm(x, W, b, transB = 1): `[N, in]` → `[N, out]`.
    mutating func linear(_ x: String, _ name: String, parameters: ParameterStore, output: String? = nil) -> String {
        let w = parameterInitializer("\(name).weight", parameters), b = parameterInitializer("\(name).bias", parameters)
        return op("Gemm", [x, w, b], output: output, [Attribute.int("transB", 1)])
    }

    /// `FrameFeatures` on frames `[B, T, V]` → `[B, T, W]`: the handshape distances as
    /// √((frames · A)² · S) with the pair-difference matrix A `[V, 3P]` and the pair-sum matrix S
    /// `[3P, P]` (V = 63, P = 55 for one hand), after the coordinates when both are asked for.
    /// Coordinates alone: unchanged.
    mutating func frameFeatures(_ frames: String, _ c: ModelConfig) -> String {
        guard c.features != [.coords] else { return frames }
        let layout = c.frameLayout, P = FrameFeatures.pairs(layout).count
        let a = floats("features.pair_difference", FrameFeatures.differenceMatrix(layout), shape: [layout.values, 3 * P])
        let s = floats("features.pair_sum", FrameFeatures.pairSumMatrix(layout), shape: [3 * P, P])
        let diff = op("MatMul", [frames, a])
        let distances = op("Sqrt", [op("MatMul", [op("Mul", [diff, diff]), s])])
        return c.features.contains(.coords) ? op("Concat", [frames, distances], [Attribute.int("axis", 2)]) : distances
    }

    /// Copies one parameter into an initializer of the same (PyTorch state_dict) name and shape.
    mutating func parameterInitializer(_ name: String, _ parameters: ParameterStore) -> String {
        guard let t = parameters.tensor(name) else { preconditionFailure("model has no parameter \(name)") }
        return floats(name, t.scalars, shape: t.shape)
    }

    /// Masked pooling over the last axis: z `[B, C, T]` → `[B, C]`, the ONNX form of `MaskedPooling`.
    /// `.mean`: Σ_t weight·z / max(Σ_t mask, 1) (`weight` `[B, T]` = mask, or 0 where the step is invalid);
    /// `.max`: max over steps where `valid` `[B, T]` (0/1 floats) is 1, 0 when a row has none.
    mutating func maskedPool(_ z: String, kind: SequencePooling, mask: String, weight: String, valid: String) -> String {
        let axis1 = int64s([1], hint: "axis_1")
        switch kind {
        case .mean, .last:
            let axisT = int64s([2], hint: "axis_t")
            let w = op("Unsqueeze", [weight, axis1])                                   // [B, 1, T]
            let sum = op("ReduceSum", [op("Mul", [z, w]), axisT], [Attribute.int("keepdims", 0)])
            let count = op("ReduceSum", [mask, axis1], [Attribute.int("keepdims", 1)])  // [B, 1]
            return op("Div", [sum, op("Max", [count, constant(1, hint: "one")])])
        case .max:
            let isValid = op("Cast", [op("Unsqueeze", [valid, axis1])], [Attribute.int("to", ElementType.bool)])
            let filled = op("Where", [isValid, z, constant(-Float.greatestFiniteMagnitude, hint: "lowest")])
            let pooled = op("ReduceMax", [filled], [Attribute.ints("axes", [2]), Attribute.int("keepdims", 0)])
            let any = op("Cast", [op("ReduceMax", [valid], [Attribute.ints("axes", [1]), Attribute.int("keepdims", 1)])],
                         [Attribute.int("to", ElementType.bool)])                      // [B, 1]
            return op("Where", [any, pooled, constant(0, hint: "zero")])
        }
    }

    /// mask `[B, T]` > 0.5 as 0/1 floats (the valid-step test of the LSTM and `.max`/`.last` pooling).
    mutating func validSteps(_ mask: String) -> String {
        op("Cast", [op("Greater", [mask, constant(0.5, hint: "half")])], [Attribute.int("to", ElementType.float)])
    }
}

/// The four architectures as ONNX graphs: inputs `landmarks` `[B, T, 21, 3]`, `mask` `[B, T]` →
/// `logits` `[B, C]`, equal to `forward(x, mask:, training: false)` for any mask.
enum ModelGraphs {
    static func build(_ model: SequenceClassifier, into g: inout GraphBuilder, landmarks: String, mask: String,
                      logits: String) throws {
        let c = model.config
        switch c.architecture {
        case .mlp: mlp(c, model.parameters, &g, landmarks, mask, logits)
        case .lstm: lstm(c, model.parameters, &g, landmarks, mask, logits)
        case .tcn: tcn(c, model.parameters, &g, landmarks, mask, logits)
        case .transformer: transformer(c, model.parameters, &g, landmarks, mask, logits)
        }
    }

    /// x·mask flattened `[B, T·F]` → (Gemm → Relu) × layers → Gemm. Dropout is the identity at inference.
    static func mlp(_ c: ModelConfig, _ p: ParameterStore, _ g: inout GraphBuilder, _ x: String, _ mask: String, _ logits: String) {
        let m = g.op("Unsqueeze", [mask, g.int64s([2, 3], hint: "axes_23")])          // [B, T, 1, 1]
        var masked = g.op("Mul", [x, m])
        if c.features != [.coords] {
            masked = g.frameFeatures(g.op("Reshape", [masked, g.int64s([0, 0, Int64(c.featureCount)], hint: "shape_btf")]), c)
        }
        var z = g.op("Flatten", [masked], [Attribute.int("axis", 1)])                    // [B, T·F]
        for l in 0..<c.layers { z = g.op("Relu", [g.linear(z, "net.\(3 * l)", parameters: p)]) }
        _ = g.linear(z, "net.\(3 * c.layers)", parameters: p, output: logits)
    }

    /// `[B, T, 21, 3]` → `[B, F, T]` → TemporalBlocks as causal dilated Conv (left pads (K−1)·d) → masked pool → Gemm.
    static func tcn(_ c: ModelConfig, _ p: ParameterStore, _ g: inout GraphBuilder, _ x: String, _ mask: String, _ logits: String) {
        let seq = g.frameFeatures(g.op("Reshape", [x, g.int64s([0, 0, Int64(c.featureCount)], hint: "shape_btf")]), c)
        var z = g.op("Transpose", [seq], [Attribute.ints("perm", [0, 2, 1])])
        for i in 0..<c.layers {
            let name = "blocks.\(i)", d = 1 << i
            func conv(_ input: String, _ part: String, kernel: Int, dilation: Int, g: inout GraphBuilder) -> String {
                let w = g.parameterInitializer("\(name).\(part).weight", p), b = g.parameterInitializer("\(name).\(part).bias", p)
                return g.op("Conv", [input, w, b], [Attribute.ints("kernel_shape", [kernel]), Attribute.ints("dilations", [dilation]),
                                                    Attribute.ints("pads", [(kernel - 1) * dilation, 0]), Attribute.ints("strides", [1])])
            }
            let y1 = g.op("Relu", [conv(z, "conv1", kernel: c.kernelSize, dilation: d, g: &g)])
            let y2 = g.op("Relu", [conv(y1, "conv2", kernel: c.kernelSize, dilation: d, g: &g)])
            let residual = p.view(named: "\(name).down.weight") != nil ? conv(z, "down", kernel: 1, dilation: 1, g: &g) : z
            z = g.op("Relu", [g.op("Add", [y2, residual])])
        }
        let pooled = g.maskedPool(z, kind: c.pooling == .max ? .max : .mean, mask: mask, weight: mask, valid: g.validSteps(mask))
        _ = g.linear(pooled, "head", parameters: p, output: logits)
    }

    /// `TransformerClassifier`: causal Conv stem on `[B, F, T]`, + pos[0..<T] (Slice by the input's
    /// T), then per encoder layer LayerNormalization → MatMul to Q, K, V `[B, H, T, d]` →
    /// Softmax(Q·Kᵀ/√d + key bias) · V → MatMul out_proj, residual; LayerNormalization → MatMul →
    /// GELU (exact, as ½x(1 + Erf(x/√2)): opset 17 has no Gelu) → MatMul, residual. The key bias is
    /// −10⁹ on padded frames (not −∞, so a sequence with no valid frame stays finite: it pools to 0
    /// either way). Final LayerNormalization, masked pool, Gemm head.
    static func transformer(_ c: ModelConfig, _ p: ParameterStore, _ g: inout GraphBuilder, _ x: String, _ mask: String, _ logits: String) {
        let D = c.hiddenDim, H = c.heads, d = D / H, K = c.kernelSize
        let seq = g.frameFeatures(g.op("Reshape", [x, g.int64s([0, 0, Int64(c.featureCount)], hint: "shape_btf")]), c)
        let w = g.parameterInitializer("stem.weight", p), b = g.parameterInitializer("stem.bias", p)
        let stem = g.op("Conv", [g.op("Transpose", [seq], [Attribute.ints("perm", [0, 2, 1])]), w, b],
                        [Attribute.ints("kernel_shape", [K]), Attribute.ints("dilations", [1]),
                         Attribute.ints("pads", [K - 1, 0]), Attribute.ints("strides", [1])])        // [B, D, T]
        let steps = g.op("Shape", [mask], [Attribute.int("start", 1), Attribute.int("end", 2)])       // [1] = T
        let pos = g.op("Slice", [g.parameterInitializer("pos", p), g.int64s([0], hint: "zero"), steps, g.int64s([0], hint: "axis_0")])
        var z = g.op("Add", [g.op("Transpose", [stem], [Attribute.ints("perm", [0, 2, 1])]), pos])     // [B, T, D]
        // key bias [B, 1, 1, T]: 0 on valid frames, −1e9 on padded ones
        let valid = g.validSteps(mask)
        let keyBias = g.op("Unsqueeze", [g.op("Mul", [g.op("Sub", [valid, g.constant(1, hint: "one")]), g.constant(1e9, hint: "big")]),
                                         g.int64s([1, 2], hint: "axes_12")])
        func layerNorm(_ input: String, _ name: String, g: inout GraphBuilder) -> String {
            g.op("LayerNormalization", [input, g.parameterInitializer("\(name).weight", p), g.parameterInitializer("\(name).bias", p)],
                 [Attribute.int("axis", -1), Attribute.float("epsilon", 1e-5)])
        }
        /// x `[B, T, in]`·Wᵀ + b: the PyTorch-named W `[out, in]` through a Transpose (folded by runtimes).
        func dense(_ input: String, _ weight: String, _ bias: String, g: inout GraphBuilder) -> String {
            let wt = g.op("Transpose", [g.parameterInitializer(weight, p)])
            return g.op("Add", [g.op("MatMul", [input, wt]), g.parameterInitializer(bias, p)])
        }
        for l in 0..<c.layers {
            let name = "layers.\(l)", a = "\(name).self_attn"
            let qkv = dense(layerNorm(z, "\(name).norm1", g: &g), "\(a).in_proj_weight", "\(a).in_proj_bias", g: &g)   // [B, T, 3D]
            let heads = g.op("Transpose", [g.op("Reshape", [qkv, g.int64s([0, 0, 3, Int64(H), Int64(d)], hint: "shape_qkv")])],
                             [Attribute.ints("perm", [2, 0, 3, 1, 4])])                                                   // [3, B, H, T, d]
            func part(_ i: Int64, g: inout GraphBuilder) -> String {
                g.op("Gather", [heads, g.int64s([i], shape: [], hint: "index")], [Attribute.int("axis", 0)])
            }
            let q = part(0, g: &g), k = part(1, g: &g), v = part(2, g: &g)
            let scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], [Attribute.ints("perm", [0, 1, 3, 2])])]),
                                                   g.constant(1 / Float(d).squareRoot(), hint: "scale")]), keyBias])
            let attended = g.op("MatMul", [g.op("Softmax", [scores], [Attribute.int("axis", -1)]), v])                    // [B, H, T, d]
            let merged = g.op("Reshape", [g.op("Transpose", [attended], [Attribute.ints("perm", [0, 2, 1, 3])]),
                                          g.int64s([0, 0, Int64(D)], hint: "shape_btd")])
            let h = g.op("Add", [z, dense(merged, "\(a).out_proj.weight", "\(a).out_proj.bias", g: &g)])
            let u = dense(layerNorm(h, "\(name).norm2", g: &g), "\(name).linear1.weight", "\(name).linear1.bias", g: &g)
            let gelu = g.op("Mul", [g.op("Mul", [u, g.constant(0.5, hint: "half")]),
                                    g.op("Add", [g.op("Erf", [g.op("Mul", [u, g.constant(0.70710678, hint: "rsqrt2")])]),
                                                 g.constant(1, hint: "one")])])
            z = g.op("Add", [h, dense(gelu, "\(name).linear2.weight", "\(name).linear2.bias", g: &g)])
        }
        let features = g.op("Transpose", [layerNorm(z, "norm", g: &g)], [Attribute.ints("perm", [0, 2, 1])])               // [B, D, T]
        let pooled = g.maskedPool(features, kind: c.pooling == .max ? .max : .mean, mask: mask, weight: mask, valid: valid)
        _ = g.linear(pooled, "head", parameters: p, output: logits)
    }

    /// Packed-sequence LSTM: valid frames compacted to the front (TopK on valid·(T − t) gives their
    /// indices in order, GatherElements moves them), then ONNX `LSTM` per layer with
    /// `sequence_lens` = number of valid frames, so state is held across masked frames exactly as
    /// in `LSTMClassifier`. The reverse direction starts at each row's last valid frame (ONNX
    /// reverses within sequence_lens). Pooling `.last` = Y_h of the top layer; `.mean`/`.max` pool Y.
    static func lstm(_ c: ModelConfig, _ p: ParameterStore, _ g: inout GraphBuilder, _ x: String, _ mask: String, _ logits: String) {
        let H = c.hiddenDim, D = c.bidirectional ? 2 : 1
        let seq = g.frameFeatures(g.op("Reshape", [x, g.int64s([0, 0, Int64(c.featureCount)], hint: "shape_btf")]), c)    // [B, T, F]
        let valid = g.validSteps(mask)                                                                // [B, T]
        // Compaction order: key = valid·(T − t) is distinct and positive on valid steps, 0 elsewhere.
        let steps = g.op("Shape", [mask], [Attribute.int("start", 1), Attribute.int("end", 2)])      // [1] = T
        let t = g.op("Cast", [g.op("Range", [g.int64s([0], shape: [], hint: "zero_i"), g.op("Squeeze", [steps]),
                                             g.int64s([1], shape: [], hint: "one_i")])], [Attribute.int("to", ElementType.float)])
        let stepsF = g.op("Cast", [steps], [Attribute.int("to", ElementType.float)])
        let key = g.op("Mul", [valid, g.op("Sub", [stepsF, t])])
        let order = g.node("TopK", [key, steps], outputCount: 2,
                           [Attribute.int("axis", 1), Attribute.int("largest", 1), Attribute.int("sorted", 1)])[1]  // [B, T] int64
        let orderF = g.op("Expand", [g.op("Unsqueeze", [order, g.int64s([2], hint: "axis_2")]), g.op("Shape", [seq])])
        let packed = g.op("GatherElements", [seq, orderF], [Attribute.int("axis", 1)])              // [B, T, F]
        let packedValid = g.op("GatherElements", [valid, order], [Attribute.int("axis", 1)])
        let packedMask = g.op("GatherElements", [mask, order], [Attribute.int("axis", 1)])
        let lengths = g.op("Cast", [g.op("ReduceSum", [valid, g.int64s([1], hint: "axis_1")], [Attribute.int("keepdims", 0)])],
                           [Attribute.int("to", ElementType.int32)])                                 // [B]
        var input = g.op("Transpose", [packed], [Attribute.ints("perm", [1, 0, 2])])                // [T, B, F]
        var y = "", yh = ""
        for l in 0..<c.layers {
            let (w, r, b) = lstmInitializers(p, layer: l, directions: D, hidden: H, &g)
            let outs = g.node("LSTM", [input, w, r, b, lengths], outputCount: 2,
                              [Attribute.int("hidden_size", H), Attribute.string("direction", D == 2 ? "bidirectional" : "forward")])
            (y, yh) = (outs[0], outs[1])                                                             // [T, D, B, H], [D, B, H]
            input = g.op("Reshape", [g.op("Transpose", [y], [Attribute.ints("perm", [0, 2, 1, 3])]),
                                     g.int64s([0, 0, -1], hint: "shape_tb_dh")])                     // [T, B, D·H]
        }
        let pooled: String
        if c.pooling == .last {
            pooled = g.op("Reshape", [g.op("Transpose", [yh], [Attribute.ints("perm", [1, 0, 2])]),
                                      g.int64s([0, -1], hint: "shape_b_dh")])                        // [B, D·H]
        } else {
            let z = g.op("Reshape", [g.op("Transpose", [y], [Attribute.ints("perm", [2, 1, 3, 0])]),
                                     g.int64s([0, Int64(D * H), -1], hint: "shape_b_dh_t")])         // [B, D·H, T]
            pooled = g.maskedPool(z, kind: c.pooling, mask: mask, weight: g.op("Mul", [packedMask, packedValid]),
                                  valid: packedValid)
        }
        _ = g.linear(pooled, "head", parameters: p, output: logits)
    }

    /// ONNX names of layer l's stacked weights: W `[D, 4H, in]`, R `[D, 4H, H]`, B `[D, 8H]` (Wb then Rb).
    static func lstmNames(layer l: Int) -> (w: String, r: String, b: String) {
        ("lstm.l\(l).W", "lstm.l\(l).R", "lstm.l\(l).B")
    }

    /// PyTorch `lstm.weight_ih_l{l}[_reverse]` … for direction d.
    static func torchNames(layer l: Int, direction d: Int) -> (ih: String, hh: String, bih: String, bhh: String) {
        let s = "_l\(l)" + (d == 1 ? "_reverse" : "")
        return ("lstm.weight_ih\(s)", "lstm.weight_hh\(s)", "lstm.bias_ih\(s)", "lstm.bias_hh\(s)")
    }

    static func lstmInitializers(_ p: ParameterStore, layer l: Int, directions D: Int, hidden H: Int,
                                 _ g: inout GraphBuilder) -> (String, String, String) {
        var w: [Float] = [], r: [Float] = [], b: [Float] = []
        var inputSize = 0
        for d in 0..<D {
            let n = torchNames(layer: l, direction: d)
            let ih = p.tensor(n.ih)!
            inputSize = ih.shape[1]
            w += LSTMWeightLayout.toONNX(ih.scalars, hidden: H)
            r += LSTMWeightLayout.toONNX(p.tensor(n.hh)!.scalars, hidden: H)
            b += LSTMWeightLayout.toONNX(p.tensor(n.bih)!.scalars, hidden: H) + LSTMWeightLayout.toONNX(p.tensor(n.bhh)!.scalars, hidden: H)
        }
        let names = lstmNames(layer: l)
        return (g.floats(names.w, w, shape: [D, 4 * H, inputSize]), g.floats(names.r, r, shape: [D, 4 * H, H]),
                g.floats(names.b, b, shape: [D, 8 * H]))
    }
}
