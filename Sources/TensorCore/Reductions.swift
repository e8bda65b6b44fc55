#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reductions, whole-tensor and along the last axis (the class axis of logits, the feature axis
/// of a batch). Sums accumulate in Double so long reductions do not drift.
extension Tensor {
    public func sum() -> Float { Float(scalars.reduce(0.0) { $0 + Double($1) }) }
    public func mean() -> Float { count == 0 ? .nan : Float(scalars.reduce(0.0) { $0 + Double($1) } / Double(count)) }
    public func maxValue() -> Float { scalars.max() ?? -.infinity }
    public func minValue() -> Float { scalars.min() ?? .infinity }

    /// `[..., n] → [...]`: sum over the last axis.
    public func sumLastAxis() -> Tensor { reduceLastAxis { row in Float(row.reduce(0.0) { $0 + Double($1) }) } }
    /// `[..., n] → [...]`: mean over the last axis.
    public func meanLastAxis() -> Tensor {
        reduceLastAxis { row in Float(row.reduce(0.0) { $0 + Double($1) } / Double(Swift.max(row.count, 1))) }
    }
    /// `[..., n] → [...]`: max over the last axis.
    public func maxLastAxis() -> Tensor { reduceLastAxis { $0.max() ?? -.infinity } }

    /// `[..., n] → [...]` indices of the largest value per row (first one on ties, like NumPy).
    public func argmaxLastAxis() -> [Int] {
        precondition(rank >= 1, "argmax needs rank ≥ 1")
        let n = shape[rank - 1]
        let rows = n == 0 ? 0 : count / n
        return (0..<rows).map { r in
            var best = 0
            for j in 1..<Swift.max(n, 1) where scalars[r * n + j] > scalars[r * n + best] { best = j }
            return best
        }
    }

    /// Indices of the `k` largest values per row, best first (ties: lower index first).
    public func topKLastAxis(_ k: Int) -> [[Int]] {
        let n = shape[rank - 1]
        let rows = n == 0 ? 0 : count / n
        return (0..<rows).map { r in
            let row = Array(scalars[(r * n)..<((r + 1) * n)])
            return Array(row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(k))
        }
    }

    /// Numerically stable softmax over the last axis (max subtracted before exp).
    public func softmaxLastAxis() -> Tensor {
        let n = shape[rank - 1]
        var out = scalars
        let rows = n == 0 ? 0 : count / n
        for r in 0..<rows {
            let base = r * n
            var peak = -Float.infinity
            for j in 0..<n { peak = Swift.max(peak, out[base + j]) }
            var total: Float = 0
            for j in 0..<n { out[base + j] = expf(out[base + j] - peak); total += out[base + j] }
            for j in 0..<n { out[base + j] /= total }
        }
        return Tensor(shape: shape, scalars: out)
    }

    func reduceLastAxis(_ body: (ArraySlice<Float>) -> Float) -> Tensor {
        precondition(rank >= 1, "reduction over the last axis needs rank ≥ 1")
        let n = shape[rank - 1]
        let rows = n == 0 ? Tensor.count(of: Array(shape.dropLast())) : count / n
        let out = (0..<rows).map { r in body(scalars[(r * n)..<((r + 1) * n)]) }
        return Tensor(shape: Array(shape.dropLast()), scalars: out)
    }
}
