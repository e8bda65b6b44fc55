@testable import NeuralNets
import TensorCore
import XCTest

/// The prediction paths (one sequence, evaluation) against the general ones they shortcut: the
/// packed-weight GEMM against sgemm, the fused LSTM step against the GEMM + scalar cell, whole
/// models at batch 1 against the batch/training path, and packed weights refreshed whenever the
/// parameters change (optimiser step, `set`).
final class PredictionPathTests: XCTestCase {
    func testPackedGemmMatchesSgemm() {
        var rng = SeededRandom(seed: 21)
        // (m, n, k, lda): TCN taps, row blocks (3 and 6) and 16-column panels with every kind of tail, k = 1, n < 8.
        for (m, n, k, lda) in [(32, 64, 192, 192), (7, 21, 5, 9), (30, 64, 63, 63), (5, 50, 64, 70), (4, 16, 1, 1), (9, 8, 3, 3), (3, 3, 2, 2)] {
            let a = Tensor.uniform([m * lda], low: -1, high: 1, using: &rng).scalars
            let w = Tensor.uniform([k * n], low: -1, high: 1, using: &rng).scalars   // packed [k, n]
            let c0 = Tensor.uniform([m * n], low: -1, high: 1, using: &rng).scalars
            var fast = c0, reference = c0
            Kernels.packedGemmAccumulate(m: m, a: a, lda: lda, p: PackedMatrix(k: k, n: n, b: w), c: &fast, ldc: n)
            Kernels.gemm(m: m, n: n, k: k, a: a, lda: lda, b: w, ldb: n, c: &reference, ldc: n, beta: 1)
            for i in 0..<(m * n) {
                XCTAssertEqual(fast[i], reference[i], accuracy: 2e-5 * max(1, abs(reference[i])), "m \(m) n \(n) k \(k) at \(i)")
            }
        }
    }

    func testFusedLSTMStepMatchesGemmAndScalarCell() {
        var rng = SeededRandom(seed: 22)
        for H in [8, 16, 24, 128] {
            let w = Tensor.uniform([4 * H * H], low: -0.3, high: 0.3, using: &rng).scalars
            let pre = Tensor.uniform([4 * H], low: -2, high: 2, using: &rng).scalars
            let hIn = Tensor.uniform([H], low: -1, high: 1, using: &rng).scalars
            let c0 = Tensor.uniform([H], low: -1.5, high: 1.5, using: &rng).scalars
            let packed = w.withUnsafeBufferPointer { Kernels.packGateWeights($0.baseAddress!, H: H) }
            var cFast = c0, cRef = c0
            var hFast = [Float](repeating: .nan, count: H), hRef = [Float](repeating: .nan, count: H)
            Kernels.lstmStepPacked(pre: pre, packed: packed, H: H, hIn: hIn, c: &cFast, hOut: &hFast)
            Kernels.lstmStepNaive(pre: pre, weightHH: w, H: H, hIn: hIn, c: &cRef, hOut: &hRef)
            for j in 0..<H {
                XCTAssertEqual(cFast[j], cRef[j], accuracy: 2e-6, "H \(H) c[\(j)]")
                XCTAssertEqual(hFast[j], hRef[j], accuracy: 2e-6, "H \(H) h[\(j)]")
            }
        }
    }

    /// Linear's prediction path (packed Wᵀ, bias and ReLU in the epilogue) against its training
    /// forward (sgemm) and a ReLU, for one row, a batch, and widths with every kind of panel tail.
    func testLinearPredictMatchesForward() {
        var rng = SeededRandom(seed: 23)
        for (n, inputs, outputs) in [(1, 63, 256), (256, 256, 26), (7, 5, 17), (3, 118, 64), (40, 1, 3)] {
            let store = ParameterStore()
            let layer = Linear("fc", in: inputs, out: outputs, store: store, rng: &rng)
            let x = Tensor.uniform([n, inputs], low: -1, high: 1, using: &rng)
            let reference = layer.forward(x)
            for relu in [false, true] {
                let fast = layer.predict(x, relu: relu)
                XCTAssertEqual(fast.shape, [n, outputs])
                for i in 0..<(n * outputs) {
                    let expected = relu ? max(reference.scalars[i], 0) : reference.scalars[i]
                    XCTAssertEqual(fast.scalars[i], expected, accuracy: 2e-6 * max(1, abs(expected)), "n \(n) \(inputs)→\(outputs) relu \(relu) at \(i)")
                }
            }
        }
    }

