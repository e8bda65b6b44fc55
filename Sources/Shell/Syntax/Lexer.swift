/// Turns cell text into tokens. Lines join when they end in `\` or `|`, or while a bracket is
/// open, so multi-line cells need no special mode; `#` starts a comment outside strings.
/// The lexer never throws: unreadable text becomes an `.invalid` token the parser reports
/// with its location, and `needsMoreInput` tells the REPL to ask for a continuation line.
public struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line: Int
    private var column = 1
    private var depth = 0
    private var tokens: [Token] = []
    private var spaceBefore = true
    /// Set when the text ends inside a string, a bracket, or after `\` or `|`.
    public private(set) var isIncomplete = false

    /// - Parameters: firstLine, firstColumn: where the text starts in its file, so token
    ///   locations are file locations.
    public init(_ text: String, firstLine: Int = 1, firstColumn: Int = 1) {
        scalars = Array(text.unicodeScalars)
        line = firstLine
        column = firstColumn
    }

    /// True when `text` cannot be a whole cell yet (the REPL then prints a continuation prompt).
    public static func needsMoreInput(_ text: String) -> Bool {
        var lexer = Lexer(text)
        _ = lexer.tokenize()
        return lexer.isIncomplete
    }

    public mutating func tokenize() -> [Token] {
        while index < scalars.count {
            let c = scalars[index]
            switch c {
            case " ", "\t", "\r":
                advance()
                spaceBefore = true
            case "\\" where peek(1) == "\n" || peek(1) == nil || (peek(1) == "\r" && peek(2) == "\n"):
                // Line continuation: `\` then end of line joins the next line.
                advance()
                if peek(0) == "\r" { advance() }
                if peek(0) == "\n" { advanceLine() } else { isIncomplete = true }
                spaceBefore = true
            case "\n":
                let afterPipe = tokens.last.map { $0.kind == .pipe } ?? false
                if depth > 0 || afterPipe {
                    advanceLine()
                } else {
                    emit(.newline, length: 1)
                    line += 1
                    column = 1
                }
                spaceBefore = true
            case "#":
                while index < scalars.count, scalars[index] != "\n" { advance() }
                spaceBefore = true
            case "\"": lexQuoted(escapes: true)
            case "'": lexQuoted(escapes: false)
            case "|": if peek(1) == "|" { emit(.op("||"), length: 2) } else { emit(.pipe, length: 1) }
            case "&": if peek(1) == "&" { emit(.op("&&"), length: 2) } else { emit(.ampersand, length: 1) }
            case "=": if peek(1) == "=" { emit(.op("=="), length: 2) } else { emit(.equals, length: 1) }
            case "!": if peek(1) == "=" { emit(.op("!="), length: 2) } else { emit(.op("!"), length: 1) }
            case "<", ">": if peek(1) == "=" { emit(.op(String(c) + "="), length: 2) } else { emit(.op(String(c)), length: 1) }
            case ";": emit(.semicolon, length: 1)
            case ",": emit(.comma, length: 1)
            case "(": depth += 1; emit(.leftParen, length: 1)
            case ")": depth = max(0, depth - 1); emit(.rightParen, length: 1)
            case "[": depth += 1; emit(.leftBracket, length: 1)
            case "]": depth = max(0, depth - 1); emit(.rightBracket, length: 1)
            case "{": depth += 1; emit(.leftBrace, length: 1)
            case "}": depth = max(0, depth - 1); emit(.rightBrace, length: 1)
            case ":":
                if let next = peek(1), Self.isLetter(next) {
                    let name = span(from: index + 1, while: Self.isNameChar)
                    emit(.meta(name), length: 1 + name.unicodeScalars.count)
                } else {
                    emit(.colon, length: 1)
                }
            case "." where !spaceBefore && (tokens.last?.kind == .rightParen || tokens.last?.kind == .rightBracket):
                emit(.dot, length: 1)
            case "-" where peek(1) == "-" && peek(2).map(Self.isLetter) == true:
                let name = span(from: index + 2, while: Self.isNameChar)
                emit(.longFlag(name), length: 2 + name.unicodeScalars.count)
            case "-" where peek(1).map(Self.isLetter) == true:
                let letters = span(from: index + 1, while: Self.isLetter)
                // `-n` is a flag; `-inf`-like words with digits/dots after are words.
                let after = index + 1 + letters.unicodeScalars.count
                if after < scalars.count, Self.isWordChar(scalars[after]) {
                    lexWord()
                } else {
                    emit(.shortFlags(letters), length: 1 + letters.unicodeScalars.count)
                }
            default:
                if Self.isWordChar(c) {
                    lexWord()
                } else {
                    emit(.invalid("unexpected character '\(c)'"), length: 1)
                }
            }
        }
        if depth > 0 { isIncomplete = true }
        if tokens.last?.kind == .pipe { isIncomplete = true }
        tokens.append(Token(kind: .end, location: SourceLocation(line: line, column: column),
                            start: index, end: index, spaceBefore: true))
        return tokens
    }

    // MARK: pieces

    private mutating func lexWord() {
        let text = span(from: index, while: Self.isWordChar)
        if let number = Self.number(text) {
            emit(.number(number, text: text, isInteger: Self.isIntegerSpelling(text)), length: text.unicodeScalars.count)
        } else {
            emit(.word(text), length: text.unicodeScalars.count)
        }
    }

    private mutating func lexQuoted(escapes: Bool) {
        let quote = scalars[index]
        let startIndex = index, startLocation = SourceLocation(line: line, column: column)
        advance()
        var value: [Unicode.Scalar] = []
        var problem: String?
        while true {
            guard index < scalars.count else {
                isIncomplete = true
                problem = "unterminated string (missing closing \(quote))"
                break
            }
            let c = scalars[index]
            if c == quote { advance(); break }
            if c == "\n" { advanceLine(); value.append(c); continue }
            if escapes, c == "\\", let next = peek(1) {
                advance(); advance()
                switch next {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "\\", "\"", "'": value.append(next)
                case "\n": line += 1; column = 1 // an escaped newline inside a string joins lines
                default:
                    problem = problem ?? "unknown escape '\\\(next)' (use \\n, \\t, \\\\ or \\\")"
                }
                continue
            }
            value.append(c)
            advance()
        }
        tokens.append(Token(kind: problem.map { .invalid($0) } ?? .string(String(scalars: value[...])),
                            location: startLocation, start: startIndex, end: index, spaceBefore: spaceBefore))
        spaceBefore = false
    }

    private mutating func emit(_ kind: TokenKind, length: Int) {
        tokens.append(Token(kind: kind, location: SourceLocation(line: line, column: column),
                            start: index, end: index + length, spaceBefore: spaceBefore))
        for _ in 0..<length { advance() }
        spaceBefore = false
    }

    private func span(from start: Int, while accept: (Unicode.Scalar) -> Bool) -> String {
        var end = start
        while end < scalars.count, accept(scalars[end]) { end += 1 }
        return String(scalars: scalars[start..<end])
    }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func advance() {
        index += 1
        column += 1
    }

    private mutating func advanceLine() {
        index += 1
        line += 1
        column = 1
    }

    // MARK: character classes

    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || c.value > 127
    }

    static func isNameChar(_ c: Unicode.Scalar) -> Bool {
        isLetter(c) || (c >= "0" && c <= "9") || c == "-"
    }

    /// Characters of bare words: names, numbers, paths (`data/x.npz`, `~/a`, `../b`), dotted fields.
    static func isWordChar(_ c: Unicode.Scalar) -> Bool {
        isLetter(c) || (c >= "0" && c <= "9") || "_./~+-@%".unicodeScalars.contains(c)
    }

    static func number(_ text: String) -> Double? {
        guard let first = text.unicodeScalars.first,
              first == "-" || first == "+" || first == "." || (first >= "0" && first <= "9"),
              text.unicodeScalars.contains(where: { $0 >= "0" && $0 <= "9" }),
              !text.contains("/") else { return nil }
        return Double(text)
    }

    static func isIntegerSpelling(_ text: String) -> Bool {
        !text.contains(".") && !text.contains("e") && !text.contains("E") && Int(text) != nil
    }
}
