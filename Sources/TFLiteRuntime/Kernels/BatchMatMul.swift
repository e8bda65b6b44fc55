/// BATCH_MATMUL: x `[…, M, K]` · y `[…, K, N]` → `[…, M, N]` (adj_x / adj_y transpose the last two
/// axes of an input first), one matrix product per index of the leading axes, which must be equal
/// or 1 in y (a shared right-hand matrix). Attention's Q·Kᵀ and P·V (tensorflow/lite/kernels/batch_matmul.cc).
final class BatchMatMulKernel: Kernel {
    let batches: Int, m: Int, k: Int, n: Int
    let adjX: Bool, adjY: Bool
    let sharedY: Bool

    init(_ op: OpContext) throws {
        try op.expectInputs(2...2)
        let x = try op.input(0), y = try op.input(1), out = try op.output(0)
        let xs = op.shape(x), ys = op.shape(y)
        guard xs.count >= 2, ys.count >= 2 else { throw op.shapeError("inputs \(xs) and \(ys) need two axes each") }
        switch op.op.options {
        case let .batchMatMul(ax, ay): (adjX, adjY) = (ax, ay)
        case .none, .empty: (adjX, adjY) = (false, false)
        default: throw op.fail("unexpected options \(op.op.options)")
        }
        let (xr, xc) = (xs[xs.count - 2], xs[xs.count - 1]), (yr, yc) = (ys[ys.count - 2], ys[ys.count - 1])
        (m, k) = adjX ? (xc, xr) : (xr, xc)
        let ky: Int
        (ky, n) = adjY ? (yc, yr) : (yr, yc)
        guard k == ky else { throw op.shapeError("inner sizes differ: \(xs) · \(ys)") }
        let lead = Array(xs.dropLast(2)), yLead = Array(ys.dropLast(2))
        batches = lead.reduce(1, *)
        sharedY = yLead.reduce(1, *) == 1
        guard sharedY || yLead == lead else { throw op.shapeError("batch axes \(lead) and \(yLead) differ") }
        try op.expectOutputShape(lead + [m, n], out)
        super.init(op, inputs: [x, y], outputs: [out])
    }

    override func run(threads: Int) {
        let x = inputs[0], y = inputs[1], out = outputs[0]
        let (M, K, N) = (m, k, n)
        for b in 0..<batches {
            let xb = x + b * M * K, yb = y + (sharedY ? 0 : b * K * N), ob = out + b * M * N
            for i in 0..<M {
                let row = ob + i * N
                row.update(repeating: 0, count: N)
                for p in 0..<K {
                    let a = adjX ? xb[p * M + i] : xb[i * K + p]
                    if adjY { for j in 0..<N { row[j] += a * yb[j * K + p] } } else {
                        let yr = yb + p * N
                        for j in 0..<N { row[j] += a * yr[j] }
                    }
                }
            }
        }
    }
}
