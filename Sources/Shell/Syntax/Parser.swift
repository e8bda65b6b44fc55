/// Recursive-descent parser for one cell (grammar in README "Grammar"). It knows no commands:
/// a stage that starts with a bare name is a command call (or a variable, decided when run),
/// so `:help`, completion and validation all come from the command registry alone.
public struct Parser {
    private var tokens: [Token]
    private var position = 0

    public init(tokens: [Token]) {
        self.tokens = tokens
    }

    /// Parses one cell; `line`/`column` place it in its file so errors carry file locations.
    public static func parse(_ cell: CellSource) throws -> Statement {
        var lexer = Lexer(cell.text, firstLine: cell.line, firstColumn: cell.column)
        var parser = Parser(tokens: lexer.tokenize())
        return try parser.parseCell()
    }

    public static func parse(_ text: String) throws -> Statement {
        try parse(CellSource(text: text))
    }

    public mutating func parseCell() throws -> Statement {
        var statement = try parseStatement()
        if current.kind == .ampersand {
            statement = try parseBackground(statement, nice: 0)
        }
        guard current.kind == .end else {
            if current.kind == .newline || current.kind == .semicolon {
                throw error("one cell per call: \(current.kind.display) separates cells here")
            }
            throw error("unexpected \(current.kind.display)")
        }
        return statement
    }

    // MARK: statements

    private mutating func parseStatement() throws -> Statement {
        if current.kind == .end { return .empty }
        // `:time --help` asks for `:time`'s page like any command, rather than timing `--help`.
        if case .meta("time") = current.kind, !(peek(1).kind == .longFlag("help") && peek(2).kind == .end) {
            let at = current.location
            advance()
            if current.kind == .end { throw error("':time' needs a cell to time, e.g. ':time sleep 1'") }
            return .timed(try parseStatement(), at: at)
        }
        // `:nice N cell &`: a background job at lower priority.
        if case .meta("nice") = current.kind, !(peek(1).kind == .longFlag("help") && peek(2).kind == .end) {
            advance()
            guard case .number(let value, _, true) = current.kind, value >= 0, value <= 19 else {
                throw error("':nice' takes a niceness from 0 to 19, then the cell, e.g. ':nice 10 extract m.json &'")
            }
            advance()
            let inner = try parseStatement()
            guard current.kind == .ampersand else {
                throw error("':nice' lowers a background job's priority: end the cell with '&'")
            }
            return try parseBackground(inner, nice: Int(value))
        }
        if case .word(let name) = current.kind, peek(1).kind == .equals {
            guard Self.isIdentifier(name) else {
                throw error("cannot assign to '\(name)': a variable name is letters, digits and '_'",
                            length: current.length)
            }
            let at = current.location
            advance(); advance()
            if current.kind == .end { throw error("expected a command or value after '='") }
            return .assignment(name: name, at: at, value: try parsePipeline())
        }
        return .pipeline(try parsePipeline())
    }

    /// The `&` at `current` ends the cell: `statement` becomes a background job.
    private mutating func parseBackground(_ statement: Statement, nice: Int) throws -> Statement {
        let at = current.location
        advance()
        guard current.kind == .end else {
            throw ShellError(.syntax, "'&' runs the cell in the background: it must end the cell (before \(current.kind.display))",
                             at: at, hint: "for 'and' in a condition, write '&&'")
        }
        switch statement {
        case .empty:
            throw ShellError(.syntax, "'&' needs a command to run in the background, e.g. 'download m.json &'", at: at)
        case .background:
            throw ShellError(.syntax, "one '&' ends a cell", at: at)
        default:
            return .background(statement, at: at, nice: nice)
        }
    }

    private mutating func parsePipeline() throws -> Pipeline {
        var stages = [try parseStage()]
        while current.kind == .pipe {
            advance()
            if current.kind == .end || current.kind == .pipe || current.kind == .rightParen {
                throw error("expected a command after '|'")
            }
            stages.append(try parseStage())
        }
        return Pipeline(stages: stages)
    }

