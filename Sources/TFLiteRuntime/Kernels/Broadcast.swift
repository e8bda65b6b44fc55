/// NumPy-style broadcasting of two shapes (TFLite's binary ops follow the same rule).
struct Broadcast {
    let outShape: [Int]
    /// Element strides of each operand over `outShape` (0 along broadcast axes).
    let aStrides: [Int], bStrides: [Int]

    init?(_ a: [Int], _ b: [Int]) {
        let rank = max(a.count, b.count, 1)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            guard pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1 else { return nil }
            out[i] = pa[i] == 1 ? pb[i] : pa[i]
        }
        func strides(_ s: [Int]) -> [Int] {
            var result = [Int](repeating: 0, count: rank), step = 1
            for i in stride(from: rank - 1, through: 0, by: -1) {
                result[i] = s[i] == 1 ? 0 : step
                step *= s[i]
            }
            return result
        }
        outShape = out
        aStrides = strides(pa)
        bStrides = strides(pb)
    }

    /// Calls `body(outIndex, aIndex, bIndex)` for every output element in row-major order.
    @inline(__always)
    func forEach(_ body: (Int, Int, Int) -> Void) {
        let rank = outShape.count, total = outShape.reduce(1, *)
        guard total > 0 else { return }
        var index = [Int](repeating: 0, count: rank)
        var ai = 0, bi = 0
        for o in 0..<total {
            body(o, ai, bi)
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                ai += aStrides[axis]; bi += bStrides[axis]
                if index[axis] < outShape[axis] { break }
                ai -= aStrides[axis] * outShape[axis]; bi -= bStrides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

/// Visits every element of `shape` in row-major order, passing its linear index and its offset
/// in another layout given by per-axis `strides` (0 = axis collapsed). Used by MEAN (input order
/// → output slot) and TRANSPOSE (output order → input element).
@inline(__always)
func walkStrided(_ shape: [Int], strides: [Int], _ body: (_ linear: Int, _ offset: Int) -> Void) {
    let rank = shape.count, total = shape.reduce(1, *)
    guard total > 0 else { return }
    guard rank > 0 else { body(0, 0); return }
    var index = [Int](repeating: 0, count: rank)
    var offset = 0
    for linear in 0..<total {
        body(linear, offset)
        var axis = rank - 1
        while axis >= 0 {
            index[axis] += 1
            offset += strides[axis]
            if index[axis] < shape[axis] { break }
            offset -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}
