import TensorCore

/// The three architectures of the original pipeline, and a small Transformer.
public enum Architecture: String, Codable, Sendable, CaseIterable {
    case mlp, lstm, tcn, transformer
}

/// Everything needed to rebuild a model (stored as JSON in checkpoint metadata). The same
/// hyperparameters the original's CLI takes: `--hidden-dim`, `--num-layers`, `--dropout`, ….
public struct ModelConfig: Codable, Sendable, Equatable {
    public var architecture: Architecture
    /// Frames per sample T (MLP flattens T × features).
    public var sequenceLength: Int
    /// Features per frame (21 landmarks × 3 coordinates).
    public var featureCount: Int = 63
    public var classCount: Int
    /// MLP hidden width, LSTM hidden size, TCN channels, Transformer width D.
    public var hiddenDim: Int
    /// MLP hidden layers, LSTM layers, TCN levels (dilations 1, 2, 4, …), Transformer encoder layers.
    public var layers: Int
    public var dropout: Float
    /// LSTM only.
    public var bidirectional: Bool = false
    /// TCN kernel; the Transformer's convolutional stem.
    public var kernelSize: Int = 3
    /// LSTM: `.last` (default) or `.mean`; TCN and Transformer: `.mean` (default) or `.max`.
    public var pooling: SequencePooling
    /// Transformer only: attention heads (D must be a multiple).
    public var heads: Int = 4
    /// What the first layer sees of each frame (`FrameFeatures`): coordinates unless told.
    public var features: [FrameFeature] = [.coords]

    public init(architecture: Architecture, sequenceLength: Int, featureCount: Int = 63, classCount: Int,
                hiddenDim: Int? = nil, layers: Int? = nil, dropout: Float = 0.2, bidirectional: Bool = false,
                kernelSize: Int = 3, pooling: SequencePooling? = nil, heads: Int = 4,
                features: [FrameFeature] = [.coords]) {
        self.architecture = architecture
        self.sequenceLength = sequenceLength
        self.featureCount = featureCount
        self.classCount = classCount
        // Defaults = the original's (and the peer benchmark's) models: MLP 2×256, LSTM 2×128, TCN 4×64.
        switch architecture {
        case .mlp: self.hiddenDim = hiddenDim ?? 256; self.layers = layers ?? 2
        case .lstm: self.hiddenDim = hiddenDim ?? 128; self.layers = layers ?? 2
        case .tcn: self.hiddenDim = hiddenDim ?? 64; self.layers = layers ?? 4
        case .transformer: self.hiddenDim = hiddenDim ?? 64; self.layers = layers ?? 2
        }
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.kernelSize = kernelSize
        self.pooling = pooling ?? (architecture == .lstm ? .last : .mean)
        self.heads = heads
        self.features = FrameFeatures.normalised(features)
    }

    private enum CodingKeys: String, CodingKey {
        case architecture, sequenceLength, featureCount, classCount, hiddenDim, layers, dropout, bidirectional,
             kernelSize, pooling, heads, features
    }

    /// Checkpoints written before a field existed decode with its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decode(Architecture.self, forKey: .architecture)
        sequenceLength = try c.decode(Int.self, forKey: .sequenceLength)
        featureCount = try c.decodeIfPresent(Int.self, forKey: .featureCount) ?? 63
        classCount = try c.decode(Int.self, forKey: .classCount)
        hiddenDim = try c.decode(Int.self, forKey: .hiddenDim)
        layers = try c.decode(Int.self, forKey: .layers)
        dropout = try c.decode(Float.self, forKey: .dropout)
        bidirectional = try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? false
        kernelSize = try c.decodeIfPresent(Int.self, forKey: .kernelSize) ?? 3
        pooling = try c.decode(SequencePooling.self, forKey: .pooling)
        heads = try c.decodeIfPresent(Int.self, forKey: .heads) ?? 4
        features = FrameFeatures.normalised(try c.decodeIfPresent([FrameFeature].self, forKey: .features) ?? [])
    }

    /// `features` is written only when it is not the default, so models that use coordinates keep
    /// the metadata older readers know.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(sequenceLength, forKey: .sequenceLength)
        try c.encode(featureCount, forKey: .featureCount)
        try c.encode(classCount, forKey: .classCount)
        try c.encode(hiddenDim, forKey: .hiddenDim)
        try c.encode(layers, forKey: .layers)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(bidirectional, forKey: .bidirectional)
        try c.encode(kernelSize, forKey: .kernelSize)
        try c.encode(pooling, forKey: .pooling)
        try c.encode(heads, forKey: .heads)
        if features != [.coords] { try c.encode(features, forKey: .features) }
    }
}

/// What the trainer drives: a classifier over landmark sequences with hand-written backward.
/// x `[B, T, F]` (or `[B, T, 21, 3]`), mask `[B, T]` (1 valid, 0 padding) → logits `[B, C]`.
public protocol SequenceClassifier: AnyObject {
    var config: ModelConfig { get }
    /// All trainable parameters, their gradients, and buffers (PyTorch state_dict names).
    var parameters: ParameterStore { get }
    func forward(_ x: Tensor, mask: Tensor, training: Bool) -> Tensor
    /// Accumulates parameter gradients for dLogits `[B, C]` of the last `forward`; returns dX `[B, T, F]`.
    @discardableResult func backward(_ dLogits: Tensor) -> Tensor
}

extension ModelConfig {
    /// Builds the model with PyTorch-default initialisation drawn from `seed`.
    public func makeModel(seed: UInt64) -> SequenceClassifier {
        switch architecture {
        case .mlp: MLPClassifier(config: self, seed: seed)
        case .lstm: LSTMClassifier(config: self, seed: seed)
        case .tcn: TCNClassifier(config: self, seed: seed)
        case .transformer: TransformerClassifier(config: self, seed: seed)
        }
    }
}

extension Tensor {
    /// `[B, T, 21, 3]` or `[B, T, F]` → `[B, T, F]` (same storage).
    func asSequenceBatch(featureCount: Int) -> Tensor {
        precondition(rank >= 3 && shape.dropFirst(2).reduce(1, *) == featureCount,
                     "expected [B, T, \(featureCount)] (or [B, T, 21, 3]), got \(shape)")
        return reshaped([shape[0], shape[1], featureCount])
    }
}
