import Foundation
import TensorCore

/// Reads data files into values for `load`: `.npy` → array, `.npz` → record of arrays,
/// `.json` → table when it is an array of objects (else the JSON value), `.jsonl` (JSON lines,
/// e.g. `train`'s metrics log) → table of its objects, `.csv` → table.
public enum ValueLoading {
    public enum Format: String, CaseIterable {
        case npy, npz, json, jsonl, csv
    }

    public static func format(of url: URL) -> Format? {
        Format(rawValue: url.pathExtension.lowercased())
    }

    public static func load(_ url: URL, format: Format) throws -> Value {
        switch format {
        case .npy:
            return .array(try NPY.read(contentsOf: url))
        case .npz:
            let npz = try NPZ.read(contentsOf: url)
            return .record(Record(npz.arrays.map { (key: $0.name, value: Value.array($0.array)) }))
        case .json:
            let value = try JSONReader.parse(try read(url), file: url.path)
            if case .list(let items) = value, !items.isEmpty, let table = value.tableValue { return .table(table) }
            return value
        case .jsonl:
            return try jsonLines(String(decoding: try read(url), as: UTF8.self), file: url.path)
        case .csv:
            return .table(try CSV.parse(String(decoding: try read(url), as: UTF8.self), file: url.path))
        }
    }

    /// One JSON value a line (blank lines skipped): a table when every line is an object, else
    /// the list of values. A bad line is reported by its line number.
    static func jsonLines(_ text: String, file: String) throws -> Value {
        var values: [Value] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty else { continue }
            do {
                values.append(try JSONReader.parse(Data(line.utf8), file: file))
            } catch let error as DataFileError {
                var message = error.message
                if case .byte(let offset) = error.place { message += " (byte \(offset) of the line)" }
                throw DataFileError(file: file, place: .line(index + 1), message: message)
            }
        }
        let list = Value.list(values)
        if !values.isEmpty, let table = list.tableValue { return .table(table) }
        return list
    }

    /// The file's bytes, or why not in the shared words ("cannot read: permission denied").
    static func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch { throw FileProblem.reading(url.path, error: error) }
    }
}

/// A text data file (`load`'s CSV and JSON) that does not parse, and where.
public struct DataFileError: Error, CustomStringConvertible, Equatable {
    public enum Place: Equatable {
        case line(Int)
        case byte(Int)
    }
    public var file: String
    public var place: Place
    public var message: String

    public var description: String {
        switch place {
        case .line(let line): "\(file):\(line): \(message)"
        case .byte(let offset): "\(file): byte \(offset): \(message)"
        }
    }
}

/// RFC 4180 CSV: a header row, quoted fields with `""` escapes; cells that read as integers
/// or numbers become numbers, empty cells null.
public enum CSV {
    public static func parse(_ text: String, file: String = "<text>") throws -> Table {
        var records: [[String]] = []
        var recordLines: [Int] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        var line = 1
        var recordStart = 1
        var iterator = Array(text.unicodeScalars)
        if iterator.first == "\u{FEFF}" { iterator.removeFirst() }
        var i = 0
        while i < iterator.count {
            let c = iterator[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < iterator.count, iterator[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 1 } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else {
                switch c {
                case "\"" where field.isEmpty: inQuotes = true
                case ",": record.append(field); field = ""
                case "\r": break
                case "\n":
                    record.append(field)
                    field = ""
                    if !(record.count == 1 && record[0].isEmpty) { records.append(record); recordLines.append(recordStart) }
                    record = []
                    line += 1
                    recordStart = line
                default: field.unicodeScalars.append(c)
                }
            }
            i += 1
        }
        if inQuotes { throw DataFileError(file: file, place: .line(recordStart), message: "unterminated quoted field") }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
            recordLines.append(recordStart)
        }
        guard let header = records.first else { return Table(columns: [], rows: []) }
        var rows: [[Value]] = []
        for (index, fields) in records.dropFirst().enumerated() {
            guard fields.count == header.count else {
                throw DataFileError(file: file, place: .line(recordLines[index + 1]),
                                 message: "\(fields.count) fields, but the header has \(header.count)")
            }
            rows.append(fields.map(cell))
        }
        return Table(columns: header, rows: rows)
    }

    static func cell(_ text: String) -> Value {
        if text.isEmpty { return .null }
        if let i = Int(text) { return .int(i) }
        if let d = Double(text), text.unicodeScalars.allSatisfy({ "0123456789.eE+-".unicodeScalars.contains($0) }) {
            return .number(d)
        }
        return .string(text)
    }
}
