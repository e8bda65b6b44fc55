import Datasets
import Foundation
import HandSynthesis
import NeuralNets
import TensorCore
import SyntheticFixtures
import TestSupport
import Training
import XCTest
@testable import ONNXExport
@testable import Shell

/// The shell's `export onnx` on a checkpoint trained here on synthetic hands: the record, the file
/// (onnxruntime agrees with the checkpoint's model on the test split), and refused flag mismatches.
final class ExportCommandTests: XCTestCase {
    func testExportOnnxOnATrainedCheckpoint() throws {
        try ONNXReference.requireTools()
        let directory = try TestEnvironment.temporaryDirectory("onnx-shell")
        defer { try? FileManager.default.removeItem(at: directory) }
        let built = try SyntheticDatasets.build(SynthesisOptions(classes: ["letters"], perClass: 8, sequenceLength: 16, seed: 3),
                                                staticFrames: false, in: directory)
        let train = built.train, test = built.test
        var options = TrainingOptions()
        options.architecture = .lstm
        options.hiddenDim = 16
        options.layers = 1
        options.epochs = 2
        options.checkpointDirectory = directory.appendingPathComponent("checkpoints")
        let run = try Trainer.train(train, validation: nil, options: options)

        var errors: [String] = []
        let session = Session(outputSink: { _ in }, errorSink: { errors.append($0) })
        func cell(_ text: String) -> CellOutcome { session.execute(CellSource(text: text)) }
        let out = directory.appendingPathComponent("exported/classifier.onnx")
        let outcome = cell("r = export onnx --checkpoint \"\(run.checkpoint.path)\" --out \"\(out.path)\" --architecture lstm --hidden-dim 16")
        XCTAssertNil(outcome.error, "\(outcome.error.map { "\($0)" } ?? "")")
        XCTAssertTrue(outcome.output.contains { $0.text.contains("exported lstm") && $0.text.contains("opset 17") }, "\(outcome.output.map(\.text))")
        let record = try XCTUnwrap(session.variables["r"])
        XCTAssertEqual(record.field("opset")?.numberValue, 17)
        XCTAssertEqual(record.field("classes")?.numberValue, Double(train.labelNames.count))
        let bytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: out.path)[.size] as? Int)
        XCTAssertEqual(record.field("bytes")?.numberValue, Double(bytes))
        XCTAssertEqual(record.field("path")?.textValue.map { Invocation.resolvePath($0).path }, out.path)
        XCTAssertEqual(record.field("inputs")?.textValue, "landmarks [batch, time, 21, 3], mask [batch, time]")

        // The exported file = the checkpoint, in onnxruntime and through the reader, on real test samples.
        let (checkpointModel, checkpointMetadata) = try Checkpoint.load(run.checkpoint)
        let (restored, metadata) = try ONNXModelReader.read(out)
        XCTAssertEqual(metadata, checkpointMetadata)
        let n = min(test.count, 37)
        let T = train.sequenceLength
        XCTAssertEqual(T, 16)
        let x = Tensor(shape: [n, T, 21, 3], scalars: Array(test.sequences.scalars[0..<(n * T * 63)]))
        let mask = Tensor(shape: [n, T], scalars: test.masks[0..<(n * T)].map { $0 ? 1 : 0 })
        XCTAssertTrue(mask.scalars.contains(0), "synthetic drop-outs give masked frames")
        let expected = checkpointModel.forward(x, mask: mask, training: false)
        XCTAssertEqual(restored.forward(x, mask: mask, training: false).scalars, expected.scalars)
        let (_, logits) = try ONNXReference.run(out, cases: [.init(name: "test", landmarks: x, mask: mask)], in: directory)
        let diff = ONNXReference.maxDifference(try XCTUnwrap(logits["test"]), expected)
        XCTAssertLessThanOrEqual(diff, 1e-4)

        // The record `train` returns works as --checkpoint too; mismatched shape flags are refused.
        session.execute(CellSource(text: "net = {checkpoint: \"\(run.checkpoint.path)\"}"))
        XCTAssertNil(cell("export onnx --checkpoint net --out \"\(directory.path)/b.onnx\"").error)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.path + "/b.onnx"))
        let mismatch = cell("export onnx --checkpoint net --out \"\(directory.path)/c.onnx\" --architecture tcn").error
        XCTAssertTrue(mismatch.map { "\($0)" }?.contains("--architecture tcn disagrees with the model (lstm)") ?? false, "\(String(describing: mismatch))")
        let badT = cell("export onnx --checkpoint net --out \"\(directory.path)/c.onnx\" --sequence-length \(T + 1)").error
        XCTAssertTrue(badT.map { "\($0)" }?.contains("--sequence-length \(T + 1) disagrees") ?? false, "\(String(describing: badT))")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path + "/c.onnx"))
        // An aslsh ONNX file converts to TFLite (`export tflite --onnx`); ONNX export itself reads checkpoints.
        let converted = directory.appendingPathComponent("from_onnx.tflite")
        XCTAssertNil(cell("t = export tflite --onnx \"\(out.path)\" --out \"\(converted.path)\"").error)
        XCTAssertEqual(session.variables["t"]?.field("format")?.textValue, "tflite")
        XCTAssertEqual(session.variables["t"]?.field("architecture")?.textValue, "lstm")
        XCTAssertGreaterThan((try FileManager.default.attributesOfItem(atPath: converted.path)[.size] as? Int) ?? 0, 1000)
        let onnxFromOnnx = cell("export onnx --onnx \"\(out.path)\"").error
        XCTAssertTrue(onnxFromOnnx.map { "\($0)" }?.contains("--onnx is an input for `export tflite`") ?? false)
        let missing = cell("export onnx --checkpoint \"\(directory.path)/nope.safetensors\"").error
        XCTAssertTrue(missing.map { "\($0)" }?.contains("nope.safetensors") ?? false, "\(String(describing: missing))")
    }
}
