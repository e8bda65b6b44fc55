/// Writes single-subgraph TFLite models (schema v3, identifier "TFL3") — the exporter's back end.
/// `TFLiteModel(bytes:)` reads back everything written here (see `TFLiteWriterTests`).
public struct TFLiteModelSpec: Equatable, Sendable {
    public struct Tensor: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var type: TensorType
        /// Constant contents (little-endian), or nil for activations.
        public var data: [UInt8]?
        public var quantization: TFLiteModel.Quantization?
        public var isVariable: Bool

        public init(name: String, shape: [Int], type: TensorType = .float32, data: [UInt8]? = nil,
                    quantization: TFLiteModel.Quantization? = nil, isVariable: Bool = false) {
            self.name = name; self.shape = shape; self.type = type; self.data = data
            self.quantization = quantization; self.isVariable = isVariable
        }

        /// A float32 constant.
        public init(name: String, shape: [Int], floats: [Float]) {
            self.init(name: name, shape: shape, data: floats.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } })
        }

        /// An int32 constant (shapes, axes, paddings).
        public init(name: String, shape: [Int], int32s: [Int32]) {
            self.init(name: name, shape: shape, type: .int32,
                      data: int32s.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: UInt32(bitPattern: v) >> (8 * UInt32($0))) } })
        }
    }

    public struct Operator: Equatable, Sendable {
        public var builtin: BuiltinOperator
        public var version: Int
        public var inputs: [Int]
        public var outputs: [Int]
        public var options: OperatorOptions
        public init(_ builtin: BuiltinOperator, version: Int = 1, inputs: [Int], outputs: [Int], options: OperatorOptions = .none) {
            self.builtin = builtin; self.version = version; self.inputs = inputs; self.outputs = outputs; self.options = options
        }
    }

    public var tensors: [Tensor]
    public var operators: [Operator]
    public var inputs: [Int]
    public var outputs: [Int]
    public var subgraphName: String
    public var description: String
    /// Named metadata buffers (e.g. a label map).
    public var metadata: [(name: String, bytes: [UInt8])]

    public init(tensors: [Tensor], operators: [Operator], inputs: [Int], outputs: [Int], subgraphName: String = "main",
                description: String = "aslsh", metadata: [(name: String, bytes: [UInt8])] = []) {
        self.tensors = tensors; self.operators = operators; self.inputs = inputs; self.outputs = outputs
        self.subgraphName = subgraphName; self.description = description; self.metadata = metadata
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.tensors == b.tensors && a.operators == b.operators && a.inputs == b.inputs && a.outputs == b.outputs
            && a.subgraphName == b.subgraphName && a.description == b.description
            && a.metadata.map(\.name) == b.metadata.map(\.name) && a.metadata.map(\.bytes) == b.metadata.map(\.bytes)
    }

    /// The first subgraph of a parsed model, for rewriting it.
    public init(_ model: TFLiteModel) {
        let g = model.subgraphs[0]
        self.init(tensors: g.tensors.map { t in
                      let bytes = model.bufferBytes(t.buffer)
                      return Tensor(name: t.name, shape: t.shape, type: t.type, data: bytes.isEmpty ? nil : Array(bytes),
                                    quantization: t.quantization, isVariable: t.isVariable)
                  },
                  operators: g.operators.map { Operator($0.builtin, version: $0.version, inputs: $0.inputs, outputs: $0.outputs, options: $0.options) },
                  inputs: g.inputs, outputs: g.outputs, subgraphName: g.name ?? "", description: model.description ?? "",
                  metadata: model.metadata.map { ($0.name, Array(model.bufferBytes($0.buffer))) })
    }
}