    private mutating func parseStage() throws -> Stage {
        let token = current
        switch token.kind {
        case .meta(let name):
            advance()
            return .command(CommandCall(name: ":" + name, location: token.location, nameLength: token.length,
                                        arguments: try parseArguments()))
        case .word(let name) where Self.isCommandName(name) && !startsPostfix(peek(1)) && !isOperator(peek(1)):
            advance()
            return .command(CommandCall(name: name, location: token.location, nameLength: token.length,
                                        arguments: try parseArguments()))
        default:
            let expression = try parseExpression()
            if !isStageEnd(current) {
                throw error("unexpected \(current.kind.display) after a value (a command name must come first)")
            }
            return .expression(expression)
        }
    }

    private mutating func parseArguments() throws -> [Argument] {
        var arguments: [Argument] = []
        while !isStageEnd(current) {
            let token = current
            switch token.kind {
            case .longFlag(let name):
                advance()
                if current.kind == .equals, !current.spaceBefore {
                    advance()
                    if isStageEnd(current) { throw error("expected a value after '--\(name)='") }
                    let value = try parseUnary()
                    arguments.append(.flag(name: name, isShort: false, inlineValue: value,
                                           at: token.location, length: token.length))
                } else {
                    arguments.append(.flag(name: name, isShort: false, inlineValue: nil,
                                           at: token.location, length: token.length))
                }
            case .shortFlags(let letters):
                advance()
                for (offset, letter) in letters.enumerated() {
                    let at = SourceLocation(line: token.location.line, column: token.location.column + 1 + offset)
                    arguments.append(.flag(name: String(letter), isShort: true, inlineValue: nil, at: at, length: 1))
                }
            case .equals:
                throw error("unexpected '=' (assignment is 'name = command ...' at the start of a cell; "
                            + "flags take '--name=value')")
            default:
                arguments.append(.value(try parseExpression()))
            }
        }
        return arguments
    }

    // MARK: expressions

    private mutating func parseExpression() throws -> Expression {
        var left = try parseAnd()
        while case .op("||") = current.kind {
            let at = current.location
            advance()
            left = .binary("||", left, try parseAnd(), at: at)
        }
        return left
    }

    private mutating func parseAnd() throws -> Expression {
        var left = try parseComparison()
        while case .op("&&") = current.kind {
            let at = current.location
            advance()
            left = .binary("&&", left, try parseComparison(), at: at)
        }
        return left
    }

    private static let comparisons: Set<String> = ["==", "!=", "<", "<=", ">", ">="]

    private mutating func parseComparison() throws -> Expression {
        let left = try parseUnary()
        // `x in list`: membership (a word, so `in` stays usable as a name elsewhere).
        if case .word("in") = current.kind, peek(1).kind != .end, !isStageEnd(peek(1)) {
            let at = current.location
            advance()
            return .binary("in", left, try parseUnary(), at: at)
        }
        if case .op(let op) = current.kind, Self.comparisons.contains(op) {
            let at = current.location
            advance()
            if isStageEnd(current) { throw error("expected a value after '\(op)'") }
            return .binary(op, left, try parseUnary(), at: at)
        }
        return left
    }

    private mutating func parseUnary() throws -> Expression {
        if case .op("!") = current.kind {
            let at = current.location
            advance()
            return .not(try parseUnary(), at: at)
        }
        return try parsePostfix()
    }

    private mutating func parsePostfix() throws -> Expression {
        var value = try parsePrimary()
        while true {
            if current.kind == .leftBracket, !current.spaceBefore {
                let at = current.location
                advance()
                let index = try parseExpression()
                try expect(.rightBracket, "']' to close the index")
                value = .index(value, index, at: at)
            } else if current.kind == .dot {
                advance()
                guard case .word(let text) = current.kind else { throw error("expected a field name after '.'") }
                let names = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard names.allSatisfy(Self.isIdentifier) else { throw error("expected a field name after '.'") }
                var column = current.location.column
                for name in names {
                    value = .field(value, name: name, at: SourceLocation(line: current.location.line, column: column))
                    column += name.count + 1
                }
                advance()
            } else {
                return value
            }
        }
    }

