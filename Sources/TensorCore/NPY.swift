import Foundation

/// NumPy's `.npy` format (numpy/lib/format.py, "NEP 1"): magic `\x93NUMPY`, version byte pair,
/// little-endian header length (uint16 in 1.0, uint32 in 2.0/3.0), an ASCII (3.0: UTF-8) Python
/// dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces
/// and a newline so the data starts on a 64-byte boundary, then the raw values.
///
/// Read: versions 1.0–3.0; dtypes f4 f8 i8 i4 u1 b1 U<n> S<n>; little- or big-endian (big-endian
/// is byte-swapped); C or Fortran order (Fortran is transposed to C). Write: C order,
/// little-endian, version 1.0 unless the header needs 2.0.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // "\x93NUMPY"

    // MARK: reading

    public static func read(contentsOf url: URL) throws -> NDArray {
        // Decoding copies the bytes once and builds the array beside them: about twice the file.
        try MemoryBudget.checkLoading(url, needed: 2 * MemoryBudget.fileSize(url))
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw ArrayFileError(FileProblem.reading(url.path, error: error))
        }
        return try decode(data, file: url.path)
    }

    /// Parses a complete `.npy` byte string. `file`/`member` only label errors.
    public static func decode(_ data: Data, file: String, member: String? = nil) throws -> NDArray {
        let bytes = [UInt8](data)
        func fail(_ offset: Int?, _ kind: ArrayFileError.Kind) -> ArrayFileError {
            ArrayFileError(file: file, member: member, offset: offset, kind)
        }
        guard bytes.count >= 10 else {
            if bytes.count >= 6, Array(bytes[0..<6]) != magic { throw fail(0, .badMagic) }
            throw fail(0, .truncated(needed: 10, available: bytes.count))
        }
        guard Array(bytes[0..<6]) == magic else { throw fail(0, .badMagic) }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail(8, .truncated(needed: 12, available: bytes.count)) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail(6, .badHeader("unsupported format version \(major).\(minor)"))
        }
        let dataStart = headerStart + headerLength
        guard dataStart <= bytes.count else {
            throw fail(headerStart, .truncated(needed: dataStart, available: bytes.count))
        }
        let headerBytes = bytes[headerStart..<dataStart]
        guard let headerText = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail(headerStart, .badHeader("header is not text"))
        }
        let header: Header
        do { header = try Header.parse(headerText) } catch let HeaderParseError.at(position, reason) {
            throw fail(headerStart + position, .badHeader(reason))
        } catch HeaderParseError.dtype(let descr) {
            throw fail(headerStart, .unsupportedDType("'\(descr)' (supported: f4 f8 i8 i4 u1 b1 U<n> S<n>)"))
        }
        let payload = bytes[dataStart...]
        let count = Tensor.checkedCount(of: header.shape) ?? Int.max
        let (needed, overflow) = count.multipliedReportingOverflow(by: header.dtype.itemSize)
        guard !overflow, count != Int.max else { throw fail(headerStart, .badHeader("shape \(header.shape) is too large")) }
        guard payload.count >= needed else {
            throw fail(dataStart, .sizeMismatch(expected: needed, actual: payload.count))
        }
        guard payload.count == needed else {
            throw fail(dataStart + needed, .sizeMismatch(expected: needed, actual: payload.count))
        }
        var storage = try header.dtype.decode(payload, count: count)
            .get(orThrow: fail(dataStart, .unexpected("string array holds invalid code points")))
        if header.fortranOrder && header.shape.count > 1 {
            storage = storage.permuted(by: fortranToC(shape: header.shape))
        }
        return NDArray(shape: header.shape, storage: storage)
    }

    /// For a Fortran-ordered array of `shape`, the Fortran position of each C-order element.
    static func fortranToC(shape: [Int]) -> [Int] {
        let n = Tensor.count(of: shape)
        var fStrides = [Int](repeating: 1, count: shape.count)
        for axis in 1..<shape.count { fStrides[axis] = fStrides[axis - 1] * shape[axis - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        var result = [Int](repeating: 0, count: n)
        for c in 0..<n {
            result[c] = zip(index, fStrides).reduce(0) { $0 + $1.0 * $1.1 }
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    // MARK: writing

    /// Encodes an array as `.npy` bytes (C order, little-endian).
    public static func encode(_ array: NDArray) -> Data {
        let descr = DType(array.storage).descr
        let shapeText: String
        switch array.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(array.shape[0]),)"
        default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad so magic + version + length field + header (ending in \n) is a multiple of 64.
        var prefixLength = 10
        if header.utf8.count + 1 + prefixLength > 65535 + 10 { prefixLength = 12 }
        let unpadded = prefixLength + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data(magic)
        let length = header.utf8.count
        if prefixLength == 10 {
            out.append(contentsOf: [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)])
        } else {
            out.append(contentsOf: [2, 0] + (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) })
        }
        out.append(contentsOf: Array(header.utf8))
        DType(array.storage).encode(array.storage, into: &out)
        return out
    }

    /// Writes an array to `url` atomically.
    public static func write(_ array: NDArray, to url: URL) throws {
        do { try OutputFile.write(encode(array), to: url) } catch let problem as FileProblem { throw ArrayFileError(problem) }
    }

    public static func write(_ tensor: Tensor, to url: URL) throws { try write(NDArray(tensor), to: url) }
}

