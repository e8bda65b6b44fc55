import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// One LSTM layer in one direction over a masked, time-major batch (PyTorch `nn.LSTM` cell, gate
/// order i, f, g, o; torch/nn/modules/rnn.py):
///   gates = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh,  c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g),  h_t = σ(o)⊙tanh(c_t).
/// x `[T, B, in]`, mask `[T, B]` → h `[T, B, H]`. Packed-sequence semantics: at a padded step
/// (mask 0) the state is carried unchanged, the output is 0 and no gradient flows through the
/// cell. The reverse direction runs t = T−1 … 0, so with trailing padding it starts at each
/// sequence's last valid frame, exactly as `pack_padded_sequence` does.
final class LSTMDirection {
    let inputSize: Int
    let hiddenSize: Int
    let reverse: Bool
    let weightIH: ParameterView   // [4H, in]
    let weightHH: ParameterView   // [4H, H]
    let biasIH: ParameterView     // [4H]
    let biasHH: ParameterView     // [4H]
    let store: ParameterStore
    // Caches of the last forward (T, B as given there).
    private var steps = 0, batch = 0
    private var input: [Float] = []    // x [T, B, in]
    private var mask: [Bool] = []      // [T, B]
    private var gates: [Float] = []    // activated i, f, g, o [T, B, 4H]
    private var hPrev: [Float] = []    // state entering step t [T, B, H]
    private var cPrev: [Float] = []    // [T, B, H]
    private var tanhC: [Float] = []    // tanh(c_t) [T, B, H]

