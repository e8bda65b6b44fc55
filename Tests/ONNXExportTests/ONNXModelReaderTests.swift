import Foundation
import NeuralNets
import TensorCore
import TestSupport
import Training
import XCTest
@testable import ONNXExport

/// Reading aslsh ONNX files back: identical logits, metadata, gate-order inverse; clear errors that
/// name the file for missing, corrupt, truncated and foreign models.
final class ONNXModelReaderTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try TestEnvironment.temporaryDirectory("onnx-reader") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testRoundTripGivesIdenticalLogitsForEveryArchitecture() throws {
        let configs = [ModelConfig(architecture: .mlp, sequenceLength: 8, classCount: 4, hiddenDim: 16, layers: 2),
                       ModelConfig(architecture: .lstm, sequenceLength: 8, classCount: 4, hiddenDim: 8, layers: 2, bidirectional: true),
                       ModelConfig(architecture: .tcn, sequenceLength: 8, classCount: 4, hiddenDim: 8, layers: 2),
                       ModelConfig(architecture: .lstm, sequenceLength: 8, classCount: 4, hiddenDim: 8, layers: 1, features: [.distances]),
                       ModelConfig(architecture: .mlp, sequenceLength: 8, classCount: 4, hiddenDim: 8, layers: 1,
                                   features: [.coords, .distances])]
        for (i, config) in configs.enumerated() {
            let model = config.makeModel(seed: 11 + UInt64(i))
            // Stored seed differs from the weights' seed: the reader must take weights from the initializers.
            let metadata = ONNXReference.metadata(for: model, seed: 99)
            let url = directory.appendingPathComponent("\(config.architecture.rawValue).onnx")
            try ONNXExporter.write(model: model, metadata: metadata, to: url)
            let (restored, restoredMetadata) = try ONNXModelReader.read(url)
            XCTAssertEqual(restoredMetadata, metadata)
            XCTAssertEqual(restored.config, config)
            let c = ONNXReference.makeCase("x", batch: 9, steps: 8, seed: 5)
            XCTAssertEqual(restored.forward(c.landmarks, mask: c.mask, training: false).scalars,
                           model.forward(c.landmarks, mask: c.mask, training: false).scalars, "\(config.architecture)")
            for v in model.parameters.views {
                XCTAssertEqual(restored.parameters.tensor(v.name), model.parameters.tensor(v.name), v.name)
            }
        }
    }

    func testLSTMGateOrderIsIOFCAndInvertible() {
        // Rows of block k hold the value k: PyTorch (i, f, g, o) = 0, 1, 2, 3 → ONNX (i, o, f, c) = 0, 3, 1, 2.
        let H = 2, cols = 3
        let torch = (0..<4).flatMap { k in [Float](repeating: Float(k), count: H * cols) }
        let onnx = LSTMWeightLayout.toONNX(torch, hidden: H)
        XCTAssertEqual(stride(from: 0, to: onnx.count, by: H * cols).map { onnx[$0] }, [0, 3, 1, 2])
        let random = (0..<(4 * H * cols)).map { Float($0) * 0.5 - 3 }
        XCTAssertEqual(LSTMWeightLayout.toTorch(LSTMWeightLayout.toONNX(random, hidden: H), hidden: H), random)
    }

    func testBadFilesGiveClearErrorsNamingTheFile() throws {
        let model = ModelConfig(architecture: .tcn, sequenceLength: 8, classCount: 3, hiddenDim: 8, layers: 2).makeModel(seed: 3)
        let good = try ONNXExporter.export(model: model, metadata: ONNXReference.metadata(for: model, seed: 3))

        func error(_ name: String, _ data: Data?) -> ONNXExportError? {
            let url = directory.appendingPathComponent(name)
            if let data { try! data.write(to: url) }
            do { _ = try ONNXModelReader.read(url); return nil } catch let e as ONNXExportError {
                XCTAssertTrue(e.description.contains(url.path), "\(name): \(e)")
                return e
            } catch { XCTFail("\(name): unexpected \(error)"); return nil }
        }

        guard case .io = error("absent.onnx", nil) else { return XCTFail("absent file") }
        guard case .notONNX = error("garbage.onnx", Data((0..<300).map { UInt8(($0 * 37 + 11) % 256) })) else {
            return XCTFail("garbage bytes")
        }
        guard case .notONNX = error("empty.onnx", Data()) else { return XCTFail("empty file") }
        // Truncations at many points: each must fail (never a half-loaded model).
        for fraction in [0.1, 0.5, 0.9, 0.999] {
            let cut = Int(Double(good.count) * fraction)
            XCTAssertNotNil(error("cut\(cut).onnx", good.prefix(cut)), "truncated at \(cut) of \(good.count) bytes")
        }
        var foreign = try Onnx_ModelProto(serializedBytes: good)
        foreign.metadataProps.removeAll { $0.key == "aslsh" }
        foreign.producerName = "pytorch"
        guard case .notAslsh(_, let reason) = error("foreign.onnx", try foreign.serializedData()) else { return XCTFail("foreign model") }
        XCTAssertTrue(reason.contains("pytorch"), reason)
        var missing = try Onnx_ModelProto(serializedBytes: good)
        missing.graph.initializer.removeAll { $0.name == "blocks.1.conv2.weight" }
        XCTAssertEqual(error("missing.onnx", try missing.serializedData()),
                       .missingInitializer(file: directory.appendingPathComponent("missing.onnx").path, name: "blocks.1.conv2.weight"))
        var reshaped = try Onnx_ModelProto(serializedBytes: good)
        let head = try XCTUnwrap(reshaped.graph.initializer.firstIndex { $0.name == "head.weight" })
        reshaped.graph.initializer[head].dims = [1]
        guard case .badInitializer(_, "head.weight", let why) = error("reshaped.onnx", try reshaped.serializedData()) else {
            return XCTFail("bad shape")
        }
        XCTAssertTrue(why.contains("expected [3, 8]"), why)
    }

    func testExportRefusesMismatchedMetadata() throws {
        let model = ModelConfig(architecture: .mlp, sequenceLength: 8, classCount: 3, hiddenDim: 8, layers: 1).makeModel(seed: 1)
        var metadata = ONNXReference.metadata(for: model, seed: 1)
        metadata.labelNames.removeLast()
        XCTAssertThrowsError(try ONNXExporter.export(model: model, metadata: metadata)) {
            XCTAssertTrue("\($0)".contains("2 label names for 3 classes"), "\($0)")
        }
    }
}
