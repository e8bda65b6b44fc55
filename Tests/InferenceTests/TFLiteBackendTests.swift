import Foundation
import NeuralNets
import TensorCore
import TestSupport
@testable import TFLiteRuntime
import Training
import XCTest
@testable import Inference

/// The TFLite backend without the exporter: the trained MLP rebuilt by hand as a .tflite
/// (RESHAPE → MUL by the mask → FULLY_CONNECTED ×3, `"aslsh"` metadata) predicts what the checkpoint does.
final class TFLiteBackendTests: XCTestCase {
    /// The MLP of `checkpoint` as TFLite ops with a fixed batch of `batch`.
    static func mlpTFLite(_ checkpoint: URL, batch: Int, metadata: Bool = true) throws -> [UInt8] {
        let (model, meta) = try Checkpoint.load(checkpoint)
        XCTAssertEqual(meta.config.architecture, .mlp)
        let T = meta.config.sequenceLength, H = meta.config.hiddenDim, C = meta.labelNames.count, F = T * 63
        func weights(_ name: String) -> [Float] { model.parameters.tensor(name)!.scalars }
        let relu = OperatorOptions.fullyConnected(FullyConnectedOptions(activation: .relu, weightsFormat: 0, keepNumDims: false))
        let linear = OperatorOptions.fullyConnected(FullyConnectedOptions(activation: .none, weightsFormat: 0, keepNumDims: false))
        XCTAssertEqual(meta.config.layers, 2, "the hand-built graph has two hidden layers")
        let spec = TFLiteModelSpec(
            tensors: [.init(name: "landmarks", shape: [batch, T, 21, 3]), .init(name: "mask", shape: [batch, T]),
                      .init(name: "flat", shape: [batch, F]), .init(name: "flat_shape", shape: [2], int32s: [Int32(batch), Int32(F)]),
                      .init(name: "mask_frames", shape: [batch, T, 1]), .init(name: "mask_shape", shape: [3], int32s: [Int32(batch), Int32(T), 1]),
                      .init(name: "frames", shape: [batch, T, 63]), .init(name: "frames_shape", shape: [3], int32s: [Int32(batch), Int32(T), 63]),
                      .init(name: "masked", shape: [batch, T, 63]),
                      .init(name: "w0", shape: [H, F], floats: weights("net.0.weight")), .init(name: "b0", shape: [H], floats: weights("net.0.bias")),
                      .init(name: "h0", shape: [batch, H]),
                      .init(name: "w1", shape: [H, H], floats: weights("net.3.weight")), .init(name: "b1", shape: [H], floats: weights("net.3.bias")),
                      .init(name: "h1", shape: [batch, H]),
                      .init(name: "w2", shape: [C, H], floats: weights("net.6.weight")), .init(name: "b2", shape: [C], floats: weights("net.6.bias")),
                      .init(name: "logits", shape: [batch, C])],
            operators: [.init(.reshape, inputs: [0, 7], outputs: [6], options: .reshape(newShape: [batch, T, 63])),
                        .init(.reshape, inputs: [1, 5], outputs: [4], options: .reshape(newShape: [batch, T, 1])),
                        .init(.mul, inputs: [6, 4], outputs: [8], options: .arithmetic(activation: .none)),
                        .init(.reshape, inputs: [8, 3], outputs: [2], options: .reshape(newShape: [batch, F])),
                        .init(.fullyConnected, inputs: [2, 9, 10], outputs: [11], options: relu),
                        .init(.fullyConnected, inputs: [11, 12, 13], outputs: [14], options: relu),
                        .init(.fullyConnected, inputs: [14, 15, 16], outputs: [17], options: linear)],
            inputs: [0, 1], outputs: [17],
            metadata: metadata ? [(ModelMetadata.key, Array(try meta.jsonString().utf8))] : [])
        return TFLiteWriter.serialize(spec)
    }

    func testHandBuiltTFLiteMLPPredictsLikeTheCheckpoint() throws {
        let fx = try Fixtures.letters.get()
        let directory = try TestEnvironment.temporaryDirectory("inference-tflite")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try ASLPredictor(checkpoint: fx.checkpoint)
        let samples = (0..<9).map { try! fx.manifest.loadClip(at: $0 * 7) }.map { Tensor(shape: [$0.frameCount, 21, 3], scalars: $0.values) }
        for batch in [1, 4] {
            let url = directory.appendingPathComponent("mlp_b\(batch).tflite")
            try Data(try Self.mlpTFLite(fx.checkpoint, batch: batch)).write(to: url)
            let predictor = try ASLPredictor(modelFile: url)
            XCTAssertEqual(predictor.modelInfo.format, "tflite")
            XCTAssertEqual(predictor.labelNames, reference.labelNames)
            XCTAssertEqual(predictor.metadata, reference.metadata)
            for sample in samples {
                let a = try predictor.predictDistribution(sample, sortedByConfidence: false)
                let b = try reference.predictDistribution(sample, sortedByConfidence: false)
                for (x, y) in zip(a, b) { XCTAssertEqual(x.confidence, y.confidence, accuracy: 1e-5) }
                XCTAssertEqual(try predictor.predictSingle(sample).label, try reference.predictSingle(sample).label)
            }
            // 9 samples on a batch-4 file: three invocations, the last padded.
            let batched = try predictor.predictBatch(samples, k: 2)
            let expected = try reference.predictBatch(samples, k: 2)
            XCTAssertEqual(batched.map { $0.map(\.label) }, expected.map { $0.map(\.label) })
            for (p, q) in zip(batched.joined(), expected.joined()) { XCTAssertEqual(p.confidence, q.confidence, accuracy: 1e-5) }
        }
        // Masked frame: the model multiplies by the mask, both backends agree on zeroed input.
        let masked = try reference.predictDistribution(samples[0], mask: [false], sortedByConfidence: false)
        let url = directory.appendingPathComponent("mlp_b1.tflite")
        let viaTFLite = try ASLPredictor(modelFile: url).predictDistribution(samples[0], mask: [false], sortedByConfidence: false)
        for (x, y) in zip(masked, viaTFLite) { XCTAssertEqual(x.confidence, y.confidence, accuracy: 1e-5) }
    }

    func testTFLiteWithoutAslshMetadataIsRefused() throws {
        let fx = try Fixtures.letters.get()
        let directory = try TestEnvironment.temporaryDirectory("inference-tflite-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("plain.tflite")
        try Data(try Self.mlpTFLite(fx.checkpoint, batch: 1, metadata: false)).write(to: url)
        XCTAssertThrowsError(try ASLPredictor(modelFile: url)) {
            XCTAssertTrue("\($0)".hasPrefix(url.path) && "\($0)".contains("no \"aslsh\" metadata"), "\($0)")
        }
    }
}