    init(name: String, suffix: String, inputSize: Int, hiddenSize: Int, reverse: Bool,
         store: ParameterStore, rng: inout SeededRandom) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.reverse = reverse
        self.store = store
        // PyTorch: every LSTM weight and bias ~ U(±1/√hidden_size).
        let bound = 1 / Float(hiddenSize).squareRoot()
        weightIH = store.add("\(name).weight_ih\(suffix)", shape: [4 * hiddenSize, inputSize], uniformBound: bound, using: &rng)
        weightHH = store.add("\(name).weight_hh\(suffix)", shape: [4 * hiddenSize, hiddenSize], uniformBound: bound, using: &rng)
        biasIH = store.add("\(name).bias_ih\(suffix)", shape: [4 * hiddenSize], uniformBound: bound, using: &rng)
        biasHH = store.add("\(name).bias_hh\(suffix)", shape: [4 * hiddenSize], uniformBound: bound, using: &rng)
    }

    /// b_ih + b_hh + x·W_ihᵀ for every row, x `[rows, in]` → `[rows, 4H]`: all time steps' input
    /// projections in one GEMM, before the recurrence.
    private func inputProjection(_ x: [Float], rows: Int) -> [Float] {
        let G = 4 * hiddenSize
        var bias = [Float](repeating: 0, count: G)
        for j in 0..<G { bias[j] = store.value(biasIH)[j] + store.value(biasHH)[j] }
        var projected = Kernels.broadcastRows(bias, rows: rows, n: G)
        Kernels.parallelGemm(m: rows, n: G, k: inputSize, a: x, lda: inputSize, b: store.value(weightIH), ldb: inputSize,
                             transposeB: true, c: &projected, ldc: G, beta: 1)
        return projected
    }

    /// W_hh repacked for `lstmStepPacked` (one sequence, prediction), and the store generation it
    /// was packed at.
    private var packedHH: [Float] = []
    private var packedGeneration = -1

    /// x `[T, 1, in]`, mask `[T]` → h `[T, 1, H]` for one sequence in evaluation: the batch-1
    /// prediction path. Same result as `forward` within float rounding (tests compare), but each
    /// step is one pass over W_hh fused with the cell, and nothing is cached for a backward pass.
    func forwardOneSequence(_ x: [Float], mask m: [Bool], steps T: Int) -> [Float] {
        let H = hiddenSize, G = 4 * H
        precondition(x.count == T * inputSize && m.count == T && H % 8 == 0)
        steps = 0; batch = 0   // no caches: a backward after this is refused
        if packedGeneration != store.generation {
            packedHH = Kernels.packGateWeights(store.value(weightHH), H: H)
            packedGeneration = store.generation
        }
        // [T, 4H] on W_ihᵀ packed once (OpenBLAS repacked its 4H × in floats for every sample).
        let pre = packedInputProjection(x, rows: T, threads: 1)
        var out = [Float](repeating: 0, count: T * H)
        var state = [Float](repeating: 0, count: 3 * H)   // h, h of the next step, c
        pre.withUnsafeBufferPointer { pp in
        packedHH.withUnsafeBufferPointer { wp in
        out.withUnsafeMutableBufferPointer { op in
        state.withUnsafeMutableBufferPointer { sp in
            var h = sp.baseAddress!, next = h + H
            let c = h + 2 * H
            for s in 0..<T {
                let t = reverse ? T - 1 - s : s
                guard m[t] else { continue }   // padded step: state carried, output 0
                Kernels.lstmStepPacked(pre: pp.baseAddress! + t * G, packed: wp.baseAddress!, H: H, hIn: h, c: c, hOut: next)
                swap(&h, &next)
                (op.baseAddress! + t * H).update(from: h, count: H)
            }
        }}}}
        return out
    }

    /// W_ihᵀ and W_hhᵀ packed for `predictBatch`, b_ih + b_hh, and the store generation of all three.
    private var packedIH: PackedMatrix?
    private var packedHHT: PackedMatrix?
    private var combinedBias: [Float] = []
    private var packedBatchGeneration = -1

    /// The prediction paths' weights, packed once per parameter generation: W_ihᵀ, W_hhᵀ and
    /// b_ih + b_hh.
    private func packPredictionWeights() {
        guard packedBatchGeneration != store.generation else { return }
        let H = hiddenSize, G = 4 * H
        packedIH = PackedMatrix(k: inputSize, n: G, b: store.value(weightIH), ldb: inputSize, transposed: true)
        packedHHT = PackedMatrix(k: H, n: G, b: store.value(weightHH), ldb: H, transposed: true)
        combinedBias = (0..<G).map { store.value(biasIH)[$0] + store.value(biasHH)[$0] }
        packedBatchGeneration = store.generation
    }

    /// x `[rows, in]` → x·W_ihᵀ + (b_ih + b_hh) `[rows, 4H]` on the packed weights (CKernels' GEMM,
    /// each gate summed in order of k then the bias added, the same on every CPU).
    private func packedInputProjection(_ x: [Float], rows: Int, threads: Int) -> [Float] {
        packPredictionWeights()
        let G = 4 * hiddenSize
        var gates = Kernels.uninitialized(rows * G)
        x.withUnsafeBufferPointer { xp in
        gates.withUnsafeMutableBufferPointer { gp in
        combinedBias.withUnsafeBufferPointer { bp in
            packedIH!.multiply(m: rows, a: xp.baseAddress!, lda: inputSize, c: gp.baseAddress!, ldc: G, bias: bp.baseAddress!,
                               threads: threads)
        }}}
        return gates
    }

    /// x `[T, B, in]`, mask `[T, B]` → h `[T, B, H]` in evaluation, for a batch (prediction of
    /// many sequences): `forward`'s recurrence on weights packed once per parameter generation
    /// (CKernels' GEMM, 512-bit where the CPU has it) instead of OpenBLAS repacking W_hh at every
    /// step, with the biases in the input projection's epilogue. Every gate sums in order of k on
    /// every CPU. Equals `forward` within float rounding (tests compare); caches nothing.
    func predictBatch(_ x: [Float], mask m: [Bool], steps T: Int, batch B: Int) -> [Float] {
        let H = hiddenSize, G = 4 * H
        precondition(x.count == T * B * inputSize && m.count == T * B)
        steps = 0; batch = 0   // no caches: a backward after this is refused
        var gates = packedInputProjection(x, rows: T * B, threads: NNThreads.count)
        let whh = packedHHT!
        var out = [Float](repeating: 0, count: T * B * H)
        var state = [Float](repeating: 0, count: 3 * B * H)   // h [B, H], c [B, H], tanh(c) scratch [B, H]
        let reverse = self.reverse
        gates.withUnsafeMutableBufferPointer { gp in
        out.withUnsafeMutableBufferPointer { op in
        state.withUnsafeMutableBufferPointer { sp in
        m.withUnsafeBufferPointer { mk in
            let gBase = gp.baseAddress!, oBase = op.baseAddress!
            let hState = sp.baseAddress!, cState = hState + B * H, scratch = cState + B * H
            Parallel.chunks(B, minimum: 8) { rows in
                let b0 = rows.lowerBound, nb = rows.count
                for s in 0..<T {
                    let t = reverse ? T - 1 - s : s
                    whh.multiply(m: nb, a: hState + b0 * H, lda: H, c: gBase + (t * B + b0) * G, ldc: G, accumulate: true)
                    for b in rows where mk[t * B + b] {
                        Kernels.lstmCell(row: gBase + (t * B + b) * G, H: H, c: cState + b * H, tanhC: scratch + b * H,
                                         h: hState + b * H, out: oBase + (t * B + b) * H)
                    }
                }
            }
        }}}}
        return out
    }

    /// x `[T, B, in]`, mask `[T, B]` → h `[T, B, H]`.
    /// Batch rows recur independently, so the time loop runs on `NNThreads.count` blocks of rows at
    /// once (one small GEMM per step and block, no synchronisation inside the loop).
    func forward(_ x: [Float], mask m: [Bool], steps T: Int, batch B: Int) -> [Float] {
        let H = hiddenSize, G = 4 * H
        precondition(x.count == T * B * inputSize && m.count == T * B)
        steps = T; batch = B; input = x; mask = m
        gates = inputProjection(x, rows: T * B)
        hPrev = Kernels.uninitialized(T * B * H)   // every step writes its slice
        cPrev = Kernels.uninitialized(T * B * H)
        tanhC = [Float](repeating: 0, count: T * B * H)   // zeros stay at padded steps
        var out = [Float](repeating: 0, count: T * B * H)
        var state = [Float](repeating: 0, count: 2 * B * H)   // h [B, H] then c [B, H]
        let whh = UnsafePointer(store.value(weightHH))
        let reverse = self.reverse
        gates.withUnsafeMutableBufferPointer { gp in
        hPrev.withUnsafeMutableBufferPointer { hp in
        cPrev.withUnsafeMutableBufferPointer { cp in
        tanhC.withUnsafeMutableBufferPointer { tp in
        out.withUnsafeMutableBufferPointer { op in
        state.withUnsafeMutableBufferPointer { sp in
        m.withUnsafeBufferPointer { mp in
            let gBase = gp.baseAddress!, hBase = hp.baseAddress!, cBase = cp.baseAddress!
            let tBase = tp.baseAddress!, oBase = op.baseAddress!, mk = mp.baseAddress!
            let hState = sp.baseAddress!, cState = hState + B * H
            Parallel.chunks(B, minimum: 8) { rows in
                let b0 = rows.lowerBound, nb = rows.count
                let h = hState + b0 * H, c = cState + b0 * H
                for s in 0..<T {
                    let t = reverse ? T - 1 - s : s
                    (hBase + (t * B + b0) * H).update(from: h, count: nb * H)
                    (cBase + (t * B + b0) * H).update(from: c, count: nb * H)
                    // (one sequence: m = 1, which `gemm` runs as an sgemv reading W_hh in place)
                    Kernels.gemm(m: nb, n: G, k: H, a: h, lda: H, b: whh, ldb: H, transposeB: true,
                                 c: gBase + (t * B + b0) * G, ldc: G, beta: 1)
                    for b in rows where mk[t * B + b] {
                        Kernels.lstmCell(row: gBase + (t * B + b) * G, H: H, c: cState + b * H, tanhC: tBase + (t * B + b) * H,
                                         h: hState + b * H, out: oBase + (t * B + b) * H)
                    }
                }
            }
        }}}}}}}
        return out
    }

    /// dH `[T, B, H]` (gradient of this direction's outputs) → dX `[T, B, in]`; accumulates all four
    /// parameter gradients, the weight ones as single GEMMs over all time steps. The recurrence runs
    /// on blocks of batch rows in parallel like `forward`.
    func backward(_ dOut: [Float]) -> [Float] {
        let T = steps, B = batch, H = hiddenSize, G = 4 * H
        precondition(dOut.count == T * B * H, "LSTM backward before forward, with another batch, or after a one-sequence "
                     + "evaluation forward (which caches nothing: use training: true)")
        var dGates = [Float](repeating: 0, count: T * B * G)   // pre-activation gradients [T, B, 4H]
        var carry = [Float](repeating: 0, count: 3 * B * H)   // dh, dc, dh from the cell GEMM, each [B, H]
        let whh = UnsafePointer(store.value(weightHH))
        let reverse = self.reverse
        dGates.withUnsafeMutableBufferPointer { dgp in
        carry.withUnsafeMutableBufferPointer { carryp in
        gates.withUnsafeBufferPointer { gp in
        tanhC.withUnsafeBufferPointer { tp in
        cPrev.withUnsafeBufferPointer { cpp in
        dOut.withUnsafeBufferPointer { dop in
        mask.withUnsafeBufferPointer { mp in
            let dh = carryp.baseAddress!, dc = dh + B * H, dhCell = dc + B * H
            let dgBase = dgp.baseAddress!, gBase = gp.baseAddress!, tBase = tp.baseAddress!
            let cpBase = cpp.baseAddress!, doBase = dop.baseAddress!, mk = mp.baseAddress!
            Parallel.chunks(B, minimum: 8) { rows in
                let b0 = rows.lowerBound, nb = rows.count
                for s in stride(from: T - 1, through: 0, by: -1) {
                    let t = reverse ? T - 1 - s : s
                    let dg = dgBase + t * B * G
                    for b in rows where mk[t * B + b] {
                        let base = (t * B + b) * H
                        let gate = gBase + (t * B + b) * G
                        let tc = tBase + base, cprev = cpBase + base, dout = doBase + base
                        let dhb = dh + b * H, dcb = dc + b * H, dgb = dg + b * G
                        for j in 0..<H {
                            let ig = gate[j], fg = gate[H + j], gg = gate[2 * H + j], og = gate[3 * H + j]
                            let th = tc[j]
                            let dhj = dhb[j] + dout[j]
                            let dcj = dcb[j] + dhj * og * (1 - th * th)
                            dgb[j] = dcj * gg * ig * (1 - ig)
                            dgb[H + j] = dcj * cprev[j] * fg * (1 - fg)
                            dgb[2 * H + j] = dcj * ig * (1 - gg * gg)
                            dgb[3 * H + j] = dhj * th * og * (1 - og)
                            dcb[j] = dcj * fg
                        }
                    }
                    // dh_{t−1} = dGates_t·W_hh for valid rows; padded rows pass dh through unchanged.
                    Kernels.gemm(m: nb, n: H, k: G, a: dg + b0 * G, lda: G, b: whh, ldb: H, c: dhCell + b0 * H, ldc: H)
                    for b in rows where mk[t * B + b] {
                        (dh + b * H).update(from: dhCell + b * H, count: H)
                    }
                }
            }
        }}}}}}}
        let rows = T * B
        Kernels.parallelGemm(m: G, n: H, k: rows, a: dGates, lda: G, transposeA: true, b: hPrev, ldb: H,
                             c: store.gradient(weightHH), ldc: H, beta: 1)
        Kernels.parallelGemm(m: G, n: inputSize, k: rows, a: dGates, lda: G, transposeA: true, b: input, ldb: inputSize,
                             c: store.gradient(weightIH), ldc: inputSize, beta: 1)
        // Both biases get the same Σ_rows dGates: sum once, add twice.
        var biasGradient = [Float](repeating: 0, count: G)
        Kernels.accumulateColumnSums(dGates, rows: rows, n: G, into: &biasGradient)
        Kernels.addRowVector(store.gradient(biasIH), rows: 1, n: G, biasGradient)
        Kernels.addRowVector(store.gradient(biasHH), rows: 1, n: G, biasGradient)
        var dX = Kernels.uninitialized(rows * inputSize)
        Kernels.parallelGemm(m: rows, n: inputSize, k: G, a: dGates, lda: G, b: store.value(weightIH), ldb: inputSize,
                             c: &dX, ldc: inputSize)
        return dX
    }
}