// MARK: - dtype

/// The element types `.npy` files may hold here, with their byte order.
enum DType: Equatable {
    case float32(bigEndian: Bool), float64(bigEndian: Bool)
    case int64(bigEndian: Bool), int32(bigEndian: Bool)
    case uint8, bool
    /// UTF-32 strings of a fixed number of code points.
    case unicode(width: Int, bigEndian: Bool)
    /// Byte strings (`|S<n>`), read as UTF-8 text.
    case bytes(width: Int)

    init(_ storage: NDArray.Storage) {
        switch storage {
        case .float32: self = .float32(bigEndian: false)
        case .float64: self = .float64(bigEndian: false)
        case .int64: self = .int64(bigEndian: false)
        case .int32: self = .int32(bigEndian: false)
        case .uint8: self = .uint8
        case .bool: self = .bool
        case .string(let s): self = .unicode(width: max(1, s.map(\.unicodeScalars.count).max() ?? 1), bigEndian: false)
        }
    }

    /// Parses a NumPy descr string such as `<f4`, `|u1`, `>i8`, `<U12`.
    init?(descr: String) {
        guard let first = descr.first else { return nil }
        var body = Substring(descr)
        var big = false
        switch first {
        case "<", "|", "=": body = body.dropFirst()
        case ">": big = true; body = body.dropFirst()
        default: break
        }
        switch body {
        case "f4": self = .float32(bigEndian: big)
        case "f8": self = .float64(bigEndian: big)
        case "i8": self = .int64(bigEndian: big)
        case "i4": self = .int32(bigEndian: big)
        case "u1": self = .uint8
        case "b1", "?": self = .bool
        default:
            // A width beyond any real string column (its byte size, 4 × width, could overflow)
            // is not a dtype aslsh reads.
            if body.hasPrefix("U"), let w = Int(body.dropFirst()), (0...Self.maxStringWidth).contains(w) {
                self = .unicode(width: w, bigEndian: big)
            } else if body.hasPrefix("S"), let w = Int(body.dropFirst()), (0...Self.maxStringWidth).contains(w) {
                self = .bytes(width: w)
            }
            else { return nil }
        }
    }

    /// Characters (U) or bytes (S) per item: 16 M, far past any label or file-name column.
    static let maxStringWidth = 1 << 24

    var descr: String {
        switch self {
        case .float32(let b): (b ? ">" : "<") + "f4"
        case .float64(let b): (b ? ">" : "<") + "f8"
        case .int64(let b): (b ? ">" : "<") + "i8"
        case .int32(let b): (b ? ">" : "<") + "i4"
        case .uint8: "|u1"
        case .bool: "|b1"
        case .unicode(let w, let b): (b ? ">" : "<") + "U\(w)"
        case .bytes(let w): "|S\(w)"
        }
    }

