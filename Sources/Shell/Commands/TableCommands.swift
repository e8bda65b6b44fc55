import Foundation
import TensorCore

/// Pipeline commands over tables: `m | where label == "book" | count by signer | sort -n | head 10`.
public enum TableCommands {
    public static var all: [CommandDefinition] { [whereCommand, select, count, sort, top, head, tail, write] }

    static let whereCommand = CommandDefinition(
        "where", summary: "keep the rows where CONDITION holds",
        discussion: """
        CONDITION compares columns and values: == != < <= > >=, 'in' (one of a list, or inside a
        text), combined with && || and !. Column names shadow variables; quote text.
        example: m | where label == "book" && signer != 3
        """,
        arguments: [ArgumentSpec("condition", .expression, "a condition on each row's columns")],
        input: .table
    ) { call in
        let table = call.inputTable!
        let condition = call.expressions["condition"]!
        var rows: [[Value]] = []
        for index in table.rows.indices {
            let row = table.record(at: index)
            if try call.session.evaluate(condition, row: row).isTruthy { rows.append(table.rows[index]) }
        }
        return .table(Table(columns: table.columns, rows: rows))
    }

    static let select = CommandDefinition(
        "select", summary: "keep only the named columns, in the order given",
        discussion: "example: m | select clip_id label",
        arguments: [ArgumentSpec("columns", .word, "column names", variadic: true)],
        input: .table
    ) { call in
        let table = call.inputTable!
        let names = call.list("columns").compactMap(\.textValue)
        guard !names.isEmpty else { throw call.failure("name at least one column", hint: columnHint(table)) }
        let indices = try names.map { try column($0, in: table, call) }
        return .table(Table(columns: names, rows: table.rows.map { row in indices.map { row[$0] } }))
    }

    static let count = CommandDefinition(
        "count", summary: "count rows, or rows per value of a column",
        discussion: """
        'count' gives an int; 'count by label' gives a table (label, count) in first-seen order.
        example: m | count by label
        """,
        flags: [FlagSpec("by", .word, "group by this column", keyword: true)],
        input: .table
    ) { call in
        let table = call.inputTable!
        guard let by = call.string("by") else { return .int(table.rows.count) }
        let index = try column(by, in: table, call)
        var order: [Value] = []
        var counts: [String: Int] = [:]
        for row in table.rows {
            let key = ValueFormatter.inline(row[index], quoted: true) + "\u{0}" + row[index].typeName
            if counts[key] == nil { order.append(row[index]) }
            counts[key, default: 0] += 1
        }
        return .table(Table(columns: [by, "count"], rows: order.map { value in
            [value, .int(counts[ValueFormatter.inline(value, quoted: true) + "\u{0}" + value.typeName]!)]
        }))
    }

    static let sort = CommandDefinition(
        "sort", summary: "sort rows by a column (default: the last column)",
        discussion: """
        Stable. -n compares as numbers (text such as "10" too); -r reverses.
        example: m | count by label | sort count -n -r
        """,
        arguments: [ArgumentSpec("column", .word, "the column to sort by", optional: true)],
        flags: [FlagSpec("numeric", short: "n", .bool, "compare as numbers"),
                FlagSpec("reverse", short: "r", .bool, "largest first")],
        input: .table
    ) { call in
        let table = call.inputTable!
        guard let name = call.string("column") ?? table.columns.last else { return .table(table) }
        let index = try column(name, in: table, call)
        let numeric = call.bool("numeric"), reverse = call.bool("reverse")
        func key(_ v: Value) -> Value {
            guard numeric else { return v }
            if let d = v.numberValue { return .number(d) }
            if let t = v.textValue, let d = Double(t) { return .number(d) }
            return .null
        }
        let sorted = table.rows.enumerated().sorted { a, b in
            let order = ValueOrder.compare(key(a.element[index]), key(b.element[index]))
            if order != 0 { return reverse ? order > 0 : order < 0 }
            return a.offset < b.offset
        }.map(\.element)
        return .table(Table(columns: table.columns, rows: sorted))
    }

