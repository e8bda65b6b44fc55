import Datasets
import Foundation
import NeuralNets
import TensorCore

/// What every aslsh model file says about itself, as one JSON object under the key `"aslsh"`:
/// in a checkpoint's safetensors `__metadata__`, an ONNX file's `metadata_props`, and a TFLite
/// file's `metadata` (buffer holding the UTF-8 JSON). Keys are snake_case and stable:
/// `config` (ModelConfig), `label_names` (index = class id), `normalisation` (e.g. "wrist_mcp9"),
/// `history` (per-epoch metrics), `seed`, `aslsh_version`.
public struct ModelMetadata: Codable, Equatable, Sendable {
    public static let key = "aslsh"
    public var config: ModelConfig
    public var labelNames: [String]
    public var normalisation: String
    public var history: [EpochMetrics]
    public var seed: UInt64
    public var aslshVersion: String
    /// What the training data's `build` did beyond normalising (gap filling, left hands
    /// mirrored): prediction does the same to its input. Absent in older files = none.
    public var preprocessing: Dataset.Preprocessing

    enum CodingKeys: String, CodingKey {
        case config, labelNames = "label_names", normalisation, history, seed, aslshVersion = "aslsh_version", preprocessing
    }

    public init(config: ModelConfig, labelNames: [String], normalisation: String, history: [EpochMetrics] = [],
                seed: UInt64, aslshVersion: String = ASLSHVersion.string, preprocessing: Dataset.Preprocessing = .init()) {
        self.config = config
        self.labelNames = labelNames
        self.normalisation = normalisation
        self.history = history
        self.seed = seed
        self.aslshVersion = aslshVersion
        self.preprocessing = preprocessing
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        config = try c.decode(ModelConfig.self, forKey: .config)
        labelNames = try c.decode([String].self, forKey: .labelNames)
        normalisation = try c.decode(String.self, forKey: .normalisation)
        history = try c.decode([EpochMetrics].self, forKey: .history)
        seed = try c.decode(UInt64.self, forKey: .seed)
        aslshVersion = try c.decode(String.self, forKey: .aslshVersion)
        preprocessing = try c.decodeIfPresent(Dataset.Preprocessing.self, forKey: .preprocessing) ?? .init()
    }

    /// Parses the JSON; `source` names the file in the error.
    public init(json: String, source: String) throws {
        do { self = try JSONDecoder().decode(ModelMetadata.self, from: Data(json.utf8)) } catch {
            throw TrainingError.incompatible("\(source): not a valid checkpoint (aslsh metadata: \(jsonErrorDetail(error)))")
        }
        // A damaged or hostile config must fail here, not in `makeModel` (negative sizes trap;
        // huge ones allocate gigabytes before any weight is read).
        let c = config
        let sizes = [("sequenceLength", c.sequenceLength), ("featureCount", c.featureCount), ("classCount", c.classCount),
                     ("hiddenDim", c.hiddenDim), ("layers", c.layers), ("kernelSize", c.kernelSize), ("heads", c.heads)]
        if let (name, value) = sizes.first(where: { $0.1 < 1 }) {
            throw TrainingError.incompatible("\(source): not a valid checkpoint (aslsh metadata: config.\(name) is \(value), must be positive)")
        }
        if c.architecture == .transformer && c.hiddenDim % c.heads != 0 {
            throw TrainingError.incompatible("\(source): not a valid checkpoint (aslsh metadata: config.hiddenDim \(c.hiddenDim) "
                + "is not a multiple of config.heads \(c.heads))")
        }
        if c.features != [.coords] && FrameLayout(values: c.featureCount) == nil {
            throw TrainingError.incompatible("\(source): not a valid checkpoint (aslsh metadata: config.featureCount \(c.featureCount) "
                + "is no landmark layout (values per frame: \(FrameLayout.all.map { String($0.values) }.joined(separator: ", "))), "
                + "so its \(c.features.map(\.rawValue).joined(separator: " ")) features are undefined)")
        }
        guard preprocessing.fillGaps >= 0 else {
            throw TrainingError.incompatible("\(source): not a valid checkpoint (aslsh metadata: preprocessing.fill_gaps is \(preprocessing.fillGaps), must be ≥ 0)")
        }
        guard c.dropout >= 0 && c.dropout < 1 else {
            throw TrainingError.incompatible("\(source): not a valid checkpoint (aslsh metadata: config.dropout is \(c.dropout), must be in [0, 1))")
        }
    }

    /// Fewest weights a model of `config` has (its weight matrices; biases and buffers not
    /// counted), or nil when that overflows. Readers compare it with the weights a file holds
    /// before building the model, so a config claiming a huge model fails without allocating it.
    public static func minimumWeightCount(_ c: ModelConfig) -> Int? {
        func product(_ factors: Int...) -> Int? {
            var p = 1
            for f in factors {
                let (r, overflow) = p.multipliedReportingOverflow(by: f)
                if overflow { return nil }
                p = r
            }
            return p
        }
        func sum(_ terms: Int?...) -> Int? {
            var s = 0
            for t in terms {
                guard let t else { return nil }
                let (r, overflow) = s.addingReportingOverflow(t)
                if overflow { return nil }
                s = r
            }
            return s
        }
        let (h, l, f, classes) = (c.hiddenDim, c.layers, c.frameWidth, c.classCount)
        switch c.architecture {
        case .mlp:   // T·F → h, (l − 1) × h → h, h → C
            return sum(product(c.sequenceLength, f, h), product(l - 1, h, h), product(h, classes))
        case .lstm:  // per direction: W_ih 4h × in, W_hh 4h × h; head (dirs·h) → C
            let dirs = c.bidirectional ? 2 : 1
            return sum(product(dirs, 4, h, f), product(dirs, 4, h, h), product(l - 1, dirs, 4, h, dirs * h),
                       product(l - 1, dirs, 4, h, h), product(dirs, h, classes))
        case .tcn:   // level 0: conv1 h × F × k, conv2 h × h × k; later levels two h × h × k; head h → C
            return sum(product(h, f, c.kernelSize), product(h, h, c.kernelSize), product(l - 1, 2, h, h, c.kernelSize),
                       product(h, classes))
        case .transformer:   // stem h × F × k, pos T × h; per layer in_proj 3h × h, out_proj h × h, FF 2 × (2h × h); head h → C
            return sum(product(h, f, c.kernelSize), product(c.sequenceLength, h),
                       product(l, 3 + 1 + 2 * TransformerClassifier.feedForwardFactor, h, h), product(h, classes))
        }
    }

    /// Throws unless `storedWeights` (floats in the file) can hold this model's weights.
    public func checkWeightsFit(_ storedWeights: Int, source: String) throws {
        let needed = Self.minimumWeightCount(config)
        guard let needed, needed <= storedWeights else {
            throw TrainingError.incompatible("\(source): not a valid checkpoint (aslsh metadata: config \(config.architecture.rawValue) "
                + "hidden \(config.hiddenDim) × \(config.layers) layers needs \(needed.map(String.init) ?? "more than 2^63") weights, "
                + "the file holds \(storedWeights))")
        }
    }

    /// Sorted-key JSON (stable bytes for identical metadata).
    public func jsonString() throws -> String {
        String(decoding: try JSONEncoder.sorted.encode(self), as: UTF8.self)
    }
}
