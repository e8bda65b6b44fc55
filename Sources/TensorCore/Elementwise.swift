/// Elementwise arithmetic. Same-shape operands, or a rank-1 operand broadcast along the last axis
/// (the bias case `[..., n] + [n]`); anything else is a programmer error.
extension Tensor {
    @inlinable
    func zipped(_ other: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        if other.shape == shape {
            var out = scalars
            other.scalars.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<o.count { o[i] = op(o[i], b[i]) }
                }
            }
            return Tensor(shape: shape, scalars: out)
        }
        precondition(other.rank == 1 && rank >= 1 && other.shape[0] == shape[rank - 1],
                     "cannot broadcast \(other.shape) onto \(shape)")
        let n = other.count
        var out = scalars
        other.scalars.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<o.count { o[i] = op(o[i], b[i % n]) }
            }
        }
        return Tensor(shape: shape, scalars: out)
    }

    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipped(rhs, +) }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipped(rhs, -) }
    /// Hadamard (elementwise) product.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipped(rhs, *) }
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.zipped(rhs, /) }

    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { $0 * lhs } }
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 + rhs } }
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 - rhs } }
    public static prefix func - (x: Tensor) -> Tensor { x.map { -$0 } }

    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs = lhs + rhs }
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs - rhs }
    public static func *= (lhs: inout Tensor, rhs: Float) { lhs = lhs * rhs }

    @inlinable
    public func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(shape: shape, scalars: scalars.map(transform))
    }

    /// `y += alpha · x` in place (saxpy), for gradient accumulation.
    public mutating func addScaled(_ x: Tensor, alpha: Float = 1) {
        precondition(x.shape == shape, "addScaled: \(x.shape) ≠ \(shape)")
        x.scalars.withUnsafeBufferPointer { xb in
            scalars.withUnsafeMutableBufferPointer { yb in
                for i in 0..<yb.count { yb[i] += alpha * xb[i] }
            }
        }
    }

    /// Largest absolute elementwise difference; `.infinity` when shapes differ. For tests and goldens.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        guard shape == other.shape else { return .infinity }
        var worst: Float = 0
        for i in 0..<count {
            let d = abs(scalars[i] - other.scalars[i])
            if d.isNaN { return .nan }
            worst = max(worst, d)
        }
        return worst
    }

    /// True when every value is finite (no NaN or ±Inf) — training checks its loss with this.
    public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }
}
