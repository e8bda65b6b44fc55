/// What can go wrong loading a model or predicting. Every case names the file or the item
/// (a `.npy`, an image, a video window …) so a batch can report it and go on.
public enum InferenceError: Error, CustomStringConvertible, Equatable {
    /// The file's extension is not `.safetensors`, `.tflite` or `.onnx`.
    case unsupportedModelFile(file: String)
    /// The model file is readable but not a usable aslsh classifier (no metadata, wrong I/O).
    case badModel(file: String, reason: String)
    /// The input landmarks have the wrong shape, a mask of the wrong length, non-finite values….
    case badInput(item: String, reason: String)
    /// The hand tracker found no hand in the image (or in any frame of the window).
    case noHand(item: String)

    public var description: String {
        switch self {
        case .unsupportedModelFile(let file):
            "\(file): not a model file aslsh can load (expected .safetensors checkpoint, .tflite or .onnx)"
        // Reasons from the loaders usually name the file already ("m.onnx: not a valid ONNX model (…)").
        case .badModel(let file, let reason): reason.hasPrefix(file + ":") ? reason : "\(file): \(reason)"
        case .badInput(let item, let reason): "\(item): \(reason)"
        case .noHand(let item): "\(item): no hand found"
        }
    }

    /// The same error naming another item (the predictor says "input"; callers know the file).
    public func naming(_ item: String) -> InferenceError {
        switch self {
        case .badInput(_, let reason): .badInput(item: item, reason: reason)
        case .noHand: .noHand(item: item)
        default: self
        }
    }
}
