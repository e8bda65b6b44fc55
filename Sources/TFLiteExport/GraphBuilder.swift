import TFLiteRuntime

/// Accumulates one TFLite subgraph: activations with their shapes, constants (weights go through
/// the chosen quantisation), and operators in execution order.
struct GraphBuilder {
    let quantization: TFLiteQuantization
    private(set) var tensors: [TFLiteModelSpec.Tensor] = []
    private(set) var operators: [TFLiteModelSpec.Operator] = []
    private var counter = 0

    init(quantization: TFLiteQuantization) { self.quantization = quantization }

    func shape(_ t: Int) -> [Int] { tensors[t].shape }

    private mutating func add(_ tensor: TFLiteModelSpec.Tensor) -> Int {
        tensors.append(tensor)
        return tensors.count - 1
    }

    /// A fresh activation tensor (names are unique: `name` plus a running number).
    mutating func newTensor(_ name: String, _ shape: [Int]) -> Int {
        counter += 1
        return add(.init(name: "\(name)_\(counter)", shape: shape))
    }

    /// A named activation (graph inputs and outputs).
    mutating func named(_ name: String, _ shape: [Int]) -> Int { add(.init(name: name, shape: shape)) }

    /// A float32 constant kept in float32 whatever the quantisation (scalars, small factors).
    mutating func constant(_ name: String, _ shape: [Int], _ values: [Float]) -> Int {
        counter += 1
        return add(.init(name: "\(name)_\(counter)", shape: shape, floats: values))
    }

    mutating func ints(_ name: String, _ values: [Int], shape: [Int]? = nil) -> Int {
        counter += 1
        return add(.init(name: "\(name)_\(counter)", shape: shape ?? [values.count], int32s: values.map { Int32($0) }))
    }

