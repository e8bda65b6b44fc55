/// Everything that can go wrong reading or running a TFLite model. Every case says where:
/// a byte offset in the file, or an operator index (and its op name) in the subgraph.
public enum TFLiteError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read at all (`reason` in the shared words: "no such file", …).
    case unreadable(path: String, reason: String)
    /// The flatbuffer is truncated or inconsistent at `offset` (bytes from the file start).
    case malformed(offset: Int, reason: String)
    /// A well-formed file whose contents refer to something that does not exist
    /// (a tensor index past the end, a buffer too small for its tensor, …).
    case invalidModel(location: String, reason: String)
    /// An operator (index `index` in the subgraph) this runtime has no kernel for.
    case unsupportedOperator(index: Int, op: String, reason: String)
    /// An operator whose inputs/outputs have shapes the kernel cannot handle.
    case shapeMismatch(index: Int, op: String, reason: String)
    /// A caller passed inputs that do not match the model.
    case invalidInput(index: Int, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): \(reason)"
        case let .malformed(offset, reason): return "not a valid TFLite model (byte \(offset): \(reason))"
        case let .invalidModel(location, reason): return "invalid TFLite model (\(location)): \(reason)"
        case let .unsupportedOperator(index, op, reason): return "operator \(index) (\(op)) is not supported: \(reason)"
        case let .shapeMismatch(index, op, reason): return "operator \(index) (\(op)): \(reason)"
        case let .invalidInput(index, reason): return "input \(index): \(reason)"
        }
    }
}
