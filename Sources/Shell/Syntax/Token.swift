/// One lexical token of the command language (see README "Grammar").
public enum TokenKind: Equatable, Sendable {
    /// A bare word: command and variable names, dotted field paths (`r.accuracy`), file paths.
    case word(String)
    /// A number literal; `text` keeps the spelling, `isInteger` whether it has no fraction/exponent.
    case number(Double, text: String, isInteger: Bool)
    /// A quoted string (escapes already applied).
    case string(String)
    /// `--name`
    case longFlag(String)
    /// `-n` or a cluster `-nr` (letters after one dash).
    case shortFlags(String)
    /// `:name` at the start of a cell (a shell directive such as `:help`).
    case meta(String)
    /// `== != < <= > >= && || !`
    case op(String)
    /// `&` ending a cell: run it as a background job.
    case ampersand
    case pipe, semicolon, newline, equals, colon, comma, dot
    case leftBracket, rightBracket, leftBrace, rightBrace, leftParen, rightParen
    /// Text the lexer could not read; the parser reports `message` at this token.
    case invalid(String)
    case end
}

public struct Token: Equatable, Sendable {
    public var kind: TokenKind
    public var location: SourceLocation
    /// Offsets (in Unicode scalars) of the token in the lexed text.
    public var start: Int
    public var end: Int
    /// Whether whitespace (or a line start) comes before the token: `x[0]` indexes, `x [0]` passes a list.
    public var spaceBefore: Bool

    public var length: Int { max(1, end - start) }
}

extension TokenKind {
    /// How the token reads in an error message.
    public var display: String {
        switch self {
        case .word(let w): "'\(w)'"
        case .number(_, let text, _): text
        case .string(let s): "\"\(s)\""
        case .longFlag(let f): "--\(f)"
        case .shortFlags(let f): "-\(f)"
        case .meta(let m): ":\(m)"
        case .op(let o): "'\(o)'"
        case .ampersand: "'&'"
        case .pipe: "'|'"
        case .semicolon: "';'"
        case .newline: "end of line"
        case .equals: "'='"
        case .colon: "':'"
        case .comma: "','"
        case .dot: "'.'"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .leftParen: "'('"
        case .rightParen: "')'"
        case .invalid(let m): m
        case .end: "end of cell"
        }
    }
}
