import Foundation
import TensorCore

/// Minimal RFC 4180 CSV reading for the importers: UTF-8 with an optional BOM, LF or CRLF,
/// double-quoted fields with `""` escapes. Rows keep their 1-based line numbers for errors.
enum CSVText {
    struct Row {
        var line: Int
        var fields: [String]
    }

    static func read(_ url: URL) throws -> [Row] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DatasetError.file(.reading(url.path, error: error))
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw DatasetError.badInput(file: url.path, problem: "not UTF-8 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return try parse(text, file: url.path)
    }

    /// Blank lines are dropped (trailing newlines are common); their numbers are not reused.
    static func parse(_ text: String, file: String) throws -> [Row] {
        var rows = [Row]()
        var fields = [String](), field = "", quoted = false, atFieldStart = true
        var line = 1, rowLine = 1
        var scalars = Array(text.unicodeScalars)[...]
        func endRow() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append(Row(line: rowLine, fields: fields)) }
            fields = []; field = ""; atFieldStart = true
        }
        while let c = scalars.popFirst() {
            if quoted {
                if c == "\"" {
                    if scalars.first == "\"" { scalars.removeFirst(); field.unicodeScalars.append("\"") } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where atFieldStart: quoted = true; atFieldStart = false
            case ",": fields.append(field); field = ""; atFieldStart = true
            case "\r" where scalars.first == "\n": continue
            case "\n", "\r": endRow(); line += 1; rowLine = line
            default: field.unicodeScalars.append(c); atFieldStart = false
            }
        }
        if quoted { throw DatasetError.badInputLine(file: file, line: rowLine, problem: "unterminated quoted field") }
        endRow()
        return rows
    }
}
