import TensorCore

/// Fully connected layer, PyTorch `nn.Linear`: y = x·Wᵀ + b.
/// x `[N, in]` (any leading axes, flattened) → y `[N, out]`; weight `[out, in]`, bias `[out]`.
public final class Linear {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: ParameterView
    public let bias: ParameterView?
    let store: ParameterStore
    /// Cache: the forward input x `[N, in]`.
    private var input: [Float] = []
    private var inputShape: [Int] = []

    /// PyTorch init: weight kaiming_uniform(a=√5) = U(±1/√in), bias U(±1/√in).
    public init(_ name: String, in inFeatures: Int, out outFeatures: Int, bias hasBias: Bool = true,
                store: ParameterStore, rng: inout SeededRandom) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.store = store
        let bound = PyTorchInit.fanInBound(inFeatures)
        weight = store.add("\(name).weight", shape: [outFeatures, inFeatures], uniformBound: bound, using: &rng)
        bias = hasBias ? store.add("\(name).bias", shape: [outFeatures], uniformBound: bound, using: &rng) : nil
    }

    /// A linear map with explicit parameter names and bounds (attention's `in_proj_weight`, xavier
    /// bounds): weight U(±weightBound); bias U(±biasBound), or 0 when `biasBound` is nil.
    public init(weightName: String, biasName: String, in inFeatures: Int, out outFeatures: Int,
                weightBound: Float, biasBound: Float?, store: ParameterStore, rng: inout SeededRandom) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.store = store
        weight = store.add(weightName, shape: [outFeatures, inFeatures], uniformBound: weightBound, using: &rng)
        bias = biasBound.map { store.add(biasName, shape: [outFeatures], uniformBound: $0, using: &rng) }
            ?? store.add(biasName, shape: [outFeatures], values: [Float](repeating: 0, count: outFeatures))
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.last == inFeatures, "Linear(\(inFeatures)→\(outFeatures)) got input \(x.shape)")
        let n = x.count / inFeatures
        input = x.scalars
        inputShape = x.shape
        var y = bias.map { Kernels.broadcastRows(store.value($0), rows: n, n: outFeatures) }
            ?? [Float](repeating: 0, count: n * outFeatures)
        Kernels.parallelGemm(m: n, n: outFeatures, k: inFeatures, a: x.scalars, lda: inFeatures,
                     b: store.value(weight), ldb: inFeatures, transposeB: true, c: &y, ldc: outFeatures, beta: 1)
        return Tensor(shape: Array(x.shape.dropLast()) + [outFeatures], scalars: y)
    }

    /// Wᵀ packed for `predict` (CKernels' panels), and the store generation it was packed at.
    private var packed: PackedMatrix?
    private var packedGeneration = -1

    /// Evaluation forward (prediction): y = x·Wᵀ + b, then max(y, 0) when `relu`, in one pass on
    /// weights packed once per parameter generation, bias and ReLU in the GEMM's epilogue (as
    /// XNNPACK's fully-connected operator). OpenBLAS's sgemm repacks Wᵀ on every call; here x is
    /// read in place, and every output sums its products in order of `in` on every CPU and for
    /// any thread count. Equals `forward` (+ ReLU) within float rounding (tests compare); caches
    /// nothing, so a `backward` after it is refused.
    public func predict(_ x: Tensor, relu: Bool = false) -> Tensor {
        precondition(x.shape.last == inFeatures, "Linear(\(inFeatures)→\(outFeatures)) got input \(x.shape)")
        let n = x.count / inFeatures
        input = []; inputShape = []
        if packedGeneration != store.generation {
            packed = PackedMatrix(k: inFeatures, n: outFeatures, b: store.value(weight), ldb: inFeatures, transposed: true)
            packedGeneration = store.generation
        }
        var y = Kernels.uninitialized(n * outFeatures)
        let b = bias.map { UnsafePointer(store.value($0)) }
        x.scalars.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                packed!.multiply(m: n, a: xp.baseAddress!, lda: inFeatures, c: yp.baseAddress!, ldc: outFeatures,
                                 bias: b, lower: relu ? 0 : -.infinity, threads: NNThreads.count)
            }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [outFeatures], scalars: y)
    }

    /// A classifier's head: the training forward (which caches for backward), or in evaluation
    /// `predict`, which sums in order on every CPU (OpenBLAS's sgemv, which `forward` uses, does not).
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        training ? forward(x) : predict(x)
    }

    /// dY `[N, out]` → dX `[N, in]`; accumulates dW += dYᵀ·x, db += Σ_rows dY.
    public func backward(_ dY: Tensor) -> Tensor {
        let n = dY.count / outFeatures
        precondition(n * inFeatures == input.count, "Linear.backward before forward or with another batch")
        Kernels.parallelGemm(m: outFeatures, n: inFeatures, k: n, a: dY.scalars, lda: outFeatures, transposeA: true,
                     b: input, ldb: inFeatures, c: store.gradient(weight), ldc: inFeatures, beta: 1)
        if let bias { Kernels.accumulateColumnSums(dY.scalars, rows: n, n: outFeatures, into: store.gradient(bias)) }
        var dX = Kernels.uninitialized(n * inFeatures)
        Kernels.parallelGemm(m: n, n: inFeatures, k: outFeatures, a: dY.scalars, lda: outFeatures,
                     b: store.value(weight), ldb: inFeatures, c: &dX, ldc: inFeatures)
        return Tensor(shape: inputShape, scalars: dX)
    }
}
