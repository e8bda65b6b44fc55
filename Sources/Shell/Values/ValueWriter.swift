import Foundation

/// Values as files: JSON for anything plain, JSON lines and CSV for tables. Keys are written
/// sorted, so the same value always gives the same bytes.
enum ValueWriter {
    struct Unwritable: Error {
        var reason: String
    }

    static func json(_ value: Value) throws -> Data {
        var data = try JSONSerialization.data(withJSONObject: try object(value),
                                              options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    static func jsonLines(_ value: Value) throws -> Data {
        let table = try table(value, format: "JSON lines")
        var data = Data()
        for i in table.rows.indices {
            data.append(try JSONSerialization.data(withJSONObject: try object(.record(table.record(at: i))),
                                                   options: [.sortedKeys, .withoutEscapingSlashes]))
            data.append(0x0A)
        }
        return data
    }

    /// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; nested values
    /// are written as JSON text.
    static func csv(_ value: Value) throws -> Data {
        let table = try table(value, format: "CSV")
        func field(_ v: Value) throws -> String {
            let text: String
            switch v {
            case .null: text = ""
            case .string(let s), .path(let s): text = s
            case .list, .record, .table:
                text = String(decoding: try JSONSerialization.data(withJSONObject: try object(v), options: [.sortedKeys]), as: UTF8.self)
            default: text = ValueFormatter.inline(v)
            }
            guard text.contains(where: { ",\"\n\r".contains($0) }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var lines = [try table.columns.map { try field(.string($0)) }.joined(separator: ",")]
        for row in table.rows { lines.append(try row.map(field).joined(separator: ",")) }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }

    private static func table(_ value: Value, format: String) throws -> Table {
        guard let table = value.tableValue else {
            throw Unwritable(reason: "\(format) holds a table (or a list of records), not a \(value.typeName)")
        }
        return table
    }

    /// The Foundation object JSONSerialization writes; NaN and infinities become null (JSON has none).
    static func object(_ value: Value) throws -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .number(let d): return d.isFinite ? d as Any : NSNull()
        case .string(let s), .path(let s): return s
        case .list(let items): return try items.map(object)
        case .record(let r):
            var dictionary: [String: Any] = [:]
            for (key, v) in r.entries { dictionary[key] = try object(v) }
            return dictionary
        case .table(let t): return try t.rows.indices.map { try object(.record(t.record(at: $0))) }
        case .array, .opaque:
            throw Unwritable(reason: "a \(value.typeName) has no JSON form here (write tables, lists, records and plain values)")
        }
    }
}
