import Foundation
import NeuralNets
import TensorCore
import TestSupport
@testable import TFLiteExport
import TFLiteRuntime
import Training
import XCTest

/// Exported files against the Swift model: LiteRT (ai-edge-litert) and our TFLiteRuntime must
/// reproduce `forward(training: false)` within 1e-4 unquantised, for trailing padding, middle
/// gaps and all-valid masks, with builtin operators only; float16 and dynamic-int8 within looser,
/// stated tolerances.
final class TFLiteExportTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try TestEnvironment.temporaryDirectory("tfexport") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    static let T = 9, B = 4

    static let models: [(String, ModelConfig)] = [
        ("mlp", ModelConfig(architecture: .mlp, sequenceLength: T, classCount: 5, hiddenDim: 16, layers: 2)),
        ("tcn", ModelConfig(architecture: .tcn, sequenceLength: T, classCount: 5, hiddenDim: 12, layers: 3)),
        ("lstm1", ModelConfig(architecture: .lstm, sequenceLength: T, classCount: 5, hiddenDim: 10, layers: 1)),
        ("lstm2", ModelConfig(architecture: .lstm, sequenceLength: T, classCount: 5, hiddenDim: 10, layers: 2)),
        ("lstm2-bidirectional-mean", ModelConfig(architecture: .lstm, sequenceLength: T, classCount: 5, hiddenDim: 8, layers: 2,
                                                 bidirectional: true, pooling: .mean)),
        ("lstm1-bidirectional-last", ModelConfig(architecture: .lstm, sequenceLength: T, classCount: 5, hiddenDim: 8, layers: 1,
                                                 bidirectional: true)),
        ("lstm1-max", ModelConfig(architecture: .lstm, sequenceLength: T, classCount: 5, hiddenDim: 8, layers: 1, pooling: .max)),
        ("tcn-max-k2", ModelConfig(architecture: .tcn, sequenceLength: T, classCount: 5, hiddenDim: 10, layers: 2, kernelSize: 2,
                                   pooling: .max)),
        ("transformer", ModelConfig(architecture: .transformer, sequenceLength: T, classCount: 5, hiddenDim: 12, layers: 2, heads: 3)),
        ("transformer-max-k2", ModelConfig(architecture: .transformer, sequenceLength: T, classCount: 5, hiddenDim: 8, layers: 1,
                                           kernelSize: 2, pooling: .max, heads: 2)),
        // `--features`: handshape distances computed in the graph from the same landmark input.
        ("mlp-distances", ModelConfig(architecture: .mlp, sequenceLength: T, classCount: 5, hiddenDim: 16, layers: 1, features: [.distances])),
        ("tcn-coords-distances", ModelConfig(architecture: .tcn, sequenceLength: T, classCount: 5, hiddenDim: 8, layers: 2,
                                             features: [.coords, .distances])),
        ("lstm1-distances", ModelConfig(architecture: .lstm, sequenceLength: T, classCount: 5, hiddenDim: 8, layers: 1, features: [.distances])),
        ("transformer-distances", ModelConfig(architecture: .transformer, sequenceLength: T, classCount: 5, hiddenDim: 8, layers: 1,
                                              heads: 2, features: [.distances])),
        // Both hands and pose points: landmarks [B, T, 49, 3], the distances of each hand.
        ("tcn-hands-pose-distances", ModelConfig(architecture: .tcn, sequenceLength: T, featureCount: FrameLayout(hands: 2, pose: true).values,
                                                 classCount: 5, hiddenDim: 8, layers: 2, features: [.coords, .distances])),
        ("mlp-hands", ModelConfig(architecture: .mlp, sequenceLength: T, featureCount: FrameLayout.bothHands.values, classCount: 5,
                                  hiddenDim: 16, layers: 1, features: [.distances])),
        ("lstm1-hand-pose", ModelConfig(architecture: .lstm, sequenceLength: T, featureCount: FrameLayout(hands: 1, pose: true).values,
                                        classCount: 5, hiddenDim: 8, layers: 1)),
    ]

    /// Tolerances on |logit difference| against the Swift float32 model, for models with logits of order 1.
    static let tolerance: [TFLiteQuantization: Float] = [.none: 1e-4, .float16: 5e-3, .dynamicInt8: 5e-2]

    func testEveryArchitectureMatchesSwiftInLiteRTAndOurRuntime() throws {
        try ExportHarness.requireLiteRT()
        for (name, config) in Self.models {
            let model = config.makeModel(seed: 11)
            let meta = ExportHarness.metadata(config)
            let K = config.featureCount / 3
            let (x, mask) = ExportHarness.batch(Self.B, Self.T, seed: 5, points: K)
            let expected = model.forward(x, mask: mask, training: false)
            let x1 = Tensor(shape: [1, Self.T, K, 3], scalars: Array(x.scalars[0..<(Self.T * 3 * K)]))
            let m1 = Tensor(shape: [1, Self.T], scalars: Array(mask.scalars[0..<Self.T]))
            let expected1 = Tensor(shape: [1, config.classCount], scalars: Array(expected.scalars[0..<config.classCount]))
            let allowed = Set((TFLiteExporter.operators(for: config) + [.dequantize]).map(\.name))
            var jobs: [(model: Data, x: Tensor, mask: Tensor)] = []
            var files: [Data] = []
            for q in TFLiteQuantization.allCases {
                let label = "\(name) \(q.rawValue)"
                // Batch 1 in the file; LiteRT resizes it to B and runs it at 1.
                let single = try TFLiteExporter.export(model: model, metadata: meta, quantization: q)
                files.append(single)
                let parsed = try TFLiteModel(bytes: [UInt8](single))
                for code in parsed.operatorCodes {
                    XCTAssertNotEqual(code.builtin, .custom, label)
                    XCTAssertNil(code.customCode, "\(label): no custom or Flex ops")
                }
                XCTAssertTrue(Set(parsed.operatorCodes.map(\.builtin.name)).isSubset(of: allowed), "\(label): \(parsed.operatorCodes.map(\.builtin.name))")
                XCTAssertEqual(parsed.subgraphs[0].tensors[parsed.subgraphs[0].outputs[0]].shape, [1, config.classCount])
                jobs += [(single, x, mask), (single, x1, m1)]
            }
            let results = try ExportHarness.liteRT(jobs, in: directory)
            for (k, q) in TFLiteQuantization.allCases.enumerated() {
                let label = "\(name) \(q.rawValue)", tol = Self.tolerance[q]!
                let batched = try TFLiteExporter.export(model: model, metadata: meta, quantization: q, batchSize: Self.B)
                let oursDiff = ExportHarness.maxDifference(try ExportHarness.runtime(batched, x, mask), expected)
                XCTAssertLessThanOrEqual(oursDiff, tol, "\(label): TFLiteRuntime vs Swift")
                let (full, one) = (results[2 * k], results[2 * k + 1])
                XCTAssertFalse(full.ops.contains { $0.hasPrefix("Flex") || $0 == "CUSTOM" }, "\(label): \(full.ops)")
                XCTAssertTrue(Set(full.ops).isSubset(of: allowed), "\(label): LiteRT ran \(full.ops)")
                let liteDiff = ExportHarness.maxDifference(full.builtin, expected)
                let xnnDiff = ExportHarness.maxDifference(full.delegated, expected)
                XCTAssertLessThanOrEqual(liteDiff, tol, "\(label): LiteRT builtin kernels vs Swift")
                XCTAssertLessThanOrEqual(xnnDiff, tol, "\(label): LiteRT + XNNPACK vs Swift")
                XCTAssertLessThanOrEqual(ExportHarness.maxDifference(one.builtin, expected1), tol, "\(label): LiteRT batch 1")
                XCTAssertLessThanOrEqual(ExportHarness.maxDifference(one.delegated, expected1), tol, "\(label): LiteRT + XNNPACK batch 1")
                print("tfexport \(label): max |Δlogit| vs Swift — LiteRT \(liteDiff), LiteRT+XNNPACK \(xnnDiff), TFLiteRuntime \(oursDiff); "
                      + "\(files[k].count) bytes")
            }
        }
    }

    func testMetadataCarriesTheModelJSONAndLabels() throws {
        let config = Self.models[0].1
        let meta = ExportHarness.metadata(config)
        let parsed = try TFLiteModel(bytes: [UInt8](try TFLiteExporter.export(model: config.makeModel(seed: 1), metadata: meta)))
        let json = String(decoding: parsed.metadata(named: "aslsh") ?? [], as: UTF8.self)
        XCTAssertEqual(try ModelMetadata(json: json, source: "test"), meta)
        XCTAssertEqual(String(decoding: parsed.metadata(named: "labels") ?? [], as: UTF8.self), meta.labelNames.joined(separator: "\n"))
        XCTAssertEqual(parsed.subgraphs[0].inputs.map { parsed.subgraphs[0].tensors[$0].name }, ["landmarks", "mask"])
    }

    func testWriteIsAtomicAndQuantisationShrinksTheFile() throws {
        let config = ModelConfig(architecture: .mlp, sequenceLength: 16, classCount: 10, hiddenDim: 64, layers: 2)
        let model = config.makeModel(seed: 3)
        var sizes: [TFLiteQuantization: Int] = [:]
        for q in TFLiteQuantization.allCases {
            let url = directory.appendingPathComponent("out/\(q.rawValue).tflite")
            try TFLiteExporter.write(model: model, metadata: ExportHarness.metadata(config), quantization: q, to: url)
            sizes[q] = try Data(contentsOf: url).count
        }
        XCTAssertLessThan(Double(sizes[.float16]!), Double(sizes[.none]!) * 0.55)
        XCTAssertLessThan(Double(sizes[.dynamicInt8]!), Double(sizes[.none]!) * 0.3)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("out").path)
        XCTAssertEqual(Set(leftovers), Set(TFLiteQuantization.allCases.map { "\($0.rawValue).tflite" }), "no temp files left")
    }

    func testUnsupportedModelsAreRefusedWithTheReason() {
        let config = ModelConfig(architecture: .mlp, sequenceLength: 5, featureCount: 42, classCount: 3, hiddenDim: 4, layers: 1)
        XCTAssertThrowsError(try TFLiteExporter.export(model: config.makeModel(seed: 1), metadata: ExportHarness.metadata(config))) {
            XCTAssertEqual($0 as? TFLiteExportError, .unsupported(architecture: "mlp",
                           reason: "42 features per frame; the I/O contract is K×3 landmarks, K one of 21 (hand), 42 (hands), 28 (hand+pose), 49 (hands+pose)"))
        }
    }
}
