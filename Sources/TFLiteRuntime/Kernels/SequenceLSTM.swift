import Foundation
import TensorCore

/// UNIDIRECTIONAL_SEQUENCE_LSTM (float; no peephole, projection or layer norm; CIFG allowed).
/// Inputs follow tensorflow/lite/kernels/lstm_shared.h: 0 x [B,T,I] (or [T,B,I] time-major),
/// 1–4 input weights W_{i,f,c,o} [N,I], 5–8 recurrent weights R_{i,f,c,o} [N,O], 9–11 peepholes,
/// 12–15 biases [N], 16–17 projection, 18 output state [B,O], 19 cell state [B,N], 20–23 layer norm.
/// Gates: i,f,o = σ(W·x + R·h + b), g = act(W_c·x + R_c·h + b_c); c = f⊙c + i⊙g (clipped when
/// cell_clip > 0); h = o ⊙ act(c). With CIFG (no input gate weights) i = 1 − f.
///
/// State: every invocation starts from zero state (a classifier runs a whole sequence per call);
/// LiteRT instead carries the variable state tensors over between calls until they are reset.
final class SequenceLSTMKernel: Kernel {
    let batch: Int, steps: Int, inputSize: Int, units: Int
    let timeMajor: Bool
    let cifg: Bool
    let cellClip: Float
    let activation: FusedActivation
    let inputWeights: FloatBuffer      // [I, 4N]: gate blocks i, f, g, o (i block zero under CIFG)
    let recurrentWeights: FloatBuffer  // [N, 4N]
    let bias: FloatBuffer              // [4N]
    let preactivations: FloatBuffer    // [B·T, 4N]: W·x + b for every step at once
    let gates: FloatBuffer             // [B, 4N]
    let hidden: FloatBuffer            // [B, N]
    let cell: FloatBuffer              // [B, N]

    init(_ op: OpContext) throws {
        guard op.op.inputs.count == 20 || op.op.inputs.count == 24, op.op.outputs.count >= 1 else {
            throw op.fail("needs 20 or 24 inputs, has \(op.op.inputs.count)")
        }
        guard case let .unidirectionalSequenceLSTM(o) = op.op.options else { throw op.fail("missing UnidirectionalSequenceLSTMOptions") }
        for (i, what) in [(9, "peephole"), (10, "peephole"), (11, "peephole"), (16, "projection"), (17, "projection bias")]
            where op.optionalInput(i) != nil {
            throw op.fail("\(what) input \(i) is not supported")
        }
        if op.op.inputs.count == 24, (20...23).contains(where: { op.optionalInput($0) != nil }) {
            throw op.fail("layer-norm LSTM is not supported")
        }
        guard o.projClip == 0 else { throw op.fail("proj_clip without projection") }
        guard [.tanh, .relu, .relu6, .none].contains(o.activation) else { throw op.fail("activation \(o.activation) is not supported") }
        let x = try op.input(0), out = try op.output(0), xs = op.shape(x)
        guard xs.count == 3 else { throw op.shapeError("input \(xs) is not rank 3") }
        timeMajor = o.timeMajor
        (steps, batch) = timeMajor ? (xs[0], xs[1]) : (xs[1], xs[0])
        inputSize = xs[2]
        let forget = op.shape(try op.input(2))
        guard forget.count == 2, forget[1] == inputSize else { throw op.shapeError("input weights \(forget) vs input \(xs)") }
        units = forget[0]
        cifg = op.optionalInput(1) == nil
        cellClip = o.cellClip
        activation = o.activation
        try op.expectOutputShape(timeMajor ? [steps, batch, units] : [batch, steps, units], out)
        let n = units
        var w = [Float](repeating: 0, count: inputSize * 4 * n), r = [Float](repeating: 0, count: n * 4 * n)
        var b = [Float](repeating: 0, count: 4 * n)
        for gate in 0..<4 {
            if gate == 0 && cifg { continue }
            let wi = try op.constantFloats(1 + gate, count: n * inputSize, what: "input weights \(gate)")
            let ri = try op.constantFloats(5 + gate, count: n * n, what: "recurrent weights \(gate)")
            let bi = try op.constantFloats(12 + gate, count: n, what: "bias \(gate)")
            for u in 0..<n {
                for k in 0..<inputSize { w[k * 4 * n + gate * n + u] = wi[u * inputSize + k] }
                for k in 0..<n { r[k * 4 * n + gate * n + u] = ri[u * n + k] }
                b[gate * n + u] = bi[u]
            }
        }
        inputWeights = FloatBuffer(w); recurrentWeights = FloatBuffer(r); bias = FloatBuffer(b)
        preactivations = FloatBuffer(count: batch * steps * 4 * n)
        gates = FloatBuffer(count: batch * 4 * n)
        hidden = FloatBuffer(count: batch * n)
        cell = FloatBuffer(count: batch * n)
        super.init(op, inputs: [x], outputs: [out])
    }

    @inline(__always) private func act(_ v: Float) -> Float {
        switch activation {
        case .tanh: return Foundation.tanh(v)
        case .relu: return max(v, 0)
        case .relu6: return min(max(v, 0), 6)
        default: return v
        }
    }

    @inline(__always) private func sigmoid(_ v: Float) -> Float { 1 / (1 + Foundation.exp(-v)) }

    override func run(threads: Int) {
        let n = units, g4 = 4 * n, x = inputs[0], y = outputs[0]
        let pre = preactivations.pointer, gate = gates.pointer, h = hidden.pointer, c = cell.pointer
        // Rows of `pre` follow the input's own layout ([B,T] or [T,B]).
        MatMul.gemm(m: batch * steps, n: g4, k: inputSize, a: x, b: inputWeights.pointer, c: pre)
        h.update(repeating: 0, count: batch * n)
        c.update(repeating: 0, count: batch * n)
        for t in 0..<steps {
            // gates [B,4N] = h · R + pre(t) + b
            MatMul.gemm(m: batch, n: g4, k: n, a: h, b: recurrentWeights.pointer, c: gate)
            for bIndex in 0..<batch {
                let row = timeMajor ? t * batch + bIndex : bIndex * steps + t
                let p = pre + row * g4, gr = gate + bIndex * g4
                for j in 0..<g4 { gr[j] += p[j] + bias.pointer[j] }
                let out = y + row * n
                for u in 0..<n {
                    let f = sigmoid(gr[n + u])
                    let i = cifg ? 1 - f : sigmoid(gr[u])
                    let candidate = act(gr[2 * n + u])
                    let o = sigmoid(gr[3 * n + u])
                    var state = f * c[bIndex * n + u] + i * candidate
                    if cellClip > 0 { state = min(max(state, -cellClip), cellClip) }
                    c[bIndex * n + u] = state
                    let hidden = o * act(state)
                    h[bIndex * n + u] = hidden
                    out[u] = hidden
                }
            }
        }
    }
}
