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

    enum CodingKeys: String, CodingKey {
        case config, labelNames = "label_names", normalisation, history, seed, aslshVersion = "aslsh_version"
    }

    public init(config: ModelConfig, labelNames: [String], normalisation: String, history: [EpochMetrics] = [],
                seed: UInt64, aslshVersion: String = ASLSHVersion.string) {
        self.config = config
        self.labelNames = labelNames
        self.normalisation = normalisation
        self.history = history
        self.seed = seed
        self.aslshVersion = aslshVersion
    }

    /// Parses the JSON; `source` names the file in the error.
    public init(json: String, source: String) throws {
        do { self = try JSONDecoder().decode(ModelMetadata.self, from: Data(json.utf8)) } catch {
            throw TrainingError.incompatible("\(source): not a valid checkpoint (aslsh metadata: \(jsonErrorDetail(error)))")
        }
    }

    /// Sorted-key JSON (stable bytes for identical metadata).
    public func jsonString() throws -> String {
        String(decoding: try JSONEncoder.sorted.encode(self), as: UTF8.self)
    }
}
