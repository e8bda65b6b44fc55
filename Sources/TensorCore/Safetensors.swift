import Foundation

/// The safetensors format (huggingface/safetensors, docs "Format"): an 8-byte little-endian
/// header length N, N bytes of JSON `{"name": {"dtype": "F32", "shape": [..],
/// "data_offsets": [begin, end]}, "__metadata__": {"k": "v"}}` (space-padded), then one byte
/// buffer that the offsets index. We write tensors in the order given, 8-byte aligned header.
/// Read-side validation follows the reference implementation: offsets must tile the buffer
/// exactly, in order, with sizes matching dtype × shape.
public struct Safetensors: Sendable {
    public var tensors: [(name: String, array: NDArray)]
    /// Free-form string metadata (`__metadata__`); checkpoints keep their JSON metadata here.
    public var metadata: [String: String]

    public init(tensors: [(name: String, array: NDArray)] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> NDArray? { tensors.first { $0.name == name }?.array }

    static let dtypeNames: [String: Int] = ["F32": 4, "F64": 8, "I64": 8, "I32": 4, "U8": 1, "BOOL": 1]

    // MARK: writing

    public func encode() throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = Data()
        for (name, array) in tensors {
            let dtype: String
            switch array.storage {
            case .float32: dtype = "F32"
            case .float64: dtype = "F64"
            case .int64: dtype = "I64"
            case .int32: dtype = "I32"
            case .uint8: dtype = "U8"
            case .bool: dtype = "BOOL"
            case .string:
                throw ArrayFileError(file: "<safetensors>", member: name, .unsupportedDType("string arrays have no safetensors dtype"))
            }
            let begin = body.count
            DType(array.storage).encode(array.storage, into: &body)
            header[name] = ["dtype": dtype, "shape": array.shape, "data_offsets": [begin, body.count]] as [String: Any]
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(body)
        return out
    }

    public func write(to url: URL) throws {
        let data: Data
        do { data = try encode() } catch var error as ArrayFileError {
            error.file = url.path
            throw error
        }
        do { try OutputFile.write(data, to: url) } catch let problem as FileProblem { throw ArrayFileError(problem) }
    }

    // MARK: reading

    public static func read(contentsOf url: URL) throws -> Safetensors {
        try MemoryBudget.checkLoading(url, needed: 2 * MemoryBudget.fileSize(url))
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw ArrayFileError(FileProblem.reading(url.path, error: error))
        }
        return try decode(data, file: url.path)
    }

    public static func decode(_ data: Data, file: String) throws -> Safetensors {
        let bytes = [UInt8](data)
        func fail(_ offset: Int?, _ member: String?, _ kind: ArrayFileError.Kind) -> ArrayFileError {
            ArrayFileError(file: file, member: member, offset: offset, kind)
        }
        func fail(_ offset: Int?, _ kind: ArrayFileError.Kind) -> ArrayFileError { fail(offset, nil, kind) }
        guard bytes.count >= 8 else { throw fail(0, .truncated(needed: 8, available: bytes.count)) }
        var n: UInt64 = 0
        for b in 0..<8 { n |= UInt64(bytes[b]) << (8 * b) }
        // The reference implementation caps the header at 100 MB; anything larger is corrupt.
        guard n <= 100_000_000 else { throw fail(0, .badHeader("header length \(n) exceeds 100 MB")) }
        let headerEnd = 8 + Int(n)
        guard headerEnd <= bytes.count else { throw fail(8, .truncated(needed: headerEnd, available: bytes.count)) }
        guard bytes.count > 8, bytes[8] == UInt8(ascii: "{") else { throw fail(8, .badMagic) }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) } catch {
            let detail = FileProblem.jsonSyntaxProblem(Data(bytes[8..<headerEnd])) ?? "not valid JSON"
            throw fail(8, .badHeader("header is not JSON: \(detail)"))
        }
        guard let header = object as? [String: Any] else { throw fail(8, .badHeader("header is not a JSON object")) }
        var result = Safetensors()
        if let meta = header["__metadata__"] {
            guard let dict = meta as? [String: String] else {
                throw fail(8, "__metadata__", .badHeader("__metadata__ must map strings to strings"))
            }
            result.metadata = dict
        }
        let bufferSize = bytes.count - headerEnd
        var entries: [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any],
                  let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  shape.count == (info["shape"] as? [Any])?.count,
                  let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offsets.count == 2 else {
                throw fail(8, name, .badHeader("entry needs dtype, shape and two data_offsets"))
            }
            guard let size = dtypeNames[dtype] else { throw fail(8, name, .unsupportedDType(dtype)) }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw fail(8, name, .badHeader("negative shape or inverted offsets"))
            }
            let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                let r = acc.0.multipliedReportingOverflow(by: d); return (r.partialValue, acc.1 || r.overflow)
            }
            guard !overflow, elements.multipliedReportingOverflow(by: size).overflow == false,
                  elements * size == offsets[1] - offsets[0] else {
                throw fail(headerEnd + offsets[0], name,
                           .sizeMismatch(expected: overflow ? Int.max : elements * size, actual: offsets[1] - offsets[0]))
            }
            entries.append((name, dtype, shape, offsets[0], offsets[1]))
        }
        entries.sort { $0.begin != $1.begin ? $0.begin < $1.begin : $0.end < $1.end }
        var cursor = 0
        for e in entries {
            guard e.begin == cursor else {
                throw fail(headerEnd + e.begin, e.name, .badHeader("data_offsets do not tile the buffer (gap or overlap)"))
            }
            guard e.end <= bufferSize else {
                throw fail(headerEnd + e.begin, e.name, .truncated(needed: headerEnd + e.end, available: bytes.count))
            }
            cursor = e.end
        }
        guard cursor == bufferSize else {
            throw fail(headerEnd + cursor, .sizeMismatch(expected: cursor, actual: bufferSize))
        }
        for e in entries {
            let count = Tensor.count(of: e.shape)
            let dtype: DType = switch e.dtype {
            case "F32": .float32(bigEndian: false)
            case "F64": .float64(bigEndian: false)
            case "I64": .int64(bigEndian: false)
            case "I32": .int32(bigEndian: false)
            case "U8": .uint8
            default: .bool
            }
            let slice = bytes[(headerEnd + e.begin)..<(headerEnd + e.end)]
            let storage = try dtype.decode(slice, count: count).get(orThrow: fail(headerEnd + e.begin, e.name, .corrupt("undecodable")))
            result.tensors.append((e.name, NDArray(shape: e.shape, storage: storage)))
        }
        return result
    }
}
