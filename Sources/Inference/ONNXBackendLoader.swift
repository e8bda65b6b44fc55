import Foundation
import NeuralNets
import ONNXExport
import TensorCore
import Training

/// An aslsh-exported `.onnx` file: `ONNXModelReader` rebuilds the Swift model from its
/// initializers and `"aslsh"` metadata_props, so the predictions are the checkpoint's (the export
/// tests hold onnxruntime to the same logits within 1e-4). ONNX files from other tools are refused
/// by the reader with a message naming the file.
public final class ONNXBackend: ClassifierBackend {
    public let metadata: ModelMetadata
    public let source: URL
    public let model: SequenceClassifier
    public var format: String { "onnx" }

    public init(url: URL) throws {
        do { (model, metadata) = try ONNXModelReader.read(url) } catch {
            throw InferenceError.badModel(file: url.path, reason: "\(error)")
        }
        source = url
    }

    public func logits(x: Tensor, mask: Tensor) throws -> Tensor {
        model.forward(x, mask: mask, training: false)
    }
}

enum ONNXBackendLoader {
    static func load(_ url: URL) throws -> ClassifierBackend { try ONNXBackend(url: url) }
}
