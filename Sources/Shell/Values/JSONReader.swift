import Foundation

/// A small JSON reader that keeps object keys in file order (manifest columns print in the
/// order they were written) and tells integers from numbers by their spelling.
public enum JSONReader {
    public static func parse(_ data: Data, file: String = "<json>") throws -> Value {
        var reader = Reader(bytes: [UInt8](data), file: file)
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.i == reader.bytes.count else { throw reader.error("unexpected text after the JSON value") }
        return value
    }

    private struct Reader {
        let bytes: [UInt8]
        let file: String
        var i = 0

        init(bytes: [UInt8], file: String) {
            self.bytes = bytes
            self.file = file
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        }

        func error(_ message: String) -> DataFileError { DataFileError(file: file, place: .byte(i), message: message) }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
        }

        mutating func value(depth: Int) throws -> Value {
            guard depth < 512 else { throw error("nesting deeper than 512") }
            guard i < bytes.count else { throw error("unexpected end of JSON") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var record = Record()
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .record(record) }
                while true {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    record[key] = try value(depth: depth + 1)
                    skipSpace()
                    if try endOrComma("}") { return .record(record) }
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [Value] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .list(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    if try endOrComma("]") { return .list(items) }
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default:
                return try number()
            }
        }

        mutating func endOrComma(_ close: Character) throws -> Bool {
            guard i < bytes.count else { throw error("missing '\(close)'") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; return false }
            if bytes[i] == close.asciiValue! { i += 1; return true }
            throw error("expected ',' or '\(close)'")
        }

        mutating func expect(_ c: Character) throws {
            guard i < bytes.count, bytes[i] == c.asciiValue! else { throw error("expected '\(c)'") }
            i += 1
        }

        mutating func literal(_ word: String) throws {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw error("invalid literal") }
            i += w.count
        }

        mutating func number() throws -> Value {
            let start = i
            while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if let n = Int(text) { return .int(n) }
            guard !text.isEmpty, let d = Double(text) else {
                i = start
                throw error("invalid value")
            }
            return .number(d)
        }

        mutating func string() throws -> String {
            i += 1
            var out = [UInt8]()
            while true {
                guard i < bytes.count else { throw error("unterminated string") }
                let c = bytes[i]
                i += 1
                if c == UInt8(ascii: "\"") { break }
                if c != UInt8(ascii: "\\") { out.append(c); continue }
                guard i < bytes.count else { throw error("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"),
                       bytes[i + 1] == UInt8(ascii: "u") {
                        let next = i
                        i += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = next   // a lone high surrogate (U+FFFD below); the next escape stands alone
                        }
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8))
                default: out.append(e)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
                throw error("bad \\u escape")
            }
            i += 4
            return v
        }
    }
}
