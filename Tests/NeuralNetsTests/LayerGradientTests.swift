@testable import NeuralNets
import TensorCore
import XCTest

/// Finite-difference checks of every layer's backward, for inputs and parameters, with masks.
final class LayerGradientTests: XCTestCase {
    let check = GradientCheck()

    /// Inputs kept away from 0 so ReLU kinks (|x| < ε) do not meet the finite differences.
    func input(_ shape: [Int], seed: UInt64, awayFromZero: Bool = false) -> Tensor {
        var rng = SeededRandom(seed: seed)
        var t = Tensor.uniform(shape, low: -1, high: 1, using: &rng)
        if awayFromZero { t = t.map { $0 >= 0 ? $0 + 0.05 : $0 - 0.05 } }
        return t
    }

    func testLinear() {
        let store = ParameterStore()
        var rng = SeededRandom(seed: 1)
        let layer = Linear("fc", in: 5, out: 4, store: store, rng: &rng)
        check.check("Linear", input: input([3, 2, 5], seed: 2), store: store,
                    forward: { layer.forward($0) }, backward: { layer.backward($0) })
    }

    func testActivations() {
        for kind in Activation.allCases {
            let layer = ActivationLayer(kind)
            check.check("\(kind)", input: input([4, 6], seed: 3, awayFromZero: true), store: nil,
                        forward: { layer.forward($0) }, backward: { layer.backward($0) })
        }
    }

    func testDropoutUsesItsMaskBothWays() {
        let layer = Dropout(0.4, seed: 9)
        let x = input([5, 8], seed: 4)
        let saved = layer.rng
        check.check("Dropout", input: x, store: nil,
                    forward: { layer.rng = saved; return layer.forward($0, training: true) },
                    backward: { layer.backward($0) })
        layer.rng = saved
        let y = layer.forward(x, training: true)
        let zeros = y.scalars.filter { $0 == 0 }.count
        XCTAssert(zeros > 5 && zeros < 30, "p=0.4 over 40 values dropped \(zeros)")
        for i in 0..<x.count where y.scalars[i] != 0 { XCTAssertEqual(y.scalars[i], x.scalars[i] / 0.6, accuracy: 1e-6) }
        XCTAssertEqual(layer.forward(x, training: false), x, "evaluation mode is the identity")
    }

    func testLayerNorm() {
        let store = ParameterStore()
        let layer = LayerNorm("ln", dim: 6, store: store)
        for i in 0..<store.count { store.values[i] += Float(i % 5) * 0.1 - 0.2 }   // non-trivial γ, β
        store.markModified()
        check.check("LayerNorm", input: input([4, 6], seed: 5), store: store,
                    forward: { layer.forward($0) }, backward: { layer.backward($0) })
    }

    func testBatchNormTrainAndEval() {
        let store = ParameterStore()
        let layer = BatchNorm1d("bn", channels: 3, store: store)
        for i in 0..<store.count { store.values[i] += Float(i % 4) * 0.2 - 0.3 }
        store.markModified()
        check.check("BatchNorm1d train", input: input([5, 2, 3], seed: 6), store: store,
                    forward: { layer.forward($0, training: true) }, backward: { layer.backward($0) })
        check.check("BatchNorm1d eval", input: input([5, 3], seed: 7), store: store,
                    forward: { layer.forward($0, training: false) }, backward: { layer.backward($0) })
    }

    func testLSTMWithMasksBothDirectionsTwoLayers() {
        let store = ParameterStore()
        var rng = SeededRandom(seed: 8)
        let lstm = LSTM("lstm", inputSize: 3, hiddenSize: 4, layers: 2, bidirectional: true, store: store, rng: &rng)
        let mask = prefixMask([5, 3, 1], steps: 5)
        check.check("LSTM bi 2-layer masked", input: input([3, 5, 3], seed: 9), store: store,
                    forward: { lstm.forward($0, mask: mask, training: true) }, backward: { lstm.backward($0) })
    }

