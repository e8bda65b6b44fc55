/// The syntax tree of one cell (see README "Grammar").
public indirect enum Statement: Equatable {
    /// `name = pipeline`
    case assignment(name: String, at: SourceLocation, value: Pipeline)
    case pipeline(Pipeline)
    /// `:time cell` runs the inner statement and reports wall time.
    case timed(Statement, at: SourceLocation)
    /// `cell &` (or `:nice N cell &`): runs the cell as a background job, at niceness `nice`
    /// (0: the shell's own priority).
    case background(Statement, at: SourceLocation, nice: Int)
    /// A blank or comment-only cell.
    case empty
}

/// `stage | stage | ...`: each stage after the first receives the previous stage's value.
public struct Pipeline: Equatable {
    public var stages: [Stage]
    public init(stages: [Stage]) { self.stages = stages }
}

public enum Stage: Equatable {
    /// `name arg ... --flag value ...` (commands and `:directives`; a lone name may also be a variable).
    case command(CommandCall)
    /// Any other expression, e.g. `r.accuracy`, `[1, 2]`, `"text"`.
    case expression(Expression)
}

public struct CommandCall: Equatable {
    public var name: String
    public var location: SourceLocation
    public var nameLength: Int
    public var arguments: [Argument]
}

public enum Argument: Equatable {
    case value(Expression)
    /// `--name`, `--name=value` (inline) or `-abc` (short, one letter each); a flag that takes a
    /// value and has none inline consumes the next value argument when bound.
    case flag(name: String, isShort: Bool, inlineValue: Expression?, at: SourceLocation, length: Int)
}

public indirect enum Expression: Equatable {
    case number(Double, isInteger: Bool, at: SourceLocation)
    case string(String, at: SourceLocation)
    /// A bare word: a variable (or table column in predicates) when one has the name, otherwise
    /// literal text such as a path.
    case word(String, at: SourceLocation, length: Int)
    case field(Expression, name: String, at: SourceLocation)
    case index(Expression, Expression, at: SourceLocation)
    case list([Expression], at: SourceLocation)
    case record([RecordEntry], at: SourceLocation)
    /// `==, !=, <, <=, >, >=, &&, ||`
    case binary(String, Expression, Expression, at: SourceLocation)
    case not(Expression, at: SourceLocation)
    /// `( pipeline )`
    case subpipeline(Pipeline, at: SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .number(_, _, let at), .string(_, let at), .word(_, let at, _), .field(_, _, let at),
             .index(_, _, let at), .list(_, let at), .record(_, let at), .binary(_, _, _, let at),
             .not(_, let at), .subpipeline(_, let at):
            return at
        }
    }
}

public struct RecordEntry: Equatable {
    public var key: String
    public var value: Expression
}

/// One cell of a script: its text (for transcripts and carets) and where it starts.
public struct CellSource: Equatable {
    public var text: String
    /// Line and column where the cell starts in its file (1-based).
    public var line: Int
    public var column: Int
    public init(text: String, line: Int = 1, column: Int = 1) {
        self.text = text
        self.line = line
        self.column = column
    }
}