/// Multi-layer, optionally bidirectional LSTM (PyTorch `nn.LSTM(batch_first=True)` parameter names:
/// `weight_ih_l{k}`, `…_reverse`), with dropout on the outputs of every layer but the last (training).
/// x `[B, T, in]`, mask `[B, T]` (valid where > 0.5) → y `[B, T, D·H]` (D = 2 when bidirectional;
/// forward half first), zeros at padded steps. `training: false` means inference: one sequence
/// (batch 1, H a multiple of 8) then takes the fused packed-weight step, a batch the packed-weight
/// recurrence, and nothing is cached for a backward pass.
public final class LSTM {
    public let inputSize: Int
    public let hiddenSize: Int
    public let layers: Int
    public let bidirectional: Bool
    var cells: [[LSTMDirection]] = []   // [layer][direction]
    var dropouts: [Dropout] = []        // between layers
    private var steps = 0, batch = 0

    public init(_ name: String, inputSize: Int, hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false,
                dropout: Float = 0, store: ParameterStore, rng: inout SeededRandom, dropoutSeed: UInt64 = 0) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.bidirectional = bidirectional
        let dirs = bidirectional ? 2 : 1
        for l in 0..<layers {
            let inSize = l == 0 ? inputSize : dirs * hiddenSize
            var row: [LSTMDirection] = []
            for d in 0..<dirs {
                row.append(LSTMDirection(name: name, suffix: "_l\(l)" + (d == 1 ? "_reverse" : ""), inputSize: inSize,
                                         hiddenSize: hiddenSize, reverse: d == 1, store: store, rng: &rng))
            }
            cells.append(row)
            if l < layers - 1 { dropouts.append(Dropout(dropout, seed: dropoutSeed &+ UInt64(l))) }
        }
    }

    public var outputSize: Int { (bidirectional ? 2 : 1) * hiddenSize }

    public func forward(_ x: Tensor, mask: Tensor, training: Bool) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == inputSize && mask.shape == [x.shape[0], x.shape[1]],
                     "LSTM(\(inputSize)) needs x [B,T,\(inputSize)] and mask [B,T], got \(x.shape), \(mask.shape)")
        let B = x.shape[0], T = x.shape[1]
        steps = T; batch = B
        var maskTB = [Bool](repeating: false, count: T * B)
        for b in 0..<B { for t in 0..<T { maskTB[t * B + b] = mask.scalars[b * T + t] > 0.5 } }
        var h = SequenceLayout.batchToTime(x.scalars, B: B, T: T, F: inputSize)   // [T, B, in]
        // Evaluation (prediction): one sequence takes the fused, packed-weight step; a batch the
        // recurrence on packed weights. Neither caches anything for a backward pass.
        let oneSequence = B == 1 && !training && hiddenSize % 8 == 0
        for l in 0..<layers {
            let outs = cells[l].map {
                oneSequence ? $0.forwardOneSequence(h, mask: maskTB, steps: T)
                    : training ? $0.forward(h, mask: maskTB, steps: T, batch: B) : $0.predictBatch(h, mask: maskTB, steps: T, batch: B)
            }
            h = outs.count == 1 ? outs[0] : SequenceLayout.concatenateFeatures(outs, rows: T * B, width: hiddenSize)
            if l < layers - 1 {
                h = dropouts[l].forward(Tensor(shape: [h.count], scalars: h), training: training).scalars
            }
        }
        return Tensor(shape: [B, T, outputSize], scalars: SequenceLayout.timeToBatch(h, B: B, T: T, F: outputSize))
    }

    /// dY `[B, T, D·H]` → dX `[B, T, in]`.
    public func backward(_ dY: Tensor) -> Tensor {
        let B = batch, T = steps
        var d = SequenceLayout.batchToTime(dY.scalars, B: B, T: T, F: outputSize)
        for l in stride(from: layers - 1, through: 0, by: -1) {
            if l < layers - 1 { d = dropouts[l].backward(Tensor(shape: [d.count], scalars: d)).scalars }
            let parts = cells[l].count == 1 ? [d] : SequenceLayout.splitFeatures(d, rows: T * B, width: hiddenSize, parts: 2)
            var dIn = cells[l][0].backward(parts[0])
            if cells[l].count == 2 {
                let other = cells[l][1].backward(parts[1])
                for i in 0..<dIn.count { dIn[i] += other[i] }
            }
            d = dIn
        }
        return Tensor(shape: [B, T, inputSize], scalars: SequenceLayout.timeToBatch(d, B: B, T: T, F: inputSize))
    }
}

