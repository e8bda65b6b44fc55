import Datasets
import Foundation
import NeuralNets
import TensorCore

/// Checkpoint format: safetensors weights (PyTorch state_dict names) + JSON metadata under
/// `__metadata__["aslsh"]` (a `ModelMetadata`). Exported ONNX (`metadata_props`) and TFLite
/// (model metadata) files carry the same JSON under the same key, so every loader reads one type.
/// The last checkpoint of a run also carries a `TrainingState` under `__metadata__["aslsh_training"]`
/// and the optimiser's moments as tensors named `__training__.optimizer.first` / `.second`.
public enum Checkpoint {
    /// Prefix of tensors that are training state, not model parameters.
    public static let trainingTensorPrefix = "__training__."

    public static func write(_ model: SequenceClassifier, labelNames: [String], history: [EpochMetrics], seed: UInt64,
                             preprocessing: Dataset.Preprocessing = .init(),
                             state: (TrainingState, ResumableOptimizer)? = nil, to url: URL) throws {
        let meta = ModelMetadata(config: model.config, labelNames: labelNames, normalisation: LandmarkNormalizer.name,
                                 history: history, seed: seed, aslshVersion: ASLSHVersion.string, preprocessing: preprocessing)
        var metadata = [ModelMetadata.key: try meta.jsonString()]
        var file = model.parameters.safetensors()
        if let (training, optimizer) = state {
            metadata[TrainingState.key] = try training.jsonString()
            for (name, values) in [("first", optimizer.first), ("second", optimizer.second)] where !values.isEmpty {
                file.tensors.append(("\(trainingTensorPrefix)optimizer.\(name)", NDArray(float32: values)))
            }
        }
        file.metadata = metadata
        do { try file.write(to: url) } catch let error as ArrayFileError { throw TrainingError.writing(error) }
    }

    /// Reads a checkpoint back into a model; refuses files that are not aslsh checkpoints.
    public static func read(_ url: URL) throws -> (SequenceClassifier, labelNames: [String]) {
        let loaded = try load(url)
        return (loaded.model, loaded.metadata.labelNames)
    }

    /// The model and its full metadata (config, labels, normalisation, history, seed, version).
    public static func load(_ url: URL) throws -> (model: SequenceClassifier, metadata: ModelMetadata) {
        let loaded = try loadForResume(url)
        return (loaded.model, loaded.metadata)
    }

    /// The model, its metadata and — in a run's last checkpoint — the training state and the
    /// optimiser tensors (`first`, `second`; empty when absent).
    public static func loadForResume(_ url: URL) throws
        -> (model: SequenceClassifier, metadata: ModelMetadata, state: TrainingState?, optimizer: [String: [Float]]) {
        let file: Safetensors
        do { file = try Safetensors.read(contentsOf: url) } catch let error as ArrayFileError {
            // "PATH: no such file", "PATH: not a valid safetensors (…)": the file's own words.
            if case .io(let reason) = error.kind {
                throw TrainingError.file(FileProblem(path: error.file, kind: reason.hasPrefix("no such") ? .missing : .unreadable,
                                                     reason: reason))
            }
            throw TrainingError.incompatible(error.description)
        }
        guard let json = file.metadata[ModelMetadata.key] else {
            throw TrainingError.incompatible("\(url.path): not a valid checkpoint (a safetensors file without aslsh metadata)")
        }
        let meta = try ModelMetadata(json: json, source: url.path)
        let weights = file.tensors.filter { !$0.name.hasPrefix(trainingTensorPrefix) }
        try meta.checkWeightsFit(weights.reduce(0) { $0 + $1.array.count }, source: url.path)
        let model = meta.config.makeModel(seed: meta.seed)
        do { try model.parameters.load(weights, source: url.path) } catch {
            throw TrainingError.incompatible("\(error)")
        }
        let state = try file.metadata[TrainingState.key].map { try TrainingState(json: $0, source: url.path) }
        var optimizer: [String: [Float]] = [:]
        for (name, array) in file.tensors where name.hasPrefix(trainingTensorPrefix + "optimizer.") {
            guard case .float32(let values) = array.storage else {
                throw TrainingError.incompatible("\(url.path): \(name) is \(array.dtypeName), expected float32")
            }
            optimizer[String(name.dropFirst((trainingTensorPrefix + "optimizer.").count))] = values
        }
        return (model, meta, state, optimizer)
    }
}

