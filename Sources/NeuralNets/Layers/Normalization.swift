import TensorCore

/// PyTorch `nn.LayerNorm(dim, eps=1e-5)` over the last axis with affine γ (`weight`, init 1) and
/// β (`bias`, init 0). x `[N, dim]` → y `[N, dim]`.
public final class LayerNorm {
    public let dim: Int
    public let eps: Float
    public let weight: ParameterView
    public let bias: ParameterView
    let store: ParameterStore
    /// Caches: x̂ `[N, dim]` and 1/σ `[N]`.
    private var normalized: [Float] = []
    private var inverseStd: [Float] = []

    public init(_ name: String, dim: Int, eps: Float = 1e-5, store: ParameterStore) {
        self.dim = dim
        self.eps = eps
        self.store = store
        weight = store.add("\(name).weight", shape: [dim], values: [Float](repeating: 1, count: dim))
        bias = store.add("\(name).bias", shape: [dim], values: [Float](repeating: 0, count: dim))
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.last == dim, "LayerNorm(\(dim)) got \(x.shape)")
        let n = x.count / dim
        normalized = [Float](repeating: 0, count: x.count)
        inverseStd = [Float](repeating: 0, count: n)
        var y = [Float](repeating: 0, count: x.count)
        let g = store.value(weight), b = store.value(bias)
        for r in 0..<n {
            var mean: Double = 0, sq: Double = 0
            for j in 0..<dim { mean += Double(x.scalars[r * dim + j]) }
            mean /= Double(dim)
            for j in 0..<dim { let d = Double(x.scalars[r * dim + j]) - mean; sq += d * d }
            let rstd = Float(1 / (sq / Double(dim) + Double(eps)).squareRoot())   // biased variance, as PyTorch
            inverseStd[r] = rstd
            for j in 0..<dim {
                let xh = (x.scalars[r * dim + j] - Float(mean)) * rstd
                normalized[r * dim + j] = xh
                y[r * dim + j] = xh * g[j] + b[j]
            }
        }
        return Tensor(shape: x.shape, scalars: y)
    }

    /// dX = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂⊙x̂)) with dx̂ = dY⊙γ; dγ += Σ dY⊙x̂, dβ += Σ dY.
    public func backward(_ dY: Tensor) -> Tensor {
        let n = dY.count / dim
        let g = store.value(weight), dg = store.gradient(weight), db = store.gradient(bias)
        var dX = [Float](repeating: 0, count: dY.count)
        for r in 0..<n {
            var meanD: Float = 0, meanDX: Float = 0
            for j in 0..<dim {
                let dy = dY.scalars[r * dim + j], xh = normalized[r * dim + j]
                dg[j] += dy * xh
                db[j] += dy
                let dxh = dy * g[j]
                meanD += dxh
                meanDX += dxh * xh
            }
            meanD /= Float(dim)
            meanDX /= Float(dim)
            for j in 0..<dim {
                let dxh = dY.scalars[r * dim + j] * g[j]
                dX[r * dim + j] = inverseStd[r] * (dxh - meanD - normalized[r * dim + j] * meanDX)
            }
        }
        return Tensor(shape: dY.shape, scalars: dX)
    }
}

/// PyTorch `nn.BatchNorm1d(C, eps=1e-5, momentum=0.1)`, channel-last: x `[N, C]` or `[N, L, C]`
/// (statistics over every axis but the last, like PyTorch's `[N, C, L]` over N and L).
/// Training normalises with the batch's biased variance and updates
/// running_mean ← (1−m)·running_mean + m·mean, running_var ← (1−m)·running_var + m·unbiased var;
/// evaluation uses the running statistics (torch/nn/modules/batchnorm.py, `F.batch_norm`).
public final class BatchNorm1d {
    public let channels: Int
    public let eps: Float
    public let momentum: Float
    public let weight: ParameterView
    public let bias: ParameterView
    public let runningMean: ParameterView
    public let runningVar: ParameterView
    let store: ParameterStore
    /// Caches: x̂ `[rows, C]`, 1/σ `[C]`, and whether the last forward used batch statistics.
    private var normalized: [Float] = []
    private var inverseStd: [Float] = []
    private var usedBatchStatistics = false

