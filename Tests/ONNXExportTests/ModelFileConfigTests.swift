import Foundation
import NeuralNets
import TensorCore
import TestSupport
import Training
import XCTest
@testable import ONNXExport

/// A model file's `aslsh` metadata decides the model that is built before any weight is read:
/// a damaged or hostile config (negative sizes, a claimed model of terabytes) must fail with an
/// error naming the file, at once, in both readers (ONNX and checkpoint; the `onnx` and `checkpoint`
/// fuzz targets).
final class ModelFileConfigTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try TestEnvironment.temporaryDirectory("model-config") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    let small = ModelConfig(architecture: .tcn, sequenceLength: 8, classCount: 3, hiddenDim: 8, layers: 2)

    /// The same small model's files with the config's `key` set to `value` in the metadata.
    func files(_ key: String, _ value: Int, base: ModelConfig? = nil) throws -> (onnx: URL, checkpoint: URL) {
        let model = (base ?? small).makeModel(seed: 3)
        let metadata = ONNXReference.metadata(for: model, seed: 3)
        let good = try ONNXExporter.export(model: model, metadata: metadata)
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try metadata.jsonString().utf8)) as? [String: Any])
        var config = try XCTUnwrap(json["config"] as? [String: Any])
        config[key] = value
        json["config"] = config
        let hostile = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        var proto = try Onnx_ModelProto(serializedBytes: good)
        let index = try XCTUnwrap(proto.metadataProps.firstIndex { $0.key == ModelMetadata.key })
        proto.metadataProps[index].value = hostile
        let onnx = directory.appendingPathComponent("\(key)\(value).onnx")
        try proto.serializedData().write(to: onnx)
        var weights = model.parameters.safetensors()
        weights.metadata = [ModelMetadata.key: hostile]
        let checkpoint = directory.appendingPathComponent("\(key)\(value).safetensors")
        try weights.write(to: checkpoint)
        return (onnx, checkpoint)
    }

    func testHostileConfigsFailFastNamingTheFile() throws {
        let transformer = ModelConfig(architecture: .transformer, sequenceLength: 8, classCount: 3, hiddenDim: 8, layers: 1, heads: 2)
        let cases: [(String, Int, String, ModelConfig?)] = [
            ("hiddenDim", -4, "config.hiddenDim is -4, must be positive", nil),
            ("layers", 0, "config.layers is 0, must be positive", nil),
            ("kernelSize", -1, "config.kernelSize is -1, must be positive", nil),
            ("hiddenDim", 1 << 20, "needs", nil),          // ~10^12 weights: terabytes if built
            ("layers", 1 << 40, "needs", nil),
            ("classCount", Int.max / 2, "more than 2^63", nil),
            ("heads", 0, "config.heads is 0, must be positive", transformer),
            ("heads", 3, "config.hiddenDim 8 is not a multiple of config.heads 3", transformer),   // would trap in the attention layer
            ("sequenceLength", 1 << 40, "needs", transformer),                                     // the position table
        ]
        let start = Date()
        for (key, value, expected, base) in cases {
            let (onnx, checkpoint) = try files(key, value, base: base)
            XCTAssertThrowsError(try ONNXModelReader.read(onnx), "\(key) = \(value)") { error in
                XCTAssertTrue("\(error)".contains(onnx.path) && "\(error)".contains(expected), "\(error)")
            }
            XCTAssertThrowsError(try Checkpoint.load(checkpoint), "\(key) = \(value)") { error in
                XCTAssertTrue("\(error)".contains(checkpoint.path) && "\(error)".contains(expected), "\(error)")
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "rejected without building the model")
    }

    /// The weight count the readers require is a lower bound of every real model's (else a valid
    /// file would be refused): checked against models built for many configs.
    func testMinimumWeightCountNeverExceedsARealModel() {
        for architecture in Architecture.allCases {
            for (h, l, k, bidirectional) in [(1, 1, 1, false), (8, 2, 3, true), (5, 3, 2, false), (16, 1, 5, true)] {
                let config = ModelConfig(architecture: architecture, sequenceLength: 4, featureCount: 6, classCount: 3,
                                         hiddenDim: h, layers: l, bidirectional: bidirectional, kernelSize: k,
                                         heads: h % 4 == 0 ? 4 : 1)
                let actual = config.makeModel(seed: 1).parameters.views.reduce(0) { $0 + $1.shape.reduce(1, *) }
                let bound = ModelMetadata.minimumWeightCount(config)
                XCTAssertNotNil(bound)
                XCTAssertLessThanOrEqual(bound ?? .max, actual, "\(config)")
                if h >= 5 {   // (in the tiniest models biases, not counted, are a large share)
                    XCTAssertGreaterThan(bound ?? 0, actual / 2, "a bound far below the real count protects little: \(config)")
                }
            }
        }
    }
}
