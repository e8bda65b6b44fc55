/// The `builtin_options` union of an operator, decoded for the option tables this runtime reads.
/// Field numbers follow schema.fbs (field k is vtable slot k). Other tables are kept as
/// `.other(unionType)` so the interpreter can name them when it refuses an op.
public enum OperatorOptions: Equatable, Sendable {
    case none
    case conv2D(Conv2DOptions)
    case depthwiseConv2D(DepthwiseConv2DOptions)
    case pool2D(Pool2DOptions)
    case fullyConnected(FullyConnectedOptions)
    case softmax(beta: Float)
    case concatenation(axis: Int, activation: FusedActivation)
    /// ADD, SUB, MUL, DIV: only a fused activation.
    case arithmetic(activation: FusedActivation)
    case resizeBilinear(alignCorners: Bool, halfPixelCenters: Bool)
    case reshape(newShape: [Int]?)
    case reducer(keepDims: Bool)
    case gather(axis: Int, batchDims: Int)
    case squeeze(dims: [Int])
    case unidirectionalSequenceLSTM(SequenceLSTMOptions)
    /// BATCH_MATMUL: transpose the last two axes of x (adj_x) or y (adj_y) first.
    case batchMatMul(adjX: Bool, adjY: Bool)
    case gelu(approximate: Bool)
    /// Option tables with no fields we need (PadOptions, DequantizeOptions, TransposeOptions…).
    case empty(unionType: UInt8)
    case other(unionType: UInt8)
}

public struct Conv2DOptions: Equatable, Sendable {
    public var padding: Padding
    public var strideW: Int, strideH: Int
    public var activation: FusedActivation
    public var dilationW: Int, dilationH: Int
    public init(padding: Padding, strideW: Int, strideH: Int, activation: FusedActivation,
                dilationW: Int = 1, dilationH: Int = 1) {
        self.padding = padding; self.strideW = strideW; self.strideH = strideH
        self.activation = activation; self.dilationW = dilationW; self.dilationH = dilationH
    }
}

public struct DepthwiseConv2DOptions: Equatable, Sendable {
    public var padding: Padding
    public var strideW: Int, strideH: Int
    public var depthMultiplier: Int
    public var activation: FusedActivation
    public var dilationW: Int, dilationH: Int
}

public struct Pool2DOptions: Equatable, Sendable {
    public var padding: Padding
    public var strideW: Int, strideH: Int
    public var filterW: Int, filterH: Int
    public var activation: FusedActivation
}

public struct FullyConnectedOptions: Equatable, Sendable {
    public var activation: FusedActivation
    /// 0 = DEFAULT; anything else is a shuffled int8 layout.
    public var weightsFormat: Int8
    public var keepNumDims: Bool
    /// Hybrid (int8-weight) kernels quantise each input row with its own zero point.
    public var asymmetricQuantizeInputs: Bool = false

    public init(activation: FusedActivation, weightsFormat: Int8 = 0, keepNumDims: Bool = false, asymmetricQuantizeInputs: Bool = false) {
        self.activation = activation; self.weightsFormat = weightsFormat; self.keepNumDims = keepNumDims
        self.asymmetricQuantizeInputs = asymmetricQuantizeInputs
    }
}

public struct SequenceLSTMOptions: Equatable, Sendable {
    public var activation: FusedActivation
    public var cellClip: Float
    public var projClip: Float
    public var timeMajor: Bool
}

/// Union type numbers of `union BuiltinOptions` in schema.fbs (NONE = 0).
enum BuiltinOptionsType {
    static let conv2D: UInt8 = 1, depthwiseConv2D: UInt8 = 2, pool2D: UInt8 = 5
    static let fullyConnected: UInt8 = 8, softmax: UInt8 = 9, concatenation: UInt8 = 10, add: UInt8 = 11
    static let resizeBilinear: UInt8 = 15, reshape: UInt8 = 17, mul: UInt8 = 21, pad: UInt8 = 22
    static let gather: UInt8 = 23, transpose: UInt8 = 26, reducer: UInt8 = 27, sub: UInt8 = 28, div: UInt8 = 29
    static let squeeze: UInt8 = 30, dequantize: UInt8 = 38, padV2: UInt8 = 43, expandDims: UInt8 = 52
    static let unidirectionalSequenceLSTM: UInt8 = 71, batchMatMul: UInt8 = 101, gelu: UInt8 = 116
}

extension OperatorOptions {
    static func parse(type: UInt8, table: Table?) throws -> OperatorOptions {
        guard type != 0 else { return .none }
        guard let t = table else { return .other(unionType: type) }
        func padding(_ i: Int) throws -> Padding { try t.i8(i) == 1 ? .valid : .same }
        func act(_ i: Int) throws -> FusedActivation { FusedActivation(raw: try t.i8(i)) }
        func int(_ i: Int, _ d: Int32 = 0) throws -> Int { Int(try t.i32(i, default: d)) }
        typealias T = BuiltinOptionsType
        switch type {
        case T.conv2D:
            return .conv2D(Conv2DOptions(padding: try padding(0), strideW: try int(1), strideH: try int(2),
                                         activation: try act(3), dilationW: try int(4, 1), dilationH: try int(5, 1)))
        case T.depthwiseConv2D:
            return .depthwiseConv2D(DepthwiseConv2DOptions(
                padding: try padding(0), strideW: try int(1), strideH: try int(2), depthMultiplier: try int(3),
                activation: try act(4), dilationW: try int(5, 1), dilationH: try int(6, 1)))
        case T.pool2D:
            return .pool2D(Pool2DOptions(padding: try padding(0), strideW: try int(1), strideH: try int(2),
                                         filterW: try int(3), filterH: try int(4), activation: try act(5)))
        case T.fullyConnected:
            return .fullyConnected(FullyConnectedOptions(activation: try act(0), weightsFormat: try t.i8(1),
                                                         keepNumDims: try t.bool(2), asymmetricQuantizeInputs: try t.bool(3)))
        case T.softmax:
            return .softmax(beta: try t.f32(0))
        case T.concatenation:
            return .concatenation(axis: try int(0), activation: try act(1))
        case T.add, T.mul, T.sub, T.div:
            return .arithmetic(activation: try act(0))
        case T.resizeBilinear:
            return .resizeBilinear(alignCorners: try t.bool(2), halfPixelCenters: try t.bool(3))
        case T.reshape:
            return .reshape(newShape: try t.int32Vector(0, what: "ReshapeOptions.new_shape")?.map(Int.init))
        case T.reducer:
            return .reducer(keepDims: try t.bool(0))
        case T.gather:
            return .gather(axis: try int(0), batchDims: try int(1))
        case T.squeeze:
            return .squeeze(dims: try t.int32Vector(0, what: "SqueezeOptions.squeeze_dims")?.map(Int.init) ?? [])
        case T.unidirectionalSequenceLSTM:
            return .unidirectionalSequenceLSTM(SequenceLSTMOptions(
                activation: try act(0), cellClip: try t.f32(1), projClip: try t.f32(2), timeMajor: try t.bool(3)))
        case T.batchMatMul:
            return .batchMatMul(adjX: try t.bool(0), adjY: try t.bool(1))
        case T.gelu:
            return .gelu(approximate: try t.bool(0))
        case T.pad, T.padV2, T.transpose, T.dequantize, T.expandDims:
            return .empty(unionType: type)
        default:
            return .other(unionType: type)
        }
    }
}

extension OperatorOptions {
    /// GELU's `approximate` (false, the exact erf form, when the op has no options).
    var geluApproximate: Bool {
        if case let .gelu(approximate) = self { return approximate }
        return false
    }
}
