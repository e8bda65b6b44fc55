import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// Softmax cross-entropy over logits `[B, C]` with integer labels, PyTorch `F.cross_entropy`
/// semantics (reduction "mean", aten/src/ATen/native/LossNLL.cpp `cross_entropy_loss_label_smoothing`):
///   loss = [ (1−ε)·Σ_i w_{y_i}·(−log p_{i,y_i}) + (ε/C)·Σ_i Σ_c w_c·(−log p_{i,c}) ] / Σ_i w_{y_i}
/// (w ≡ 1 without class weights, so the divisor is B). Equivalently each row has the target
/// distribution q_i = [(1−ε)·w_{y_i}·onehot(y_i) + (ε/C)·w] / Σ w_{y_i}, and dLoss/dz_i = p_i·Σq_i − q_i.
public struct CrossEntropyLoss: Sendable {
    public var labelSmoothing: Float
    public var classWeights: [Float]?

    public init(labelSmoothing: Float = 0, classWeights: [Float]? = nil) {
        precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "label smoothing \(labelSmoothing) not in [0, 1]")
        self.labelSmoothing = labelSmoothing
        self.classWeights = classWeights
    }

    /// logits `[B, C]`, labels `[B]` in 0..<C → (mean loss, dLogits `[B, C]`).
    public func lossAndGradient(logits: Tensor, labels: [Int]) -> (loss: Float, dLogits: Tensor) {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count, "logits \(logits.shape) vs \(labels.count) labels")
        let (B, C) = (logits.shape[0], logits.shape[1])
        let w = classWeights ?? [Float](repeating: 1, count: C)
        precondition(w.count == C, "\(w.count) class weights for \(C) classes")
        let eps = Double(labelSmoothing)
        var total = 0.0, norm = 0.0
        var dZ = [Float](repeating: 0, count: B * C)
        var logp = [Double](repeating: 0, count: C)
        for i in 0..<B {
            let y = labels[i]
            precondition(y >= 0 && y < C, "label \(y) of row \(i) not in 0..<\(C)")
            let row = logits.scalars[(i * C)..<((i + 1) * C)]
            let mx = Double(row.max()!)
            var s = 0.0
            for v in row { s += exp(Double(v) - mx) }
            let lse = mx + log(s)
            for c in 0..<C { logp[c] = Double(row[row.startIndex + c]) - lse }
            total += (1 - eps) * Double(w[y]) * -logp[y]
            if eps > 0 { for c in 0..<C { total += eps / Double(C) * Double(w[c]) * -logp[c] } }
            norm += Double(w[y])
            // Unnormalised target q_i (divided by `norm` below) and its sum.
            var qSum = 0.0
            for c in 0..<C {
                let q = (c == y ? (1 - eps) * Double(w[y]) : 0) + eps / Double(C) * Double(w[c])
                qSum += q
                dZ[i * C + c] = Float(-q)
            }
            for c in 0..<C { dZ[i * C + c] += Float(exp(logp[c]) * qSum) }
        }
        let scale = Float(1 / norm)
        for k in 0..<dZ.count { dZ[k] *= scale }
        return (Float(total / norm), Tensor(shape: [B, C], scalars: dZ))
    }
}
