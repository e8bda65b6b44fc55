import Foundation
import NeuralNets
import TensorCore

/// Hyperparameters of one training run (flag names as the original `train.py`, plus aslsh's own).
public struct TrainingOptions: Sendable {
    public var architecture: Architecture = .mlp
    public var hiddenDim: Int?
    public var layers: Int?
    /// Transformer attention heads (hidden-dim must be a multiple).
    public var heads = 4
    /// What the model sees of each frame (`--features`): coordinates, handshape distances, or both.
    public var features: [FrameFeature] = [.coords]
    public var dropout: Float = 0.2
    public var batchSize = 64
    /// Total epochs of the run (a resumed run continues up to this number).
    public var epochs = 30
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 0
    public var optimizer: OptimizerKind = .adam
    /// SGD momentum (ignored by Adam/AdamW).
    public var momentum: Float = 0.9
    public var scheduler: SchedulerKind = .none
    /// Linear warm-up epochs (every scheduler): epoch e < warmup uses lr·(e+1)/warmup.
    public var warmupEpochs = 0
    /// `step`: multiply by `gamma` every `stepSize` epochs; `plateau`: multiply by `gamma` after
    /// `stepSize` epochs without validation-loss improvement.
    public var stepSize = 10
    public var gamma: Float = 0.1
    public var labelSmoothing: Float = 0
    /// Inverse-frequency class weights n/(C·n_c) (scikit-learn's "balanced").
    public var balancedClassWeights = false
    public var seed: UInt64 = 42
    /// Stop when validation accuracy has not improved for this many epochs (nil = never).
    public var patience: Int?
    /// Global gradient-norm clip (nil = none).
    public var clipNorm: Float?
    public var augmentation = AugmentationOptions()
    /// Also write TensorBoard event files under `<checkpoint dir>/runs/<run name>/`.
    public var tensorboard = false
    /// TensorBoard run folder name (default `<arch>_<UTC time>`).
    public var runName: String?
    /// Continue from this `<arch>_last.safetensors` (its training state).
    public var resume: URL?
    /// Where the best/last checkpoints, `<arch>_metrics.jsonl` and `runs/` go.
    public var checkpointDirectory = URL(fileURLWithPath: "models/checkpoints")
    public init() {}
}

public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    /// Adam (AdamW when weight decay > 0, as the original pipeline).
    case adam
    case adamw
    case sgd
}

public enum SchedulerKind: String, Codable, Sendable, CaseIterable {
    case none, step, cosine, plateau
}

/// One epoch's numbers, as written to the metrics log (JSON lines) that `plot curves` reads.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAcc: Double
    public var valLoss: Double?
    public var valAcc: Double?
    public var valTop5: Double?
    /// Learning rate used during the epoch.
    public var learningRate: Double?
    /// Wall-clock seconds of the epoch (not compared by resume tests: it is not deterministic).
    public var seconds: Double?
    enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", trainAcc = "train_acc", valLoss = "val_loss", valAcc = "val_acc", valTop5 = "val_top5"
        case learningRate = "lr", seconds
    }

    public init(epoch: Int, trainLoss: Double, trainAcc: Double, valLoss: Double? = nil, valAcc: Double? = nil,
                valTop5: Double? = nil, learningRate: Double? = nil, seconds: Double? = nil) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAcc = trainAcc
        self.valLoss = valLoss
        self.valAcc = valAcc
        self.valTop5 = valTop5
        self.learningRate = learningRate
        self.seconds = seconds
    }

    /// The same record without the wall-clock time (what must match between identical runs).
    public var withoutTime: EpochMetrics {
        var m = self
        m.seconds = nil
        return m
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(epoch: Int, batch: Int)
    case incompatible(String)
    case cancelled(epoch: Int)
    case badOption(String)
    /// A checkpoint, metrics log or event file that is missing or cannot be written, in the
    /// shared words (`FileProblem`: "PATH: cannot write: permission denied").
    case file(FileProblem)

    /// A failed array-file write (checkpoint weights) in the shared words.
    static func writing(_ error: ArrayFileError) -> TrainingError {
        .file(FileProblem(path: error.file, kind: .unwritable, reason: error.problem))
    }

    public var description: String {
        switch self {
        case .file(let problem): problem.description
        case .nonFinite(let e, let b): "loss became NaN/Inf at epoch \(e), batch \(b): lower --lr or add clipping; the best checkpoint so far is kept"
        case .incompatible(let why): why
        case .cancelled(let e): "stopped at epoch \(e); the best and last checkpoints so far are kept"
        case .badOption(let why): why
        }
    }
}
