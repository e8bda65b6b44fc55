import Foundation
import TensorCore

/// How values print: one-line forms for table cells, lists and `:vars`, multi-line forms for
/// `print`. Output is deterministic (fixed number format, no addresses) because saved sessions
/// compare it byte for byte.
public enum ValueFormatter {
    /// Rows `print` shows before eliding the rest of a table.
    public static let defaultMaxRows = 20

    /// Six significant digits (`%.6g`): stable across platforms and short in tables.
    public static func number(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return String(format: "%.6g", d)
    }

    /// One line. Strings are bare at the top level and quoted inside lists and records.
    public static func inline(_ value: Value, quoted: Bool = false) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let d): return number(d)
        case .string(let s): return quoted ? "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : s
        case .path(let p): return p
        case .list(let items):
            let shown = items.prefix(20).map { inline($0, quoted: true) }
            return "[" + shown.joined(separator: ", ") + (items.count > 20 ? ", … \(items.count - 20) more" : "") + "]"
        case .record(let r):
            return "{" + r.entries.map { "\($0.key): \(inline($0.value, quoted: true))" }.joined(separator: ", ") + "}"
        case .table(let t): return "table \(t.rows.count) rows × \(t.columns.count) columns"
        case .array(let a): return arraySummary(a)
        case .opaque(let o): return "\(o.typeName) \(o.summary)"
        }
    }

    /// The one-line description `:vars` shows.
    public static func summary(_ value: Value) -> String {
        switch value {
        case .table(let t):
            return "\(t.rows.count) rows × \(t.columns.count) columns (\(t.columns.prefix(6).joined(separator: ", "))\(t.columns.count > 6 ? ", …" : ""))"
        case .record(let r):
            return "\(r.entries.count) fields (\(r.keys.prefix(6).joined(separator: ", "))\(r.keys.count > 6 ? ", …" : ""))"
        case .list(let items): return "\(items.count) items"
        case .array(let a): return arraySummary(a)
        case .opaque(let o): return o.summary
        case .string(let s): return truncated(inline(.string(s), quoted: true), 60)
        default: return truncated(inline(value), 60)
        }
    }

    /// What `print` shows, line by line.
    public static func lines(_ value: Value, maxRows: Int = defaultMaxRows) -> [String] {
        switch value {
        case .table(let t): return tableLines(t, maxRows: maxRows)
        case .record(let r):
            let width = r.keys.map(\.count).max() ?? 0
            return r.entries.map { entry in
                let key = entry.key.padding(toLength: width, withPad: " ", startingAt: 0)
                return "\(key)  \(recordCell(entry.value))"
            }
        case .array(let a): return arrayLines(a)
        case .opaque(let o): return o.render()
        case .string(let s): return s.splitLines()
        case .list(let items) where !items.isEmpty && value.tableValue != nil:
            // A list of records (e.g. written as `[{a: 1}, {a: 2}]`) prints as the table it is.
            return tableLines(value.tableValue!, maxRows: maxRows)
        default: return [inline(value)]
        }
    }

    private static func recordCell(_ value: Value) -> String {
        switch value {
        case .table, .array, .opaque: return inline(value)
        case .string(let s): return s
        default: return inline(value, quoted: true)
        }
    }

    /// Columns padded to their widest cell, numbers right-aligned, header underlined.
    public static func tableLines(_ table: Table, maxRows: Int = defaultMaxRows, maxCellWidth: Int = 40) -> [String] {
        let shownRows = table.rows.prefix(max(0, maxRows))
        let cells = shownRows.map { row in row.map { truncated(inline($0), maxCellWidth) } }
        var widths = table.columns.map(\.count)
        for row in cells { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        let numeric = table.columns.indices.map { i in
            shownRows.allSatisfy { row in
                switch row[i] { case .int, .number, .null: true; default: false }
            } && !shownRows.isEmpty
        }
        func pad(_ text: String, _ i: Int) -> String {
            let gap = String(repeating: " ", count: max(0, widths[i] - text.count))
            return numeric[i] ? gap + text : text + gap
        }
        func join(_ parts: [String]) -> String {
            var line = parts.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
        var lines = [join(table.columns.indices.map { pad(table.columns[$0], $0) })]
        lines.append(join(widths.map { String(repeating: "-", count: $0) }))
        for row in cells { lines.append(join(row.indices.map { pad(row[$0], $0) })) }
        if table.rows.count > shownRows.count {
            lines.append("… \(table.rows.count - shownRows.count) more rows (\(table.rows.count) in all)")
        }
        return lines
    }

    public static func arraySummary(_ a: NDArray) -> String {
        "array \(a.dtypeName) [\(a.shape.map(String.init).joined(separator: ", "))]"
    }

    /// Summary line, then the values: in full for up to 2-D arrays of at most 64 values, else the first 8.
    static func arrayLines(_ a: NDArray) -> [String] {
        let values = flatValues(a)
        var lines = [arraySummary(a)]
        if a.shape.count <= 2, values.count <= 64 {
            if a.shape.count == 2, a.shape[1] > 0 {
                let width = a.shape[1]
                for r in 0..<a.shape[0] {
                    lines.append("  [" + values[(r * width)..<((r + 1) * width)].joined(separator: ", ") + "]")
                }
            } else {
                lines.append("  [" + values.joined(separator: ", ") + "]")
            }
        } else {
            lines.append("  first values: [" + values.prefix(8).joined(separator: ", ") + ", …]")
        }
        return lines
    }

    static func flatValues(_ a: NDArray) -> [String] {
        switch a.storage {
        case .float32(let v): v.map { number(Double($0)) }
        case .float64(let v): v.map(number)
        case .int64(let v): v.map { String($0) }
        case .int32(let v): v.map { String($0) }
        case .uint8(let v): v.map { String($0) }
        case .bool(let v): v.map { $0 ? "true" : "false" }
        case .string(let v): v.map { "\"\($0)\"" }
        }
    }

    static func truncated(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}

/// Comparison used by `where`, `sort` and `==`.
public enum ValueOrder {
    /// Numbers compare numerically (int and number mix), text lexicographically, booleans
    /// false < true, null first; otherwise by the one-line form.
    public static func compare(_ a: Value, _ b: Value) -> Int {
        switch (a, b) {
        case (.null, .null): return 0
        case (.null, _): return -1
        case (_, .null): return 1
        default: break
        }
        if let x = a.numberValue, let y = b.numberValue { return x < y ? -1 : (x > y ? 1 : 0) }
        if case .bool(let x) = a, case .bool(let y) = b { return x == y ? 0 : (x ? 1 : -1) }
        let x = a.textValue ?? ValueFormatter.inline(a), y = b.textValue ?? ValueFormatter.inline(b)
        return x < y ? -1 : (x > y ? 1 : 0)
    }

    public static func equal(_ a: Value, _ b: Value) -> Bool { compare(a, b) == 0 }
}
