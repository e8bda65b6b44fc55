import CKernels
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// Pointwise nonlinearities with their derivatives side by side.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case relu, gelu, tanh, sigmoid

    @inline(__always) public func apply(_ x: Float) -> Float {
        switch self {
        case .relu: x > 0 ? x : 0
        // Exact GELU as PyTorch's default (approximate="none"): x·Φ(x) = ½x(1 + erf(x/√2)).
        case .gelu: 0.5 * x * (1 + erff(x * 0.70710678118654752))
        case .tanh: tanhf(x)
        case .sigmoid: Kernels.sigmoid(x)
        }
    }

    /// dy/dx given the input x and output y (each activation uses whichever is cheaper).
    @inline(__always) public func derivative(x: Float, y: Float) -> Float {
        switch self {
        case .relu: x > 0 ? 1 : 0
        // d/dx[xΦ(x)] = Φ(x) + x·φ(x), φ(x) = e^{−x²/2}/√(2π).
        case .gelu: 0.5 * (1 + erff(x * 0.70710678118654752)) + x * 0.39894228040143268 * expf(-0.5 * x * x)
        case .tanh: 1 - y * y
        case .sigmoid: y * (1 - y)
        }
    }
}

/// A pointwise activation layer: y `[...]` = f(x `[...]`); caches x and y.
public final class ActivationLayer {
    public let kind: Activation
    private var input: [Float] = []
    private var output: [Float] = []

    public init(_ kind: Activation) { self.kind = kind }

    public func forward(_ x: Tensor) -> Tensor {
        input = x.scalars
        var y = x.scalars
        let f = kind
        y.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            Parallel.chunks(buffer.count, minimum: Kernels.parallelElementwiseMinimum) { r in
                switch f {
                case .relu: for i in r { p[i] = p[i] > 0 ? p[i] : 0 }   // branch-free: vectorises
                default: for i in r { p[i] = f.apply(p[i]) }
                }
            }
        }
        output = y
        return Tensor(shape: x.shape, scalars: y)
    }

    /// dY → dX = dY ⊙ f′(x).
    public func backward(_ dY: Tensor) -> Tensor {
        precondition(dY.count == input.count, "activation backward: \(dY.count) gradients for \(input.count) inputs")
        var dX = dY.scalars
        let f = kind
        input.withUnsafeBufferPointer { x in
            output.withUnsafeBufferPointer { y in
                dX.withUnsafeMutableBufferPointer { buffer in
                    let d = buffer.baseAddress!, x = x.baseAddress!, y = y.baseAddress!
                    Parallel.chunks(buffer.count, minimum: Kernels.parallelElementwiseMinimum) { r in
                        switch f {
                        case .relu: for i in r { d[i] = x[i] > 0 ? d[i] : 0 }
                        default: for i in r { d[i] *= f.derivative(x: x[i], y: y[i]) }
                        }
                    }
                }
            }
        }
        return Tensor(shape: dY.shape, scalars: dX)
    }
}

/// Inverted dropout (PyTorch `nn.Dropout`): in training each value is zeroed with probability p and
/// the survivors scaled by 1/(1−p); in evaluation it is the identity. The mask comes from a seeded
/// stream, so a run is reproducible (it cannot match PyTorch's own RNG bit for bit).
public final class Dropout {
    public let probability: Float
    public var rng: SeededRandom
    /// Cache: `[count]` mask scaled by 1/(1−p), empty when the last forward was the identity.
    private var mask: [Float] = []
    /// Elements per mask stream (even, so a block never splits a 64-bit draw).
    static let maskBlock = 1 << 14

