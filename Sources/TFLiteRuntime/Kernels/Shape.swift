/// Data-movement ops: PAD/PADV2, CONCATENATION, TRANSPOSE, GATHER (RESHAPE/SQUEEZE/EXPAND_DIMS are storage aliases
/// planned by the interpreter and have no kernel).

/// PAD: x of `shape` → y of shape[i] + before[i] + after[i], filled with `value` outside x.
final class PadKernel: Kernel {
    let inShape: [Int], outShape: [Int], before: [Int]
    let value: Float

    init(_ op: OpContext) throws {
        try op.expectInputs(2...3)
        let x = try op.input(0), out = try op.output(0), xs = op.shape(x)
        let paddings = try op.constantInts(1, what: "paddings")
        guard paddings.count == 2 * xs.count, paddings.allSatisfy({ $0 >= 0 }) else {
            throw op.shapeError("paddings \(paddings) do not fit a rank-\(xs.count) input (negative padding unsupported)")
        }
        inShape = xs
        before = (0..<xs.count).map { paddings[2 * $0] }
        outShape = (0..<xs.count).map { xs[$0] + paddings[2 * $0] + paddings[2 * $0 + 1] }
        try op.expectOutputShape(outShape, out)
        value = op.optionalInput(2) == nil ? 0 : try op.constantFloats(2, count: 1, what: "constant_values")[0]
        super.init(op, inputs: [x], outputs: [out])
    }

    override func run(threads: Int) {
        let x = inputs[0], y = outputs[0]
        y.update(repeating: value, count: outShape.reduce(1, *))
        let rank = inShape.count
        guard rank > 0 else { y[0] = x[0]; return }
        let inner = inShape[rank - 1], rows = inShape.reduce(1, *) / max(inner, 1)
        guard inner > 0 else { return }
        var index = [Int](repeating: 0, count: rank)   // over the input's leading axes
        for r in 0..<rows {
            var offset = 0
            for axis in 0..<rank { offset = offset * outShape[axis] + index[axis] + before[axis] }
            (y + offset).update(from: x + r * inner, count: inner)
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < inShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

/// CONCATENATION along `axis`: for each outer index, the inputs' [axis…] blocks one after another.
final class ConcatenationKernel: Kernel {
    let outer: Int
    let blocks: [Int]   // per input: elements of shape[axis...]
    let activation: ActivationClamp

    init(_ op: OpContext) throws {
        guard !op.op.inputs.isEmpty, op.op.outputs.count == 1 else { throw op.fail("needs ≥1 input and 1 output") }
        guard case let .concatenation(rawAxis, act) = op.op.options else { throw op.fail("missing ConcatenationOptions") }
        let ids = try (0..<op.op.inputs.count).map { try op.input($0) }
        let out = try op.output(0), os = op.shape(out)
        let axis = rawAxis < 0 ? rawAxis + os.count : rawAxis
        guard axis >= 0, axis < os.count else { throw op.shapeError("axis \(rawAxis) for output rank \(os.count)") }
        var total = 0
        for id in ids {
            let s = op.shape(id)
            guard s.count == os.count, (0..<s.count).allSatisfy({ $0 == axis || s[$0] == os[$0] }) else {
                throw op.shapeError("input \(s) does not concatenate into \(os) along axis \(axis)")
            }
            total += s[axis]
        }
        guard total == os[axis] else { throw op.shapeError("inputs sum to \(total) along axis \(axis), output has \(os[axis])") }
        outer = os[..<axis].reduce(1, *)
        blocks = ids.map { op.shape($0)[axis...].reduce(1, *) }
        activation = try op.activation(act)
        super.init(op, inputs: ids, outputs: [out])
    }

    override func run(threads: Int) {
        var y = outputs[0]
        for o in 0..<outer {
            for (i, block) in blocks.enumerated() {
                y.update(from: inputs[i] + o * block, count: block)
                y += block
            }
        }
        if !activation.isIdentity {
            let total = outer * blocks.reduce(0, +), base = outputs[0]
            for i in 0..<total { base[i] = activation.apply(base[i]) }
        }
    }
}

/// TRANSPOSE with a constant permutation: y[i₀…] = x[i_perm⁻¹…], walking y in order.
final class TransposeKernel: Kernel {
    let outShape: [Int]
    let inStrides: [Int]   // input stride for each output axis

    init(_ op: OpContext) throws {
        try op.expectInputs(2...2)
        let x = try op.input(0), out = try op.output(0), xs = op.shape(x)
        let perm = try op.constantInts(1, what: "perm")
        guard perm.count == xs.count, Set(perm) == Set(0..<xs.count) else {
            throw op.shapeError("perm \(perm) is not a permutation of \(xs.count) axes")
        }
        var strides = [Int](repeating: 1, count: xs.count)
        for axis in stride(from: xs.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * xs[axis + 1] }
        outShape = perm.map { xs[$0] }
        inStrides = perm.map { strides[$0] }
        try op.expectOutputShape(outShape, out)
        super.init(op, inputs: [x], outputs: [out])
    }

    override func run(threads: Int) {
        let x = inputs[0], y = outputs[0]
        walkStrided(outShape, strides: inStrides) { o, source in y[o] = x[source] }
    }
}

/// GATHER along `axis` with constant indices (batch_dims 0): for each outer index, the selected
/// [axis+1…] blocks in index order. Indices are range-checked at load.
final class GatherKernel: Kernel {
    let outer: Int, axisSize: Int, inner: Int
    let indices: [Int]

    init(_ op: OpContext) throws {
        try op.expectInputs(2...2)
        guard case let .gather(rawAxis, batchDims) = op.op.options else { throw op.fail("missing GatherOptions") }
        guard batchDims == 0 else { throw op.fail("batch_dims \(batchDims) is not supported") }
        let x = try op.input(0), out = try op.output(0), xs = op.shape(x)
        let axis = rawAxis < 0 ? rawAxis + xs.count : rawAxis
        guard axis >= 0, axis < xs.count else { throw op.shapeError("axis \(rawAxis) for input rank \(xs.count)") }
        let ids = try op.constantInts(1, what: "indices")
        if let bad = ids.first(where: { $0 < 0 || $0 >= xs[axis] }) {
            throw op.shapeError("index \(bad) is outside 0..<\(xs[axis])")
        }
        outer = xs[..<axis].reduce(1, *)
        axisSize = xs[axis]
        inner = xs[(axis + 1)...].reduce(1, *)
        indices = ids
        try op.expectOutputShape(Array(xs[..<axis]) + op.shape(try op.input(1)) + Array(xs[(axis + 1)...]), out)
        super.init(op, inputs: [x], outputs: [out])
    }

    override func run(threads: Int) {
        var y = outputs[0]
        for o in 0..<outer {
            let base = inputs[0] + o * axisSize * inner
            for i in indices {
                y.update(from: base + i * inner, count: inner)
                y += inner
            }
        }
    }
}
