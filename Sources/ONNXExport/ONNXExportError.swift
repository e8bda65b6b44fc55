import Foundation

/// Everything that can go wrong exporting or reading an aslsh ONNX file; every case names the file
/// (and the initializer or model part) concerned.
public enum ONNXExportError: Error, CustomStringConvertible, Equatable {
    /// The file is missing or could not be read or written (`reason` in the shared words of
    /// `FileProblem`: "no such file", "cannot write: permission denied").
    case io(file: String, reason: String)
    /// The bytes are not an ONNX model (protobuf decoding failed: corrupt or truncated).
    case notONNX(file: String, reason: String)
    /// A valid ONNX model, but not one aslsh wrote (no or invalid `aslsh` metadata_props entry).
    case notAslsh(file: String, reason: String)
    /// An initializer the model's parameters need is absent.
    case missingInitializer(file: String, name: String)
    /// An initializer has the wrong type, shape or size.
    case badInitializer(file: String, name: String, reason: String)
    /// The model cannot be expressed with the pinned opset (what and why).
    case unsupported(String)

    public var description: String {
        switch self {
        case .io(let f, let r): "\(f): \(r)"
        case .notONNX(let f, let r): "\(f): not a valid ONNX model (\(r))"
        case .notAslsh(let f, let r): "\(f): not an aslsh-exported ONNX model (\(r))"
        case .missingInitializer(let f, let n): "\(f): initializer \(n) is missing"
        case .badInitializer(let f, let n, let r): "\(f): initializer \(n): \(r)"
        case .unsupported(let s): "ONNX export: \(s)"
        }
    }
}
