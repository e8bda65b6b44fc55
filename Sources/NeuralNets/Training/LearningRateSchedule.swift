#if canImport(Glibc)
import Glibc
#endif

/// Learning-rate schedules, each a value type the trainer asks once per epoch (or step).
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    /// PyTorch `StepLR`: lr = base · γ^⌊epoch / stepSize⌋.
    case step(stepSize: Int, gamma: Float)
    /// Linear warm-up from base/warmup to base over `warmup` epochs (epoch e < warmup gets
    /// base·(e+1)/warmup), then cosine annealing (PyTorch `CosineAnnealingLR` closed form) from base
    /// to `minimum` over the remaining `total − warmup` epochs.
    case cosine(total: Int, warmup: Int, minimum: Float)
    case constant

    /// The learning rate for a 0-based epoch (or step) index.
    public func learningRate(base: Float, epoch: Int) -> Float {
        switch self {
        case .constant:
            return base
        case .step(let size, let gamma):
            return base * pow(gamma, Float(epoch / max(size, 1)))
        case .cosine(let total, let warmup, let minimum):
            if epoch < warmup { return base * Float(epoch + 1) / Float(warmup) }
            let span = max(total - warmup, 1)
            let progress = Double(min(epoch - warmup, span)) / Double(span)
            return minimum + (base - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}

/// PyTorch `ReduceLROnPlateau` (mode "min", threshold_mode "rel"): after `patience` epochs without
/// the metric improving below best·(1 − threshold), lr ← max(lr·factor, minimum) (skipped when the
/// change is smaller than eps), then `cooldown` epochs in which bad epochs are not counted.
public struct ReduceOnPlateau: Codable, Sendable, Equatable {
    public var factor: Float = 0.1
    public var patience: Int = 10
    public var threshold: Float = 1e-4
    public var cooldown: Int = 0
    public var minimum: Float = 0
    public var eps: Float = 1e-8
    public private(set) var best: Float = .infinity
    public private(set) var badEpochs = 0
    public private(set) var cooldownLeft = 0

    public init(factor: Float = 0.1, patience: Int = 10, threshold: Float = 1e-4, cooldown: Int = 0, minimum: Float = 0) {
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.cooldown = cooldown
        self.minimum = minimum
    }

    /// Feeds one epoch's metric (lower is better); returns the learning rate to use next.
    public mutating func step(metric: Float, learningRate: Float) -> Float {
        if metric < best * (1 - threshold) { best = metric; badEpochs = 0 } else { badEpochs += 1 }
        if cooldownLeft > 0 { cooldownLeft -= 1; badEpochs = 0 }
        guard badEpochs > patience else { return learningRate }
        cooldownLeft = cooldown
        badEpochs = 0
        let reduced = max(learningRate * factor, minimum)
        return learningRate - reduced > eps ? reduced : learningRate
    }
}
