import Foundation

/// Any JSON value: carries the source fields a manifest keeps under `metadata` unchanged.
public enum JSONValue: Codable, Equatable, Sendable {
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
}

enum JSONFile {
    /// Reads and decodes a JSON file; a syntax error becomes `PipelineError.malformedJSON` with the
    /// 1-based line and column of the offending character.
    static func read(_ url: URL) throws -> JSONValue {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PipelineError.io(file: url.path, message: FileManager.default.fileExists(atPath: url.path)
                                   ? error.localizedDescription : "no such file")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw locate(data, file: url.path)
        }
    }

    /// JSONDecoder's errors carry no position; JSONSerialization's say "around character N" (or
    /// "around line L, column C" in newer Foundation), which is turned into line:column here.
    static func locate(_ data: Data, file: String) -> PipelineError {
        var description = "not valid JSON"
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            description = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
        }
        let bytes = [UInt8](data)
        var offset = bytes.count
        if let lineMatch = description.range(of: #"line (\d+), column (\d+)"#, options: .regularExpression) {
            let numbers = description[lineMatch].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            if numbers.count == 2 {
                return .malformedJSON(file: file, line: numbers[0], column: numbers[1], message: description)
            }
        }
        if let match = description.range(of: #"character (\d+)"#, options: .regularExpression),
           let n = Int(description[match].split(separator: " ")[1]) {
            offset = min(n, bytes.count)
        }
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return .malformedJSON(file: file, line: line, column: column, message: description)
    }
}
