import Foundation
import NeuralNets
import TensorCore
import TestSupport
import Training
import XCTest
@testable import ONNXExport

/// Every architecture exported and run by the real onnxruntime: the checker (full_check) passes,
/// logits equal the Swift model's within 1e-4 at batch sizes 1 and 37, at two sequence lengths
/// where T is dynamic, under masks with trailing padding, middle gaps, all-valid and empty rows;
/// the metadata and I/O contract read back as written.
final class ONNXExportParityTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        try ONNXReference.requireTools()
        directory = try TestEnvironment.temporaryDirectory("onnx-export")
    }

    override func tearDownWithError() throws { if let directory { try? FileManager.default.removeItem(at: directory) } }

    /// Exports `config`'s seeded model, runs the cases, and checks parity, metadata and I/O dims.
    func checkParity(_ config: ModelConfig, seed: UInt64 = 7, options: ONNXExportOptions = ONNXExportOptions(),
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let model = config.makeModel(seed: seed)
        let metadata = ONNXReference.metadata(for: model, seed: seed)
        let url = directory.appendingPathComponent("\(config.architecture.rawValue)-\(UUID().uuidString.prefix(6)).onnx")
        try ONNXExporter.write(model: model, metadata: metadata, options: options, to: url)
        let T = config.sequenceLength, K = config.featureCount / 3
        var cases = [ONNXReference.makeCase("b1", batch: 1, steps: T, seed: seed + 1, points: K),
                     ONNXReference.makeCase("b37", batch: 37, steps: T, seed: seed + 2, points: K)]
        let dynamic = config.architecture != .mlp && options.dynamicTime
        if dynamic {   // dynamic time axis: a shorter and a longer T too (the Transformer's positions stop at T)
            cases += [ONNXReference.makeCase("short", batch: 37, steps: T - 5, seed: seed + 3, points: K)]
            if config.architecture != .transformer { cases.append(ONNXReference.makeCase("long1", batch: 1, steps: T + 9, seed: seed + 4, points: K)) }
        }
        let (info, logits) = try ONNXReference.run(url, cases: cases, in: directory)
        for c in cases {
            let expected = model.forward(c.landmarks, mask: c.mask, training: false)
            let actual = try XCTUnwrap(logits[c.name])
            XCTAssertEqual(actual.shape, [c.mask.shape[0], config.classCount], c.name, file: file, line: line)
            let diff = ONNXReference.maxDifference(actual, expected)
            XCTAssertLessThanOrEqual(diff, 1e-4, "\(config.architecture) \(c.name): max |onnxruntime − aslsh| = \(diff)", file: file, line: line)
            print("ONNX parity \(config.architecture.rawValue) L\(config.layers)\(config.bidirectional ? " bi" : "") \(config.pooling) \(c.name) \(c.mask.shape): max diff \(diff)")
        }
        XCTAssertEqual(info.opset, ONNXExporter.opset, file: file, line: line)
        XCTAssertGreaterThanOrEqual(info.opset, 17, file: file, line: line)
        XCTAssertEqual(try ModelMetadata(json: try XCTUnwrap(info.metadata["aslsh"]), source: "test"), metadata, file: file, line: line)
        XCTAssertEqual(info.metadata["architecture"], config.architecture.rawValue, file: file, line: line)
        XCTAssertEqual(info.metadata["sequence_length"], String(T), file: file, line: line)
        XCTAssertEqual(info.metadata["normalisation"], "wrist_mcp9", file: file, line: line)
        XCTAssertEqual(info.metadata["opset"], "17", file: file, line: line)
        XCTAssertEqual(try JSONDecoder().decode([String].self, from: Data(try XCTUnwrap(info.metadata["labels"]).utf8)),
                       metadata.labelNames, file: file, line: line)
        let time: ONNXReference.Dim = dynamic ? .name("time") : .value(T)
        XCTAssertEqual(info.inputs["landmarks"], [.name("batch"), time, .value(K), .value(3)], file: file, line: line)
        XCTAssertEqual(info.inputs["mask"], [.name("batch"), time], file: file, line: line)
        XCTAssertEqual(info.outputs["logits"], [.name("batch"), .value(config.classCount)], file: file, line: line)
        switch config.architecture {
        case .mlp: XCTAssertTrue(info.ops.contains("Gemm"), file: file, line: line)
        case .lstm: XCTAssertTrue(info.ops.contains("LSTM") && info.ops.contains("TopK"), "\(info.ops)", file: file, line: line)
        case .tcn: XCTAssertTrue(info.ops.contains("Conv"), file: file, line: line)
        case .transformer:
            XCTAssertTrue(info.ops.contains("Softmax") && info.ops.contains("LayerNormalization") && info.ops.contains("Erf"),
                          "\(info.ops)", file: file, line: line)
        }
    }

    func testMLP() throws {
        try checkParity(ModelConfig(architecture: .mlp, sequenceLength: 12, classCount: 5, hiddenDim: 32, layers: 2))
    }

    func testLSTMOneLayerLast() throws {
        try checkParity(ModelConfig(architecture: .lstm, sequenceLength: 12, classCount: 6, hiddenDim: 16, layers: 1))
    }

    func testLSTMTwoLayersBidirectionalLast() throws {
        try checkParity(ModelConfig(architecture: .lstm, sequenceLength: 12, classCount: 6, hiddenDim: 16, layers: 2,
                                    bidirectional: true))
    }

    func testLSTMTwoLayersMeanAndBidirectionalMax() throws {
        try checkParity(ModelConfig(architecture: .lstm, sequenceLength: 10, classCount: 4, hiddenDim: 12, layers: 2,
                                    pooling: .mean))
        try checkParity(ModelConfig(architecture: .lstm, sequenceLength: 10, classCount: 4, hiddenDim: 12, layers: 1,
                                    bidirectional: true, pooling: .max))
    }

    func testFixedTimeAxisOption() throws {
        var options = ONNXExportOptions()
        options.dynamicTime = false
        try checkParity(ModelConfig(architecture: .lstm, sequenceLength: 9, classCount: 3, hiddenDim: 8, layers: 1), options: options)
    }

    func testTCNMeanAndMax() throws {
        try checkParity(ModelConfig(architecture: .tcn, sequenceLength: 16, classCount: 5, hiddenDim: 16, layers: 3))
        try checkParity(ModelConfig(architecture: .tcn, sequenceLength: 12, classCount: 5, hiddenDim: 8, layers: 2,
                                    kernelSize: 2, pooling: .max))
    }

    /// `--features`: the distances are computed in the graph (MatMul, Mul, MatMul, Sqrt), so the
    /// file still takes landmarks `[B, T, 21, 3]`.
    func testEveryArchitectureWithHandshapeDistances() throws {
        try checkParity(ModelConfig(architecture: .mlp, sequenceLength: 4, classCount: 5, hiddenDim: 16, layers: 2, features: [.distances]))
        try checkParity(ModelConfig(architecture: .lstm, sequenceLength: 10, classCount: 4, hiddenDim: 12, layers: 1,
                                    bidirectional: true, features: [.coords, .distances]))
        try checkParity(ModelConfig(architecture: .tcn, sequenceLength: 12, classCount: 5, hiddenDim: 8, layers: 2, features: [.distances]))
        try checkParity(ModelConfig(architecture: .transformer, sequenceLength: 12, classCount: 4, hiddenDim: 12, layers: 1,
                                    heads: 3, features: [.coords, .distances]))
    }

    /// Both hands and pose points (`FrameLayout`): landmarks `[B, T, 49, 3]` in, distances for
    /// each hand (110) computed in the graph; one hand with pose (28 points) too.
    func testEveryArchitectureOnTwoHandsAndPosePoints() throws {
        let both = FrameLayout(hands: 2, pose: true).values, one = FrameLayout(hands: 1, pose: true).values
        try checkParity(ModelConfig(architecture: .mlp, sequenceLength: 4, featureCount: both, classCount: 5, hiddenDim: 16, layers: 2,
                                    features: [.coords, .distances]))
        try checkParity(ModelConfig(architecture: .lstm, sequenceLength: 10, featureCount: both, classCount: 5, hiddenDim: 8, layers: 1,
                                    features: [.distances]))
        try checkParity(ModelConfig(architecture: .tcn, sequenceLength: 12, featureCount: one, classCount: 5, hiddenDim: 8, layers: 2,
                                    features: [.coords, .distances]))
        try checkParity(ModelConfig(architecture: .transformer, sequenceLength: 12, featureCount: both, classCount: 5, hiddenDim: 12,
                                    layers: 1, heads: 3))
    }

    func testTransformerMeanAndMax() throws {
        try checkParity(ModelConfig(architecture: .transformer, sequenceLength: 16, classCount: 5, hiddenDim: 16, layers: 2, heads: 4))
        try checkParity(ModelConfig(architecture: .transformer, sequenceLength: 12, classCount: 4, hiddenDim: 12, layers: 1,
                                    kernelSize: 2, pooling: .max, heads: 3))
    }
}
