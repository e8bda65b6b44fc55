import Foundation
import TensorCore

/// A parsed TFLite model (schema v3). Parsing validates the whole flatbuffer once; afterwards
/// every field is plain Swift data and buffer contents are byte ranges into `bytes`.
public struct TFLiteModel: Sendable {
    public let bytes: [UInt8]
    public let version: UInt32
    public let description: String?
    public let operatorCodes: [OperatorCode]
    public let subgraphs: [Subgraph]
    /// Buffer `i`'s bytes as a range into `bytes` (empty for buffer 0 and for tensors without data).
    public let buffers: [Range<Int>]
    public let metadata: [MetadataEntry]

    public struct OperatorCode: Equatable, Sendable {
        /// max(builtin_code, deprecated_builtin_code): old files only fill the deprecated byte,
        /// new files put 127 (PLACEHOLDER_FOR_GREATER_OP_CODES) there and the real code in builtin_code.
        public let builtin: BuiltinOperator
        public let customCode: String?
        public let version: Int
    }

    public struct Quantization: Equatable, Sendable {
        public let scale: [Float]
        public let zeroPoint: [Int64]
        public let quantizedDimension: Int

        public init(scale: [Float], zeroPoint: [Int64], quantizedDimension: Int) {
            self.scale = scale; self.zeroPoint = zeroPoint; self.quantizedDimension = quantizedDimension
        }
    }

