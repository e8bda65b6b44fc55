/// Hybrid FULLY_CONNECTED: x float32 [..., In] → [B, In], weights INT8 [Out, In] with a symmetric scale
/// per output row (or one for all), bias float32 [Out] → y float32 [B, Out]. What TFLite's
/// dynamic-range quantisation produces and LiteRT runs with `asymmetric_quantize_inputs`: each input
/// row is quantised to int8 with its own scale and zero point, multiplied in integers, and rescaled
/// (tensorflow/lite/kernels/fully_connected.cc `EvalHybridDense`,
/// tensorflow/lite/kernels/internal/reference/portable_tensor_utils.cc `AsymmetricQuantizeFloats`).
enum HybridFullyConnected {
    /// One row's asymmetric int8 quantisation: range widened to include 0, scale = range/255, zero
    /// point chosen from whichever end gives the smaller error and nudged into [−128, 127].
    static func quantizeRow(_ x: UnsafePointer<Float>, count: Int, into q: UnsafeMutablePointer<Int8>) -> (scale: Float, zeroPoint: Int32) {
        var lo: Float = 0, hi: Float = 0
        for i in 0..<count { lo = min(lo, x[i]); hi = max(hi, x[i]) }
        guard lo != hi else {
            q.update(repeating: 0, count: count)
            return (1, 0)
        }
        let qmin = -128.0, qmax = 127.0
        let scale = (Double(hi) - Double(lo)) / (qmax - qmin)
        let fromMin = qmin - Double(lo) / scale, fromMax = qmax - Double(hi) / scale
        let errMin = abs(qmin) + abs(Double(lo) / scale), errMax = abs(qmax) + abs(Double(hi) / scale)
        let zeroDouble = errMin < errMax ? fromMin : fromMax
        let zero: Int32 = zeroDouble <= qmin ? -128 : zeroDouble >= qmax ? 127 : Int32(zeroDouble.rounded())
        let inverse = Float(1 / scale)
        for i in 0..<count {
            let v = zero + Int32((x[i] * inverse).rounded())
            q[i] = Int8(min(max(v, -128), 127))
        }
        return (Float(scale), zero)
    }

    /// Reference: the same arithmetic as direct loops — y[b,o] = bias[o] + s_x·s_w[o]·Σᵢ w[o,i]·(q[b,i] − z_b).
    static func naive(batch: Int, inputs: Int, outputs: Int, x: UnsafePointer<Float>, weights: [Int8], scales: [Float],
                      bias: [Float]?, y: UnsafeMutablePointer<Float>, activation: ActivationClamp) {
        var q = [Int8](repeating: 0, count: inputs)
        for b in 0..<batch {
            let (sx, zx) = q.withUnsafeMutableBufferPointer { quantizeRow(x + b * inputs, count: inputs, into: $0.baseAddress!) }
            for o in 0..<outputs {
                var acc: Int32 = 0
                for i in 0..<inputs { acc += Int32(weights[o * inputs + i]) * (Int32(q[i]) - zx) }
                let s = sx * scales[scales.count == 1 ? 0 : o]
                y[b * outputs + o] = activation.apply((bias?[o] ?? 0) + Float(acc) * s)
            }
        }
    }
}

final class HybridFullyConnectedKernel: Kernel {
    let batch: Int, inCount: Int, outCount: Int
    let weights: [Int8]       // [Out, In]
    let rowSums: [Int32]      // Σᵢ w[o,i], to take the input zero point out of the integer dot product
    let scales: [Float]       // per output row
    let bias: [Float]?
    let activation: ActivationClamp

    init(_ op: OpContext) throws {
        try op.expectInputs(2...3)
        guard case let .fullyConnected(o) = op.op.options else { throw op.fail("missing FullyConnectedOptions") }
        guard o.weightsFormat == 0 else { throw op.fail("weights format \(o.weightsFormat) (only DEFAULT is supported)") }
        let x = try op.input(0), w = try op.input(1), out = try op.output(0)
        let xs = op.shape(x), ws = op.shape(w)
        guard ws.count == 2, ws[1] > 0, xs.reduce(1, *) % ws[1] == 0 else {
            throw op.shapeError("input \(xs) does not flatten onto weights \(ws)")
        }
        guard let q = op.quantizedConstant(w) else { throw op.fail("INT8 weights (tensor \(w)) must be a quantised constant") }
        let (n, m) = (ws[1], ws[0])
        inCount = n; outCount = m
        batch = xs.reduce(1, *) / n
        guard q.values.count == n * m else { throw op.shapeError("weights hold \(q.values.count) values for \(ws)") }
        let scale = q.quantization.scale
        guard scale.count == 1 || (scale.count == m && q.quantization.quantizedDimension == 0) else {
            throw op.fail("weights need one scale or one per output row (got \(scale.count), axis \(q.quantization.quantizedDimension))")
        }
        guard q.quantization.zeroPoint.allSatisfy({ $0 == 0 }) else { throw op.fail("weights must be symmetric (zero point 0)") }
        guard op.shape(out).reduce(1, *) == xs.reduce(1, *) / n * m else {
            throw op.shapeError("output tensor \(out) has shape \(op.shape(out)), the op computes [\(xs.reduce(1, *) / n), \(m)]")
        }
        weights = q.values
        scales = scale.count == 1 ? [Float](repeating: scale[0], count: m) : scale
        rowSums = (0..<m).map { r in (0..<n).reduce(Int32(0)) { $0 + Int32(q.values[r * n + $1]) } }
        bias = op.optionalInput(2) == nil ? nil : try op.constantFloats(2, count: m, what: "bias")
        activation = try op.activation(o.activation)
        super.init(op, inputs: [x], outputs: [out])
    }

    /// One row of quantised input at a time; the scratch holds it (as bytes) between the two loops.
    override var scratchCount: Int { (inCount + 3) / 4 }

    override func run(threads: Int) {
        let x = inputs[0], y = outputs[0]
        let q = UnsafeMutableRawPointer(scratch!).bindMemory(to: Int8.self, capacity: inCount)
        weights.withUnsafeBufferPointer { wp in
            for b in 0..<batch {
                let (sx, zx) = HybridFullyConnected.quantizeRow(x + b * inCount, count: inCount, into: q)
                for o in 0..<outCount {
                    let row = wp.baseAddress! + o * inCount
                    var acc: Int32 = 0
                    for i in 0..<inCount { acc &+= Int32(row[i]) &* Int32(q[i]) }
                    acc &-= zx &* rowSums[o]
                    y[b * outCount + o] = activation.apply((bias?[o] ?? 0) + Float(acc) * (sx * scales[o]))
                }
            }
        }
        // The scratch is float-typed for every other kernel.
        UnsafeMutableRawPointer(scratch!).bindMemory(to: Float.self, capacity: scratchCount)
    }
}
