import Foundation
import NeuralNets
import ONNXExport
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
        case "onnx": return try CheckpointBackend(onnx: url)
        default: throw InferenceError.unsupportedModelFile(file: url.path)
        }
    }
}

/// The Swift model itself (`forward(training: false)`), from a training checkpoint or from an
/// aslsh-exported `.onnx` file, which `ONNXModelReader` rebuilds from its initializers and
/// `"aslsh"` metadata_props — so its predictions are the checkpoint's (the export tests hold
/// onnxruntime to the same logits within 1e-4). ONNX files from other tools are refused by the
/// reader with a message naming the file.
public final class CheckpointBackend: ClassifierBackend {
    public let metadata: ModelMetadata
    public let source: URL
    public let model: SequenceClassifier
    /// `checkpoint` or `onnx`: the file it came from.
    public let format: String

    public init(url: URL) throws {
        do { (model, metadata) = try Checkpoint.load(url) } catch {
            throw InferenceError.badModel(file: url.path, reason: "\(error)")
        }
        source = url
        format = "checkpoint"
    }

    public init(onnx url: URL) throws {
        do { (model, metadata) = try ONNXModelReader.read(url) } catch {
            throw InferenceError.badModel(file: url.path, reason: "\(error)")
        }
        source = url
        format = "onnx"
    }

    public init(model: SequenceClassifier, metadata: ModelMetadata, source: URL) {
        self.model = model
        self.metadata = metadata
        self.source = source
        format = "checkpoint"
    }

    public func logits(x: Tensor, mask: Tensor) throws -> Tensor {
        model.forward(x, mask: mask, training: false)
    }
}
