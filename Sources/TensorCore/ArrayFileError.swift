/// Every failure reading or writing an array file (.npy, .npz, .safetensors) names the file,
/// the array inside a container when there is one, and the byte offset when it is known.
public struct ArrayFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The file ends before the header or data it announces (`needed` bytes, `available` present).
        case truncated(needed: Int, available: Int)
        /// Not the format's magic bytes.
        case badMagic
        /// The header is not what the format allows.
        case badHeader(String)
        /// A dtype aslsh does not read or write (object arrays, complex numbers, …).
        case unsupportedDType(String)
        /// The header's shape and dtype need `expected` bytes but the payload has `actual`.
        case sizeMismatch(expected: Int, actual: Int)
        /// An archive entry that is not a `.npy` array.
        case notAnArray
        /// A container that is damaged (bad zip structure, CRC mismatch, …).
        case corrupt(String)
        /// A requested array is absent from the container.
        case missingArray
        /// The array exists but has the wrong type or shape for the caller.
        case unexpected(String)
        /// The operating system refused (open, read, write, rename).
        case io(String)
    }

    public var file: String
    /// The array inside an `.npz` / `.safetensors` container, if the failure concerns one.
    public var member: String?
    /// Byte offset in the file (or in the member) where the problem was found.
    public var offset: Int?
    public var kind: Kind

    public init(file: String, member: String? = nil, offset: Int? = nil, _ kind: Kind) {
        self.file = file
        self.member = member
        self.offset = offset
        self.kind = kind
    }

    public var description: String {
        var place = file
        if let member { place += " [\(member)]" }
        if let offset { place += " at byte \(offset)" }
        let what: String
        switch kind {
        case .truncated(let needed, let available):
            what = "truncated: needs \(needed) bytes, only \(available) present"
        case .badMagic: what = "not an array file of this format (wrong magic bytes)"
        case .badHeader(let reason): what = "malformed header: \(reason)"
        case .unsupportedDType(let d): what = "unsupported dtype \(d)"
        case .sizeMismatch(let e, let a): what = "header promises \(e) bytes of data, found \(a)"
        case .corrupt(let reason): what = reason
        case .notAnArray: what = "archive entry is not a .npy array"
        case .missingArray: what = "no such array"
        case .unexpected(let reason): what = reason
        case .io(let reason): what = reason
        }
        return "\(place): \(what)"
    }
}
