import Foundation

/// Any JSON value: carries the source fields a manifest keeps under `metadata` unchanged (MS-ASL
/// and WLASL records, importer details) through a read–write round trip. Integers stay integers.
public enum JSONValue: Codable, Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let v = try? container.decode(Bool.self) { self = .bool(v) }
        else if let v = try? container.decode(Int.self) { self = .int(v) }
        else if let v = try? container.decode(Double.self) { self = .double(v) }
        else if let v = try? container.decode(String.self) { self = .string(v) }
        else if let v = try? container.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(v): try container.encode(v)
        case let .int(v): try container.encode(v)
        case let .double(v): try container.encode(v)
        case let .string(v): try container.encode(v)
        case let .array(v): try container.encode(v)
        case let .object(v): try container.encode(v)
        }
    }

    public var number: Double? {
        switch self {
        case let .int(v): return Double(v)
        case let .double(v): return v
        case let .string(s): return Double(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    /// An integer value (a float with no fractional part counts; "12" strings too).
    public var integer: Int? {
        switch self {
        case let .int(v): return v
        case let .double(v): return v.rounded() == v && abs(v) < 1e15 ? Int(v) : nil
        case let .string(s): return Int(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    public var string: String? {
        switch self {
        case let .string(s): return s
        case let .int(v): return String(v)
        default: return nil
        }
    }

    public var object: [String: JSONValue]? { if case let .object(o) = self { return o }; return nil }
    public var array: [JSONValue]? { if case let .array(a) = self { return a }; return nil }

    public var stringValue: String? { if case let .string(s) = self { return s }; return nil }

    public var description: String {
        switch self {
        case .null: "null"
        case let .bool(b): String(b)
        case let .int(v): String(v)
        case let .double(v): String(v)
        case let .string(s): s
        case let .array(a): "[" + a.map(\.description).joined(separator: ", ") + "]"
        case let .object(o): "{" + o.keys.sorted().map { "\($0): \(o[$0]!)" }.joined(separator: ", ") + "}"
        }
    }
}