    var itemSize: Int {
        switch self {
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .uint8, .bool: 1
        case .unicode(let w, _): 4 * w
        case .bytes(let w): w
        }
    }

    /// Decodes `count` items; `.failure` only for strings holding invalid code points.
    func decode(_ payload: ArraySlice<UInt8>, count: Int) -> Result<NDArray.Storage, Never>? {
        let base = payload.startIndex
        func word<T: FixedWidthInteger>(_ i: Int, _: T.Type, big: Bool) -> T {
            var v: T = 0
            let size = MemoryLayout<T>.size
            for b in 0..<size {
                let byte = T(payload[base + i * size + (big ? size - 1 - b : b)])
                v |= byte << (8 * b)
            }
            return v
        }
        switch self {
        case .float32(let big):
            return .success(.float32((0..<count).map { Float(bitPattern: word($0, UInt32.self, big: big)) }))
        case .float64(let big):
            return .success(.float64((0..<count).map { Double(bitPattern: word($0, UInt64.self, big: big)) }))
        case .int64(let big):
            return .success(.int64((0..<count).map { Int64(bitPattern: word($0, UInt64.self, big: big)) }))
        case .int32(let big):
            return .success(.int32((0..<count).map { Int32(bitPattern: word($0, UInt32.self, big: big)) }))
        case .uint8:
            return .success(.uint8(Array(payload)))
        case .bool:
            return .success(.bool(payload.map { $0 != 0 }))
        case .unicode(let width, let big):
            var strings = [String]()
            strings.reserveCapacity(count)
            for i in 0..<count {
                var scalars = String.UnicodeScalarView()
                for j in 0..<width {
                    let code = word(i * width + j, UInt32.self, big: big)
                    if code == 0 { break }
                    guard let s = Unicode.Scalar(code) else { return nil }
                    scalars.append(s)
                }
                strings.append(String(scalars))
            }
            return .success(.string(strings))
        case .bytes(let width):
            return .success(.string((0..<count).map { i in
                let raw = payload[(base + i * width)..<(base + (i + 1) * width)]
                return String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }))
        }
    }

    /// Little-endian encoding of the storage (write side only produces little-endian dtypes).
    func encode(_ storage: NDArray.Storage, into out: inout Data) {
        func append<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        switch storage {
        case .float32(let v): out.reserveCapacity(out.count + 4 * v.count); v.forEach { append($0.bitPattern) }
        case .float64(let v): out.reserveCapacity(out.count + 8 * v.count); v.forEach { append($0.bitPattern) }
        case .int64(let v): v.forEach { append($0) }
        case .int32(let v): v.forEach { append($0) }
        case .uint8(let v): out.append(contentsOf: v)
        case .bool(let v): out.append(contentsOf: v.map { $0 ? 1 : 0 })
        case .string(let v):
            let width = itemSize / 4
            for s in v {
                let codes = s.unicodeScalars.map(\.value)
                for j in 0..<width { append(j < codes.count ? codes[j] : UInt32(0)) }
            }
        }
    }
}

extension Optional where Wrapped == Result<NDArray.Storage, Never> {
    func get(orThrow error: @autoclosure () -> Error) throws -> NDArray.Storage {
        guard case .some(.success(let storage)) = self else { throw error() }
        return storage
    }
}

extension NDArray.Storage {
    /// `result[i] = self[order[i]]`.
    func permuted(by order: [Int]) -> NDArray.Storage {
        switch self {
        case .float32(let v): .float32(order.map { v[$0] })
        case .float64(let v): .float64(order.map { v[$0] })
        case .int64(let v): .int64(order.map { v[$0] })
        case .int32(let v): .int32(order.map { v[$0] })
        case .uint8(let v): .uint8(order.map { v[$0] })
        case .bool(let v): .bool(order.map { v[$0] })
        case .string(let v): .string(order.map { v[$0] })
        }
    }
}

