import Foundation
import TensorCore

enum JSONFile {
    /// Reads and decodes a JSON file; a syntax error becomes `PipelineError.malformedJSON` with the
    /// 1-based line and column of the offending character.
    static func read(_ url: URL) throws -> JSONValue {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PipelineError.file(.reading(url.path, error: error))
        }
        // Foundation's JSON5 scanner traps on some invalid UTF-8 (a stray 0xFB where a key should
        // start: found by fuzzing), so the bytes are checked first and the first bad one is named.
        if let bad = firstInvalidUTF8(data) {
            let (line, column) = position(of: bad, in: data)
            throw PipelineError.malformedJSON(file: url.path, line: line, column: column,
                                              message: String(format: "not valid UTF-8 (byte 0x%02X)", data[data.startIndex + bad]))
        }
        do {
            // JSON5 reading accepts the NaN and Infinity Python's json module writes for missing
            // numbers, so one such record is skipped by intake instead of refusing the whole file.
            let decoder = JSONDecoder()
            decoder.allowsJSON5 = true
            return try decoder.decode(JSONValue.self, from: data)
        } catch {
            throw locate(data, file: url.path)
        }
    }

    /// Offset of the first byte that does not belong to a well-formed UTF-8 sequence (Unicode
    /// Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or nil.
    static func firstInvalidUTF8(_ data: Data) -> Int? {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int? in
            let b = raw.bindMemory(to: UInt8.self)
            var i = 0
            while i < b.count {
                let lead = b[i]
                if lead < 0x80 { i += 1; continue }
                let length: Int, low: UInt8, high: UInt8   // allowed range of the second byte
                switch lead {
                case 0xC2...0xDF: length = 2; low = 0x80; high = 0xBF
                case 0xE0: length = 3; low = 0xA0; high = 0xBF
                case 0xE1...0xEC, 0xEE...0xEF: length = 3; low = 0x80; high = 0xBF
                case 0xED: length = 3; low = 0x80; high = 0x9F
                case 0xF0: length = 4; low = 0x90; high = 0xBF
                case 0xF1...0xF3: length = 4; low = 0x80; high = 0xBF
                case 0xF4: length = 4; low = 0x80; high = 0x8F
                default: return i
                }
                guard i + length <= b.count, (low...high).contains(b[i + 1]) else { return i }
                for k in 2..<max(length, 2) where !(0x80...0xBF).contains(b[i + k]) { return i }
                i += length
            }
            return nil
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
        var offset = data.count
        if let lineMatch = description.range(of: #"line (\d+), column (\d+)"#, options: .regularExpression) {
            let numbers = description[lineMatch].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            if numbers.count == 2 {
                return .malformedJSON(file: file, line: numbers[0], column: numbers[1], message: shortReason(description))
            }
        }
        if let match = description.range(of: #"character (\d+)"#, options: .regularExpression),
           let n = Int(description[match].split(separator: " ")[1]) {
            offset = min(n, data.count)
        }
        let (line, column) = position(of: offset, in: data)
        return .malformedJSON(file: file, line: line, column: column, message: shortReason(description))
    }

    /// 1-based line and column (in characters, not bytes) of byte `offset`.
    static func position(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }

    /// Foundation's sentence without the position (already in line:column) or the trailing
    /// period, starting in lower case: "unexpected character 'x'", "unexpected end of file".
    static func shortReason(_ text: String) -> String {
        var reason = text
        for pattern in [#" (around|at) line \d+, column \d+"#, #" (around|at) character \d+"#, #"\.$"#] {
            if let range = reason.range(of: pattern, options: .regularExpression) { reason.removeSubrange(range) }
        }
        reason = reason.replacingOccurrences(of: "The data couldn’t be read because it isn’t in the correct format", with: "not valid JSON")
        guard let first = reason.first else { return "not valid JSON" }
        return first.lowercased() + reason.dropFirst()
    }
}
