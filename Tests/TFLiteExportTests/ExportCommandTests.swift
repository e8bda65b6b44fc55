import Foundation
import NeuralNets
@testable import Shell
import TestSupport
import TFLiteRuntime
import Training
import XCTest

/// `export tflite` in a shell session: checkpoint in, file out where asked, a record back, and
/// clear errors for a missing or bad checkpoint.
final class ExportCommandTests: XCTestCase {
    func testExportTFLiteFromACheckpoint() throws {
        let directory = try TestEnvironment.temporaryDirectory("tfexport-shell")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = ModelConfig(architecture: .lstm, sequenceLength: 6, classCount: 4, hiddenDim: 6, layers: 1)
        let model = config.makeModel(seed: 9)
        let checkpoint = directory.appendingPathComponent("lstm.safetensors")
        try Checkpoint.write(model, labelNames: ["A", "B", "C", "D"], history: [], seed: 9, to: checkpoint)
        var printed: [String] = [], errors: [String] = []
        let session = Session(registry: .standard, outputSink: { printed.append($0.text) }, errorSink: { errors.append($0) })
        let out = directory.appendingPathComponent("deploy/model.tflite")
        let outcome = session.execute(CellSource(text: "r = export tflite --checkpoint \(checkpoint.path) --out \(out.path) --quantize float16"))
        XCTAssertNil(outcome.error, "\(String(describing: outcome.error))")
        let parsed = try TFLiteModel(contentsOf: out)
        XCTAssertEqual(String(decoding: parsed.metadata(named: "labels") ?? [], as: UTF8.self), "A\nB\nC\nD")
        XCTAssertTrue(parsed.operatorCodes.contains { $0.builtin == .dequantize }, "float16 weights are dequantised")
        let record = try XCTUnwrap(session.execute(CellSource(text: "r")).value)
        XCTAssertEqual(record.field("quantize")?.textValue, "float16")
        XCTAssertEqual(record.field("architecture")?.textValue, "lstm")
        XCTAssertTrue(printed.joined().contains("model.tflite"), "\(printed)")

        let missing = session.execute(CellSource(text: "export tflite --checkpoint \(directory.path)/none.safetensors --out \(out.path)"))
        XCTAssertNotNil(missing.error)
        XCTAssertTrue("\(missing.error!)".contains("none.safetensors"), "\(missing.error!)")
        let noCheckpoint = session.execute(CellSource(text: "export tflite"))
        XCTAssertTrue("\(String(describing: noCheckpoint.error))".contains("--checkpoint"), "\(String(describing: noCheckpoint.error))")
        let badMode = session.execute(CellSource(text: "export tflite --checkpoint \(checkpoint.path) --quantize int4"))
        XCTAssertNotNil(badMode.error)
    }
}