    func testLSTMPaddedStepsNeitherUpdateStateNorTakeGradient() {
        let store = ParameterStore()
        var rng = SeededRandom(seed: 10)
        let lstm = LSTM("lstm", inputSize: 2, hiddenSize: 3, layers: 1, bidirectional: true, store: store, rng: &rng)
        let mask = prefixMask([2], steps: 4)
        var x = input([1, 4, 2], seed: 11)
        let y1 = lstm.forward(x, mask: mask, training: true)   // dropout 0: training caches for backward
        for i in 4..<8 { x.scalars[i] = 100 }   // change the padded steps only
        let y2 = lstm.forward(x, mask: mask, training: true)
        XCTAssertEqual(y1, y2, "padding must not reach valid outputs in either direction")
        XCTAssert(y1.scalars[12...].allSatisfy { $0 == 0 }, "outputs at padded steps are 0")
        let dx = lstm.backward(Tensor(repeating: 1, shape: y1.shape))
        XCTAssert(dx.scalars[4...].allSatisfy { $0 == 0 }, "no gradient reaches padded inputs")
    }

    func testCausalConvMatchesNaiveAndGradients() {
        let store = ParameterStore()
        var rng = SeededRandom(seed: 12)
        let conv = CausalConv1d("c", in: 3, out: 4, kernelSize: 3, dilation: 2, store: store, rng: &rng)
        let x = input([2, 7, 3], seed: 13)
        let fast = conv.forward(x)
        let naive = CausalConv1d.naiveForward(x: x, weight: store.tensor("c.weight")!, bias: store.tensor("c.bias")!, dilation: 2)
        XCTAssertLessThan(fast.maxAbsDifference(naive), 1e-5)
        check.check("CausalConv1d d=2", input: x, store: store,
                    forward: { conv.forward($0) }, backward: { conv.backward($0) })
        // causality: changing x at t = 4 leaves y at t < 4 untouched
        var x2 = x
        for c in 0..<3 { x2.scalars[(0 * 7 + 4) * 3 + c] += 1 }
        let y2 = conv.forward(x2)
        for t in 0..<4 { for o in 0..<4 { XCTAssertEqual(y2[0, t, o], fast[0, t, o]) } }
        XCTAssertNotEqual(y2[0, 4, 0], fast[0, 4, 0])
    }

    func testTemporalBlockWithShortcut() {
        for (cin, cout) in [(3, 4), (4, 4)] {
            let store = ParameterStore()
            var rng = SeededRandom(seed: 14)
            let block = TemporalBlock("b", in: cin, out: cout, kernelSize: 2, dilation: 2, dropout: 0.3, store: store, rng: &rng)
            XCTAssertEqual(block.down != nil, cin != cout)
            let s1 = block.drop1.rng, s2 = block.drop2.rng
            // Input seed 18: no ReLU pre-activation lies within ε of its kink (seed 15 has one in
            // conv1, where central differences straddle the kink and disagree by ~10% on 2 entries).
            check.check("TemporalBlock \(cin)→\(cout)", input: input([2, 5, cin], seed: 18), store: store,
                        forward: { block.drop1.rng = s1; block.drop2.rng = s2; return block.forward($0, training: true) },
                        backward: { block.backward($0) })
        }
    }

    /// Keys masked anywhere (a gap in the middle, trailing padding, a sequence with none valid).
    func testMultiHeadAttentionMatchesNaiveAndGradients() {
        let store = ParameterStore()
        var rng = SeededRandom(seed: 31)
        let attention = MultiHeadAttention("a", dim: 6, heads: 2, store: store, rng: &rng)
        for view in store.views where view.name.hasSuffix("bias") {   // PyTorch starts them at 0; test non-zero ones
            for i in 0..<view.count { store.value(view)[i] = rng.uniform(-0.3, 0.3) }
        }
        let valid: [Float] = [1, 0, 1, 1, 0,  1, 1, 1, 1, 1,  0, 0, 0, 0, 0]
        let mask = Tensor(shape: [3, 5], scalars: valid)
        let x = input([3, 5, 6], seed: 32)
        let fast = attention.forward(x, valid: mask)
        let naive = MultiHeadAttention.naiveForward(x: x, valid: valid.map { $0 > 0.5 }, inWeight: store.tensor("a.in_proj_weight")!,
                                                    inBias: store.tensor("a.in_proj_bias")!, outWeight: store.tensor("a.out_proj.weight")!,
                                                    outBias: store.tensor("a.out_proj.bias")!, heads: 2)
        XCTAssertLessThan(fast.maxAbsDifference(naive), 1e-5)
        check.check("MultiHeadAttention", input: x, store: store,
                    forward: { attention.forward($0, valid: mask) }, backward: { attention.backward($0) })
        // a padded key changes nothing; a valid one does
        var x2 = x
        for c in 0..<6 { x2.scalars[(0 * 5 + 1) * 6 + c] += 1 }
        let y2 = attention.forward(x2, valid: mask)
        for t in [0, 2, 3] { for c in 0..<6 { XCTAssertEqual(y2[0, t, c], fast[0, t, c], accuracy: 1e-6) } }
        for c in 0..<6 { x2.scalars[(0 * 5 + 2) * 6 + c] += 1 }
        XCTAssertGreaterThan(attention.forward(x2, valid: mask).maxAbsDifference(fast), 1e-3)
    }