    public init(_ probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) not in [0, 1)")
        self.probability = probability
        rng = SeededRandom(seed: seed)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        guard training, probability > 0 else { mask = []; return x }
        drawMask(count: x.count)
        return timesMask(x)
    }

    /// t ⊙ mask: the forward of the kept values and the backward of their gradients alike.
    private func timesMask(_ t: Tensor) -> Tensor {
        var out = t.scalars
        mask.withUnsafeBufferPointer { mb in
            out.withUnsafeMutableBufferPointer { ob in
                let m = mb.baseAddress!, o = ob.baseAddress!
                Parallel.chunks(ob.count, minimum: Kernels.parallelElementwiseMinimum) { r in for i in r { o[i] *= m[i] } }
            }
        }
        return Tensor(shape: t.shape, scalars: out)
    }

    /// mask `[n]` ← 0 with probability p, else 1/(1−p). A value is dropped when a 32-bit uniform
    /// draw < p·2³²; two draws per 64-bit output of a local xoshiro256** per block of `maskBlock`
    /// elements, each seeded from `rng` in block order, so the mask depends on the seed and n
    /// only — not on how many threads fill the blocks — and the hot loop touches no class state.
    private func drawMask(count n: Int) {
        let keep = 1 / (1 - probability)
        let threshold = UInt64(Double(probability) * 4294967296.0)
        let blocks = (n + Dropout.maskBlock - 1) / Dropout.maskBlock
        // Four state words per block, seeded from `rng` in block order; CKernels draws four blocks
        // at a time (their chains are independent), `drawMaskNaive` one after another.
        var states = [UInt64](repeating: 0, count: 4 * blocks)
        for b in 0..<blocks {
            let stream = MaskStream(seedFrom: &rng)
            states[4 * b] = stream.s0; states[4 * b + 1] = stream.s1; states[4 * b + 2] = stream.s2; states[4 * b + 3] = stream.s3
        }
        mask = Kernels.uninitialized(n)
        mask.withUnsafeMutableBufferPointer { mb in
            states.withUnsafeMutableBufferPointer { sb in
                let m = mb.baseAddress!, s = sb.baseAddress!
                Parallel.chunks(blocks, minimum: max(1, Kernels.parallelElementwiseMinimum / Dropout.maskBlock)) { range in
                    ck_dropout_mask(s, range.lowerBound, range.count, Dropout.maskBlock, n, threshold, keep, m)
                }
            }
        }
    }

    /// Reference for the mask `drawMask` leaves: each block's stream in turn, two draws per output.
    static func drawMaskNaive(count n: Int, probability: Float, rng: inout SeededRandom) -> [Float] {
        let keep = 1 / (1 - probability)
        let threshold = UInt64(Double(probability) * 4294967296.0)
        let blocks = (n + maskBlock - 1) / maskBlock
        let streams = (0..<blocks).map { _ in MaskStream(seedFrom: &rng) }
        var m = [Float](repeating: .nan, count: n)
        for block in 0..<blocks {
            var g = streams[block]
            var i = block * maskBlock
            let end = min(n, i + maskBlock)
            while i < end {
                let r = g.next()
                m[i] = (r & 0xFFFF_FFFF) < threshold ? 0 : keep
                if i + 1 < end { m[i + 1] = (r >> 32) < threshold ? 0 : keep }
                i += 2
            }
        }
        return m
    }

    /// The mask the last `forward`/`reluThenDrop` drew (tests).
    var currentMask: [Float] { mask }

    /// ReLU then this dropout in one pass, in place: x ← relu(x)·m with the factor f = m·[x > 0]
    /// kept as the mask, so `backward` (dY ⊙ f) is the gradient of both. Draws exactly the mask
    /// `forward` would; with p = 0 or in evaluation f is the ReLU's 0/1. Saves the TCN block two
    /// copies and two passes per activation (ActivationLayer then Dropout).
    public func reluThenDrop(_ x: inout Tensor, training: Bool) {
        let n = x.count
        let dropping = training && probability > 0
        if dropping { drawMask(count: n) } else { mask = Kernels.uninitialized(n) }
        mask.withUnsafeMutableBufferPointer { mb in
            x.scalars.withUnsafeMutableBufferPointer { xb in
                let m = mb.baseAddress!, xp = xb.baseAddress!
                // f = x > 0 ? (dropping ? m : 1) : 0; m ← f; x ← x > 0 ? x·f : 0 (as ReLU: NaN → 0),
                // in CKernels' compare-and-select lanes (`reluThenDropNaive` is the reference).
                Parallel.chunks(n, minimum: Kernels.parallelElementwiseMinimum) { r in
                    Dropout.reluThenDropPass(xp + r.lowerBound, m + r.lowerBound, count: r.count, dropping: dropping)
                }
            }
        }
    }

    /// `reluThenDrop`'s pass over `count` floats of x and m.
    @inline(__always)
    static func reluThenDropPass(_ x: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, count: Int, dropping: Bool) {
        ck_relu_drop(x, m, count, dropping ? 1 : 0)
    }

    /// Reference for `reluThenDrop`'s pass, one element at a time (tests compare the two).
    static func reluThenDropNaive(_ x: inout [Float], mask m: inout [Float], dropping: Bool) {
        for i in x.indices {
            let f: Float = x[i] > 0 ? (dropping ? m[i] : 1) : 0
            m[i] = f
            x[i] = x[i] > 0 ? x[i] * f : 0
        }
    }

    public func backward(_ dY: Tensor) -> Tensor {
        guard !mask.isEmpty else { return dY }
        return timesMask(dY)
    }
}

/// xoshiro256** (Blackman & Vigna) with its state in four locals, seeded by four words of a
/// `SeededRandom`: the per-element generator for dropout masks.
struct MaskStream {
    var s0, s1, s2, s3: UInt64

    init(seedFrom rng: inout SeededRandom) {
        s0 = rng.next(); s1 = rng.next(); s2 = rng.next(); s3 = rng.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    @inline(__always) mutating func next() -> UInt64 {
        let x = s1 &* 5
        let result = ((x << 7) | (x >> 57)) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }
}