// MARK: - header literal

enum HeaderParseError: Error { case at(Int, String), dtype(String) }

/// The parsed `.npy` header dict.
struct Header {
    var dtype: DType
    var fortranOrder: Bool
    var shape: [Int]

    /// Parses the Python dict literal NumPy writes. Only the subset NumPy produces is accepted:
    /// string keys; values that are strings, True/False, or tuples of non-negative integers.
    static func parse(_ text: String) throws -> Header {
        let chars = Array(text.unicodeScalars)
        var i = 0
        func skipSpace() { while i < chars.count, chars[i].properties.isWhitespace { i += 1 } }
        func expect(_ c: Unicode.Scalar) throws {
            skipSpace()
            guard i < chars.count, chars[i] == c else { throw HeaderParseError.at(i, "expected '\(c)'") }
            i += 1
        }
        func string() throws -> String {
            skipSpace()
            guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw HeaderParseError.at(i, "expected a quoted string") }
            let quote = chars[i]; i += 1
            var s = String.UnicodeScalarView()
            while i < chars.count, chars[i] != quote { s.append(chars[i]); i += 1 }
            guard i < chars.count else { throw HeaderParseError.at(i, "unterminated string") }
            i += 1
            return String(s)
        }
        enum Value { case text(String), flag(Bool), tuple([Int]) }
        func value() throws -> Value {
            skipSpace()
            guard i < chars.count else { throw HeaderParseError.at(i, "expected a value") }
            if chars[i] == "'" || chars[i] == "\"" { return .text(try string()) }
            if chars[i] == "(" {
                i += 1
                var items = [Int]()
                while true {
                    skipSpace()
                    if i < chars.count, chars[i] == ")" { i += 1; break }
                    var digits = ""
                    while i < chars.count, chars[i].properties.numericType != nil || chars[i] == "L" {
                        if chars[i] != "L" { digits.unicodeScalars.append(chars[i]) }
                        i += 1
                    }
                    guard let n = Int(digits), n >= 0 else { throw HeaderParseError.at(i, "shape entries must be non-negative integers") }
                    items.append(n)
                    skipSpace()
                    if i < chars.count, chars[i] == "," { i += 1; continue }
                    if i < chars.count, chars[i] == ")" { i += 1; break }
                    throw HeaderParseError.at(i, "expected ',' or ')' in shape")
                }
                return .tuple(items)
            }
            for (word, flag) in [("True", true), ("False", false)] where text.unicodeScalars.count >= i + word.count {
                if String(String.UnicodeScalarView(chars[i..<(i + word.count)])) == word {
                    i += word.count
                    return .flag(flag)
                }
            }
            throw HeaderParseError.at(i, "unsupported value (structured or object dtype?)")
        }
        try expect("{")
        var fields = [String: (Value, Int)]()
        while true {
            skipSpace()
            if i < chars.count, chars[i] == "}" { i += 1; break }
            let keyAt = i
            let key = try string()
            try expect(":")
            fields[key] = (try value(), keyAt)
            skipSpace()
            if i < chars.count, chars[i] == "," { i += 1; continue }
            try expect("}")
            break
        }
        guard case .text(let descr)? = fields["descr"]?.0 else {
            throw HeaderParseError.at(0, "missing or non-string 'descr' (structured dtypes are not supported)")
        }
        guard let dtype = DType(descr: descr) else {
            throw HeaderParseError.dtype(descr)
        }
        guard case .flag(let fortran)? = fields["fortran_order"]?.0 else {
            throw HeaderParseError.at(0, "missing 'fortran_order'")
        }
        guard case .tuple(let shape)? = fields["shape"]?.0 else { throw HeaderParseError.at(0, "missing 'shape'") }
        return Header(dtype: dtype, fortranOrder: fortran, shape: shape)
    }
}
