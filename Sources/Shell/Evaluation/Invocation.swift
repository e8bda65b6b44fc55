import Foundation

/// One call of a command after its arguments were bound and validated against its definition:
/// handlers read typed values by name and never re-check types.
public struct Invocation {
    public let definition: CommandDefinition
    /// The value piped in from the previous stage (nil for the first stage).
    public let input: Value?
    /// Positional arguments and flags by name (defaults applied).
    public let values: [String: Value]
    /// Unevaluated `.expression` arguments by name.
    public let expressions: [String: Expression]
    /// Names the user actually wrote (flags given explicitly, positionals supplied).
    public let given: Set<String>
    public let session: Session
    /// Where the command name is, for errors the handler raises.
    public let location: SourceLocation

    public subscript(name: String) -> Value? { values[name] }

    public func int(_ name: String) -> Int? {
        switch values[name] {
        case .int(let i): i
        case .number(let d): Int(d)
        default: nil
        }
    }

    public func number(_ name: String) -> Double? { values[name]?.numberValue }
    public func string(_ name: String) -> String? { values[name].flatMap { $0.textValue } }
    public func bool(_ name: String) -> Bool {
        if case .bool(let b) = values[name] { return b }
        return false
    }
    public func list(_ name: String) -> [Value] {
        if case .list(let items) = values[name] { return items }
        return values[name].map { [$0] } ?? []
    }
    /// A path argument resolved against the working directory (`~` expanded).
    public func url(_ name: String) -> URL? {
        string(name).map(Invocation.resolvePath)
    }
    /// The piped-in table (validated by the binder for commands with `input: .table`).
    public var inputTable: Table? { input?.tableValue }

    /// An error at this command, for handlers.
    public func failure(_ message: String, hint: String? = nil) -> ShellError {
        ShellError(.failed, "\(definition.name): \(message)", at: location, length: definition.name.count, hint: hint)
    }

    public static func resolvePath(_ text: String) -> URL {
        let expanded = (text as NSString).expandingTildeInPath
        return URL(fileURLWithPath: expanded, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL
    }
}
