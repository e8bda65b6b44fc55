/// Splits a script (or a `-c` argument) into cells: a cell ends at a newline or `;` outside
/// brackets and strings; `\`, a trailing `|` and open brackets continue it on the next line.
public enum CellSplitter {
    public static func split(_ text: String, firstLine: Int = 1) -> [CellSource] {
        var lexer = Lexer(text, firstLine: firstLine)
        let tokens = lexer.tokenize()
        let scalars = Array(text.unicodeScalars)
        var cells: [CellSource] = []
        var first: Token?
        var last: Token?
        func close() {
            guard let first, let last else { return }
            cells.append(CellSource(text: String(scalars: scalars[first.start..<last.end]), line: first.location.line, column: first.location.column))
        }
        for token in tokens {
            switch token.kind {
            case .newline, .semicolon, .end:
                close()
                first = nil
                last = nil
            default:
                if first == nil { first = token }
                last = token
            }
        }
        return cells
    }
}