    /// Each sample predicted alone (LSTM: fused packed step; TCN: packed taps; MLP: packed Wᵀ),
    /// and the batch predicted at once (LSTM: packed recurrence), equal the general path in
    /// training mode with dropout 0 (sgemm recurrence, im2col + sgemm, sgemm), with masks that pad
    /// and leave gaps.
    func testBatchOnePredictionMatchesBatchPath() {
        let configs = [
            ModelConfig(architecture: .lstm, sequenceLength: 9, classCount: 5, hiddenDim: 16, layers: 2, dropout: 0),
            ModelConfig(architecture: .lstm, sequenceLength: 9, classCount: 5, hiddenDim: 24, layers: 1, dropout: 0, bidirectional: true),
            ModelConfig(architecture: .lstm, sequenceLength: 9, classCount: 5, hiddenDim: 12, layers: 1, dropout: 0),   // H % 8 ≠ 0: general path
            ModelConfig(architecture: .tcn, sequenceLength: 9, classCount: 5, hiddenDim: 12, layers: 3, dropout: 0),
            ModelConfig(architecture: .tcn, sequenceLength: 9, classCount: 5, hiddenDim: 16, layers: 2, dropout: 0, kernelSize: 2),
            ModelConfig(architecture: .mlp, sequenceLength: 2, classCount: 5, hiddenDim: 32, layers: 2, dropout: 0),
        ]
        for config in configs {
            let model = config.makeModel(seed: 5)
            let (x, mask) = Self.batch(B: 3, T: config.sequenceLength, seed: 6)
            let batch = model.forward(x, mask: mask, training: true)   // dropout 0: the general path
            let evaluated = model.forward(x, mask: mask, training: false)   // the batch prediction path
            for i in 0..<batch.count {
                XCTAssertEqual(evaluated.scalars[i], batch.scalars[i], accuracy: 1e-5, "\(config.architecture) H \(config.hiddenDim) batch evaluation at \(i)")
            }
            for b in 0..<3 {
                let one = model.forward(Self.row(x, b), mask: Self.row(mask, b), training: false)
                for c in 0..<5 {
                    XCTAssertEqual(one.scalars[c], batch.scalars[b * 5 + c], accuracy: 1e-5, "\(config.architecture) H \(config.hiddenDim) sample \(b)")
                }
            }
        }
    }

    /// A batch large enough to be split over threads (blocks of ≥ 8 sequences) on the packed
    /// recurrence equals the training path, bidirectional and two layers deep.
    func testLSTMBatchPredictionOnThreadsMatchesTrainingPath() {
        let config = ModelConfig(architecture: .lstm, sequenceLength: 7, classCount: 6, hiddenDim: 16, layers: 2, dropout: 0, bidirectional: true)
        let model = config.makeModel(seed: 9)
        let (x, mask) = Self.batch(B: 21, T: 7, seed: 10)
        let general = model.forward(x, mask: mask, training: true)
        let saved = NNThreads.count
        defer { NNThreads.count = saved }
        for threads in [1, 2] {
            NNThreads.count = threads
            let evaluated = model.forward(x, mask: mask, training: false)
            for i in 0..<general.count {
                XCTAssertEqual(evaluated.scalars[i], general.scalars[i], accuracy: 1e-5, "\(threads) threads at \(i)")
            }
        }
    }

    /// Packed copies follow the parameters: after an Adam step and after `set` from another model,
    /// the batch-1 prediction equals the general path on the new weights.
    func testPackedWeightsFollowParameterChanges() {
        for architecture in [Architecture.lstm, .tcn, .mlp] {
            let config = ModelConfig(architecture: architecture, sequenceLength: 6, classCount: 4, hiddenDim: 16, layers: 2, dropout: 0)
            let model = config.makeModel(seed: 1), other = config.makeModel(seed: 2)
            let (x, mask) = Self.batch(B: 2, T: 6, seed: 3)
            let x0 = Self.row(x, 0), m0 = Self.row(mask, 0)
            let before = model.forward(x0, mask: m0, training: false)   // packs
            // One Adam step on a non-zero loss gradient.
            model.parameters.zeroGradients()
            let logits = model.forward(x, mask: mask, training: true)
            model.backward(Tensor(shape: logits.shape, scalars: logits.scalars.map { $0 + 0.5 }))
            Adam(learningRate: 0.05).step(model.parameters)
            let stepped = model.forward(x0, mask: m0, training: false)
            let general = model.forward(x, mask: mask, training: true)
            XCTAssertGreaterThan(zip(before.scalars, stepped.scalars).map { abs($0 - $1) }.max()!, 1e-3, "\(architecture): the step changed the output")
            for c in 0..<4 { XCTAssertEqual(stepped.scalars[c], general.scalars[c], accuracy: 1e-5, "\(architecture) after a step") }
            // Overwrite every parameter with another model's (what loading a checkpoint does).
            for view in other.parameters.views { try! model.parameters.set(view.name, other.parameters.tensor(view.name)!) }
            let loaded = model.forward(x0, mask: m0, training: false)
            let expected = other.forward(x, mask: mask, training: true)
            let batchLoaded = model.forward(x, mask: mask, training: false)   // the packed batch path follows too
            for i in 0..<expected.count { XCTAssertEqual(batchLoaded.scalars[i], expected.scalars[i], accuracy: 1e-5, "\(architecture) batch after set") }
            for c in 0..<4 { XCTAssertEqual(loaded.scalars[c], expected.scalars[c], accuracy: 1e-5, "\(architecture) after set") }
        }
    }

    /// x `[B, T, 21, 3]` uniform, mask `[B, T]`: sample b has its last b mod T frames padded and, from b = 1, a gap at frame 2.
    static func batch(B: Int, T: Int, seed: UInt64) -> (Tensor, Tensor) {
        var rng = SeededRandom(seed: seed)
        let x = Tensor.uniform([B, T, 21, 3], low: -1, high: 1, using: &rng)
        var m = [Float](repeating: 1, count: B * T)
        for b in 0..<B {
            for t in (T - b % T)..<T { m[b * T + t] = 0 }
            if b > 0 && T > 3 { m[b * T + 2] = 0 }
        }
        return (x, Tensor(shape: [B, T], scalars: m))
    }

    static func row(_ t: Tensor, _ b: Int) -> Tensor {
        let n = t.count / t.shape[0]
        return Tensor(shape: [1] + t.shape.dropFirst(), scalars: Array(t.scalars[(b * n)..<((b + 1) * n)]))
    }
}