    /// A weight or bias: float32, or FLOAT16 + DEQUANTIZE (`.float16`), or — for FULLY_CONNECTED
    /// weights [Out, In] only (`fullyConnected: true`) — INT8 symmetric per output row (`.dynamicInt8`).
    mutating func weight(_ name: String, _ shape: [Int], _ values: [Float], fullyConnected: Bool = false) -> Int {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for \(shape)")
        switch quantization {
        case .none:
            return constant(name, shape, values)
        case .float16:
            let half = add(.init(name: name + "_fp16", shape: shape, type: .float16,
                                 data: values.flatMap { v -> [UInt8] in
                                     let bits = Float16(v).bitPattern
                                     return [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8)]
                                 }))
            let out = add(.init(name: name, shape: shape))
            op(.dequantize, version: 3, [half], [out])
            return out
        case .dynamicInt8:
            guard fullyConnected else { return constant(name, shape, values) }
            let (q, scales) = WeightQuantization.symmetricPerRow(values, rows: shape[0])
            return add(.init(name: name, shape: shape, type: .int8, data: q.map { UInt8(bitPattern: $0) },
                             quantization: TFLiteModel.Quantization(scale: scales, zeroPoint: [Int64](repeating: 0, count: scales.count),
                                                                    quantizedDimension: 0)))
        }
    }

    mutating func op(_ builtin: BuiltinOperator, version: Int = 1, _ inputs: [Int], _ outputs: [Int], _ options: OperatorOptions = .none) {
        operators.append(.init(builtin, version: version, inputs: inputs, outputs: outputs, options: options))
    }

    // MARK: Operators that create their output

    /// FULLY_CONNECTED: x [B, In] · Wᵀ + b → [B, Out] with W [Out, In] as PyTorch stores it.
    mutating func fullyConnected(_ x: Int, weight w: [Float], bias b: [Float]?, out: Int, name: String,
                                 activation: FusedActivation = .none, output: Int? = nil) -> Int {
        let layer = denseLayer(weight: w, bias: b, out: out, name: name)
        return fullyConnected(x, layer, name: name, activation: activation, output: output)
    }

    /// Weight (and bias) tensors of a FULLY_CONNECTED layer, made once and shared by every use.
    mutating func denseLayer(weight w: [Float], bias b: [Float]?, out: Int, name: String) -> DenseLayer {
        DenseLayer(weight: weight(name + "_w", [out, w.count / out], w, fullyConnected: true),
                   bias: b.map { weight(name + "_b", [out], $0) } ?? -1, inCount: w.count / out, outCount: out)
    }

    mutating func fullyConnected(_ x: Int, _ layer: DenseLayer, name: String, activation: FusedActivation = .none,
                                 output: Int? = nil) -> Int {
        let batch = shape(x).reduce(1, *) / layer.inCount
        let y = output ?? newTensor(name, [batch, layer.outCount])
        // Version 1 = float; hybrid int8 weights with asymmetric input quantisation is version 9
        // (tensorflow/lite/tools/versioning/op_version.cc).
        op(.fullyConnected, version: quantization == .dynamicInt8 ? 9 : 1, [x, layer.weight, layer.bias], [y],
           .fullyConnected(FullyConnectedOptions(activation: activation, weightsFormat: 0, keepNumDims: false,
                                                 asymmetricQuantizeInputs: quantization == .dynamicInt8)))
        return y
    }

    mutating func binary(_ builtin: BuiltinOperator, _ a: Int, _ b: Int, activation: FusedActivation = .none, name: String) -> Int {
        let y = newTensor(name, Self.broadcastShape(shape(a), shape(b)))
        op(builtin, [a, b], [y], .arithmetic(activation: activation))
        return y
    }

    /// An op with one input and an output of its shape (activations, RSQRT, SOFTMAX, GELU).
    mutating func unary(_ builtin: BuiltinOperator, _ x: Int, name: String, _ options: OperatorOptions = .none) -> Int {
        let y = newTensor(name, shape(x))
        op(builtin, [x], [y], options)
        return y
    }

    /// TRANSPOSE by a constant permutation.
    mutating func transpose(_ x: Int, _ perm: [Int], name: String) -> Int {
        let s = shape(x)
        let y = newTensor(name, perm.map { s[$0] })
        op(.transpose, [x, ints(name + "_perm", perm)], [y])
        return y
    }

    /// BATCH_MATMUL `[…, M, K]`·`[…, K, N]` → `[…, M, N]`.
    mutating func batchMatMul(_ x: Int, _ y: Int, name: String) -> Int {
        let out = newTensor(name, Array(shape(x).dropLast()) + [shape(y).last!])
        op(.batchMatMul, [x, y], [out], .batchMatMul(adjX: false, adjY: false))
        return out
    }

    /// RESHAPE to `shape`, written with −1 for the batch axis so LiteRT can resize the batch.
    mutating func reshape(_ x: Int, _ newShape: [Int], name: String) -> Int {
        let spec = [-1] + newShape.dropFirst()
        let s = ints(name + "_shape", spec)
        let y = newTensor(name, newShape)
        op(.reshape, [x, s], [y], .reshape(newShape: spec))
        return y
    }

    /// GATHER of one index along `axis` (the axis disappears).
    mutating func take(_ x: Int, index: Int, axis: Int, name: String) -> Int {
        let i = add(.init(name: "\(name)_index\(counter)", shape: [], int32s: [Int32(index)]))
        var s = shape(x)
        s.remove(at: axis)
        let y = newTensor(name, s)
        op(.gather, [x, i], [y], .gather(axis: axis, batchDims: 0))
        return y
    }

    mutating func concatenate(_ parts: [Int], axis: Int, name: String) -> Int {
        var s = shape(parts[0])
        s[axis] = parts.map { shape($0)[axis] }.reduce(0, +)
        let y = newTensor(name, s)
        op(.concatenation, parts, [y], .concatenation(axis: axis, activation: .none))
        return y
    }

    /// MEAN (or REDUCE_MAX) over `axes`.
    mutating func reduce(_ x: Int, axes: [Int], keepDims: Bool, name: String, op builtin: BuiltinOperator = .mean) -> Int {
        let a = ints(name + "_axes", axes)
        let s = shape(x).enumerated().compactMap { i, d in axes.contains(i) ? (keepDims ? 1 : nil) : d }
        let y = newTensor(name, s)
        op(builtin, [x, a], [y], .reducer(keepDims: keepDims))
        return y
    }

    /// Σₜ mask as [B, 1] from mask3 [B, T, 1] (MEAN·T: no SUM needed).
    mutating func validCount(_ mask3: Int, steps: Int) -> Int {
        let meanMask = reduce(mask3, axes: [1], keepDims: false, name: "mask_mean")   // [B, 1]
        return binary(.mul, meanMask, constant("steps", [1], [Float(steps)]), name: "mask_sum")
    }

    /// Masked mean over time, z [B, T, C], mask3 [B, T, 1] → [B, C]: Σₜ m·z / max(Σₜ m, 1) computed as
    /// MEAN(z·m) · T / count, with count = (Σm − 1)₊ + 1 (no MAXIMUM op).
    mutating func maskedMean(_ z: Int, _ mask3: Int, steps: Int) -> Int {
        let meanZ = reduce(binary(.mul, z, mask3, name: "weighted"), axes: [1], keepDims: false, name: "pool_mean")
        let excess = binary(.sub, validCount(mask3, steps: steps), constant("one", [1], [1]), activation: .relu, name: "mask_excess")
        let count = binary(.add, excess, constant("one", [1], [1]), name: "mask_count")
        let factor = binary(.div, constant("steps", [1], [Float(steps)]), count, name: "pool_factor")
        return binary(.mul, meanZ, factor, name: "pooled")
    }

    /// Masked max over time (valid frames only; 0 when there is none), z [B, T, C] → [B, C]:
    /// REDUCE_MAX(z·m + (m − 1)·10³⁰) · any, with any = Σm − (Σm − 1)₊ ∈ {0, 1}.
    mutating func maskedMax(_ z: Int, _ mask3: Int, steps: Int) -> Int {
        let penalty = binary(.mul, binary(.sub, mask3, constant("one", [1], [1]), name: "mask_minus_one"),
                             constant("big", [1], [1e30]), name: "penalty")
        let shifted = binary(.add, binary(.mul, z, mask3, name: "kept"), penalty, name: "shifted")
        let maxima = reduce(shifted, axes: [1], keepDims: false, name: "pool_max", op: .reduceMax)
        let total = validCount(mask3, steps: steps)
        let any = binary(.sub, total, binary(.sub, total, constant("one", [1], [1]), activation: .relu, name: "mask_excess"), name: "mask_any")
        return binary(.mul, maxima, any, name: "pooled")
    }

    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a, pb = [Int](repeating: 1, count: rank - b.count) + b
        return zip(pa, pb).map { max($0, $1) }
    }
}

/// Tensor indices of a FULLY_CONNECTED layer's constants (bias −1 when absent).
struct DenseLayer {
    let weight: Int, bias: Int
    let inCount: Int, outCount: Int
}

/// Symmetric int8 weight quantisation as TFLite's dynamic-range converter does it: per output row
/// scale = max|w|/127, q = round(w/scale) (tensorflow/lite/tools/optimize/quantization_utils.cc
/// `SymmetricPerChannelQuantizeValues`).
enum WeightQuantization {
    static func symmetricPerRow(_ w: [Float], rows: Int) -> (values: [Int8], scales: [Float]) {
        let cols = w.count / rows
        var q = [Int8](repeating: 0, count: w.count)
        var scales = [Float](repeating: 1, count: rows)
        for r in 0..<rows {
            let row = w[(r * cols)..<((r + 1) * cols)]
            let maxAbs = row.map { abs($0) }.max() ?? 0
            let scale = maxAbs > 0 ? maxAbs / 127 : 1
            scales[r] = scale
            for c in 0..<cols { q[r * cols + c] = Int8(max(-127, min(127, (w[r * cols + c] / scale).rounded()))) }
        }
        return (q, scales)
    }
}
