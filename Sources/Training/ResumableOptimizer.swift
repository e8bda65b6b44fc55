import NeuralNets
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// Adam, AdamW or SGD with momentum whose state (step count, moments, momentum buffer) can be
/// saved and restored for `--resume`. The updates are NeuralNets' own `Adam` and `SGD`
/// (PyTorch's rules); this type only chooses one and carries its state in and out.
public final class ResumableOptimizer: Optimizer {
    public let kind: OptimizerKind
    public let weightDecay: Float
    public let momentum: Float
    private let adam: Adam?
    private let sgd: SGD?
    private var sgdSteps = 0

    public init(_ kind: OptimizerKind, learningRate: Float, weightDecay: Float = 0, momentum: Float = 0.9) {
        self.kind = kind
        self.weightDecay = weightDecay
        self.momentum = momentum
        switch kind {
        case .adam, .adamw:
            adam = Adam(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: kind == .adamw)
            sgd = nil
        case .sgd:
            adam = nil
            sgd = SGD(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
        }
    }

    public var learningRate: Float {
        get { adam?.learningRate ?? sgd!.learningRate }
        set { adam?.learningRate = newValue; sgd?.learningRate = newValue }
    }

    /// Steps taken (Adam's t, counted from 1 at the first step).
    public var stepCount: Int {
        get { adam?.stepCount ?? sgdSteps }
        set { if let adam { adam.restore(stepCount: newValue, m: adam.m, v: adam.v) } else { sgdSteps = newValue } }
    }

    /// Adam: first moment `[store.count]`; SGD: the momentum buffer.
    public var first: [Float] {
        get { adam?.m ?? sgd!.buffer }
        set { if let adam { adam.restore(stepCount: adam.stepCount, m: newValue, v: adam.v.count == newValue.count ? adam.v : [Float](repeating: 0, count: newValue.count)) } else { sgd!.restore(buffer: newValue) } }
    }

    /// Adam: second moment `[store.count]`; SGD: empty.
    public var second: [Float] {
        get { adam?.v ?? [] }
        set { if let adam { adam.restore(stepCount: adam.stepCount, m: adam.m.count == newValue.count ? adam.m : [Float](repeating: 0, count: newValue.count), v: newValue) } }
    }

    public func step(_ store: ParameterStore) {
        if let adam { adam.step(store) } else { sgd!.step(store); sgdSteps += 1 }
    }
}