public enum TFLiteWriter {
    /// The model as TFLite flatbuffer bytes.
    public static func serialize(_ spec: TFLiteModelSpec) -> [UInt8] {
        typealias F = FlatBufferField
        var buffers: [FlatBufferObject] = [.table([])]          // buffer 0: the empty sentinel
        func buffer(_ data: [UInt8]) -> UInt32 {
            buffers.append(.table([.object(.bytes(data))]))
            return UInt32(buffers.count - 1)
        }
        var codes: [TFLiteModel.OperatorCode] = []
        var codeIndex: [String: Int] = [:]
        let operators: [FlatBufferObject] = spec.operators.map { op in
            let key = "\(op.builtin.rawValue)/\(op.version)"
            let index = codeIndex[key] ?? {
                codes.append(TFLiteModel.OperatorCode(builtin: op.builtin, customCode: nil, version: op.version))
                codeIndex[key] = codes.count - 1
                return codes.count - 1
            }()
            let (type, table) = options(op.options, builtin: op.builtin)
            return .table([.u32(UInt32(index)), .object(.int32s(op.inputs.map { Int32($0) })),
                           .object(.int32s(op.outputs.map { Int32($0) })), .u8(type), table.map { .object($0) }])
        }
        let tensors: [FlatBufferObject] = spec.tensors.map { t in
            let quant: F? = t.quantization.map { q in
                .object(.table([nil, nil, .object(.floats(q.scale)), .object(.int64s(q.zeroPoint)), nil, nil,
                                .i32(Int32(q.quantizedDimension))]))
            }
            return .table([.object(.int32s(t.shape.map { Int32($0) })), .u8(UInt8(bitPattern: t.type.raw)),
                           .u32(t.data.map(buffer) ?? 0), .object(.string(t.name)), quant, t.isVariable ? .u8(1) : nil])
        }
        let subgraph = FlatBufferObject.table([.object(.tables(tensors)), .object(.int32s(spec.inputs.map { Int32($0) })),
                                               .object(.int32s(spec.outputs.map { Int32($0) })), .object(.tables(operators)),
                                               .object(.string(spec.subgraphName))])
        let metadata: [FlatBufferObject] = spec.metadata.map { .table([.object(.string($0.name)), .u32(buffer($0.bytes))]) }
        let opcodes: [FlatBufferObject] = codes.map { c in
            // deprecated_builtin_code holds min(code, 127) (127 = PLACEHOLDER_FOR_GREATER_OP_CODES).
            .table([.u8(UInt8(min(c.builtin.rawValue, 127))), nil, .i32(Int32(c.version)), .i32(c.builtin.rawValue)])
        }
        let root = FlatBufferObject.table([.u32(3), .object(.tables(opcodes)), .object(.tables([subgraph])),
                                           .object(.string(spec.description)), .object(.tables(buffers)), nil,
                                           metadata.isEmpty ? nil : .object(.tables(metadata))])
        return FlatBufferWriter.serialize(root: root, identifier: "TFL3")
    }

    /// `builtin_options` union type and table for the options `OperatorOptions.parse` reads.
    static func options(_ o: OperatorOptions, builtin: BuiltinOperator) -> (UInt8, FlatBufferObject?) {
        typealias T = BuiltinOptionsType
        func pad(_ p: Padding) -> FlatBufferField { .u8(p == .valid ? 1 : 0) }
        func act(_ a: FusedActivation) -> FlatBufferField { .u8(UInt8(bitPattern: a.raw)) }
        func int(_ v: Int) -> FlatBufferField { .i32(Int32(v)) }
        func bool(_ v: Bool) -> FlatBufferField { .u8(v ? 1 : 0) }
        switch o {
        case .none: return (0, nil)
        case let .conv2D(c):
            return (T.conv2D, .table([pad(c.padding), int(c.strideW), int(c.strideH), act(c.activation), int(c.dilationW), int(c.dilationH)]))
        case let .depthwiseConv2D(c):
            return (T.depthwiseConv2D, .table([pad(c.padding), int(c.strideW), int(c.strideH), int(c.depthMultiplier), act(c.activation),
                                               int(c.dilationW), int(c.dilationH)]))
        case let .pool2D(p):
            return (T.pool2D, .table([pad(p.padding), int(p.strideW), int(p.strideH), int(p.filterW), int(p.filterH), act(p.activation)]))
        case let .fullyConnected(f):
            return (T.fullyConnected, .table([act(f.activation), .u8(UInt8(bitPattern: f.weightsFormat)), bool(f.keepNumDims), bool(f.asymmetricQuantizeInputs)]))
        case let .softmax(beta): return (T.softmax, .table([.f32(beta)]))
        case let .concatenation(axis, a): return (T.concatenation, .table([int(axis), act(a)]))
        case let .arithmetic(a):
            let type: UInt8 = builtin == .mul ? T.mul : builtin == .sub ? T.sub : builtin == .div ? T.div : T.add
            return (type, .table([act(a)]))
        case let .resizeBilinear(alignCorners, halfPixel): return (T.resizeBilinear, .table([nil, nil, bool(alignCorners), bool(halfPixel)]))
        case let .reshape(shape): return (T.reshape, .table([shape.map { .object(.int32s($0.map { Int32($0) })) }]))
        case let .reducer(keepDims): return (T.reducer, .table([bool(keepDims)]))
        case let .gather(axis, batchDims): return (T.gather, .table([int(axis), int(batchDims)]))
        case let .squeeze(dims): return (T.squeeze, .table([.object(.int32s(dims.map { Int32($0) }))]))
        case let .unidirectionalSequenceLSTM(l):
            return (T.unidirectionalSequenceLSTM, .table([act(l.activation), .f32(l.cellClip), .f32(l.projClip), bool(l.timeMajor)]))
        case let .batchMatMul(adjX, adjY): return (T.batchMatMul, .table([bool(adjX), bool(adjY)]))
        case let .gelu(approximate): return (T.gelu, .table([bool(approximate)]))
        case let .empty(type): return (type, .table([]))
        case let .other(type): return (type, .table([]))
        }
    }
}
