import NeuralNets
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// Adam, AdamW or SGD-with-momentum whose state (step count, moments, momentum buffer) can be
/// saved and restored, which `--resume` needs and NeuralNets' optimisers do not expose for
/// writing. The update rules are PyTorch's, written exactly as NeuralNets' `Adam` and `SGD`
/// (torch/optim/adam.py, adamw.py, sgd.py), and `testResumableOptimizerMatchesNeuralNets`
/// checks the two agree bit for bit.
public final class ResumableOptimizer: Optimizer {
    public let kind: OptimizerKind
    public var learningRate: Float
    public let weightDecay: Float
    public let momentum: Float
    public let beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8
    /// Steps taken (Adam's t, counted from 1 at the first step).
    public var stepCount = 0
    /// Adam: first and second moments `[store.count]`; SGD: `first` is the momentum buffer.
    public var first: [Float] = []
    public var second: [Float] = []

    public init(_ kind: OptimizerKind, learningRate: Float, weightDecay: Float = 0, momentum: Float = 0.9) {
        self.kind = kind
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.momentum = momentum
    }

    public func step(_ store: ParameterStore) {
        switch kind {
        case .adam, .adamw: adamStep(store, decoupled: kind == .adamw)
        case .sgd: sgdStep(store)
        }
    }

    /// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − (lr/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε); AdamW decays
    /// p ← p·(1 − lr·λ) first, Adam adds λp to g.
    private func adamStep(_ store: ParameterStore, decoupled: Bool) {
        let n = store.count
        if first.count != n { first = [Float](repeating: 0, count: n); second = [Float](repeating: 0, count: n) }
        stepCount += 1
        let t = Double(stepCount)
        let bc1 = 1 - pow(Double(beta1), t), bc2 = 1 - pow(Double(beta2), t)
        let stepSize = Float(Double(learningRate) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        let (b1, b2, e, lr, wd) = (beta1, beta2, eps, learningRate, weightDecay)
        let decay: Float = decoupled ? 1 - lr * wd : 1
        let l2: Float = decoupled ? 0 : wd
        let p = store.values, g = store.gradients
        first.withUnsafeMutableBufferPointer { mb in
            second.withUnsafeMutableBufferPointer { vb in
                let mp = mb.baseAddress!, vp = vb.baseAddress!
                if decoupled { for i in 0..<n { p[i] *= decay } }
                for i in 0..<n {
                    let gi = g[i] + l2 * p[i]
                    let mi = b1 * mp[i] + (1 - b1) * gi
                    let vi = b2 * vp[i] + (1 - b2) * gi * gi
                    mp[i] = mi
                    vp[i] = vi
                    p[i] -= stepSize * (mi / (vi.squareRoot() / bc2Sqrt + e))
                }
            }
        }
    }

    /// d = g + λp; buf = d on the first step, else μ·buf + d; p ← p − lr·buf (dampening 0, no Nesterov).
    private func sgdStep(_ store: ParameterStore) {
        let n = store.count, p = store.values, g = store.gradients
        let isFirst = first.count != n
        if isFirst && momentum != 0 { first = [Float](repeating: 0, count: n) }
        stepCount += 1
        for i in 0..<n {
            var d = g[i] + weightDecay * p[i]
            if momentum != 0 {
                first[i] = isFirst ? d : momentum * first[i] + d
                d = first[i]
            }
            p[i] -= learningRate * d
        }
    }
}
