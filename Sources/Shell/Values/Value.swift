import TensorCore

/// A value the shell holds in a variable, passes between commands and prints.
/// Other modules' results (datasets, models, reports, plots) become values by conforming to
/// `OpaqueValue` and being wrapped in `.opaque`.
public enum Value {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    /// A file system path as the user wrote it (resolved relative to the working directory).
    case path(String)
    case list([Value])
    case record(Record)
    case table(Table)
    /// A NumPy-style array (from `.npy`/`.npz` files).
    case array(NDArray)
    case opaque(OpaqueValue)

    /// The type name shown by `:vars` and in type errors.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .int: "int"
        case .number: "number"
        case .string: "string"
        case .path: "path"
        case .list: "list"
        case .record: "record"
        case .table: "table"
        case .array: "array"
        case .opaque(let o): o.typeName
        }
    }

    /// A value read as a number (ints widen; nothing else converts).
    public var numberValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }

    /// Strings and paths as text.
    public var textValue: String? {
        switch self {
        case .string(let s), .path(let s): s
        default: nil
        }
    }

    /// A table, or a list of records seen as one.
    public var tableValue: Table? {
        switch self {
        case .table(let t): return t
        case .list(let items):
            var records: [Record] = []
            for item in items {
                guard case .record(let r) = item else { return nil }
                records.append(r)
            }
            return Table(records: records)
        default: return nil
        }
    }

    /// Truthiness for `where` predicates: false, null, 0 and "" are false.
    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .number(let d): d != 0
        case .string(let s): !s.isEmpty
        default: true
        }
    }

    /// Names accessible with `value.name`.
    public var fieldNames: [String] {
        switch self {
        case .record(let r): r.keys
        case .table(let t): ["columns", "count"] + t.columns
        case .array: ["shape", "dtype", "count"]
        case .list: ["count"]
        case .string, .path: ["count"]
        case .opaque(let o): o.fieldNames
        default: []
        }
    }

    /// `value.name`, or nil when there is no such field.
    public func field(_ name: String) -> Value? {
        switch self {
        case .record(let r): return r[name]
        case .table(let t):
            if name == "count" { return .int(t.rows.count) }
            if name == "columns" { return .list(t.columns.map { .string($0) }) }
            return t.column(named: name).map { .list($0) }
        case .array(let a):
            switch name {
            case "shape": return .list(a.shape.map { .int($0) })
            case "dtype": return .string(a.dtypeName)
            case "count": return .int(a.count)
            default: return nil
            }
        case .list(let items): return name == "count" ? .int(items.count) : nil
        case .string(let s), .path(let s): return name == "count" ? .int(s.count) : nil
        case .opaque(let o): return o.field(name)
        default: return nil
        }
    }
}

/// A value produced by another module (dataset, model, evaluation report, plot …).
/// Conform, then return `.opaque(x)` from a command handler.
public protocol OpaqueValue: AnyObject {
    /// Short lower-case type name: `dataset`, `model`, `report`, `plot`.
    var typeName: String { get }
    /// One line for `:vars`, e.g. `1200 sequences × 32 frames, 26 labels`.
    var summary: String { get }
    /// What `print` shows; defaults to the summary.
    func render() -> [String]
    var fieldNames: [String] { get }
    /// `value.name` (e.g. `report.accuracy`).
    func field(_ name: String) -> Value?
}

extension OpaqueValue {
    public func render() -> [String] { ["\(typeName): \(summary)"] }
    public var fieldNames: [String] { [] }
    public func field(_ name: String) -> Value? { nil }
}

/// Ordered string-keyed fields (order as read from a file or written in `{...}`).
public struct Record {
    public private(set) var entries: [(key: String, value: Value)]

    public init(_ entries: [(key: String, value: Value)] = []) {
        self.entries = []
        for entry in entries { self[entry.key] = entry.value }
    }

    public var keys: [String] { entries.map(\.key) }

    public subscript(key: String) -> Value? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }
}

/// Rows of values under named columns: what `load x.csv`, JSON arrays of records and table
/// commands (`where`, `count`, `sort`, …) produce.
public struct Table {
    public var columns: [String]
    public var rows: [[Value]]

    public init(columns: [String], rows: [[Value]]) {
        self.columns = columns
        self.rows = rows
    }

    /// Columns are the union of the records' keys in first-seen order; missing cells are null.
    public init(records: [Record]) {
        var columns: [String] = []
        var seen = Set<String>()
        for record in records {
            for key in record.keys where !seen.contains(key) {
                seen.insert(key)
                columns.append(key)
            }
        }
        self.columns = columns
        rows = records.map { record in columns.map { record[$0] ?? .null } }
    }

    public func columnIndex(_ name: String) -> Int? { columns.firstIndex(of: name) }

    public func column(named name: String) -> [Value]? {
        columnIndex(name).map { i in rows.map { $0[i] } }
    }

    public func record(at row: Int) -> Record {
        Record(zip(columns, rows[row]).map { (key: $0, value: $1) })
    }
}
