import CKernels
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// An optimiser updates the whole `ParameterStore` in one loop over its flat block.
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    func step(_ store: ParameterStore)
}

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) with PyTorch's exact update
/// (torch/optim/adam.py and adamw.py, `_single_tensor_adam`, amsgrad off), step t counted from 1:
///   Adam:  g ← g + λ·p;              AdamW: p ← p·(1 − lr·λ)
///   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
///   p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
/// Bias corrections are computed in Double like Python floats, then applied in float32 as PyTorch does.
public final class Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float
    /// true = AdamW (decoupled decay), false = Adam (L2 added to the gradient).
    public var decoupledWeightDecay: Bool
    public private(set) var stepCount = 0
    /// First and second moments `[store.count]`.
    public private(set) var m: [Float] = []
    public private(set) var v: [Float] = []

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// Puts back a saved state (`--resume`): the step count and both moments, as read from
    /// `stepCount`, `m` and `v` of an earlier run (empty moments = before the first step).
    public func restore(stepCount: Int, m: [Float], v: [Float]) {
        precondition(m.count == v.count, "Adam moments differ in length: \(m.count) vs \(v.count)")
        self.stepCount = stepCount
        self.m = m
        self.v = v
    }

    /// AdamW with PyTorch's default weight decay 1e-2.
    public static func adamW(learningRate: Float = 1e-3, weightDecay: Float = 1e-2) -> Adam {
        Adam(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public func step(_ store: ParameterStore) {
        defer { store.markModified() }
        let n = store.count
        if m.count != n { m = [Float](repeating: 0, count: n); v = [Float](repeating: 0, count: n) }
        stepCount += 1
        let t = Double(stepCount)
        let bc1 = 1 - pow(Double(beta1), t), bc2 = 1 - pow(Double(beta2), t)
        let stepSize = Float(Double(learningRate) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        let (b1, b2, e, lr, wd) = (beta1, beta2, eps, learningRate, weightDecay)
        let decay: Float = decoupledWeightDecay ? 1 - lr * wd : 1
        let l2: Float = decoupledWeightDecay ? 0 : wd
        let p = store.values, g = store.gradients
        let decoupled = decoupledWeightDecay
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                let mp = mb.baseAddress!, vp = vb.baseAddress!
                // Every element updates on its own, so blocks of the flat store run in parallel,
                // eight lanes at a time in CKernels (`ck_adam`: lane-wise IEEE sqrt and divide, the
                // same bits on every CPU and for any split).
                let constants = ck_adam_params(decay: decay, l2: l2, beta1: b1, beta2: b2, step_size: stepSize,
                                               bc2_sqrt: bc2Sqrt, eps: e, decoupled: decoupled ? 1 : 0)
                withUnsafePointer(to: constants) { cp in
                    Parallel.chunks(n, minimum: Kernels.parallelElementwiseMinimum) { r in
                        ck_adam(p, g, mp, vp, Int32(r.lowerBound), Int32(r.upperBound), cp)
                    }
                }
            }
        }
    }
}

/// SGD with momentum, PyTorch's rule (torch/optim/sgd.py): d = g + λp; buf = d on the first step,
/// else buf = μ·buf + (1−dampening)·d; d = nesterov ? d + μ·buf : buf; p ← p − lr·d.
public final class SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var dampening: Float
    public var nesterov: Bool
    public var weightDecay: Float
    /// The momentum buffer `[store.count]` (empty before the first step or without momentum).
    public private(set) var buffer: [Float] = []

    /// Puts back a saved momentum buffer (`--resume`).
    public func restore(buffer: [Float]) { self.buffer = buffer }

    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ store: ParameterStore) {
        defer { store.markModified() }
        let n = store.count, p = store.values, g = store.gradients
        let first = buffer.count != n
        if first && momentum != 0 { buffer = [Float](repeating: 0, count: n) }
        for i in 0..<n {
            var d = g[i] + weightDecay * p[i]
            if momentum != 0 {
                buffer[i] = first ? d : momentum * buffer[i] + (1 - dampening) * d
                d = nesterov ? d + momentum * buffer[i] : buffer[i]
            }
            p[i] -= learningRate * d
        }
    }
}

public enum GradientClipping {
    /// PyTorch `clip_grad_norm_` (norm 2): total = ‖g‖₂ over every parameter; g ← g·min(1, max/(total+1e−6)).
    /// Returns the norm before clipping.
    @discardableResult
    public static func clipNorm(_ store: ParameterStore, maxNorm: Float) -> Float {
        let g = store.gradients
        var sq = 0.0
        for i in 0..<store.count { sq += Double(g[i]) * Double(g[i]) }
        let total = Float(sq.squareRoot())
        let coef = maxNorm / (total + 1e-6)
        if coef < 1 { for i in 0..<store.count { g[i] *= coef } }
        return total
    }
}
