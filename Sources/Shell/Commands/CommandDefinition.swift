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

/// How many values a `--flag` takes.
public enum ValueCount: Equatable {
    /// One value (`--out x`).
    case one
    /// Exactly N values, written as N words (`--splits 0.7 0.15 0.15`) or one quoted string
    /// (`--splits "0.7 0.15 0.15"`).
    case exactly(Int)
    /// One or more: every bare word up to the next flag or the end of the command
    /// (`--labels a b c`), or one quoted string, or a list value.
    case oneOrMore
}

/// A `--flag` of a command.
public struct FlagSpec {
    public var name: String
    /// One-letter alias (`-n`).
    public var short: Character?
    /// Other accepted long spellings (old names kept working: `--output` for `--out`). Help lists
    /// them; giving two spellings of one flag in a call is an error.
    public var aliases: [String]
    /// The type of the flag's value (of each value, for list flags).
    public var type: ArgumentType
    public var help: String
    /// Used when the flag is absent; nil means absent flags are absent from the invocation.
    public var defaultValue: Value?
    /// May also be written without dashes as `NAME VALUE` (`count by label`).
    public var isKeyword: Bool
    /// `.one`, or a list flag: the handler then reads `call.list(name)`.
    public var valueCount: ValueCount
    /// Extra validation after the type check: returns a message when the value is not allowed.
    /// List flags get the whole `.list`.
    public var validate: ((Value) -> String?)?
    /// The flag names a file or folder the command writes (`--out`, download's `--videos`): two
    /// background jobs never write the same one.
    public var writes: Bool

    public init(_ name: String, short: Character? = nil, _ type: ArgumentType, _ help: String,
                default defaultValue: Value? = nil, keyword: Bool = false, aliases: [String] = [],
                values valueCount: ValueCount = .one, writes: Bool? = nil, validate: ((Value) -> String?)? = nil) {
        self.writes = writes ?? (name == "out" && type == .path)
        self.name = name
        self.short = short
        self.aliases = aliases
        self.type = type
        self.help = help
        self.defaultValue = type == .bool && defaultValue == nil ? .bool(false) : defaultValue
        self.isKeyword = keyword
        self.valueCount = valueCount
        self.validate = validate
    }

    /// Every long spelling: the name, then the aliases.
    public var spellings: [String] { [name] + aliases }

    public var isList: Bool { valueCount != .one }

    /// The values a choice flag takes (what completion offers), else nil.
    public var choices: [String]? {
        if case .choice(let options) = type { return options }
        return nil
    }

    /// Validation for numeric flags that must be positive.
    public static func positive(_ value: Value) -> String? {
        (value.numberValue ?? 0) > 0 ? nil : "must be greater than 0"
    }

    /// Validation for numeric flags that must be zero or more.
    public static func nonNegative(_ value: Value) -> String? {
        (value.numberValue ?? 0) >= 0 ? nil : "must be 0 or more"
    }

