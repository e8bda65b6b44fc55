import TensorCore

/// The original LSTM: `lstm` (layers × hidden, optional bidirectional, dropout between layers) over
/// 63-d frames, pooled over valid steps, then `head` Linear.
/// Pooling `.last`: forward direction at each sequence's last valid step (what `pack_padded_sequence`
/// gives as h_n); when bidirectional, the reverse direction's state after reading back to the first
/// valid step (its h_n) is concatenated. `.mean`/`.max`: masked pooling of all outputs.
public final class LSTMClassifier: SequenceClassifier {
    public let config: ModelConfig
    public let parameters = ParameterStore()
    let lstm: LSTM
    let head: Linear
    let pooling: MaskedPooling
    let features: FrameFeatures
    private var outputShape: [Int] = []
    /// `.last`: step index per (b, direction) that fed the head, −1 for an empty sequence.
    private var picked: [Int] = []

    public init(config: ModelConfig, seed: UInt64) {
        self.config = config
        var rng = SeededRandom(seed: seed)
        features = FrameFeatures(config.features, layout: config.frameLayout)
        lstm = LSTM("lstm", inputSize: config.frameWidth, hiddenSize: config.hiddenDim, layers: config.layers,
                    bidirectional: config.bidirectional, dropout: config.dropout, store: parameters, rng: &rng,
                    dropoutSeed: seed &+ 1000)
        head = Linear("head", in: lstm.outputSize, out: config.classCount, store: parameters, rng: &rng)
        pooling = MaskedPooling(config.pooling == .last ? .mean : config.pooling)
    }

    public func forward(_ x: Tensor, mask: Tensor, training: Bool) -> Tensor {
        let seq = features.forward(x.asSequenceBatch(featureCount: config.featureCount))
        let y = lstm.forward(seq, mask: mask, training: training)   // [B, T, D·H]
        outputShape = y.shape
        guard config.pooling == .last else { return head.forward(pooling.forward(y, mask: mask), training: training) }
        let (B, T, W) = (y.shape[0], y.shape[1], y.shape[2])
        let H = config.hiddenDim, dirs = W / H
        picked = [Int](repeating: -1, count: B * dirs)
        var pooled = [Float](repeating: 0, count: B * W)
        for b in 0..<B {
            let valid = (0..<T).filter { mask.scalars[b * T + $0] > 0.5 }
            guard let first = valid.first, let last = valid.last else { continue }
            for d in 0..<dirs {
                let t = d == 0 ? last : first
                picked[b * dirs + d] = t
                for j in 0..<H { pooled[b * W + d * H + j] = y.scalars[(b * T + t) * W + d * H + j] }
            }
        }
        return head.forward(Tensor(shape: [B, W], scalars: pooled), training: training)
    }

    @discardableResult
    public func backward(_ dLogits: Tensor) -> Tensor {
        let dPooled = head.backward(dLogits)
        let dY: Tensor
        if config.pooling == .last {
            let (B, T, W) = (outputShape[0], outputShape[1], outputShape[2])
            let H = config.hiddenDim, dirs = W / H
            var d = [Float](repeating: 0, count: B * T * W)
            for b in 0..<B {
                for dir in 0..<dirs where picked[b * dirs + dir] >= 0 {
                    let t = picked[b * dirs + dir]
                    for j in 0..<H { d[(b * T + t) * W + dir * H + j] = dPooled.scalars[b * W + dir * H + j] }
                }
            }
            dY = Tensor(shape: outputShape, scalars: d)
        } else {
            dY = pooling.backward(dPooled)
        }
        return features.backward(lstm.backward(dY))
    }
}
