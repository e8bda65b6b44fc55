import Foundation
import NeuralNets
import TensorCore
import TestSupport
import XCTest

/// The flat store: views tile one block, a checkpoint is one safetensors write that restores the
/// exact model, and loading refuses checkpoints of another architecture with the name at fault.
final class ParameterStoreTests: XCTestCase {
    func testViewsTileOneFlatBlockInRegistrationOrder() {
        let model = ModelConfig(architecture: .mlp, sequenceLength: 1, classCount: 26).makeModel(seed: 3)
        let store = model.parameters
        XCTAssertEqual(store.views.map(\.name), ["net.0.weight", "net.0.bias", "net.3.weight", "net.3.bias", "net.6.weight", "net.6.bias"])
        var offset = 0
        for v in store.views { XCTAssertEqual(v.offset, offset, v.name); offset += v.count }
        XCTAssertEqual(store.count, offset)
        XCTAssertEqual(store.count, 88_858, "same parameter count as the PyTorch original (63→256→256→26)")
        // PyTorch init bounds: U(±1/√fan_in)
        let w = store.tensor("net.0.weight")!
        XCTAssertLessThanOrEqual(w.scalars.map(abs).max()!, 1 / Float(63).squareRoot())
        XCTAssertGreaterThan(w.scalars.map(abs).max()!, 0.9 / Float(63).squareRoot())
    }

    func testParameterCountsMatchTheOriginal() {
        // Figures from ../shared/peers/RESULTS.md (PyTorch `sum(p.numel())`).
        XCTAssertEqual(ModelConfig(architecture: .lstm, sequenceLength: 32, classCount: 50).makeModel(seed: 1).parameters.count, 237_362)
        XCTAssertEqual(ModelConfig(architecture: .tcn, sequenceLength: 32, classCount: 50).makeModel(seed: 1).parameters.count, 105_970)
    }

    func testCheckpointRoundTripRestoresTheSameModel() throws {
        let config = ModelConfig(architecture: .lstm, sequenceLength: 5, classCount: 4, hiddenDim: 6, layers: 2, dropout: 0.1,
                                 bidirectional: true)
        let a = config.makeModel(seed: 11)
        let metadata = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        let url = try TestEnvironment.temporaryDirectory().appendingPathComponent("m.safetensors")
        try a.parameters.safetensors(metadata: ["config": metadata]).write(to: url)

        let file = try Safetensors.read(contentsOf: url)
        let restoredConfig = try JSONDecoder().decode(ModelConfig.self, from: Data(file.metadata["config"]!.utf8))
        XCTAssertEqual(restoredConfig, config)
        let b = restoredConfig.makeModel(seed: 99)   // different init, then overwritten
        try b.parameters.load(file.tensors, source: url.path)
        var rng = SeededRandom(seed: 5)
        let x = Tensor.normal([3, 5, 63], using: &rng)
        let mask = prefixMask([5, 3, 2], steps: 5)
        XCTAssertEqual(a.forward(x, mask: mask, training: false), b.forward(x, mask: mask, training: false))
    }

    func testLoadRejectsOtherArchitecturesNamingTheParameter() throws {
        let mlp = ModelConfig(architecture: .mlp, sequenceLength: 1, classCount: 5, hiddenDim: 8).makeModel(seed: 1)
        let tcn = ModelConfig(architecture: .tcn, sequenceLength: 4, classCount: 5, hiddenDim: 8, layers: 1).makeModel(seed: 1)
        XCTAssertThrowsError(try tcn.parameters.load(mlp.parameters.safetensors().tensors, source: "mlp.safetensors")) { error in
            XCTAssertEqual(error as? NeuralNetError, .unexpectedParameter(name: "net.0.weight", source: "mlp.safetensors"))
        }
        var arrays = tcn.parameters.safetensors().tensors
        arrays.removeAll { $0.name == "head.bias" }
        XCTAssertThrowsError(try tcn.parameters.load(arrays, source: "x")) { error in
            XCTAssertEqual(error as? NeuralNetError, .missingParameter(name: "head.bias", source: "x"))
        }
        XCTAssertThrowsError(try tcn.parameters.set("head.bias", Tensor(zeros: [4]))) { error in
            XCTAssertEqual(error as? NeuralNetError, .shapeMismatch(name: "head.bias", expected: [5], actual: [4]))
        }
    }

    func testDropoutIsActiveOnlyInTrainingAndSeeded() {
        let config = ModelConfig(architecture: .mlp, sequenceLength: 1, classCount: 5, hiddenDim: 32, dropout: 0.5)
        let a = config.makeModel(seed: 4), b = config.makeModel(seed: 4)
        var rng = SeededRandom(seed: 6)
        let x = Tensor.normal([4, 1, 63], using: &rng)
        let mask = Tensor(repeating: 1, shape: [4, 1])
        XCTAssertEqual(a.forward(x, mask: mask, training: false), a.forward(x, mask: mask, training: false))
        let t1 = a.forward(x, mask: mask, training: true)
        XCTAssertNotEqual(t1, a.forward(x, mask: mask, training: false))
        XCTAssertEqual(t1, b.forward(x, mask: mask, training: true), "same seed, same dropout masks")
    }
}
