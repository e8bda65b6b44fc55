import TensorCore

/// The original TCN: `blocks.i` = TemporalBlock(dilation 2^i) × levels over 63-d frames (causal, so
/// trailing padding never reaches a valid step), masked mean (or max) pooling, then `head` Linear.
public final class TCNClassifier: SequenceClassifier {
    public let config: ModelConfig
    public let parameters = ParameterStore()
    let blocks: [TemporalBlock]
    let pooling: MaskedPooling
    let head: Linear
    let features: FrameFeatures

    public init(config: ModelConfig, seed: UInt64) {
        self.config = config
        var rng = SeededRandom(seed: seed)
        features = FrameFeatures(config.features, layout: config.frameLayout)
        var blocks: [TemporalBlock] = []
        for i in 0..<config.layers {
            blocks.append(TemporalBlock("blocks.\(i)", in: i == 0 ? config.frameWidth : config.hiddenDim,
                                        out: config.hiddenDim, kernelSize: config.kernelSize, dilation: 1 << i,
                                        dropout: config.dropout, store: parameters, rng: &rng,
                                        dropoutSeed: seed &+ 1000 &+ UInt64(i) &* 7))
        }
        self.blocks = blocks
        pooling = MaskedPooling(config.pooling == .last ? .mean : config.pooling)
        head = Linear("head", in: config.hiddenDim, out: config.classCount, store: parameters, rng: &rng)
    }

    public func forward(_ x: Tensor, mask: Tensor, training: Bool) -> Tensor {
        var z = features.forward(x.asSequenceBatch(featureCount: config.featureCount))
        for block in blocks { z = block.forward(z, training: training) }
        return head.forward(pooling.forward(z, mask: mask), training: training)
    }

    @discardableResult
    public func backward(_ dLogits: Tensor) -> Tensor {
        var d = pooling.backward(head.backward(dLogits))
        for block in blocks.reversed() { d = block.backward(d) }
        return features.backward(d)
    }
}
