import TensorCore

/// How a sequence model turns per-step features into one vector per sequence.
public enum SequencePooling: String, Codable, Sendable, CaseIterable {
    /// Σ_t m·x / max(Σ_t m, 1) over valid steps.
    case mean
    /// Max over valid steps (0 for an all-padding sequence).
    case max
    /// The last valid step (the original LSTM's choice; see `LSTMClassifier` for bidirectional).
    case last
}

/// Masked global pooling over time: x `[B, T, C]`, mask `[B, T]` → y `[B, C]`.
/// `.mean` weights each step by its mask value (like the original's `(z·m).sum / m.sum.clamp(min=1)`);
/// `.max` and `.last` treat mask > 0.5 as valid.
public final class MaskedPooling {
    public let kind: SequencePooling
    private var mask: [Float] = []
    private var shape: [Int] = []
    /// `.max` / `.last`: which step each (b, c) came from, −1 when none `[B, C]`.
    private var source: [Int] = []
    private var denominators: [Float] = []

    public init(_ kind: SequencePooling) { self.kind = kind }

    public func forward(_ x: Tensor, mask m: Tensor) -> Tensor {
        precondition(x.rank == 3 && m.shape == [x.shape[0], x.shape[1]], "pooling needs [B,T,C] and [B,T], got \(x.shape), \(m.shape)")
        let (B, T, C) = (x.shape[0], x.shape[1], x.shape[2])
        mask = m.scalars; shape = x.shape
        var y = [Float](repeating: 0, count: B * C)
        source = [Int](repeating: -1, count: B * C)
        denominators = [Float](repeating: 1, count: B)
        for b in 0..<B {
            switch kind {
            case .mean:
                var total: Float = 0
                for t in 0..<T { total += mask[b * T + t] }
                let d = Swift.max(total, 1)
                denominators[b] = d
                // Through pointers: each y[c] still sums w·x over t in order, then is divided.
                y.withUnsafeMutableBufferPointer { yp in
                    x.scalars.withUnsafeBufferPointer { xp in
                        let row = yp.baseAddress! + b * C
                        for t in 0..<T where mask[b * T + t] != 0 {
                            let w = mask[b * T + t], src = xp.baseAddress! + (b * T + t) * C
                            for c in 0..<C { row[c] += w * src[c] }
                        }
                        for c in 0..<C { row[c] /= d }
                    }
                }
            case .max:
                for t in 0..<T where mask[b * T + t] > 0.5 {
                    for c in 0..<C {
                        let v = x.scalars[(b * T + t) * C + c]
                        if source[b * C + c] < 0 || v > y[b * C + c] { y[b * C + c] = v; source[b * C + c] = t }
                    }
                }
            case .last:
                guard let t = (0..<T).last(where: { mask[b * T + $0] > 0.5 }) else { continue }
                for c in 0..<C { y[b * C + c] = x.scalars[(b * T + t) * C + c]; source[b * C + c] = t }
            }
        }
        return Tensor(shape: [B, C], scalars: y)
    }

    /// dY `[B, C]` → dX `[B, T, C]`.
    public func backward(_ dY: Tensor) -> Tensor {
        let (B, T, C) = (shape[0], shape[1], shape[2])
        var dX = [Float](repeating: 0, count: B * T * C)
        for b in 0..<B {
            if kind == .mean {
                for t in 0..<T where mask[b * T + t] != 0 {
                    let w = mask[b * T + t] / denominators[b]
                    for c in 0..<C { dX[(b * T + t) * C + c] = w * dY.scalars[b * C + c] }
                }
            } else {
                for c in 0..<C where source[b * C + c] >= 0 {
                    dX[(b * T + source[b * C + c]) * C + c] += dY.scalars[b * C + c]
                }
            }
        }
        return Tensor(shape: shape, scalars: dX)
    }
}