    public init(_ name: String, channels: Int, eps: Float = 1e-5, momentum: Float = 0.1, store: ParameterStore) {
        self.channels = channels
        self.eps = eps
        self.momentum = momentum
        self.store = store
        weight = store.add("\(name).weight", shape: [channels], values: [Float](repeating: 1, count: channels))
        bias = store.add("\(name).bias", shape: [channels], values: [Float](repeating: 0, count: channels))
        runningMean = store.addBuffer("\(name).running_mean", shape: [channels], value: 0)
        runningVar = store.addBuffer("\(name).running_var", shape: [channels], value: 1)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.last == channels, "BatchNorm1d(\(channels)) got \(x.shape)")
        let c = channels, rows = x.count / c
        let g = store.value(weight), b = store.value(bias)
        let rm = store.buffer(runningMean), rv = store.buffer(runningVar)
        var mean = [Float](repeating: 0, count: c)
        inverseStd = [Float](repeating: 0, count: c)
        usedBatchStatistics = training
        if training {
            precondition(rows > 1, "BatchNorm1d in training needs more than one value per channel (got \(x.shape))")
            var m = [Double](repeating: 0, count: c), s = [Double](repeating: 0, count: c)
            for r in 0..<rows { for j in 0..<c { m[j] += Double(x.scalars[r * c + j]) } }
            for j in 0..<c { m[j] /= Double(rows) }
            for r in 0..<rows { for j in 0..<c { let d = Double(x.scalars[r * c + j]) - m[j]; s[j] += d * d } }
            for j in 0..<c {
                mean[j] = Float(m[j])
                inverseStd[j] = Float(1 / (s[j] / Double(rows) + Double(eps)).squareRoot())
                rm[j] = (1 - momentum) * rm[j] + momentum * Float(m[j])
                rv[j] = (1 - momentum) * rv[j] + momentum * Float(s[j] / Double(rows - 1))
            }
        } else {
            for j in 0..<c { mean[j] = rm[j]; inverseStd[j] = 1 / (rv[j] + eps).squareRoot() }
        }
        normalized = [Float](repeating: 0, count: x.count)
        var y = [Float](repeating: 0, count: x.count)
        for r in 0..<rows {
            for j in 0..<c {
                let xh = (x.scalars[r * c + j] - mean[j]) * inverseStd[j]
                normalized[r * c + j] = xh
                y[r * c + j] = xh * g[j] + b[j]
            }
        }
        return Tensor(shape: x.shape, scalars: y)
    }

    /// Training: dX = (γ/σ)·(dY − mean(dY) − x̂·mean(dY⊙x̂)) per channel; evaluation: dX = γ/σ·dY.
    public func backward(_ dY: Tensor) -> Tensor {
        let c = channels, rows = dY.count / c
        let g = store.value(weight), dg = store.gradient(weight), db = store.gradient(bias)
        var sumD = [Float](repeating: 0, count: c), sumDX = [Float](repeating: 0, count: c)
        for r in 0..<rows {
            for j in 0..<c {
                let dy = dY.scalars[r * c + j]
                sumD[j] += dy
                sumDX[j] += dy * normalized[r * c + j]
            }
        }
        for j in 0..<c { dg[j] += sumDX[j]; db[j] += sumD[j] }
        var dX = [Float](repeating: 0, count: dY.count)
        let inv = 1 / Float(rows)
        for r in 0..<rows {
            for j in 0..<c {
                let scale = g[j] * inverseStd[j]
                let dy = dY.scalars[r * c + j]
                dX[r * c + j] = usedBatchStatistics
                    ? scale * (dy - sumD[j] * inv - normalized[r * c + j] * sumDX[j] * inv)
                    : scale * dy
            }
        }
        return Tensor(shape: dY.shape, scalars: dX)
    }
}
