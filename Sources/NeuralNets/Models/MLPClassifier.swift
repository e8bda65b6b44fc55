import TensorCore

/// The original MLP: x·mask flattened to `[B, T·F]` → (Linear → ReLU → Dropout) × layers → Linear.
/// Parameter names follow the PyTorch `nn.Sequential` indices (`net.0`, `net.3`, …, head last).
public final class MLPClassifier: SequenceClassifier {
    public let config: ModelConfig
    public let parameters = ParameterStore()
    let hidden: [Linear]
    let activations: [ActivationLayer]
    let dropouts: [Dropout]
    let head: Linear
    let features: FrameFeatures
    private var inputShape: [Int] = []
    private var mask: [Float] = []

    public init(config: ModelConfig, seed: UInt64) {
        self.config = config
        var rng = SeededRandom(seed: seed)
        features = FrameFeatures(config.features, layout: config.frameLayout)
        var width = config.sequenceLength * config.frameWidth
        var hidden: [Linear] = [], acts: [ActivationLayer] = [], drops: [Dropout] = []
        for l in 0..<config.layers {
            hidden.append(Linear("net.\(3 * l)", in: width, out: config.hiddenDim, store: parameters, rng: &rng))
            acts.append(ActivationLayer(.relu))
            drops.append(Dropout(config.dropout, seed: seed &+ 1000 &+ UInt64(l)))
            width = config.hiddenDim
        }
        head = Linear("net.\(3 * config.layers)", in: width, out: config.classCount, store: parameters, rng: &rng)
        self.hidden = hidden
        activations = acts
        dropouts = drops
    }

    public func forward(_ x: Tensor, mask m: Tensor, training: Bool) -> Tensor {
        let seq = features.forward(x.asSequenceBatch(featureCount: config.featureCount))
        let (B, T, F) = (seq.shape[0], seq.shape[1], seq.shape[2])
        precondition(m.shape == [B, T], "mask \(m.shape) for batch \(seq.shape)")
        inputShape = seq.shape
        mask = m.scalars
        var z = Tensor(shape: [B, T * F], scalars: MLPClassifier.applyMask(seq.scalars, mask, frames: B * T, features: F))
        if !training {
            // Prediction: packed weights with bias and ReLU fused, dropout the identity; caches nothing.
            for l in 0..<hidden.count { z = hidden[l].predict(z, relu: true) }
            return head.predict(z)
        }
        for l in 0..<hidden.count {
            z = dropouts[l].forward(activations[l].forward(hidden[l].forward(z)), training: training)
        }
        return head.forward(z)
    }

    @discardableResult
    public func backward(_ dLogits: Tensor) -> Tensor {
        var d = head.backward(dLogits)
        for l in stride(from: hidden.count - 1, through: 0, by: -1) {
            d = hidden[l].backward(activations[l].backward(dropouts[l].backward(d)))
        }
        let (B, T, F) = (inputShape[0], inputShape[1], inputShape[2])
        return features.backward(Tensor(shape: inputShape, scalars: MLPClassifier.applyMask(d.scalars, mask, frames: B * T, features: F)))
    }

    /// x `[frames, F]` ⊙ mask `[frames]` (the original's `x * mask[:, :, None, None]`); a no-op copy when all valid.
    static func applyMask(_ x: [Float], _ mask: [Float], frames: Int, features F: Int) -> [Float] {
        var out = x
        for r in 0..<frames where mask[r] != 1 {
            for f in 0..<F { out[r * F + f] *= mask[r] }
        }
        return out
    }
}
