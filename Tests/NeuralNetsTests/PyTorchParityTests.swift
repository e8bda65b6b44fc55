@testable import NeuralNets
import TensorCore
import TestSupport
import XCTest

/// Parity with PyTorch 1.13 on the fixtures written by `Goldens/make_goldens.py` (committed; no torch
/// needed here): forward logits, loss, every parameter gradient, the input gradient, and parameters
/// after 10 optimiser steps, for the MLP, LSTM (uni- and bidirectional, masked), TCN and Transformer.
///
/// Tolerance: per tensor, max|ours − torch| ≤ 1e-5·max|torch| + 1e-6 (relative to the tensor's scale,
/// so near-zero entries are not held to an impossible relative bound). Float32 GEMMs summing in a
/// different order differ by ~1e-7 relative per entry; the 10-step Adam comparison allows 5e-5
/// because Adam's m/√v amplifies tiny gradient differences on parameters whose gradients are ~0
/// (worst seen: 2.1e-5 on one TCN conv weight; everything else ≤ 1e-5).
final class PyTorchParityTests: XCTestCase {
    static let fixtures = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/NeuralNetsTests/Goldens/fixtures")

    func load(_ name: String) throws -> NPZ {
        try NPZ.read(contentsOf: Self.fixtures.appendingPathComponent("\(name).npz"))
    }

