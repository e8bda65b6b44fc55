import TensorCore

/// A small landmark Transformer in the style of the Isolated Sign Language Recognition
/// challenge's mobile models (a convolutional stem, then self-attention over frames):
///   z = stem(x) + pos[0..<T]             `stem` causal Conv1d(F → D, K), `pos` learned `[T, D]`
///   z = layers.i(z, key padding mask)    pre-norm `TransformerEncoderLayer`s, H heads, FF width 2D
///   logits = head(pool(norm(z), mask))   final LayerNorm, masked mean (or max) over valid frames.
/// x `[B, T, F]` (or `[B, T, 21, 3]`), mask `[B, T]` → `[B, C]`. Padded frames never reach a
/// valid one: the stem is causal (trailing padding), attention ignores padded keys, pooling
/// ignores padded queries. D = `hiddenDim` (64), `layers` (2), `heads` (4): ≈ 70 k parameters
/// at the defaults, ≈ 1.8 M at D = 192, 4 layers.
public final class TransformerClassifier: SequenceClassifier {
    public let config: ModelConfig
    public let parameters = ParameterStore()
    let stem: CausalConv1d
    let position: ParameterView
    let layers: [TransformerEncoderLayer]
    let norm: LayerNorm
    let pooling: MaskedPooling
    let head: Linear
    let features: FrameFeatures
    private var steps = 0

    /// The feed-forward width of every encoder layer, as a multiple of D.
    public static let feedForwardFactor = 2

    public init(config: ModelConfig, seed: UInt64) {
        self.config = config
        var rng = SeededRandom(seed: seed)
        let D = config.hiddenDim
        features = FrameFeatures(config.features, layout: config.frameLayout)
        // `pos` first: PyTorch lists a module's own parameters before its children's.
        // pos ~ N(0, 0.02²) as BERT/ViT position tables.
        var table = [Float](repeating: 0, count: config.sequenceLength * D)
        for i in table.indices { table[i] = rng.normal(std: 0.02) }
        position = parameters.add("pos", shape: [config.sequenceLength, D], values: table)
        stem = CausalConv1d("stem", in: config.frameWidth, out: D, kernelSize: config.kernelSize, store: parameters, rng: &rng)
        var layers: [TransformerEncoderLayer] = []
        for i in 0..<config.layers {
            layers.append(TransformerEncoderLayer("layers.\(i)", dim: D, heads: config.heads,
                                                  feedForward: TransformerClassifier.feedForwardFactor * D,
                                                  dropout: config.dropout, store: parameters, rng: &rng,
                                                  dropoutSeed: seed &+ 1000 &+ UInt64(i) &* 7))
        }
        self.layers = layers
        norm = LayerNorm("norm", dim: D, store: parameters)
        pooling = MaskedPooling(config.pooling == .max ? .max : .mean)
        head = Linear("head", in: D, out: config.classCount, store: parameters, rng: &rng)
    }

    public func forward(_ x: Tensor, mask: Tensor, training: Bool) -> Tensor {
        let seq = features.forward(x.asSequenceBatch(featureCount: config.featureCount))
        let (B, T, D) = (seq.shape[0], seq.shape[1], config.hiddenDim)
        precondition(T <= config.sequenceLength, "transformer built for T ≤ \(config.sequenceLength) got \(T) frames")
        steps = T
        var z = stem.forward(seq)
        let pos = parameters.value(position)
        z.scalars.withUnsafeMutableBufferPointer { zp in
            for b in 0..<B { for t in 0..<T { for j in 0..<D { zp[(b * T + t) * D + j] += pos[t * D + j] } } }
        }
        for layer in layers { z = layer.forward(z, valid: mask, training: training) }
        return head.forward(pooling.forward(norm.forward(z), mask: mask), training: training)
    }

    @discardableResult
    public func backward(_ dLogits: Tensor) -> Tensor {
        var d = norm.backward(pooling.backward(head.backward(dLogits)))
        for layer in layers.reversed() { d = layer.backward(d) }
        let (T, D) = (steps, config.hiddenDim), B = d.count / (T * D)
        let dPos = parameters.gradient(position)
        for b in 0..<B { for t in 0..<T { for j in 0..<D { dPos[t * D + j] += d.scalars[(b * T + t) * D + j] } } }
        return features.backward(stem.backward(d))
    }
}
