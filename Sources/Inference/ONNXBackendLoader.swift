import Foundation

/// The one place the ONNX backend plugs in: at merge, replace the body with
/// `ONNXModelReader.read(url)` → (model, metadata) wrapped in a `ClassifierBackend`.
enum ONNXBackendLoader {
    static func load(_ url: URL) throws -> ClassifierBackend {
        throw InferenceError.onnxBackendMissing(file: url.path)
    }
}
