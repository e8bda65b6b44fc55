import TensorCore

/// Causal dilated 1-D convolution, channel-last: x `[B, T, Cin]` → y `[B, T, Cout]`, with PyTorch
/// `nn.Conv1d` parameters weight `[Cout, Cin, K]`, bias `[Cout]` applied after left-padding the
/// time axis by (K−1)·d (the TCN's `F.pad(x, (pad, 0))`):
///   y[b,t,o] = bias[o] + Σ_{c,k} W[o,c,k] · x[b, t − (K−1−k)·d, c]   (zero before t = 0).
/// Done as im2col + one GEMM. col `[B·T, K·Cin]` is tap-major — tap k of row t is input row
/// t − (K−1−k)·d copied whole — so im2col is K row copies and col2im K vector adds per row; the
/// weight is permuted to the same (k, c) column order once per forward (`[Cout, K, Cin]`, 12 k
/// floats for a 64-channel K=3 layer) and its gradient permuted back.
public final class CausalConv1d {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let dilation: Int
    public let weight: ParameterView
    public let bias: ParameterView
    let store: ParameterStore
    /// Caches: col `[B·T, K·Cin]` (x itself when K = 1) and the input shape.
    private var columns: [Float] = []
    private var batch = 0, steps = 0

    /// PyTorch init: fan_in = Cin·K; weight and bias U(±1/√fan_in).
    public init(_ name: String, in inChannels: Int, out outChannels: Int, kernelSize: Int, dilation: Int = 1,
                store: ParameterStore, rng: inout SeededRandom) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.dilation = dilation
        self.store = store
        let bound = PyTorchInit.fanInBound(inChannels * kernelSize)
        weight = store.add("\(name).weight", shape: [outChannels, inChannels, kernelSize], uniformBound: bound, using: &rng)
        bias = store.add("\(name).bias", shape: [outChannels], uniformBound: bound, using: &rng)
    }

    /// x `[B, T, Cin]` → col `[B·T, K·Cin]`, tap-major: col[b·T + t, k·C + c] = x[b, t − (K−1−k)·d, c],
    /// zero before the sequence starts.
    static func im2col(_ x: [Float], B: Int, T: Int, C: Int, K: Int, dilation: Int) -> [Float] {
        if K == 1 { return x }
        var col = Kernels.uninitialized(B * T * C * K)
        x.withUnsafeBufferPointer { xp in
            col.withUnsafeMutableBufferPointer { cp in
                let xBase = xp.baseAddress!, colBase = cp.baseAddress!
                Parallel.chunks(B, minimum: max(1, Kernels.parallelElementwiseMinimum / max(T * C * K, 1))) { batches in
                    for b in batches {
                        for t in 0..<T {
                            let rowOffset: Int = (b &* T &+ t) &* K &* C
                            for k in 0..<K {
                                let dst = colBase + rowOffset + k &* C
                                let src = t &- (K &- 1 &- k) &* dilation
                                if src >= 0 {
                                    let srcOffset: Int = (b &* T &+ src) &* C
                                    dst.update(from: xBase + srcOffset, count: C)
                                } else {
                                    dst.update(repeating: 0, count: C)
                                }
                            }
                        }
                    }
                }
            }
        }
        return col
    }

    /// dCol `[B·T, K·Cin]` → dX `[B, T, Cin]`, the adjoint of `im2col`, as a gather: input row s
    /// sums tap k of output row s + (K−1−k)·d over the taps that stay inside the sequence (in
    /// ascending output row), so each dX row is written once.
    static func col2im(_ dCol: [Float], B: Int, T: Int, C: Int, K: Int, dilation: Int) -> [Float] {
        if K == 1 { return dCol }
        var dx = Kernels.uninitialized(B * T * C)
        dCol.withUnsafeBufferPointer { cp in
            dx.withUnsafeMutableBufferPointer { xp in
                let colBase = cp.baseAddress!, dxBase = xp.baseAddress!
                Parallel.chunks(B, minimum: max(1, Kernels.parallelElementwiseMinimum / max(T * C * K, 1))) { batches in
                    for b in batches {
                        for s in 0..<T {
                            let offset: Int = (b &* T &+ s) &* C
                            let d = dxBase + offset
                            d.update(repeating: 0, count: C)
                            for k in stride(from: K - 1, through: 0, by: -1) {
                                let t = s &+ (K &- 1 &- k) &* dilation
                                guard t < T else { continue }
                                let srcOffset: Int = (b &* T &+ t) &* K &* C &+ k &* C
                                let src = colBase + srcOffset
                                for c in 0..<C { d[c] += src[c] }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// The weight `[Cout, Cin, K]` (PyTorch) in col's column order, `[Cout, K, Cin]`.
    private var tapMajorWeight: [Float] = []

    /// `[Cout, Cin, K]` ↔ `[Cout, K, Cin]`; `inverse` accumulates a tap-major gradient into PyTorch order.
    static func permuteTaps(_ w: UnsafePointer<Float>, O: Int, C: Int, K: Int) -> [Float] {
        var out = Kernels.uninitialized(O * C * K)
        for o in 0..<O { for c in 0..<C { for k in 0..<K { out[(o * K + k) * C + c] = w[(o * C + c) * K + k] } } }
        return out
    }

    static func accumulateTapMajor(_ g: [Float], into w: UnsafeMutablePointer<Float>, O: Int, C: Int, K: Int) {
        for o in 0..<O { for c in 0..<C { for k in 0..<K { w[(o * C + c) * K + k] += g[(o * K + k) * C + c] } } }
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == inChannels, "CausalConv1d(\(inChannels)→\(outChannels)) got \(x.shape)")
        batch = x.shape[0]; steps = x.shape[1]
        let rows = batch * steps, width = inChannels * kernelSize
        columns = CausalConv1d.im2col(x.scalars, B: batch, T: steps, C: inChannels, K: kernelSize, dilation: dilation)
        tapMajorWeight = kernelSize == 1 ? [] : CausalConv1d.permuteTaps(store.value(weight), O: outChannels, C: inChannels, K: kernelSize)
        var y = Kernels.broadcastRows(store.value(bias), rows: rows, n: outChannels)
        let w = kernelSize == 1 ? UnsafePointer(store.value(weight)) : nil
        tapMajorWeight.withUnsafeBufferPointer { tw in
            Kernels.parallelGemm(m: rows, n: outChannels, k: width, a: columns, lda: width, b: w ?? tw.baseAddress!, ldb: width,
                                 transposeB: true, c: &y, ldc: outChannels, beta: 1)
        }
        return Tensor(shape: [batch, steps, outChannels], scalars: y)
    }

    /// Weights as K taps of `[Cin, Cout]`, each packed for `packedGemmAccumulate`, and the store
    /// generation they were packed at.
    private var packedTaps: [PackedMatrix] = []
    private var packedGeneration = -1

    /// Evaluation forward (prediction): x `[B, T, Cin]` → y `[B, T, Cout]` as K shifted products,
    /// y[b, t] = bias + Σ_k x[b, t − (K−1−k)·d]·W_k — each tap a GEMM on contiguous input rows, so
    /// no im2col and no per-call weight packing. Equals `forward` within float rounding (tests
    /// compare); caches nothing for a backward pass.
    public func predict(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == inChannels, "CausalConv1d(\(inChannels)→\(outChannels)) got \(x.shape)")
        let (B, T, C, O, K) = (x.shape[0], x.shape[1], inChannels, outChannels, kernelSize)
        batch = 0; steps = 0   // a backward after this is refused
        if packedGeneration != store.generation {
            let w = store.value(weight)
            packedTaps = (0..<K).map { k in
                var tap = Kernels.uninitialized(C * O)   // [Cin, Cout]
                for c in 0..<C { for o in 0..<O { tap[c * O + o] = w[(o * C + c) * K + k] } }
                return PackedMatrix(k: C, n: O, b: tap)
            }
            packedGeneration = store.generation
        }
        var y = Kernels.broadcastRows(store.value(bias), rows: B * T, n: O)
        x.scalars.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
            for b in 0..<B {
                for k in 0..<K {
                    let shift = (K - 1 - k) * dilation
                    guard shift < T else { continue }
                    Kernels.packedGemmAccumulate(m: T - shift, a: xp.baseAddress! + b * T * C, lda: C,
                                                 p: packedTaps[k], c: yp.baseAddress! + (b * T + shift) * O, ldc: O)
                }
            }
        }}
        return Tensor(shape: [B, T, O], scalars: y)
    }

    /// dY `[B, T, Cout]` → dX `[B, T, Cin]`; dW += dYᵀ·col (permuted back to PyTorch order), db += Σ dY.
    public func backward(_ dY: Tensor) -> Tensor {
        let rows = batch * steps, width = inChannels * kernelSize
        precondition(rows > 0 && dY.count == rows * outChannels,
                     "CausalConv1d backward before forward, with another batch, or after predict (which caches nothing)")
        let (O, C, K) = (outChannels, inChannels, kernelSize)
        if K == 1 {
            Kernels.parallelGemm(m: O, n: width, k: rows, a: dY.scalars, lda: O, transposeA: true,
                                 b: columns, ldb: width, c: store.gradient(weight), ldc: width, beta: 1)
        } else {
            var dW = Kernels.uninitialized(O * width)
            Kernels.parallelGemm(m: O, n: width, k: rows, a: dY.scalars, lda: O, transposeA: true,
                                 b: columns, ldb: width, c: &dW, ldc: width)
            CausalConv1d.accumulateTapMajor(dW, into: store.gradient(weight), O: O, C: C, K: K)
        }
        Kernels.accumulateColumnSums(dY.scalars, rows: rows, n: O, into: store.gradient(bias))
        var dCol = Kernels.uninitialized(rows * width)
        let w = K == 1 ? UnsafePointer(store.value(weight)) : nil
        tapMajorWeight.withUnsafeBufferPointer { tw in
            Kernels.parallelGemm(m: rows, n: width, k: O, a: dY.scalars, lda: O, b: w ?? tw.baseAddress!,
                                 ldb: width, c: &dCol, ldc: width)
        }
        let dx = CausalConv1d.col2im(dCol, B: batch, T: steps, C: C, K: K, dilation: dilation)
        return Tensor(shape: [batch, steps, C], scalars: dx)
    }

    /// Reference kernel: the defining sum as direct loops in Double (tests compare the GEMM path to it).
    public static func naiveForward(x: Tensor, weight: Tensor, bias: Tensor, dilation: Int) -> Tensor {
        let (B, T, C) = (x.shape[0], x.shape[1], x.shape[2])
        let (O, K) = (weight.shape[0], weight.shape[2])
        var y = [Float](repeating: 0, count: B * T * O)
        for b in 0..<B { for t in 0..<T { for o in 0..<O {
            var s = Double(bias.scalars[o])
            for c in 0..<C { for k in 0..<K {
                let src = t - (K - 1 - k) * dilation
                if src >= 0 { s += Double(weight.scalars[(o * C + c) * K + k]) * Double(x.scalars[(b * T + src) * C + c]) }
            } }
            y[(b * T + t) * O + o] = Float(s)
        } } }
        return Tensor(shape: [B, T, O], scalars: y)
    }
}

/// TCN residual block (Bai, Kolter & Koltun 2018, "An Empirical Evaluation of Generic Convolutional
/// and Recurrent Networks", Fig. 1b; the original's `TemporalBlock`):
///   y = drop(relu(conv2(drop(relu(conv1(x)))))),  out = relu(y + (down(x) or x)),
/// with `down` a 1×1 convolution only when the channel count changes. x `[B,T,Cin]` → `[B,T,Cout]`.
public final class TemporalBlock {
    public let conv1: CausalConv1d
    public let conv2: CausalConv1d
    public let down: CausalConv1d?
    let reluOut = ActivationLayer(.relu)
    /// Each does its ReLU too (`Dropout.reluThenDrop`, one fused pass).
    let drop1: Dropout, drop2: Dropout

    public init(_ name: String, in cin: Int, out cout: Int, kernelSize: Int, dilation: Int, dropout: Float,
                store: ParameterStore, rng: inout SeededRandom, dropoutSeed: UInt64 = 0) {
        // Creation order = PyTorch's registration order (conv1, conv2, down) so parameter order matches.
        conv1 = CausalConv1d("\(name).conv1", in: cin, out: cout, kernelSize: kernelSize, dilation: dilation, store: store, rng: &rng)
        conv2 = CausalConv1d("\(name).conv2", in: cout, out: cout, kernelSize: kernelSize, dilation: dilation, store: store, rng: &rng)
        down = cin != cout ? CausalConv1d("\(name).down", in: cin, out: cout, kernelSize: 1, store: store, rng: &rng) : nil
        drop1 = Dropout(dropout, seed: dropoutSeed)
        drop2 = Dropout(dropout, seed: dropoutSeed &+ 0x5151)
    }

    /// Whether the last forward cached what `backward` needs (training mode does; `predict` does not).
    private var cached = false

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        cached = training
        if !training { return predict(x) }
        var h = conv1.forward(x)
        drop1.reluThenDrop(&h, training: training)
        var y = conv2.forward(h)
        drop2.reluThenDrop(&y, training: training)
        let residual = down?.forward(x) ?? x
        return reluOut.forward(y + residual)
    }

    /// Evaluation: the convolutions' `predict` (packed weights, no im2col), ReLUs in place,
    /// dropout the identity; nothing cached for backward.
    func predict(_ x: Tensor) -> Tensor {
        var h = conv1.predict(x)
        h.scalars.withUnsafeMutableBufferPointer { hp in for i in hp.indices { hp[i] = hp[i] > 0 ? hp[i] : 0 } }   // as ReLU: NaN → 0
        var y = conv2.predict(h)
        let residual = down?.predict(x) ?? x
        y.scalars.withUnsafeMutableBufferPointer { yp in
            residual.scalars.withUnsafeBufferPointer { rp in
                for i in yp.indices {
                    let sum = (yp[i] > 0 ? yp[i] : 0) + rp[i]
                    yp[i] = sum > 0 ? sum : 0
                }
            }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(cached, "TemporalBlock.backward needs a forward with training: true (evaluation caches nothing)")
        let dSum = reluOut.backward(dOut)
        var dX = conv1.backward(drop1.backward(conv2.backward(drop2.backward(dSum))))
        dX.addScaled(down?.backward(dSum) ?? dSum)
        return dX
    }
}