    static let top = CommandDefinition(
        "top", summary: "the N rows with the largest values (default: the last numeric column)",
        discussion: "example: m | count by label | top 5",
        arguments: [ArgumentSpec("n", .int, "how many rows", default: .int(10))],
        flags: [FlagSpec("by", .word, "the column to rank by", keyword: true)],
        input: .table
    ) { call in
        let table = call.inputTable!
        let n = call.int("n")!
        guard n >= 0 else { throw call.failure("N must be 0 or more") }
        let index: Int
        if let by = call.string("by") {
            index = try column(by, in: table, call)
        } else if let numeric = table.columns.indices.last(where: { i in isNumericColumn(table, i) }), !table.rows.isEmpty {
            index = numeric
        } else {
            throw call.failure("no numeric column to rank by", hint: "use --by COLUMN")
        }
        let ranked = table.rows.enumerated().sorted { a, b in
            let order = ValueOrder.compare(a.element[index], b.element[index])
            return order != 0 ? order > 0 : a.offset < b.offset
        }.prefix(n).map(\.element)
        return .table(Table(columns: table.columns, rows: Array(ranked)))
    }

    static let head = CommandDefinition(
        "head", summary: "the first N rows (or list items)",
        discussion: "example: m | head 3",
        arguments: [ArgumentSpec("n", .int, "how many", default: .int(10))],
        input: .any
    ) { call in try slice(call, fromEnd: false) }

    static let tail = CommandDefinition(
        "tail", summary: "the last N rows (or list items)",
        discussion: "example: m | tail 3",
        arguments: [ArgumentSpec("n", .int, "how many", default: .int(10))],
        input: .any
    ) { call in try slice(call, fromEnd: true) }

    private static func slice(_ call: Invocation, fromEnd: Bool) throws -> Value {
        let n = call.int("n")!
        guard n >= 0 else { throw call.failure("N must be 0 or more") }
        switch call.input {
        case .list(let items)?:
            return .list(Array(fromEnd ? items.suffix(n) : items.prefix(n)))
        case let input?:
            guard let table = input.tableValue else {
                throw call.failure("needs a table or list from '|', got \(input.typeName)")
            }
            return .table(Table(columns: table.columns, rows: Array(fromEnd ? table.rows.suffix(n) : table.rows.prefix(n))))
        case nil:
            throw call.failure("reads a table or list from '|'", hint: "e.g. 't | \(call.definition.name) 5'")
        }
    }

    static func column(_ name: String, in table: Table, _ call: Invocation) throws -> Int {
        guard let index = table.columnIndex(name) else {
            throw call.failure("no column '\(name)'",
                               hint: Suggestion.hint(for: name, in: table.columns) ?? columnHint(table))
        }
        return index
    }

    static func isNumericColumn(_ table: Table, _ index: Int) -> Bool {
        table.rows.allSatisfy { row in
            if case .null = row[index] { return true }
            return row[index].numberValue != nil
        }
    }

    static func columnHint(_ table: Table) -> String {
        "columns: " + table.columns.joined(separator: ", ")
    }

    static let write = CommandDefinition(
        "write", summary: "write the piped value to a file: JSON (.json), JSON lines (.jsonl) or CSV (.csv)",
        discussion: """
        A table (or list of records) is written as a JSON array of objects, one object per line
        (.jsonl), or CSV with a header; any other value as JSON. The file is written whole (a
        temporary file, then a rename). A manifest filtered here is one 'download', 'trim' and
        'build' read.
        example: load m.json | where video_id in ["7G6B6kaMjb4", "C37R_Ix8-qs"] | write data/two_videos.json
        """,
        arguments: [ArgumentSpec("path", .path, "the file to write; its extension picks the format")],
        input: .any
    ) { call in
        let url = call.url("path")!
        let shown = call.string("path")!
        let value = call.input ?? .null
        let data: Data
        do {
            switch url.pathExtension.lowercased() {
            case "json": data = try ValueWriter.json(value)
            case "jsonl": data = try ValueWriter.jsonLines(value)
            case "csv": data = try ValueWriter.csv(value)
            default: throw call.failure("\(shown): write .json, .jsonl or .csv", hint: "the extension picks the format")
            }
        } catch let error as ValueWriter.Unwritable {
            throw call.failure("\(shown): \(error.reason)")
        }
        do { try OutputFile.write(data, to: url) } catch {
            throw call.failure(FileProblem.writing(url.path, error: error).description)
        }
        let rows = value.tableValue.map { "\($0.rows.count) rows" } ?? value.typeName
        call.session.print("wrote \(rows) to \(shown)")
        return .null
    }
}