    public struct TensorInfo: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
        public let type: TensorType
        public let buffer: Int
        public let quantization: Quantization?
        public let isVariable: Bool
    }

    public struct Operator: Equatable, Sendable {
        public let opcodeIndex: Int
        public let builtin: BuiltinOperator
        public let version: Int
        /// Tensor indices; -1 marks an omitted optional input.
        public let inputs: [Int]
        public let outputs: [Int]
        public let options: OperatorOptions
    }

    public struct Subgraph: Equatable, Sendable {
        public let name: String?
        public let tensors: [TensorInfo]
        public let operators: [Operator]
        /// Tensor indices in the subgraph's own order (which need not be tensor-index order).
        public let inputs: [Int]
        public let outputs: [Int]
    }

    public struct MetadataEntry: Equatable, Sendable {
        public let name: String
        public let buffer: Int
    }

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TFLiteError.unreadable(path: url.path, reason: FileProblem.reading(url.path, error: error).reason)
        }
        try self.init(bytes: [UInt8](data))
    }

    public init(bytes: [UInt8]) throws {
        let fb = FlatBuffer(bytes)
        guard bytes.count >= 8 else {
            throw TFLiteError.malformed(offset: 0, reason: "\(bytes.count) byte(s) is too short for a flatbuffer")
        }
        // The identifier is optional in flatbuffers but every TFLite writer emits "TFL3".
        if let id = fb.fileIdentifier(), id != "TFL3" {
            throw TFLiteError.malformed(offset: 4, reason: "file identifier is \(id.debugDescription), expected \"TFL3\"")
        }
        let root = try fb.root()
        self.bytes = bytes
        version = try root.u32(0)
        guard version == 3 else {
            throw TFLiteError.malformed(offset: root.position, reason: "schema version \(version), expected 3")
        }
        description = try root.string(3, what: "Model.description")

        operatorCodes = try (root.tableVector(1, what: "Model.operator_codes") ?? []).map { t in
            let deprecated = Int32(try t.i8(0))
            let builtin = try t.i32(3)
            return OperatorCode(builtin: BuiltinOperator(rawValue: max(builtin, deprecated)),
                                customCode: try t.string(1, what: "OperatorCode.custom_code"),
                                version: Int(try t.i32(2, default: 1)))
        }

        var buffers: [Range<Int>] = []
        for (i, t) in (try root.tableVector(4, what: "Model.buffers") ?? []).enumerated() {
            if let range = try t.byteRange(0, what: "Model.buffers[\(i)].data") {
                buffers.append(range)
            } else {
                // Large models (>2 GB) keep data outside the flatbuffer: offset/size from the file start.
                let offset = try t.u64(1), size = try t.u64(2)
                if offset > 1 {
                    guard offset <= UInt64(bytes.count), size <= UInt64(bytes.count) - offset else {
                        throw TFLiteError.malformed(offset: t.position,
                                                    reason: "buffer \(i) at \(offset)+\(size) lies outside the \(bytes.count)-byte file")
                    }
                    buffers.append(Int(offset)..<Int(offset + size))
                } else {
                    buffers.append(0..<0)
                }
            }
        }
        self.buffers = buffers

        metadata = try (root.tableVector(6, what: "Model.metadata") ?? []).map { t in
            MetadataEntry(name: try t.string(0, what: "Metadata.name") ?? "", buffer: Int(try t.u32(1)))
        }
        for (i, entry) in metadata.enumerated() where entry.buffer >= buffers.count {
            throw TFLiteError.invalidModel(location: "metadata \(i) \(entry.name.debugDescription)",
                                           reason: "buffer \(entry.buffer) of \(buffers.count)")
        }

        let codes = operatorCodes, bufferCount = buffers.count
        subgraphs = try (root.tableVector(2, what: "Model.subgraphs") ?? []).enumerated().map { s, t in
            try Self.parseSubgraph(t, index: s, codes: codes, bufferCount: bufferCount)
        }
        guard !subgraphs.isEmpty else {
            throw TFLiteError.invalidModel(location: "model", reason: "no subgraphs")
        }
    }

    private static func parseSubgraph(_ t: Table, index s: Int, codes: [OperatorCode],
                                      bufferCount: Int) throws -> Subgraph {
        let tensors: [TensorInfo] = try (t.tableVector(0, what: "SubGraph[\(s)].tensors") ?? []).enumerated().map { i, tt in
            let name = try tt.string(3, what: "Tensor[\(i)].name") ?? ""
            let shape = try (tt.int32Vector(0, what: "Tensor[\(i)].shape") ?? []).map(Int.init)
            let buffer = Int(try tt.u32(2))
            guard buffer < max(bufferCount, 1) else {
                throw TFLiteError.invalidModel(location: "tensor \(i) \(name.debugDescription)",
                                               reason: "buffer \(buffer) of \(bufferCount)")
            }
            var quant: Quantization?
            if let q = try tt.table(4, what: "Tensor[\(i)].quantization") {
                let scale = try q.floatVector(2, what: "QuantizationParameters.scale") ?? []
                let zero = try q.int64Vector(3, what: "QuantizationParameters.zero_point") ?? []
                if !scale.isEmpty || !zero.isEmpty {
                    quant = Quantization(scale: scale, zeroPoint: zero, quantizedDimension: Int(try q.i32(6)))
                }
            }
            return TensorInfo(name: name, shape: shape, type: TensorType(raw: try tt.i8(1)), buffer: buffer,
                              quantization: quant, isVariable: try tt.bool(5))
        }
        func indices(_ raw: [Int32]?, _ location: String, allowOmitted: Bool) throws -> [Int] {
            try (raw ?? []).map { v in
                guard (allowOmitted && v == -1) || (v >= 0 && Int(v) < tensors.count) else {
                    throw TFLiteError.invalidModel(location: location, reason: "tensor index \(v) of \(tensors.count)")
                }
                return Int(v)
            }
        }
        let operators: [Operator] = try (t.tableVector(3, what: "SubGraph[\(s)].operators") ?? []).enumerated().map { i, ot in
            let opcodeIndex = Int(try ot.u32(0))
            guard opcodeIndex < codes.count else {
                throw TFLiteError.invalidModel(location: "operator \(i)", reason: "opcode index \(opcodeIndex) of \(codes.count)")
            }
            let code = codes[opcodeIndex]
            let optionsType = try ot.u8(3)
            let optionsTable = try ot.table(4, what: "Operator[\(i)].builtin_options")
            return Operator(opcodeIndex: opcodeIndex, builtin: code.builtin, version: code.version,
                            inputs: try indices(ot.int32Vector(1, what: "Operator[\(i)].inputs"), "operator \(i) (\(code.builtin)) inputs", allowOmitted: true),
                            outputs: try indices(ot.int32Vector(2, what: "Operator[\(i)].outputs"), "operator \(i) (\(code.builtin)) outputs", allowOmitted: false),
                            options: try OperatorOptions.parse(type: optionsType, table: optionsTable))
        }
        return Subgraph(name: try t.string(4, what: "SubGraph[\(s)].name"), tensors: tensors, operators: operators,
                        inputs: try indices(t.int32Vector(1, what: "SubGraph[\(s)].inputs"), "subgraph \(s) inputs", allowOmitted: false),
                        outputs: try indices(t.int32Vector(2, what: "SubGraph[\(s)].outputs"), "subgraph \(s) outputs", allowOmitted: false))
    }

    /// Bytes of buffer `index`.
    public func bufferBytes(_ index: Int) -> ArraySlice<UInt8> {
        guard index >= 0, index < buffers.count else { return [] }
        return bytes[buffers[index]]
    }

    /// The bytes of the metadata entry named `name` (e.g. "min_runtime_version", "TFLITE_METADATA").
    public func metadata(named name: String) -> ArraySlice<UInt8>? {
        metadata.first { $0.name == name }.map { bufferBytes($0.buffer) }
    }
}
