import NeuralNets
import TFLiteRuntime

/// LSTM unrolled over time with builtin ops, so masked frames behave exactly as PyTorch packed
/// sequences (UNIDIRECTIONAL_SEQUENCE_LSTM would update its state on padded frames). Per step t of
/// each direction, with m = mask[:, t] and PyTorch's gate order i, f, g, o:
///   a_k = FULLY_CONNECTED([x_t, h], [W_ih,k | W_hh,k], b_ih,k + b_hh,k)   (x_t alone at the first step: h₀ = 0)
///   c' = σ(a_f)·c + σ(a_i)·tanh(a_g),  h' = σ(a_o)·tanh(c')
///   c = m·c' + (1−m)·c,  h = m·h' + (1−m)·h        (state held on masked frames; exact for m ∈ {0, 1})
/// The reverse direction walks t = T−1 … 0. Pooling `.last` = the final held state of each direction
/// (forward: at the last valid frame; reverse: after reading back to the first valid frame);
/// `.mean` / `.max` pool the stacked outputs over valid frames.
enum LSTMGraph {
    static func build(_ g: inout GraphBuilder, _ c: ModelConfig, _ w: WeightSource, landmarks: Int, mask: Int) throws -> Int {
        let B = g.shape(landmarks)[0], T = c.sequenceLength, H = c.hiddenDim
        let x3 = g.reshape(g.frameFeatures(landmarks, c), [B, T, c.frameWidth], name: "frames")
        let mask3 = g.reshape(mask, [B, T, 1], name: "mask3")
        let inverse3 = g.binary(.sub, g.constant("one", [1], [1]), mask3, name: "unmask3")
        let m = (0..<T).map { g.take(mask3, index: $0, axis: 1, name: "m\($0)") }           // [B, 1] each
        let u = (0..<T).map { g.take(inverse3, index: $0, axis: 1, name: "u\($0)") }
        var sequence = (0..<T).map { g.take(x3, index: $0, axis: 1, name: "x\($0)") }     // [B, in] each
        var finals: [Int] = []
        let directions = c.bidirectional ? 2 : 1
        for l in 0..<c.layers {
            var outputs: [[Int]] = []
            finals = []
            for d in 0..<directions {
                let suffix = "_l\(l)" + (d == 1 ? "_reverse" : "")
                let cell = Cell(weightIH: try w("lstm.weight_ih\(suffix)"), weightHH: try w("lstm.weight_hh\(suffix)"),
                                bias: zip(try w("lstm.bias_ih\(suffix)"), try w("lstm.bias_hh\(suffix)")).map { $0 + $1 },
                                hidden: H, name: "lstm\(suffix)")
                let (hs, last) = cell.unroll(&g, sequence, mask: m, unmask: u, reverse: d == 1)
                outputs.append(hs)
                finals.append(last)
            }
            sequence = (0..<T).map { t in
                directions == 1 ? outputs[0][t] : g.concatenate([outputs[0][t], outputs[1][t]], axis: 1, name: "l\(l)_out\(t)")
            }
        }
        let pooled: Int
        switch c.pooling {
        case .last:
            pooled = finals.count == 1 ? finals[0] : g.concatenate(finals, axis: 1, name: "final")
        case .mean, .max:
            // Outputs stacked to [B, T, D·H] (RESHAPE to [B, 1, D·H] + CONCATENATION), then pooled over valid frames.
            let width = g.shape(sequence[0])[1]
            let stacked = g.concatenate(sequence.map { g.reshape($0, [B, 1, width], name: "step") }, axis: 1, name: "outputs")
            pooled = c.pooling == .mean ? g.maskedMean(stacked, mask3, steps: T) : g.maskedMax(stacked, mask3, steps: T)
        }
        let logits = g.named("logits", [B, c.classCount])
        return g.fullyConnected(pooled, weight: try w("head.weight"), bias: try w("head.bias"), out: c.classCount, name: "head", output: logits)
    }

    /// One direction of one layer, weights split per gate.
    struct Cell {
        let inputWeights: [[Float]]     // per gate [H, in]
        let joinedWeights: [[Float]]    // per gate [H, in + H]
        let biases: [[Float]]           // per gate [H]
        let hidden: Int
        let name: String

        init(weightIH: [Float], weightHH: [Float], bias: [Float], hidden H: Int, name: String) {
            let inCount = weightIH.count / (4 * H)
            var inputs: [[Float]] = [], joined: [[Float]] = [], biases: [[Float]] = []
            for k in 0..<4 {
                var wi: [Float] = [], wj: [Float] = []
                for r in (k * H)..<((k + 1) * H) {
                    let xi = weightIH[(r * inCount)..<((r + 1) * inCount)], hh = weightHH[(r * H)..<((r + 1) * H)]
                    wi += xi
                    wj += xi; wj += hh
                }
                inputs.append(wi); joined.append(wj)
                biases.append(Array(bias[(k * H)..<((k + 1) * H)]))
            }
            inputWeights = inputs; joinedWeights = joined; self.biases = biases; hidden = H; self.name = name
        }

        /// Returns h after every time step (indexed by t) and the final state.
        func unroll(_ g: inout GraphBuilder, _ xs: [Int], mask m: [Int], unmask u: [Int], reverse: Bool) -> ([Int], Int) {
            let T = xs.count
            // Each gate's two weight sets are stored once and shared by all T steps.
            let first = (0..<4).map { g.denseLayer(weight: inputWeights[$0], bias: biases[$0], out: hidden, name: "\(name)_gate\($0)_x") }
            let joined = (0..<4).map { g.denseLayer(weight: joinedWeights[$0], bias: biases[$0], out: hidden, name: "\(name)_gate\($0)_xh") }
            var h: Int?, cState: Int?
            var hs = [Int](repeating: -1, count: T)
            for s in 0..<T {
                let t = reverse ? T - 1 - s : s
                let p = "\(name)_t\(t)"
                let input = h.map { g.concatenate([xs[t], $0], axis: 1, name: p + "_in") } ?? xs[t]
                let gate = (0..<4).map { k in
                    g.fullyConnected(input, h == nil ? first[k] : joined[k], name: "\(p)_gate\(k)")
                }
                let i = g.unary(.logistic, gate[0], name: p + "_i"), gg = g.unary(.tanh, gate[2], name: p + "_g")
                let o = g.unary(.logistic, gate[3], name: p + "_o")
                var cNew = g.binary(.mul, i, gg, name: p + "_ig")
                if let cPrev = cState {
                    let f = g.unary(.logistic, gate[1], name: p + "_f")
                    cNew = g.binary(.add, g.binary(.mul, f, cPrev, name: p + "_fc"), cNew, name: p + "_cnew")
                }
                let hNew = g.binary(.mul, o, g.unary(.tanh, cNew, name: p + "_tc"), name: p + "_hnew")
                cState = blend(&g, cNew, cState, m[t], u[t], name: p + "_c")
                h = blend(&g, hNew, h, m[t], u[t], name: p + "_h")
                hs[t] = h!
            }
            return (hs, h!)
        }

        /// m·new + (1−m)·old (old = 0 before the first step).
        func blend(_ g: inout GraphBuilder, _ new: Int, _ old: Int?, _ m: Int, _ u: Int, name: String) -> Int {
            let kept = g.binary(.mul, new, m, name: name + "_new")
            guard let old else { return kept }
            return g.binary(.add, kept, g.binary(.mul, old, u, name: name + "_old"), name: name)
        }
    }
}
