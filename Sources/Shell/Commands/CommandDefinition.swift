/// The type an argument or flag accepts. It decides how a bare word is read (variable or literal
/// text), how the value is validated, and what `:help` and completion show.
public enum ArgumentType: Equatable {
    /// Any value; a bare word must name a variable (or look like a path).
    case any
    /// Text; a bare word is literal text unless it names a text variable.
    case string
    /// A name taken literally, never a variable (column names, sub-command words).
    case word
    case int
    case number
    /// A switch: `--flag` alone means true; `--flag=false` is allowed.
    case bool
    /// A file path; a bare word is literal unless it names a text/path variable.
    case path
    /// A table, or a list of records.
    case table
    /// An unevaluated expression, evaluated by the command per row (`where`).
    case expression
    /// One of the listed words.
    case choice([String])
    /// An opaque value with this `typeName` (e.g. `dataset`).
    case opaque(String)

    /// How `:help` shows the type.
    public var display: String {
        switch self {
        case .any: "value"
        case .string: "text"
        case .word: "name"
        case .int: "int"
        case .number: "number"
        case .bool: "bool"
        case .path: "path"
        case .table: "table"
        case .expression: "condition"
        case .choice(let options): options.joined(separator: "|")
        case .opaque(let name): name
        }
    }
}

/// A positional argument of a command.
public struct ArgumentSpec {
    public var name: String
    public var type: ArgumentType
    public var help: String
    public var isOptional: Bool
    /// Takes all remaining positionals as a list (must be last).
    public var isVariadic: Bool
    public var defaultValue: Value?

    public init(_ name: String, _ type: ArgumentType, _ help: String, optional: Bool = false,
                variadic: Bool = false, default defaultValue: Value? = nil) {
        self.name = name
        self.type = type
        self.help = help
        self.isOptional = optional || defaultValue != nil || variadic
        self.isVariadic = variadic
        self.defaultValue = defaultValue
    }
}

/// A `--flag` of a command.
public struct FlagSpec {
    public var name: String
    /// One-letter alias (`-n`).
    public var short: Character?
    public var type: ArgumentType
    public var help: String
    /// Used when the flag is absent; nil means absent flags are absent from the invocation.
    public var defaultValue: Value?
    /// May also be written without dashes as `NAME VALUE` (`count by label`).
    public var isKeyword: Bool
    /// Extra validation after the type check: returns a message when the value is not allowed.
    public var validate: ((Value) -> String?)?

    public init(_ name: String, short: Character? = nil, _ type: ArgumentType, _ help: String,
                default defaultValue: Value? = nil, keyword: Bool = false,
                validate: ((Value) -> String?)? = nil) {
        self.name = name
        self.short = short
        self.type = type
        self.help = help
        self.defaultValue = type == .bool && defaultValue == nil ? .bool(false) : defaultValue
        self.isKeyword = keyword
        self.validate = validate
    }

    /// Validation for numeric flags that must be positive.
    public static func positive(_ value: Value) -> String? {
        (value.numberValue ?? 0) > 0 ? nil : "must be greater than 0"
    }

    /// Validation for numeric flags that must be zero or more.
    public static func nonNegative(_ value: Value) -> String? {
        (value.numberValue ?? 0) >= 0 ? nil : "must be 0 or more"
    }
}

/// What a command accepts from the pipeline stage before it.
public enum PipeInput: Equatable {
    /// Cannot follow `|`.
    case none
    /// A table (or list of records).
    case table
    /// Any value.
    case any
}

/// Everything about one command, defined once: `:help`, tab completion, argument validation
/// and the handler all read this.
public struct CommandDefinition {
    public var name: String
    /// One line for the `:help` list.
    public var summary: String
    /// Longer help: what it does, examples.
    public var discussion: String
    public var arguments: [ArgumentSpec]
    public var flags: [FlagSpec]
    public var input: PipeInput
    public var handler: (Invocation) throws -> Value

    public init(_ name: String, summary: String, discussion: String = "", arguments: [ArgumentSpec] = [],
                flags: [FlagSpec] = [], input: PipeInput = .none,
                handler: @escaping (Invocation) throws -> Value) {
        self.name = name
        self.summary = summary
        self.discussion = discussion
        self.arguments = arguments
        self.flags = flags
        self.input = input
        self.handler = handler
    }

    public func flag(named name: String) -> FlagSpec? { flags.first { $0.name == name } }
    public func flag(short: Character) -> FlagSpec? { flags.first { $0.short == short } }

    /// `load PATH [--flag TYPE] …`
    public var usage: String {
        var parts = [name]
        for argument in arguments {
            let text = argument.name.uppercased() + (argument.isVariadic ? "…" : "")
            parts.append(argument.isOptional ? "[\(text)]" : text)
        }
        if !flags.isEmpty { parts.append("[flags]") }
        return (input == .none ? "" : "… | ") + parts.joined(separator: " ")
    }

    /// The full `:help NAME` text.
    public var helpText: [String] {
        var lines = ["\(name) — \(summary)", "usage: \(usage)"]
        if !discussion.isEmpty { lines.append(""); lines += discussion.components(separatedBy: "\n") }
        if !arguments.isEmpty {
            lines.append("")
            lines.append("arguments:")
            let spellings = arguments.map { argument in
                "\(argument.name.uppercased()) (\(argument.type.display)\(argument.isVariadic ? ", any number" : "")"
                    + (argument.isOptional && !argument.isVariadic ? ", optional" : "") + ")"
            }
            let width = spellings.map(\.count).max() ?? 0
            for (argument, spelling) in zip(arguments, spellings) {
                var line = "  \(spelling.padding(toLength: width, withPad: " ", startingAt: 0))  \(argument.help)"
                if let d = argument.defaultValue { line += " [default: \(ValueFormatter.inline(d))]" }
                lines.append(line)
            }
        }
        if !flags.isEmpty {
            lines.append("")
            lines.append("flags:")
            let spellings = flags.map { flag -> String in
                var spelling = (flag.short.map { "-\($0), " } ?? "    ") + "--\(flag.name)"
                if case .choice = flag.type { spelling += " \(flag.type.display)" } else if flag.type != .bool {
                    spelling += " \(flag.type.display.uppercased())"
                }
                return spelling
            }
            let width = spellings.map(\.count).max() ?? 0
            for (flag, spelling) in zip(flags, spellings) {
                var line = "  \(spelling.padding(toLength: width, withPad: " ", startingAt: 0))  \(flag.help)"
                if flag.isKeyword { line += " (also: \(flag.name) VALUE)" }
                if let d = flag.defaultValue, flag.type != .bool { line += " [default: \(ValueFormatter.inline(d))]" }
                lines.append(line)
            }
        }
        return lines
    }
}