    func testTransformerEncoderLayerWithDropout() {
        let store = ParameterStore()
        var rng = SeededRandom(seed: 33)
        let layer = TransformerEncoderLayer("l", dim: 4, heads: 2, feedForward: 8, dropout: 0.2, store: store, rng: &rng)
        let mask = prefixMask([5, 3], steps: 5)
        let (s1, s2, s3) = (layer.dropAttention.rng, layer.dropHidden.rng, layer.dropFeedForward.rng)
        check.check("TransformerEncoderLayer", input: input([2, 5, 4], seed: 34), store: store,
                    forward: {
                        layer.dropAttention.rng = s1; layer.dropHidden.rng = s2; layer.dropFeedForward.rng = s3
                        return layer.forward($0, valid: mask, training: true)
                    }, backward: { layer.backward($0) })
    }

    func testMaskedPooling() {
        let mask = prefixMask([4, 2, 0], steps: 4)
        for kind in SequencePooling.allCases {
            let pool = MaskedPooling(kind)
            check.check("pool \(kind)", input: input([3, 4, 5], seed: 16), store: nil,
                        forward: { pool.forward($0, mask: mask) }, backward: { pool.backward($0) })
        }
        // values: mean over 2 valid steps, empty sequence pools to 0
        let x = Tensor(shape: [3, 4, 1], scalars: [1, 2, 3, 4, 10, 20, 99, 99, 5, 5, 5, 5])
        XCTAssertEqual(MaskedPooling(.mean).forward(x, mask: mask).scalars, [2.5, 15, 0])
        XCTAssertEqual(MaskedPooling(.max).forward(x, mask: mask).scalars, [4, 20, 0])
        XCTAssertEqual(MaskedPooling(.last).forward(x, mask: mask).scalars, [4, 20, 0])
    }

    func testCrossEntropyGradient() {
        let loss = CrossEntropyLoss(labelSmoothing: 0.15, classWeights: [1, 0.5, 2, 1.3])
        let labels = [2, 0, 3]
        check.check("cross-entropy", input: input([3, 4], seed: 17), store: nil,
                    forward: { Tensor(scalar: loss.lossAndGradient(logits: $0, labels: labels).loss) },
                    backward: { dL in
                        let z = self.input([3, 4], seed: 17)
                        return loss.lossAndGradient(logits: z, labels: labels).dLogits * dL.scalars[0]
                    })
    }

    func testWholeModels() {
        let configs = [
            ModelConfig(architecture: .mlp, sequenceLength: 2, featureCount: 4, classCount: 3, hiddenDim: 5, layers: 2, dropout: 0),
            ModelConfig(architecture: .lstm, sequenceLength: 4, featureCount: 3, classCount: 3, hiddenDim: 4, layers: 2,
                        dropout: 0, bidirectional: true, pooling: .last),
            ModelConfig(architecture: .lstm, sequenceLength: 4, featureCount: 3, classCount: 3, hiddenDim: 4, layers: 1,
                        dropout: 0, pooling: .mean),
            ModelConfig(architecture: .tcn, sequenceLength: 5, featureCount: 3, classCount: 3, hiddenDim: 4, layers: 2,
                        dropout: 0, kernelSize: 2),
            ModelConfig(architecture: .transformer, sequenceLength: 5, featureCount: 3, classCount: 3, hiddenDim: 4, layers: 2,
                        dropout: 0, kernelSize: 2, heads: 2),
            ModelConfig(architecture: .transformer, sequenceLength: 5, featureCount: 3, classCount: 3, hiddenDim: 4, layers: 1,
                        dropout: 0, pooling: .max, heads: 1),
        ]
        for config in configs {
            let model = config.makeModel(seed: 21)
            let mask = prefixMask([config.sequenceLength, 2, 1], steps: config.sequenceLength)
            check.check("\(config.architecture) \(config.pooling)", input: input([3, config.sequenceLength, config.featureCount], seed: 22),
                        store: model.parameters,
                        forward: { model.forward($0, mask: mask, training: true) }, backward: { model.backward($0) })
        }
    }
}