    private mutating func parsePrimary() throws -> Expression {
        let token = current
        switch token.kind {
        case .number(let value, _, let isInteger):
            advance()
            return .number(value, isInteger: isInteger, at: token.location)
        case .string(let text):
            advance()
            return .string(text, at: token.location)
        case .word(let text):
            advance()
            return Self.dottedWord(text, at: token.location, length: token.length)
        case .leftBracket:
            advance()
            var items: [Expression] = []
            while current.kind != .rightBracket {
                if current.kind == .end { throw ShellError(.syntax, "missing ']' to close this list", at: token.location) }
                items.append(try parseExpression())
                if current.kind == .comma { advance() }
            }
            advance()
            return .list(items, at: token.location)
        case .leftBrace:
            advance()
            var entries: [RecordEntry] = []
            while current.kind != .rightBrace {
                if current.kind == .end { throw ShellError(.syntax, "missing '}' to close this record", at: token.location) }
                let key: String
                switch current.kind {
                case .word(let w) where Self.isIdentifier(w): key = w
                case .string(let s): key = s
                default: throw error("expected a field name in a record, found \(current.kind.display)")
                }
                advance()
                if case .meta(let glued) = current.kind {
                    // `{a:b}` lexes `:b` as a directive name; read it as ':' then the word.
                    let at = SourceLocation(line: current.location.line, column: current.location.column + 1)
                    advance()
                    entries.append(RecordEntry(key: key, value: Self.dottedWord(glued, at: at, length: glued.count)))
                } else {
                    try expect(.colon, "':' after the record field name '\(key)'")
                    entries.append(RecordEntry(key: key, value: try parseExpression()))
                }
                if current.kind == .comma { advance() }
            }
            advance()
            return .record(entries, at: token.location)
        case .leftParen:
            advance()
            if current.kind == .rightParen { throw error("empty '()': put a command inside") }
            let pipeline = try parsePipeline()
            guard current.kind == .rightParen else {
                throw ShellError(.syntax, "missing ')' to close this '(' (found \(current.kind.display))", at: token.location)
            }
            advance()
            return .subpipeline(pipeline, at: token.location)
        case .meta(let name):
            // `:help :save` names a directive.
            advance()
            return .word(":" + name, at: token.location, length: token.length)
        case .invalid(let message):
            throw error(message, length: token.length)
        case .end:
            throw error("expected a value, found end of cell")
        default:
            throw error("expected a value, found \(token.kind.display)", length: token.length)
        }
    }

    // MARK: helpers

    /// `a.b.c` → field accesses on the word `a` (which may turn out to be a path like `photo.jpg`).
    static func dottedWord(_ text: String, at location: SourceLocation, length: Int) -> Expression {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1, parts.allSatisfy(isIdentifier) else {
            return .word(text, at: location, length: length)
        }
        var expression = Expression.word(parts[0], at: location, length: parts[0].count)
        var column = location.column + parts[0].count + 1
        for part in parts.dropFirst() {
            expression = .field(expression, name: part, at: SourceLocation(line: location.line, column: column))
            column += part.count + 1
        }
        return expression
    }

    /// Letters, digits and `_`, not starting with a digit.
    public static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, Lexer.isLetter(first) else { return false }
        return text.unicodeScalars.allSatisfy { Lexer.isLetter($0) || ($0 >= "0" && $0 <= "9") }
    }

    /// Command names may contain `-` (`count-to`, `prepare-alphabet`).
    static func isCommandName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, Lexer.isLetter(first) else { return false }
        return text.unicodeScalars.allSatisfy(Lexer.isNameChar)
    }

    private func startsPostfix(_ token: Token) -> Bool {
        (token.kind == .leftBracket && !token.spaceBefore) || token.kind == .dot
    }

    private func isOperator(_ token: Token) -> Bool {
        if case .op(let op) = token.kind { return op != "!" }
        return false
    }

    private func isStageEnd(_ token: Token) -> Bool {
        switch token.kind {
        case .pipe, .end, .rightParen, .newline, .semicolon, .ampersand: true
        default: false
        }
    }

    private var current: Token { tokens[position] }

    private func peek(_ offset: Int) -> Token { tokens[min(position + offset, tokens.count - 1)] }

    private mutating func advance() {
        if position < tokens.count - 1 { position += 1 }
    }

    private mutating func expect(_ kind: TokenKind, _ what: String) throws {
        guard current.kind == kind else {
            throw error("expected \(what), found \(current.kind.display)", length: current.length)
        }
        advance()
    }

    private func error(_ message: String, length: Int? = nil) -> ShellError {
        if case .invalid(let text) = current.kind {
            return ShellError(.syntax, text, at: current.location, length: current.length)
        }
        return ShellError(.syntax, message, at: current.location, length: length ?? current.length)
    }
}