/// Layout shuffles between batch-major `[B, T, F]` (the datasets' layout) and time-major `[T, B, F]`
/// (the recurrence's layout, so one step's rows are contiguous for its GEMM).
enum SequenceLayout {
    static func batchToTime(_ x: [Float], B: Int, T: Int, F: Int) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for b in 0..<B { for t in 0..<T { for f in 0..<F { out[(t * B + b) * F + f] = x[(b * T + t) * F + f] } } }
        return out
    }

    static func timeToBatch(_ x: [Float], B: Int, T: Int, F: Int) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for t in 0..<T { for b in 0..<B { for f in 0..<F { out[(b * T + t) * F + f] = x[(t * B + b) * F + f] } } }
        return out
    }

    /// parts × `[rows, width]` → `[rows, parts·width]`.
    static func concatenateFeatures(_ parts: [[Float]], rows: Int, width: Int) -> [Float] {
        let w = parts.count * width
        var out = [Float](repeating: 0, count: rows * w)
        for (p, part) in parts.enumerated() {
            for r in 0..<rows { for j in 0..<width { out[r * w + p * width + j] = part[r * width + j] } }
        }
        return out
    }

    /// `[rows, parts·width]` → parts × `[rows, width]`.
    static func splitFeatures(_ x: [Float], rows: Int, width: Int, parts: Int) -> [[Float]] {
        let w = parts * width
        return (0..<parts).map { p in
            var out = [Float](repeating: 0, count: rows * width)
            for r in 0..<rows { for j in 0..<width { out[r * width + j] = x[r * w + p * width + j] } }
            return out
        }
    }
}
