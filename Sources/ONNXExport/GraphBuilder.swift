import Foundation

/// Accumulates one ONNX graph: nodes (added in execution order, so the graph is topologically
/// sorted as the spec requires), float/int64 initializers, and fresh value names.
struct GraphBuilder {
    private(set) var graph = Onnx_GraphProto()
    private var counter = 0

    init(name: String) { graph.name = name }

    /// A value name not used before (`hint_N`).
    mutating func fresh(_ hint: String) -> String {
        counter += 1
        return "\(hint)_\(counter)"
    }

    /// A float32 initializer (raw little-endian data, as ONNX stores `raw_data`).
    @discardableResult
    mutating func floats(_ name: String, _ values: [Float], shape: [Int]) -> String {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for \(shape)")
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.dims = shape.map(Int64.init)
        t.rawData = values.map { $0.bitPattern.littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) }
        graph.initializer.append(t)
        return name
    }

    /// An int64 constant initializer (shapes, axes, indices), named freshly from `hint`.
    mutating func int64s(_ values: [Int64], shape: [Int]? = nil, hint: String = "const") -> String {
        var t = Onnx_TensorProto()
        t.name = fresh(hint)
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.dims = (shape ?? [values.count]).map(Int64.init)
        t.rawData = values.map { $0.littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) }
        graph.initializer.append(t)
        return t.name
    }

    /// A float constant of shape `shape` (default: a scalar).
    mutating func constant(_ value: Float, shape: [Int] = [], hint: String = "const") -> String {
        floats(fresh(hint), [Float](repeating: value, count: shape.reduce(1, *)), shape: shape)
    }

    /// Adds a node and returns its output names (fresh unless `outputs` names them).
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], outputs: [String]? = nil, outputCount: Int = 1,
                       _ attributes: [Onnx_AttributeProto] = []) -> [String] {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = fresh(op)
        n.input = inputs
        n.output = outputs ?? (0..<outputCount).map { _ in fresh(op.lowercased()) }
        n.attribute = attributes
        graph.node.append(n)
        return n.output
    }

    /// A single-output node.
    mutating func op(_ op: String, _ inputs: [String], output: String? = nil, _ attributes: [Onnx_AttributeProto] = []) -> String {
        node(op, inputs, outputs: output.map { [$0] }, attributes)[0]
    }

    /// A graph input or output: float32 tensor whose dims are numbers or symbolic names.
    static func valueInfo(_ name: String, dims: [Dimension]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch d {
            case .fixed(let v): dim.dimValue = Int64(v)
            case .symbolic(let s): dim.dimParam = s
            }
            return dim
        }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }

    enum Dimension: Equatable {
        case fixed(Int)
        case symbolic(String)
    }

    mutating func addInput(_ name: String, dims: [Dimension]) { graph.input.append(Self.valueInfo(name, dims: dims)) }
    mutating func addOutput(_ name: String, dims: [Dimension]) { graph.output.append(Self.valueInfo(name, dims: dims)) }
}

/// Node attributes (AttributeProto with its `type` set, as the checker requires).
enum Attribute {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(value)
        return a
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values.map(Int64.init)
        return a
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = value
        return a
    }

    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(value.utf8)
        return a
    }
}
