import Foundation
import NeuralNets
import TensorCore
import Training

/// One way of running a trained classifier: the Swift model of a checkpoint, the TFLite
/// interpreter on an exported `.tflite`, an aslsh-exported `.onnx`. All follow the export I/O contract:
/// landmarks `[B, T, 21, 3]` already normalised, mask `[B, T]` (1 = hand) → logits `[B, C]`.
public protocol ClassifierBackend: AnyObject {
    /// The file's `"aslsh"` metadata (config, label names, normalisation …).
    var metadata: ModelMetadata { get }
    var source: URL { get }
    /// `checkpoint`, `tflite`, `onnx`.
    var format: String { get }
    /// x `[B, T, 21, 3]`, mask `[B, T]` → logits `[B, C]`.
    func logits(x: Tensor, mask: Tensor) throws -> Tensor
}

/// Opens a model file by its extension.
public enum ModelFiles {
    public static func backend(for url: URL) throws -> ClassifierBackend {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw InferenceError.badModel(file: url.path, reason: "no such file")
        }
        switch url.pathExtension.lowercased() {
        case "safetensors": return try CheckpointBackend(url: url)
        case "tflite": return try TFLiteBackend(url: url)
        case "onnx": return try ONNXBackendLoader.load(url)
        default: throw InferenceError.unsupportedModelFile(file: url.path)
        }
    }
}

/// A training checkpoint run by the Swift model itself (`forward(training: false)`).
public final class CheckpointBackend: ClassifierBackend {
    public let metadata: ModelMetadata
    public let source: URL
    public let model: SequenceClassifier
    public var format: String { "checkpoint" }

    public init(url: URL) throws {
        do { (model, metadata) = try Checkpoint.load(url) } catch {
            throw InferenceError.badModel(file: url.path, reason: "\(error)")
        }
        source = url
    }

    public init(model: SequenceClassifier, metadata: ModelMetadata, source: URL) {
        self.model = model
        self.metadata = metadata
        self.source = source
    }

    public func logits(x: Tensor, mask: Tensor) throws -> Tensor {
        model.forward(x, mask: mask, training: false)
    }
}
