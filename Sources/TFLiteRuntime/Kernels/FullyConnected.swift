import TensorCore

/// FULLY_CONNECTED: x [..., In] flattened to [B, In], weights [Out, In], bias [Out] → y [B, Out]
/// (or [..., Out] with keep_num_dims). One packed GEMM (weights packed at load, bias + clamp in its epilogue).
enum FullyConnected {
    /// Reference: y[b,o] = bias[o] + Σᵢ x[b,i]·w[o,i], accumulated in Double.
    static func naive(batch: Int, inputs: Int, outputs: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                      bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, activation: ActivationClamp) {
        for b in 0..<batch {
            for o in 0..<outputs {
                var sum = Double(bias?[o] ?? 0)
                for i in 0..<inputs { sum += Double(x[b * inputs + i]) * Double(w[o * inputs + i]) }
                y[b * outputs + o] = activation.apply(Float(sum))
            }
        }
    }
}

final class FullyConnectedKernel: Kernel {
    let batch: Int, inCount: Int, outCount: Int
    let weights: PackedMatrix  // B = Wᵀ, from W [Out, In]
    let bias: FloatBuffer?
    let activation: ActivationClamp

    init(_ op: OpContext) throws {
        try op.expectInputs(2...3)
        guard case let .fullyConnected(o) = op.op.options else { throw op.fail("missing FullyConnectedOptions") }
        guard o.weightsFormat == 0 else { throw op.fail("weights format \(o.weightsFormat) (only DEFAULT is supported)") }
        let x = try op.input(0), out = try op.output(0)
        let xs = op.shape(x), ws = op.shape(try op.input(1))
        guard ws.count == 2, ws[1] > 0, xs.reduce(1, *) % ws[1] == 0 else {
            throw op.shapeError("input \(xs) does not flatten onto weights \(ws)")
        }
        inCount = ws[1]; outCount = ws[0]
        batch = xs.reduce(1, *) / inCount
        let expected = o.keepNumDims ? Array(xs.dropLast()) + [outCount] : [batch, outCount]
        guard op.shape(out).reduce(1, *) == batch * outCount else {
            throw op.shapeError("output tensor \(out) has shape \(op.shape(out)), the op computes \(expected)")
        }
        weights = PackedMatrix(k: inCount, n: outCount, b: try op.constantFloats(1, count: ws[0] * ws[1], what: "weights"),
                               transposed: true)
        bias = op.optionalInput(2) == nil ? nil : FloatBuffer(try op.constantFloats(2, count: outCount, what: "bias"))
        activation = try op.activation(o.activation)
        super.init(op, inputs: [x], outputs: [out])
    }

    override func run(threads: Int) {
        weights.multiply(m: batch, a: inputs[0], lda: inCount, c: outputs[0], ldc: outCount, bias: bias?.pointer,
                         lower: activation.lower, upper: activation.upper)
    }
}