    func assertClose(_ ours: Tensor, _ torch: Tensor, _ what: String, relative: Float = 1e-5,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ours.count, torch.count, "\(what): sizes", file: file, line: line)
        guard ours.count == torch.count else { return }
        let scale = torch.scalars.map(abs).max() ?? 0
        var worst: Float = 0
        for i in 0..<ours.count { worst = max(worst, abs(ours.scalars[i] - torch.scalars[i])) }
        XCTAssertLessThanOrEqual(worst, relative * scale + 1e-6, "\(what): max diff \(worst), scale \(scale)", file: file, line: line)
    }

    /// Loads `prefix.<name>` arrays into the model's store.
    func loadParameters(_ npz: NPZ, prefix: String, into store: ParameterStore) throws {
        let arrays = npz.arrays.filter { $0.name.hasPrefix(prefix + ".") }
            .map { (name: String($0.name.dropFirst(prefix.count + 1)), array: $0.array) }
        try store.load(arrays, source: "\(prefix) fixture")
    }

    func runParity(_ fixture: String, config: ModelConfig, extraOptimizers: Bool = false) throws {
        let npz = try load(fixture)
        let model = config.makeModel(seed: 1)
        let store = model.parameters
        try loadParameters(npz, prefix: "param", into: store)
        let x = try npz.tensor("x"), mask = try npz.tensor("mask")
        let labels = try XCTUnwrap(npz.array("y").integers())
        let ce = CrossEntropyLoss()

        store.zeroGradients()
        let logits = model.forward(x, mask: mask, training: true)
        assertClose(logits, try npz.tensor("logits"), "\(fixture) logits")
        let (loss, dLogits) = ce.lossAndGradient(logits: logits, labels: labels)
        XCTAssertEqual(loss, try npz.tensor("loss").scalars[0], accuracy: 1e-5 * max(1, loss), "\(fixture) loss")
        let dx = model.backward(dLogits)
        assertClose(dx, try npz.tensor("dx"), "\(fixture) dx")
        for view in store.views {
            assertClose(store.gradientTensor(view.name)!, try npz.tensor("grad.\(view.name)"), "\(fixture) grad.\(view.name)")
        }

        func train(_ optimizer: Optimizer, prefix: String) throws -> [Float] {
            try loadParameters(npz, prefix: "param", into: store)
            var losses: [Float] = []
            for _ in 0..<10 {
                store.zeroGradients()
                let z = model.forward(x, mask: mask, training: true)
                let (l, dz) = ce.lossAndGradient(logits: z, labels: labels)
                model.backward(dz)
                optimizer.step(store)
                losses.append(l)
            }
            for view in store.views {
                var ours = store.tensor(view.name)!, torch = try npz.tensor("\(prefix).\(view.name)")
                if view.name.hasSuffix("in_proj_bias") {
                    // The key bias (middle third) adds the same q·b_k to every score of a softmax
                    // row, so its true gradient is 0: both sides hold rounding noise (~1e-9) there,
                    // which Adam's m/√v turns into ±lr steps. Compared: it stays 0, the rest after Adam.
                    let D = view.count / 3
                    let grad = store.gradientTensor(view.name)!.scalars[D..<(2 * D)]
                    XCTAssertLessThan(grad.map(abs).max()!, 1e-6, "\(fixture) key-bias gradient")
                    ours = Tensor(shape: [2 * D], scalars: Array(ours.scalars[..<D] + ours.scalars[(2 * D)...]))
                    torch = Tensor(shape: [2 * D], scalars: Array(torch.scalars[..<D] + torch.scalars[(2 * D)...]))
                }
                assertClose(ours, torch, "\(fixture) \(prefix).\(view.name)", relative: 5e-5)
            }
            return losses
        }
        let losses = try train(Adam(learningRate: 1e-2), prefix: "adam10")
        assertClose(Tensor(shape: [10], scalars: losses), try npz.tensor("adam_losses"), "\(fixture) Adam losses", relative: 1e-5)
        XCTAssertLessThan(losses[9], losses[0], "\(fixture): 10 Adam steps on one batch lower the loss")
        if extraOptimizers {
            _ = try train(Adam.adamW(learningRate: 1e-2, weightDecay: 0.05), prefix: "adamw10")
            _ = try train(SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3), prefix: "sgd10")
        }
    }

    func testMLP() throws {
        try runParity("mlp", config: ModelConfig(architecture: .mlp, sequenceLength: 2, classCount: 5, hiddenDim: 16,
                                                 layers: 2, dropout: 0), extraOptimizers: true)
    }

    func testLSTM() throws {
        try runParity("lstm", config: ModelConfig(architecture: .lstm, sequenceLength: 6, classCount: 5, hiddenDim: 8,
                                                  layers: 2, dropout: 0))
    }

    func testBidirectionalLSTMPacked() throws {
        try runParity("lstm_bi", config: ModelConfig(architecture: .lstm, sequenceLength: 6, classCount: 5, hiddenDim: 8,
                                                     layers: 2, dropout: 0, bidirectional: true))
    }

    func testTCN() throws {
        try runParity("tcn", config: ModelConfig(architecture: .tcn, sequenceLength: 8, classCount: 5, hiddenDim: 8,
                                                 layers: 3, dropout: 0, kernelSize: 3))
    }

    /// PyTorch's own `nn.TransformerEncoderLayer` (pre-norm, GELU) under the key padding mask,
    /// with sequences of 8, 5, 1 and 7 valid frames out of 8.
    func testTransformer() throws {
        try runParity("transformer", config: transformerConfig)
    }

    let transformerConfig = ModelConfig(architecture: .transformer, sequenceLength: 8, classCount: 5, hiddenDim: 8,
                                        layers: 2, dropout: 0, kernelSize: 3, heads: 2)

    func testParameterNamesAndOrderMatchPyTorchStateDict() throws {
        for (fixture, config) in [("tcn", ModelConfig(architecture: .tcn, sequenceLength: 8, classCount: 5, hiddenDim: 8, layers: 3, dropout: 0)),
                                  ("transformer", transformerConfig)] {
            let npz = try load(fixture)
            let torchNames = npz.names.filter { $0.hasPrefix("param.") }.map { String($0.dropFirst(6)) }
            XCTAssertEqual(config.makeModel(seed: 1).parameters.views.map(\.name), torchNames, fixture)
        }
    }

    // MARK: layers

    func testCrossEntropyLabelSmoothingAndClassWeights() throws {
        let npz = try load("layers")
        let z = try npz.tensor("ce_logits")
        let labels = try XCTUnwrap(npz.array("ce_labels").integers())
        let w = try npz.tensor("ce_weights").scalars
        let cases: [(String, CrossEntropyLoss)] = [
            ("plain", CrossEntropyLoss()), ("smooth", CrossEntropyLoss(labelSmoothing: 0.1)),
            ("weighted", CrossEntropyLoss(classWeights: w)), ("both", CrossEntropyLoss(labelSmoothing: 0.2, classWeights: w)),
        ]
        for (tag, loss) in cases {
            let (l, g) = loss.lossAndGradient(logits: z, labels: labels)
            XCTAssertEqual(l, try npz.tensor("ce_\(tag)_loss").scalars[0], accuracy: 1e-6, tag)
            assertClose(g, try npz.tensor("ce_\(tag)_grad"), "ce \(tag) grad")
        }
    }

    func testLayerNorm() throws {
        let npz = try load("layers")
        let store = ParameterStore()
        let ln = LayerNorm("ln", dim: 7, store: store)
        try store.set("ln.weight", npz.tensor("ln_weight"))
        try store.set("ln.bias", npz.tensor("ln_bias"))
        assertClose(ln.forward(try npz.tensor("ln_x")), try npz.tensor("ln_y"), "LayerNorm y")
        assertClose(ln.backward(try npz.tensor("ln_r")), try npz.tensor("ln_dx"), "LayerNorm dx")
        assertClose(store.gradientTensor("ln.weight")!, try npz.tensor("ln_dweight"), "LayerNorm dγ")
        assertClose(store.gradientTensor("ln.bias")!, try npz.tensor("ln_dbias"), "LayerNorm dβ")
    }

    func testBatchNormTrainingRunningStatsAndEval() throws {
        let npz = try load("layers")
        let store = ParameterStore()
        let bn = BatchNorm1d("bn", channels: 4, store: store)
        try store.set("bn.weight", npz.tensor("bn_weight"))
        try store.set("bn.bias", npz.tensor("bn_bias"))
        assertClose(bn.forward(try npz.tensor("bn_x1"), training: true), try npz.tensor("bn_y1"), "BN y1")
        assertClose(bn.forward(try npz.tensor("bn_x2"), training: true), try npz.tensor("bn_y2"), "BN y2")
        assertClose(bn.backward(try npz.tensor("bn_r")), try npz.tensor("bn_dx2"), "BN dx")
        assertClose(store.gradientTensor("bn.weight")!, try npz.tensor("bn_dweight"), "BN dγ")
        assertClose(store.gradientTensor("bn.bias")!, try npz.tensor("bn_dbias"), "BN dβ")
        assertClose(store.tensor("bn.running_mean")!, try npz.tensor("bn_running_mean"), "BN running mean")
        assertClose(store.tensor("bn.running_var")!, try npz.tensor("bn_running_var"), "BN running var")
        assertClose(bn.forward(try npz.tensor("bn_x1"), training: false), try npz.tensor("bn_eval_y"), "BN eval")
    }

    func testActivations() throws {
        let npz = try load("layers")
        let x = try npz.tensor("act_x")
        for kind in Activation.allCases {
            let layer = ActivationLayer(kind)
            assertClose(layer.forward(x), try npz.tensor("act_\(kind)_y"), "\(kind) y")
            assertClose(layer.backward(Tensor(repeating: 1, shape: x.shape)), try npz.tensor("act_\(kind)_dx"), "\(kind) dx")
        }
    }

    func testGradientClipping() throws {
        let npz = try load("layers")
        let store = ParameterStore()
        var rng = SeededRandom(seed: 1)
        store.add("a", shape: [3], uniformBound: 1, using: &rng)
        store.add("b", shape: [2, 2], uniformBound: 1, using: &rng)
        let g: [Float] = [3, -4, 1, 2, 0.5, -1, 6]
        for i in 0..<7 { store.gradients[i] = g[i] }
        let norm = GradientClipping.clipNorm(store, maxNorm: 2.5)
        XCTAssertEqual(norm, try npz.tensor("clip_norm").scalars[0], accuracy: 1e-5)
        assertClose(store.gradientTensor("a")!, try npz.tensor("clip_g1"), "clipped a")
        assertClose(store.gradientTensor("b")!, try npz.tensor("clip_g2").reshaped([2, 2]), "clipped b")
    }

    func testSchedules() throws {
        let npz = try load("layers")
        let stepLR = (0..<12).map { LearningRateSchedule.step(stepSize: 3, gamma: 0.5).learningRate(base: 0.1, epoch: $0) }
        assertClose(Tensor(shape: [12], scalars: stepLR), try npz.tensor("sched_step"), "StepLR")
        var plateau = ReduceOnPlateau(factor: 0.5, patience: 2)
        var lr: Float = 0.1
        var seen: [Float] = []
        for m in try npz.tensor("sched_metrics").scalars { lr = plateau.step(metric: m, learningRate: lr); seen.append(lr) }
        assertClose(Tensor(shape: [12], scalars: seen), try npz.tensor("sched_plateau"), "ReduceLROnPlateau")
        let cosine = LearningRateSchedule.cosine(total: 10, warmup: 2, minimum: 0.001)
        XCTAssertEqual(cosine.learningRate(base: 0.1, epoch: 0), 0.05, accuracy: 1e-7)
        XCTAssertEqual(cosine.learningRate(base: 0.1, epoch: 2), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cosine.learningRate(base: 0.1, epoch: 6), 0.0505, accuracy: 1e-6)   // halfway: (base+min)/2
        XCTAssertEqual(cosine.learningRate(base: 0.1, epoch: 10), 0.001, accuracy: 1e-7)
    }
}
