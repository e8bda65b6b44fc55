import Foundation

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
        /// Loading it needs `needed` bytes of memory, more than `budget` allows: refused before
        /// anything is allocated.
        case needsMemory(needed: Int, budget: MemoryBudget)
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

    /// The same problem in the shared words (`FileProblem`): reading/writing failures keep theirs.
    public init(_ problem: FileProblem, member: String? = nil) {
        self.init(file: problem.path, member: member, .io(problem.reason))
    }

    /// The format named in "not a valid …": the member's (`npy` inside an `.npz`) or the file's.
    var formatName: String {
        if let member { return member.hasSuffix(".npy") ? "npy" : "array" }
        switch (file as NSString).pathExtension.lowercased() {
        case "npz": return "npz"
        case "safetensors": return "safetensors"
        default: return "npy"
        }
    }

    /// The description without the file's path (for messages that already name it).
    public var problem: String {
        let text = description
        return text.hasPrefix(file + ": ") ? String(text.dropFirst(file.count + 2)) : text
    }

    public var description: String {
        var place = file
        if let member { place += " [\(member)]" }
        if let offset { place += " at byte \(offset)" }
        // Everything about the bytes themselves reads "not a valid FORMAT (why)"; the rest says
        // what is missing or what the operating system refused.
        func malformed(_ why: String) -> String { "\(place): not a valid \(formatName) (\(why))" }
        switch kind {
        case .truncated(let needed, let available):
            return malformed("truncated: needs \(needed) bytes, only \(available) present")
        case .badMagic: return malformed("wrong magic bytes")
        case .badHeader(let reason): return malformed("malformed header: \(reason)")
        case .unsupportedDType(let d): return malformed("unsupported dtype \(d)")
        case .sizeMismatch(let e, let a): return malformed("header promises \(e) bytes of data, found \(a)")
        case .corrupt(let reason): return malformed(reason)
        case .notAnArray: return malformed("archive entry is not a .npy array")
        case .missingArray: return "\(place): no such array"
        case .unexpected(let reason): return "\(place): \(reason)"
        case .io(let reason): return "\(place): \(reason)"
        case .needsMemory(let needed, let budget): return "\(place): too large to load: \(budget.shortfall(needing: needed))"
        }
    }
}
