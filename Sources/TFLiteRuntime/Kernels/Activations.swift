import Foundation

/// Elementwise unary ops: LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, SQRT, RSQRT, GELU.
enum UnaryOperation {
    case logistic, tanh, clamp(ActivationClamp), sqrt, rsqrt
    /// Exact x·Φ(x), or the tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))) when `approximate`
    /// (tensorflow/lite/kernels/gelu.cc).
    case gelu(approximate: Bool)

    @inline(__always) func apply(_ v: Float) -> Float {
        switch self {
        case .logistic: return 1 / (1 + Foundation.exp(-v))
        case .tanh: return Foundation.tanh(v)
        case .clamp(let c): return c.apply(v)
        case .sqrt: return v.squareRoot()
        case .rsqrt: return 1 / v.squareRoot()
        case .gelu(false): return 0.5 * v * (1 + erff(v * 0.70710678118654752))
        case .gelu(true): return 0.5 * v * (1 + Foundation.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
        }
    }
}

final class UnaryKernel: Kernel {
    let operation: UnaryOperation
    let count: Int

    init(_ op: OpContext, _ operation: UnaryOperation) throws {
        try op.expectInputs(1...1)
        let x = try op.input(0), out = try op.output(0)
        guard op.shape(x).reduce(1, *) == op.shape(out).reduce(1, *) else {
            throw op.shapeError("input \(op.shape(x)) and output \(op.shape(out)) differ in size")
        }
        self.operation = operation
        count = op.shape(x).reduce(1, *)
        super.init(op, inputs: [x], outputs: [out])
    }

    override func run(threads: Int) {
        let x = inputs[0], y = outputs[0]
        for i in 0..<count { y[i] = operation.apply(x[i]) }
    }
}

/// PRELU: y = x ≥ 0 ? x : α·x, α broadcast against x (MediaPipe palm: α [1,1,C] over [1,H,W,C]).
enum PReLU {
    /// Reference through the general broadcast walk.
    static func naive(_ shape: Broadcast, x: UnsafePointer<Float>, alpha: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        shape.forEach { o, xi, ai in y[o] = x[xi] >= 0 ? x[xi] : alpha[ai] * x[xi] }
    }

    /// Per-channel α over rows of `channels`: x [rows, C], α [C].
    static func perChannel(rows: Int, channels: Int, x: UnsafePointer<Float>, alpha: UnsafePointer<Float>,
                           y: UnsafeMutablePointer<Float>) {
        let vectorC = channels & ~7
        let zero = SIMD8<Float>(repeating: 0)
        for r in 0..<rows {
            let xr = x + r * channels, yr = y + r * channels
            var c = 0
            while c < vectorC {
                let v = UnsafeRawPointer(xr + c).loadUnaligned(as: SIMD8<Float>.self)
                let a = UnsafeRawPointer(alpha + c).loadUnaligned(as: SIMD8<Float>.self)
                let negative = v .< zero
                UnsafeMutableRawPointer(yr + c).storeBytes(of: v.replacing(with: a * v, where: negative), as: SIMD8<Float>.self)
                c += 8
            }
            while c < channels { yr[c] = xr[c] >= 0 ? xr[c] : alpha[c] * xr[c]; c += 1 }
        }
    }
}

final class PReLUKernel: Kernel {
    let broadcast: Broadcast
    let channels: Int?      // set when α is a per-channel vector over the last axis
    let alpha: FloatBuffer
    let count: Int

    init(_ op: OpContext) throws {
        try op.expectInputs(2...2)
        let x = try op.input(0), out = try op.output(0)
        let xs = op.shape(x), alphaShape = op.shape(try op.input(1))
        guard let bc = Broadcast(xs, alphaShape), bc.outShape.reduce(1, *) == xs.reduce(1, *) else {
            throw op.shapeError("alpha \(alphaShape) does not broadcast onto input \(xs)")
        }
        broadcast = bc
        alpha = FloatBuffer(try op.constantFloats(1, count: alphaShape.reduce(1, *), what: "alpha"))
        let last = xs.last ?? 1
        channels = alphaShape.reduce(1, *) == last && alphaShape.last == last ? last : nil
        count = xs.reduce(1, *)
        guard op.shape(out).reduce(1, *) == count else { throw op.shapeError("output \(op.shape(out)) ≠ input \(xs)") }
        super.init(op, inputs: [x], outputs: [out])
    }

    override func run(threads: Int) {
        if let c = channels {
            let rows = count / max(c, 1), x = inputs[0], y = outputs[0], alpha = alpha.pointer
            parallelChunks(rows, threads: count >= 1 << 15 ? threads : 1) { part in
                PReLU.perChannel(rows: part.count, channels: c, x: x + part.lowerBound * c, alpha: alpha,
                                 y: y + part.lowerBound * c)
            }
        } else {
            PReLU.naive(broadcast, x: inputs[0], alpha: alpha.pointer, y: outputs[0])
        }
    }
}

/// SOFTMAX over the last axis: y = exp(β(x − max)) / Σ exp(β(x − max)).
final class SoftmaxKernel: Kernel {
    let rows: Int, width: Int
    let beta: Float

    init(_ op: OpContext) throws {
        try op.expectInputs(1...1)
        let x = try op.input(0), out = try op.output(0)
        let xs = op.shape(x)
        guard let w = xs.last, w > 0, op.shape(out) == xs else { throw op.shapeError("input \(xs) / output \(op.shape(out))") }
        width = w
        rows = xs.reduce(1, *) / w
        guard case let .softmax(b) = op.op.options else { throw op.fail("missing SoftmaxOptions") }
        beta = b
        super.init(op, inputs: [x], outputs: [out])
    }

    override func run(threads: Int) {
        let x = inputs[0], y = outputs[0]
        for r in 0..<rows {
            let xr = x + r * width, yr = y + r * width
            var top = -Float.infinity
            for i in 0..<width { top = max(top, xr[i]) }
            var sum: Float = 0
            for i in 0..<width { yr[i] = Foundation.exp((xr[i] - top) * beta); sum += yr[i] }
            for i in 0..<width { yr[i] /= sum }
        }
    }
}