    /// Validation for fraction lists (`--splits`): each in [0, 1], not all zero, summing to 1
    /// within 1e-6.
    public static func fractions(_ value: Value) -> String? {
        guard case .list(let items) = value else { return "must be a list of fractions" }
        let numbers = items.compactMap(\.numberValue)
        let shown = numbers.map { ValueFormatter.inline(.number($0)) }.joined(separator: " ")
        guard numbers.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else { return "fractions must each be in [0, 1] (\(shown))" }
        guard numbers.contains(where: { $0 > 0 }) else { return "needs at least one positive fraction (\(shown))" }
        let sum = numbers.reduce(0, +)
        guard abs(sum - 1) <= 1e-6 else { return "fractions must sum to 1 (\(shown) sum to \(ValueFormatter.inline(.number(sum))))" }
        return nil
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
    /// Whether `cell &` may run it as a background job (not directives, which act on the session,
    /// nor the job commands themselves).
    public var runsInBackground: Bool
    /// Whether it multiplies matrices (OpenBLAS, loaded on first use): the shell loads OpenBLAS
    /// before running it, so a broken installation fails this command with the library's name and
    /// package instead of stopping the session. Set for the standard commands in `standard`.
    public var usesBLAS = false

    public init(_ name: String, summary: String, discussion: String = "", arguments: [ArgumentSpec] = [],
                flags: [FlagSpec] = [], input: PipeInput = .none, runsInBackground: Bool? = nil,
                handler: @escaping (Invocation) throws -> Value) {
        self.runsInBackground = runsInBackground ?? !name.hasPrefix(":")
        self.name = name
        self.summary = summary
        self.discussion = discussion
        self.arguments = arguments
        self.flags = flags
        self.input = input
        self.handler = handler
    }

    public func flag(named name: String) -> FlagSpec? { flags.first { $0.name == name } }
    /// The flag written `--spelling`: its name or one of its aliases.
    public func flag(spelled spelling: String) -> FlagSpec? { flags.first { $0.spellings.contains(spelling) } }
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

    /// Widest spelling a help page aligns its descriptions after: a longer one (a flag listing
    /// many choices) takes a line of its own, so one flag does not push every description of the
    /// page off the right of an 80-column terminal.
    static let helpColumnLimit = 30

    /// The column of a page's descriptions: its widest spelling up to `helpColumnLimit`.
    static func helpColumn(_ spellings: [String]) -> Int {
        min(spellings.map(\.count).max() ?? 0, helpColumnLimit)
    }

    /// "  SPELLING  text", or the spelling alone and the text under the column when it is wider.
    static func helpEntry(_ spelling: String, _ text: String, width: Int) -> [String] {
        if spelling.count > width { return ["  " + spelling, String(repeating: " ", count: width + 4) + text] }
        return ["  \(spelling.padding(toLength: width, withPad: " ", startingAt: 0))  \(text)"]
    }

    /// The full `:help NAME` text.
    public var helpText: [String] {
        var lines = ["\(name) — \(summary)", "usage: \(usage)"]
        if !discussion.isEmpty { lines.append(""); lines += discussion.splitLines() }
        if !arguments.isEmpty {
            lines.append("")
            lines.append("arguments:")
            let spellings = arguments.map { argument in
                "\(argument.name.uppercased()) (\(argument.type.display)\(argument.isVariadic ? ", any number" : "")"
                    + (argument.isOptional && !argument.isVariadic ? ", optional" : "") + ")"
            }
            let width = Self.helpColumn(spellings)
            for (argument, spelling) in zip(arguments, spellings) {
                var text = argument.help
                if let d = argument.defaultValue { text += " [default: \(ValueFormatter.inline(d))]" }
                lines += Self.helpEntry(spelling, text, width: width)
            }
        }
        if !flags.isEmpty {
            lines.append("")
            lines.append("flags:")
            let spellings = flags.map { flag -> String in
                var spelling = (flag.short.map { "-\($0), " } ?? "    ") + "--\(flag.name)"
                let shown: String
                if case .choice = flag.type { shown = flag.type.display } else { shown = flag.type.display.uppercased() }
                switch flag.valueCount {
                case _ where flag.type == .bool: break
                case .one: spelling += " \(shown)"
                case .exactly(let n): spelling += String(repeating: " \(shown)", count: n)
                case .oneOrMore: spelling += " \(shown)…"
                }
                return spelling
            }
            let width = Self.helpColumn(spellings)
            for (flag, spelling) in zip(flags, spellings) {
                var line = flag.help
                switch flag.valueCount {
                case .one: break
                case .exactly(let n): line += " (\(n) values: space-separated words or one quoted string)"
                case .oneOrMore: line += " (one or more: the words up to the next flag, or one quoted string)"
                }
                if !flag.aliases.isEmpty { line += " (also " + flag.aliases.map { "--" + $0 }.joined(separator: ", ") + ")" }
                if flag.isKeyword { line += " (also: \(flag.name) VALUE)" }
                if let d = flag.defaultValue, flag.type != .bool {
                    var text = ValueFormatter.inline(d)
                    if case .list(let items) = d { text = items.map { ValueFormatter.inline($0) }.joined(separator: " ") }
                    line += " [default: \(text)]"
                }
                lines += Self.helpEntry(spelling, line, width: width)
            }
        }
        return lines
    }
}
