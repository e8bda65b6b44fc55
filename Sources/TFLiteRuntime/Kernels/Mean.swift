/// MEAN (or REDUCE_MAX) over constant axes (keep_dims only changes the output shape): sum in input
/// order and divide once, or keep the running maximum (−∞ for an empty reduction, as TFLite).
final class MeanKernel: Kernel {
    enum Reduction { case mean, max }
    let reduction: Reduction
    let inShape: [Int]
    let outStrides: [Int]     // output element stride per input axis (0 on reduced axes)
    let outCount: Int
    let divisor: Float
    /// When every reduced axis (of size > 1) comes before every kept one — NHWC's mean over H and
    /// W with N = 1 — the input is `rows` × `outCount` and each output sums one column, rows in
    /// order: the same additions as the general walk, as whole-row vector adds (nil otherwise).
    let rows: Int?

    init(_ op: OpContext, _ reduction: Reduction = .mean) throws {
        self.reduction = reduction
        try op.expectInputs(2...2)
        let x = try op.input(0), out = try op.output(0), xs = op.shape(x)
        let rawAxes = try op.constantInts(1, what: "axes")
        var reduced = Set<Int>()
        for a in rawAxes {
            let axis = a < 0 ? a + xs.count : a
            guard axis >= 0, axis < xs.count else { throw op.shapeError("axis \(a) for input rank \(xs.count)") }
            reduced.insert(axis)
        }
        let keepDims: Bool
        switch op.op.options {
        case let .reducer(k): keepDims = k
        case .none: keepDims = false
        default: throw op.fail("unexpected options \(op.op.options)")
        }
        let kept = (0..<xs.count).filter { !reduced.contains($0) }
        let expected = keepDims ? (0..<xs.count).map { reduced.contains($0) ? 1 : xs[$0] } : kept.map { xs[$0] }
        guard op.shape(out).reduce(1, *) == expected.reduce(1, *) else { try op.expectOutputShape(expected, out); throw op.shapeError("output size") }
        var strides = [Int](repeating: 0, count: xs.count), step = 1
        for axis in stride(from: xs.count - 1, through: 0, by: -1) where !reduced.contains(axis) {
            strides[axis] = step
            step *= xs[axis]
        }
        inShape = xs
        outStrides = strides
        outCount = expected.reduce(1, *)
        divisor = Float(reduced.map { xs[$0] }.reduce(1, *))
        let lastReduced = (0..<xs.count).last { reduced.contains($0) && xs[$0] > 1 } ?? -1
        let firstKept = (0..<xs.count).first { !reduced.contains($0) && xs[$0] > 1 } ?? xs.count
        rows = lastReduced < firstKept ? xs.reduce(1, *) / max(outCount, 1) : nil
        super.init(op, inputs: [x], outputs: [out])
    }

    override func run(threads: Int) {
        let x = inputs[0], y = outputs[0]
        switch reduction {
        case .mean:
            y.update(repeating: 0, count: outCount)
            if let rows {
                for r in 0..<rows { let row = x + r * outCount; for o in 0..<outCount { y[o] += row[o] } }
            } else {
                walkStrided(inShape, strides: outStrides) { i, o in y[o] += x[i] }
            }
            for i in 0..<outCount { y[i] /= divisor }
        case .max:
            y.update(repeating: -.infinity, count: outCount)
            if let rows {
                for r in 0..<rows { let row = x + r * outCount; for o in 0..<outCount { y[o] = Swift.max(y[o], row[o]) } }
            } else {
                walkStrided(inShape, strides: outStrides) { i, o in y[o] = Swift.max(y[o], x[i]) }
            }
        }
    }
}