/// Everything besides weights and optimiser moments that `--resume` needs to continue a run
/// exactly as if it had not stopped (JSON under `__metadata__["aslsh_training"]`).
public struct TrainingState: Codable, Equatable, Sendable {
    public static let key = "aslsh_training"
    /// Completed epochs.
    public var epoch: Int
    public var optimizer: OptimizerKind
    public var optimizerSteps: Int
    /// Learning rate the plateau scheduler has reached (other schedules recompute it from the epoch).
    public var learningRate: Float
    public var plateau: ReduceOnPlateau?
    /// xoshiro256** words of the shuffling, augmentation and each dropout layer's stream.
    public var shuffleRNG: [UInt64]
    public var augmentationRNG: [UInt64]
    public var dropoutRNGs: [[UInt64]]
    public var bestScore: Double
    public var bestEpoch: Int
    public var epochsSinceBest: Int
    /// File name (in the checkpoint folder) of the best checkpoint so far.
    public var bestCheckpoint: String
    public var runName: String
    /// Options a resumed run must repeat to be identical (compared, reported when they differ).
    public var batchSize: Int
    public var augmentation: AugmentationOptions
    public var scheduler: SchedulerKind

    enum CodingKeys: String, CodingKey {
        case epoch, optimizer, optimizerSteps = "optimizer_steps", learningRate = "lr", plateau
        case shuffleRNG = "shuffle_rng", augmentationRNG = "augmentation_rng", dropoutRNGs = "dropout_rngs"
        case bestScore = "best_score", bestEpoch = "best_epoch", epochsSinceBest = "epochs_since_best"
        case bestCheckpoint = "best_checkpoint", runName = "run_name", batchSize = "batch_size", augmentation, scheduler
    }

    public init(json: String, source: String) throws {
        do { self = try JSONDecoder().decode(TrainingState.self, from: Data(json.utf8)) } catch {
            throw TrainingError.incompatible("\(source): not a valid checkpoint (aslsh training state: \(jsonErrorDetail(error)))")
        }
    }

    init(epoch: Int, optimizer: OptimizerKind, optimizerSteps: Int, learningRate: Float, plateau: ReduceOnPlateau?,
         shuffleRNG: [UInt64], augmentationRNG: [UInt64], dropoutRNGs: [[UInt64]], bestScore: Double, bestEpoch: Int,
         epochsSinceBest: Int, bestCheckpoint: String, runName: String, batchSize: Int, augmentation: AugmentationOptions,
         scheduler: SchedulerKind) {
        self.epoch = epoch
        self.optimizer = optimizer
        self.optimizerSteps = optimizerSteps
        self.learningRate = learningRate
        self.plateau = plateau
        self.shuffleRNG = shuffleRNG
        self.augmentationRNG = augmentationRNG
        self.dropoutRNGs = dropoutRNGs
        self.bestScore = bestScore
        self.bestEpoch = bestEpoch
        self.epochsSinceBest = epochsSinceBest
        self.bestCheckpoint = bestCheckpoint
        self.runName = runName
        self.batchSize = batchSize
        self.augmentation = augmentation
        self.scheduler = scheduler
    }

    public func jsonString() throws -> String {
        String(decoding: try JSONEncoder.sorted.encode(self), as: UTF8.self)
    }
}

/// The dropout layers of a model, found by walking its stored properties (NeuralNets keeps them
/// internal): their random streams are part of the training state.
enum DropoutLayers {
    static func find(in model: SequenceClassifier) -> [Dropout] {
        var found: [Dropout] = []
        var seen = Set<ObjectIdentifier>()
        func visit(_ value: Any) {
            let mirror = Mirror(reflecting: value)
            switch mirror.displayStyle {
            case .class?:
                let object = value as AnyObject
                guard seen.insert(ObjectIdentifier(object)).inserted, !(object is ParameterStore) else { return }
                if let dropout = object as? Dropout { found.append(dropout); return }
                for child in mirror.children { visit(child.value) }
            case .collection?, .optional?:
                // Containers of layers only: stop at the first element that is plain data ([Float] caches).
                for child in mirror.children {
                    let style = Mirror(reflecting: child.value).displayStyle
                    guard style == .class || style == .optional || style == .collection else { break }
                    visit(child.value)
                }
            default:
                return
            }
        }
        visit(model)
        return found
    }
}
