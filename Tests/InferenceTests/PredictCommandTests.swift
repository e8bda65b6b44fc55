import Datasets
import Foundation
import TensorCore
import TestSupport
import XCTest
@testable import Inference
@testable import Shell

/// The shell's `predict`: results as a table, one row per item, bad items reported by name
/// while the rest go on, `--out` JSON lines.
final class PredictCommandTests: XCTestCase {
    func run(_ cell: String) -> (value: Value?, lines: [String], error: ShellError?) {
        let session = Session(registry: .standard, outputSink: { _ in }, errorSink: { _ in })
        let outcome = session.execute(CellSource(text: cell))
        return (outcome.value, outcome.output.map(\.text), outcome.error)
    }

    func testLandmarkFilesGoOnPastBadItems() throws {
        let fx = try Fixtures.letters.get()
        let directory = try TestEnvironment.temporaryDirectory("predict-npy")
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = directory.appendingPathComponent("items")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let clips = (0..<3).map { try! fx.manifest.loadClip(at: $0 * 11) }
        try clips[0].write(landmarks: folder.appendingPathComponent("a.npy"), mask: folder.appendingPathComponent("a.mask.npy"))
        try NPY.write(NDArray(shape: [2, 1, 21, 3], storage: .float32(clips[1].values + clips[2].values)), to: folder.appendingPathComponent("b_stack.npy"))
        try NPY.write(NDArray(shape: [5, 7], storage: .float32([Float](repeating: 1, count: 35))), to: folder.appendingPathComponent("c_bad.npy"))
        try Data("not an npy".utf8).write(to: folder.appendingPathComponent("d_corrupt.npy"))
        let out = directory.appendingPathComponent("results.jsonl")
        let predictor = try ASLPredictor(checkpoint: fx.checkpoint)

        let (value, lines, error) = run("r = predict \"\(folder.path)\" --model \"\(fx.checkpoint.path)\" --top-k 2 --out \"\(out.path)\"")
        XCTAssertNil(error)
        let table = try XCTUnwrap(value?.tableValue, "\(String(describing: value))")
        XCTAssertEqual(table.rows.count, 5, "a.npy, b_stack[0], b_stack[1], c_bad, d_corrupt")
        let items = table.column(named: "item")!.map { $0.textValue! }
        XCTAssertTrue(items[0].hasSuffix("a.npy") && items[1].hasSuffix("b_stack.npy[0]") && items[2].hasSuffix("b_stack.npy[1]"), "\(items)")
        let labels = table.column(named: "label")!
        for (row, clip) in zip([0, 1, 2], clips) {
            let expected = try predictor.predictTopK(Tensor(shape: [1, 21, 3], scalars: clip.values), mask: clip.mask, k: 2)
            XCTAssertEqual(labels[row].textValue, expected[0].label)
            XCTAssertEqual(table.column(named: "confidence")![row].numberValue!, Double(expected[0].confidence), accuracy: 1e-6)
            XCTAssertEqual(table.rows[row][table.columnIndex("top")!].textValue,
                           expected.map { String(format: "%@ %.3f", $0.label, $0.confidence) }.joined(separator: ", "))
        }
        let errors = table.column(named: "error")!.map(\.textValue)
        XCTAssertNil(errors[0])
        XCTAssertTrue(errors[3]?.contains("c_bad.npy: landmarks have shape [5, 7]") == true, "\(errors)")
        XCTAssertTrue(errors[4]?.contains("d_corrupt.npy") == true, "\(errors)")
        XCTAssertTrue(lines.contains { $0.contains("2 of 5 items failed") }, "\(lines)")
        let json = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(json.count, 5)
        XCTAssertTrue(json[0].contains("\"label\":\"\(labels[0].textValue!)\""), String(json[0]))

        // Unusable arguments fail the command with a clear message.
        XCTAssertTrue(run("predict \"\(folder.path)\"").error?.message.contains("--model") == true)
        XCTAssertTrue(run("predict nowhere.npy --model \"\(fx.checkpoint.path)\"").error?.message.contains("nowhere.npy: no such file") == true)
        XCTAssertTrue(run("predict \"\(folder.path)\" --model \"\(directory.path)/m.onnx\"").error?.message.contains("m.onnx") == true)
    }

    func testFolderOfPhotosWithOneCorruptImage() throws {
        guard let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else { throw XCTSkip("MediaPipe models missing (run make setup)") }
        let fx = try Fixtures.letters.get()
        let directory = try TestEnvironment.temporaryDirectory("predict-photos")
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["A/A1.jpg", "B/B1.jpg", "Y/Y1.jpg"] {
            try FileManager.default.copyItem(at: root.appendingPathComponent(name),
                                             to: directory.appendingPathComponent(URL(fileURLWithPath: name).lastPathComponent))
        }
        try Data([0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]).write(to: directory.appendingPathComponent("Broken.jpg"))
        let models = TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe")
        let (value, _, error) = run("predict \"\(directory.path)\" --model \"\(fx.checkpoint.path)\" --models \"\(models.path)\" --hands 1")
        XCTAssertNil(error)
        let table = try XCTUnwrap(value?.tableValue)
        XCTAssertEqual(table.rows.count, 4)
        let items = table.column(named: "item")!.map { URL(fileURLWithPath: $0.textValue!).lastPathComponent }
        XCTAssertEqual(items, ["A1.jpg", "B1.jpg", "Broken.jpg", "Y1.jpg"])
        let errors = table.column(named: "error")!.map(\.textValue)
        XCTAssertTrue(errors[2]?.contains("Broken.jpg: unreadable image") == true, "\(errors)")
        let labelled = table.column(named: "label")!.compactMap(\.textValue)
        XCTAssertGreaterThanOrEqual(labelled.count, 2, "the readable photos are predicted (\(errors))")
        XCTAssertTrue(labelled.allSatisfy { try! ASLPredictor(checkpoint: fx.checkpoint).labelNames.contains($0) })
    }
}
