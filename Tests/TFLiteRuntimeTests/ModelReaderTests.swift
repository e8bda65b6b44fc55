import Foundation
import TestSupport
import XCTest
@testable import TFLiteRuntime

/// The reader against the `tflite` Python package's view of the same files
/// (`../shared/oracle/models/<model>_inventory.json`, made by `../shared/oracle/tools/inspect_tflite.py`).
final class ModelReaderTests: XCTestCase {
    static let models = ["palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"]

    func testEveryTensorOperatorAndMetadataEntryMatchesTheInventory() throws {
        guard let inventories = TestEnvironment.sharedPath("oracle/models") else { throw XCTSkip(TestEnvironment.sharedMissingMessage) }
        for name in Self.models {
            guard let url = TestEnvironment.mediapipeModel(name) else { throw XCTSkip("run scripts/setup.sh for \(name)") }
            let model = try TFLiteModel(contentsOf: url)
            let data = try Data(contentsOf: inventories.appendingPathComponent("\(name)_inventory.json"))
            let inventory = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            XCTAssertEqual(Int(model.version), inventory["version"] as? Int)
            XCTAssertEqual(model.description, inventory["description"] as? String)
            let subgraphs = try XCTUnwrap(inventory["subgraphs"] as? [[String: Any]])
            XCTAssertEqual(model.subgraphs.count, subgraphs.count)
            let graph = model.subgraphs[0], expected = subgraphs[0]
            XCTAssertEqual(graph.inputs, expected["inputs"] as? [Int], name)
            XCTAssertEqual(graph.outputs, expected["outputs"] as? [Int], "\(name): subgraph output order")
            let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
            XCTAssertEqual(graph.tensors.count, tensors.count)
            for (t, e) in zip(graph.tensors, tensors) {
                XCTAssertEqual(t.name, e["name"] as? String)
                XCTAssertEqual(t.shape, e["shape"] as? [Int], t.name)
                XCTAssertEqual(t.type.description, e["type"] as? String, t.name)
                XCTAssertEqual(model.bufferBytes(t.buffer).count, e["nbytes"] as? Int, t.name)
                XCTAssertEqual(t.quantization == nil, e["quant"] is NSNull, t.name)
            }
            let ops = try XCTUnwrap(expected["ops"] as? [[String: Any]])
            XCTAssertEqual(graph.operators.count, ops.count)
            for (op, e) in zip(graph.operators, ops) {
                XCTAssertEqual(op.builtin.name, e["op"] as? String)
                XCTAssertEqual(op.version, e["version"] as? Int)
                XCTAssertEqual(op.inputs, e["in"] as? [Int])
                XCTAssertEqual(op.outputs, e["out"] as? [Int])
            }
            let metadata = try XCTUnwrap(inventory["metadata"] as? [[Any]])
            XCTAssertEqual(model.metadata.map(\.name), metadata.map { $0[0] as? String ?? "" }, name)
            XCTAssertEqual(model.metadata.map(\.buffer), metadata.map { $0[1] as? Int ?? -1 }, name)
        }
    }

    /// Options decoded from the palm model: the 5×5 stride-2 stem, a depthwise conv, the resize.
    func testDecodedOptionsOfPalmDetection() throws {
        guard let url = TestEnvironment.mediapipeModel("palm_detection_full") else { throw XCTSkip("run scripts/setup.sh") }
        let graph = try TFLiteModel(contentsOf: url).subgraphs[0]
        let stem = try XCTUnwrap(graph.operators.first { $0.builtin == .conv2D && graph.tensors[$0.inputs[0]].shape == [1, 192, 192, 3] })
        XCTAssertEqual(stem.options, .conv2D(Conv2DOptions(padding: .same, strideW: 2, strideH: 2, activation: .none)))
        let resizes = graph.operators.filter { $0.builtin == .resizeBilinear }
        XCTAssertEqual(resizes.count, 2)
        for r in resizes { XCTAssertEqual(r.options, .resizeBilinear(alignCorners: false, halfPixelCenters: true)) }
        let depthwise = graph.operators.filter { $0.builtin == .depthwiseConv2D }
        XCTAssertEqual(depthwise.count, 28)
        for d in depthwise {
            guard case let .depthwiseConv2D(o) = d.options else { return XCTFail("depthwise options missing") }
            XCTAssertEqual(o.padding, .same)
            XCTAssertEqual(o.depthMultiplier, 1)
        }
        XCTAssertEqual(graph.operators.filter { $0.builtin == .dequantize }.count, 133)
    }

    func testMetadataEntriesAreReadable() throws {
        guard let url = TestEnvironment.mediapipeModel("palm_detection_full") else { throw XCTSkip("run scripts/setup.sh") }
        let model = try TFLiteModel(contentsOf: url)
        let version = try XCTUnwrap(model.metadata(named: "min_runtime_version"))
        XCTAssertTrue(String(decoding: version, as: UTF8.self).hasPrefix("2.2.0"))
        let precision = try XCTUnwrap(model.metadata(named: "reduced_precision_support"))
        XCTAssertTrue(String(decoding: precision, as: UTF8.self).contains("fp16"))
    }

    func testTypedErrorsCarryTheByteOffset() {
        XCTAssertEqual(error { try TFLiteModel(bytes: []) }, .malformed(offset: 0, reason: "0 byte(s) is too short for a flatbuffer"))
        guard case .malformed(4, _)? = error({ try TFLiteModel(bytes: [8, 0, 0, 0] + Array("XXXX".utf8) + [0, 0, 0, 0]) }) else {
            return XCTFail("a wrong file identifier must be reported at byte 4")
        }
        // Root offset pointing past the end.
        guard case .malformed(200, _)? = error({ try TFLiteModel(bytes: [200, 0, 0, 0] + Array("TFL3".utf8)) }) else {
            return XCTFail("a root offset past the end must be reported where it points")
        }
    }

    func testTruncatedModelFailsWithTypedError() throws {
        guard let url = TestEnvironment.mediapipeModel("hand_landmark_lite") else { throw XCTSkip("run scripts/setup.sh") }
        let bytes = [UInt8](try Data(contentsOf: url))
        for length in [8, 100, 4096, bytes.count / 2] {
            XCTAssertThrowsError(try TFLiteModel(bytes: Array(bytes.prefix(length)))) { e in
                guard case TFLiteError.malformed = e else { return XCTFail("length \(length): \(e)") }
            }
        }
    }

    func testHalfToFloatIsExactForAllBitPatterns() {
        #if arch(x86_64) && os(Linux) || arch(arm64)
        for bits in 0...UInt16.max {
            let ours = ConstantDecoding.halfToFloat(bits), swift = Float(Float16(bitPattern: bits))
            XCTAssertTrue(ours.bitPattern == swift.bitPattern || (ours.isNaN && swift.isNaN), "half 0x\(String(bits, radix: 16))")
        }
        #endif
        XCTAssertEqual(ConstantDecoding.halfToFloat(0x3c00), 1)
        XCTAssertEqual(ConstantDecoding.halfToFloat(0xc000), -2)
        XCTAssertEqual(ConstantDecoding.halfToFloat(0x0001), 0x1p-24)   // smallest subnormal
        XCTAssertEqual(ConstantDecoding.halfToFloat(0x7bff), 65504)     // largest finite
    }

    private func error(_ body: () throws -> Any) -> TFLiteError? {
        do { _ = try body(); return nil } catch let e as TFLiteError { return e } catch { return nil }
    }
}
