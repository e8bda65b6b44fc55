/// ADD, SUB, MUL, DIV with broadcasting and a fused clamp. Same-shape operands (every ADD in the
/// MediaPipe models) take a vectorised loop; anything else walks the broadcast.
enum BinaryOperation {
    case add, sub, mul, div

    @inline(__always) func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        }
    }

    @inline(__always) func apply(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        }
    }

    /// Reference: every output element through the broadcast walk.
    static func naive(_ op: BinaryOperation, _ shape: Broadcast, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                      y: UnsafeMutablePointer<Float>, activation: ActivationClamp) {
        shape.forEach { o, ai, bi in y[o] = activation.apply(op.apply(a[ai], b[bi])) }
    }

    /// Same-shape fast path: y[i] = act(a[i] ∘ b[i]). One loop per operation so each is a
    /// straight vector loop (a switch inside the loop defeats vectorisation).
    static func sameShape(_ op: BinaryOperation, count: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                          y: UnsafeMutablePointer<Float>, activation: ActivationClamp) {
        switch op {
        case .add: elementwise(count, a, b, y, activation) { $0 + $1 } _: { $0 + $1 }
        case .sub: elementwise(count, a, b, y, activation) { $0 - $1 } _: { $0 - $1 }
        case .mul: elementwise(count, a, b, y, activation) { $0 * $1 } _: { $0 * $1 }
        case .div: elementwise(count, a, b, y, activation) { $0 / $1 } _: { $0 / $1 }
        }
    }

    @inline(__always)
    private static func elementwise(_ count: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                    _ y: UnsafeMutablePointer<Float>, _ activation: ActivationClamp,
                                    _ vector: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>, _ scalar: (Float, Float) -> Float) {
        var i = 0
        if activation.isIdentity {
            while i + 8 <= count {
                let va = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                let vb = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(y + i).storeBytes(of: vector(va, vb), as: SIMD8<Float>.self)
                i += 8
            }
        } else {
            while i + 8 <= count {
                let va = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                let vb = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(y + i).storeBytes(of: activation.apply(vector(va, vb)), as: SIMD8<Float>.self)
                i += 8
            }
        }
        while i < count { y[i] = activation.apply(scalar(a[i], b[i])); i += 1 }
    }
}

final class BinaryKernel: Kernel {
    let operation: BinaryOperation
    let broadcast: Broadcast
    let sameShape: Bool
    let count: Int
    let activation: ActivationClamp

    init(_ op: OpContext, _ operation: BinaryOperation) throws {
        try op.expectInputs(2...2)
        self.operation = operation
        let a = try op.input(0), b = try op.input(1), out = try op.output(0)
        guard let bc = Broadcast(op.shape(a), op.shape(b)) else {
            throw op.shapeError("shapes \(op.shape(a)) and \(op.shape(b)) do not broadcast")
        }
        guard bc.outShape.reduce(1, *) == op.shape(out).reduce(1, *) else {
            throw op.shapeError("output \(op.shape(out)) ≠ broadcast shape \(bc.outShape)")
        }
        broadcast = bc
        sameShape = op.shape(a) == op.shape(b)
        count = bc.outShape.reduce(1, *)
        switch op.op.options {
        case let .arithmetic(act): activation = try op.activation(act)
        case .none: activation = .none
        default: throw op.fail("unexpected options \(op.op.options)")
        }
        super.init(op, inputs: [a, b], outputs: [out])
    }

    override func run(threads: Int) {
        if sameShape {
            // Element-wise: chunks of at least 16k elements (smaller ones are not worth a wake-up).
            let a = inputs[0], b = inputs[1], y = outputs[0], operation = operation, activation = activation
            parallelChunks(count / 8, threads: count >= 1 << 15 ? threads : 1) { part in
                let first = part.lowerBound * 8, last = part.upperBound == count / 8 ? count : part.upperBound * 8
                BinaryOperation.sameShape(operation, count: last - first, a: a + first, b: b + first, y: y + first,
                                          activation: activation)
            }
        } else {
            BinaryOperation.naive(operation, broadcast, a: inputs[0], b: inputs[1], y: outputs[0], activation: activation)
        }
    }
}
