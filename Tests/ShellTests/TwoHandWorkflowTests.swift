import XCTest
import Shell
import TensorCore
import TestSupport

/// Both hands and pose points through the shell on the real Holistic frames: import, build with
/// --dominant-right, train, eval, cv, export and predict on landmark files; a photo goes to a
/// two-hand model as both hands, while a pose model on a photo, --hand both with --hands 1 and
/// --mirror-left with --hand both are refused with the reason.
final class TwoHandWorkflowTests: XCTestCase {
    func testBothHandsAndPoseFromImportToPredict() throws {
        guard let holistic = TestEnvironment.sharedPath("realdata/holistic_1662_npy"),
              let photos = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("MediaPipe models missing in models/mediapipe (run make setup)")
        }
        let dir = try TestEnvironment.temporaryDirectory("two-hand-shell")
        defer { try? FileManager.default.removeItem(at: dir) }
        let shell = ShellHarness()
        func run(_ cell: String) throws -> Value? { try shell.run(cell) }
        var lines: [String] { shell.printed }
        func refused(_ cell: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try run(cell), file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)", file: file, line: line)
            }
        }
        let d = dir.path
        let models = TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe").path

        for (name, flags, points) in [("hands", "--hand both", 42), ("pose", "--hand both --pose", 49)] {
            _ = try run("import frame-npy \(holistic.path) \(flags) --out \(d)/\(name)")
            _ = try run("build \(d)/\(name)/manifest.json --splits 1 0 0 --out \(d)/ds --prefix \(name)_ --dominant-right")
            XCTAssertTrue(lines.contains { $0.contains("\(points) points") && $0.hasPrefix("built 9 samples") }, "\(lines)")
            XCTAssertTrue(lines.contains { $0.hasPrefix("mirrored ") && $0.contains("--dominant-right") }, "\(lines)")
            _ = try run("\(name) = train \(d)/ds/\(name)_train.npz --architecture tcn --epochs 3 --features coords distances --out \(d)/m\(name)")
            let report = try run("eval \(name) \(d)/ds/\(name)_train.npz")
            guard case .array(let confusion)? = report?.field("confusion") else { return XCTFail("no confusion matrix") }
            XCTAssertEqual(confusion.shape, [3, 3])
            XCTAssertNotNil(report?.field("accuracy")?.numberValue)
            let folds = try run("cv \(d)/ds/\(name)_train.npz --folds 3 --group-by none --architecture tcn --epochs 2 --out \(d)/cv\(name)")
            XCTAssertNotNil(folds?.field("mean")?.numberValue)
            for format in ["onnx", "tflite"] {
                _ = try run("export \(format) --checkpoint \(name) --out \(d)/m\(name)/model.\(format)")
            }
            var answers: [String] = []
            for model in [name, "\(d)/m\(name)/model.onnx", "\(d)/m\(name)/model.tflite"] {
                let table = try XCTUnwrap(try run("predict \(d)/\(name)/landmarks/hello_0.npy --model \(model)")?.tableValue)
                answers.append(try XCTUnwrap(table.column(named: "top")?.first?.textValue))
            }
            XCTAssertEqual(Set(answers).count, 1, "checkpoint, ONNX and TFLite agree: \(answers)")
        }
        // The one-hand landmark file is not a two-hand model's input.
        _ = try run("import frame-npy \(holistic.path) --out \(d)/one")
        XCTAssertThrowsError(try run("predict \(d)/one/landmarks/hello_0.npy --model hands"))
        XCTAssertTrue(lines.contains { $0.contains("the model takes 42 points (left and right hand)") }, "\(lines)")

        // Plots draw one hand of a two-hand file; a frame without that hand is an error, not a crash.
        _ = try run("plot hand \(d)/hands/landmarks/hello_0.npy --side right --frame 16 --out \(d)/right.png")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(d)/right.png"))
        _ = try run("plot sequence \(d)/pose/landmarks/hello_0.npy --out \(d)/sequence.png")
        refused("plot hand \(d)/hands/landmarks/hello_0.npy --side right --frame 0 --out \(d)/none.png", "--frame 0 has no hand")

        // A photo: both hands from the tracker for the two-hand model; none for a pose model.
        let photo = photos.appendingPathComponent("A/A0.jpg").path
        let table = try XCTUnwrap(try run("predict \(photo) --model hands --models \(models)")?.tableValue)
        XCTAssertEqual(table.rows.count, 1)
        refused("predict \(photo) --model pose --models \(models)", "the hand tracker finds hands, not pose points")
        refused("extract \(d)/none.json --hand both --hands 1", "--hand both needs --hands 2 or more")
        refused("extract \(d)/none.json --hand both --mirror-left", "--mirror-left and --hand both")
        refused("import frame-npy \(holistic.path) --hand both --mirror-left --out \(d)/x", "--mirror-left and --hand both")
    }
}
