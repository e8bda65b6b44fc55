import TensorCore

/// Causal dilated 1-D convolution, channel-last: x `[B, T, Cin]` → y `[B, T, Cout]`, with PyTorch
/// `nn.Conv1d` parameters weight `[Cout, Cin, K]`, bias `[Cout]` applied after left-padding the
/// time axis by (K−1)·d (the TCN's `F.pad(x, (pad, 0))`):
///   y[b,t,o] = bias[o] + Σ_{c,k} W[o,c,k] · x[b, t − (K−1−k)·d, c]   (zero before t = 0).
/// Done as im2col + one GEMM: col `[B·T, Cin·K]` in (c, k) order is exactly the flattened PyTorch
/// weight's column order, so y = col·W_flatᵀ needs no weight rearrangement.
public final class CausalConv1d {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let dilation: Int
    public let weight: ParameterView
    public let bias: ParameterView
    let store: ParameterStore
    /// Caches: col `[B·T, Cin·K]` (x itself when K = 1) and the input shape.
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

    /// x `[B, T, Cin]` → col `[B·T, Cin·K]`.
    /// Each col row is written once, front to back: tap k of output step t reads input row
    /// t − (K−1−k)·d, or a zero row before the sequence starts, so col needs no zero fill and the
    /// inner loop has no branch (the earlier scatter, column by column, was 15 % of a TCN prediction).
    static func im2col(_ x: [Float], B: Int, T: Int, C: Int, K: Int, dilation: Int) -> [Float] {
        if K == 1 { return x }
        var col = Kernels.uninitialized(B * T * C * K)
        let zeros = [Float](repeating: 0, count: C)
        x.withUnsafeBufferPointer { xp in
        zeros.withUnsafeBufferPointer { zp in
            col.withUnsafeMutableBufferPointer { cp in
                let xBase = xp.baseAddress!, zero = zp.baseAddress!, colBase = cp.baseAddress!
                Parallel.chunks(B, minimum: max(1, Kernels.parallelElementwiseMinimum / max(T * C * K, 1))) { batches in
                    var taps = [UnsafePointer<Float>](repeating: zero, count: K)
                    for b in batches {
                        for t in 0..<T {
                            for k in 0..<K {
                                let src = t &- (K &- 1 &- k) &* dilation
                                let row: Int = (b &* T &+ src) &* C
                                taps[k] = src >= 0 ? xBase + row : zero
                            }
                            let offset: Int = (b &* T &+ t) &* C &* K
                            let dst = colBase + offset
                            taps.withUnsafeBufferPointer { tp in
                                for c in 0..<C { for k in 0..<K { dst[c &* K &+ k] = tp[k][c] } }
                            }
                        }
                    }
                }
            }
        }}
        return col
    }

    /// dCol `[B·T, Cin·K]` → dX `[B, T, Cin]`, the adjoint of `im2col`, as a gather: input row s
    /// collects tap k from output step s + (K−1−k)·d when that is inside the sequence, so each dX
    /// element is written once (no zero fill, no read-modify-write scatter).
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
                            for c in 0..<C { d[c] = 0 }
                            for k in stride(from: K - 1, through: 0, by: -1) {   // t ascending, as the scatter summed
                                let t = s &+ (K &- 1 &- k) &* dilation
                                guard t < T else { continue }
                                let row: Int = (b &* T &+ t) &* C &* K
                                let src = colBase + row + k
                                for c in 0..<C { d[c] += src[c &* K] }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == inChannels, "CausalConv1d(\(inChannels)→\(outChannels)) got \(x.shape)")
        batch = x.shape[0]; steps = x.shape[1]
        let rows = batch * steps, width = inChannels * kernelSize
        columns = CausalConv1d.im2col(x.scalars, B: batch, T: steps, C: inChannels, K: kernelSize, dilation: dilation)
        var y = Kernels.broadcastRows(store.value(bias), rows: rows, n: outChannels)
        Kernels.parallelGemm(m: rows, n: outChannels, k: width, a: columns, lda: width, b: store.value(weight), ldb: width,
                     transposeB: true, c: &y, ldc: outChannels, beta: 1)
        return Tensor(shape: [batch, steps, outChannels], scalars: y)
    }

    /// Weights as K taps of `[Cin, Cout]` (`packedGemmAccumulate`'s layout), and the store
    /// generation they were packed at.
    private var packedTaps: [Float] = []
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
            packedTaps = Kernels.uninitialized(K * C * O)
            for k in 0..<K { for c in 0..<C { for o in 0..<O { packedTaps[(k * C + c) * O + o] = w[(o * C + c) * K + k] } } }
            packedGeneration = store.generation
        }
        var y = Kernels.broadcastRows(store.value(bias), rows: B * T, n: O)
        x.scalars.withUnsafeBufferPointer { xp in
        packedTaps.withUnsafeBufferPointer { wp in
        y.withUnsafeMutableBufferPointer { yp in
            for b in 0..<B {
                for k in 0..<K {
                    let shift = (K - 1 - k) * dilation
                    guard shift < T else { continue }
                    Kernels.packedGemmAccumulate(m: T - shift, n: O, k: C, a: xp.baseAddress! + b * T * C, lda: C,
                                                 p: wp.baseAddress! + k * C * O, c: yp.baseAddress! + (b * T + shift) * O, ldc: O)
                }
            }
        }}}
        return Tensor(shape: [B, T, O], scalars: y)
    }

    /// dY `[B, T, Cout]` → dX `[B, T, Cin]`; dW += dYᵀ·col, db += Σ dY.
    public func backward(_ dY: Tensor) -> Tensor {
        let rows = batch * steps, width = inChannels * kernelSize
        precondition(dY.count == rows * outChannels, "CausalConv1d backward before forward or with another batch")
        Kernels.parallelGemm(m: outChannels, n: width, k: rows, a: dY.scalars, lda: outChannels, transposeA: true,
                     b: columns, ldb: width, c: store.gradient(weight), ldc: width, beta: 1)
        Kernels.accumulateColumnSums(dY.scalars, rows: rows, n: outChannels, into: store.gradient(bias))
        var dCol = Kernels.uninitialized(rows * width)
        Kernels.parallelGemm(m: rows, n: width, k: outChannels, a: dY.scalars, lda: outChannels, b: store.value(weight),
                     ldb: width, c: &dCol, ldc: width)
        let dx = CausalConv1d.col2im(dCol, B: batch, T: steps, C: inChannels, K: kernelSize, dilation: dilation)
        return Tensor(shape: [batch, steps, inChannels], scalars: dx)
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
    let relu1 = ActivationLayer(.relu), relu2 = ActivationLayer(.relu), reluOut = ActivationLayer(.relu)
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
        var y = drop1.forward(relu1.forward(conv1.forward(x)), training: training)
        y = drop2.forward(relu2.forward(conv2.forward(y)), training: training)
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
        var dX = conv1.backward(relu1.backward(drop1.backward(conv2.backward(relu2.backward(drop2.backward(dSum))))))
        dX.addScaled(down?.backward(dSum) ?? dSum)
        return dX
    }
}
