import Foundation
import TensorCore
import TestSupport
import XCTest
@testable import TFLiteRuntime

/// The four MediaPipe hand models against LiteRT's reference-kernel outputs
/// (`../shared/oracle/models/<model>__<case>__out<k>_<name>.npy`, made by
/// `../shared/oracle/tools/golden_models.py` with ai-edge-litert 2.3.0).
/// Tolerances from MEDIAPIPE_HANDS.md §1.4: palm regressors and landmark pixels 1e-3,
/// palm logits 1e-4, world landmarks and sigmoid outputs 1e-5.
final class GoldenModelTests: XCTestCase {
    static let palmTolerances: [Float] = [1e-3, 1e-4]                 // Identity (regressors), Identity_1 (logits)
    static let landmarkTolerances: [Float] = [1e-3, 1e-5, 1e-5, 1e-5] // screen px, presence, handedness, world m

    func testPalmDetectionFull() throws { try check("palm_detection_full", Self.palmTolerances) }
    func testPalmDetectionLite() throws { try check("palm_detection_lite", Self.palmTolerances) }
    func testHandLandmarkFull() throws { try check("hand_landmark_full", Self.landmarkTolerances) }
    func testHandLandmarkLite() throws { try check("hand_landmark_lite", Self.landmarkTolerances) }

    /// Two threads split the depthwise rows and BLAS: results must agree with one thread.
    func testTwoThreadsMatchOneThread() throws {
        guard let url = TestEnvironment.mediapipeModel("hand_landmark_lite") else {
            throw XCTSkip("models/mediapipe is empty: run scripts/setup.sh")
        }
        let model = try TFLiteModel(contentsOf: url)
        var rng = SeededRandom(seed: 7)
        let input = Tensor(shape: [1, 224, 224, 3], scalars: (0..<(224 * 224 * 3)).map { _ in rng.uniform() })
        let one = try TFLiteInterpreter(model: model, threads: 1).invoke([input])
        let two = try TFLiteInterpreter(model: model, threads: 2).invoke([input])
        for (a, b) in zip(one, two) {
            XCTAssertEqual(a.shape, b.shape)
            XCTAssertLessThanOrEqual(zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()!, 1e-4)
        }
    }

    private func check(_ name: String, _ tolerances: [Float]) throws {
        guard let goldens = TestEnvironment.sharedPath("oracle/models") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        guard let url = TestEnvironment.mediapipeModel(name) else {
            throw XCTSkip("models/mediapipe/\(name).tflite is absent: run scripts/setup.sh")
        }
        let interpreter = try TFLiteInterpreter(model: try TFLiteModel(contentsOf: url), threads: 1)
        XCTAssertEqual(interpreter.outputNames.count, tolerances.count)
        for inputCase in ["rand", "smooth"] {
            let input = try XCTUnwrap(NPY.read(contentsOf: goldens.appendingPathComponent("\(name)__\(inputCase)__input.npy")).tensor())
            // Run twice: the second run reuses the planned arena and must give the same numbers.
            _ = try interpreter.invoke([input])
            let outputs = try interpreter.invoke([input])
            for (k, outputName) in interpreter.outputNames.enumerated() {
                let file = goldens.appendingPathComponent("\(name)__\(inputCase)__out\(k)_\(outputName).npy")
                let expected = try XCTUnwrap(NPY.read(contentsOf: file).tensor())
                XCTAssertEqual(outputs[k].shape, expected.shape, "\(name) \(inputCase) output \(k)")
                let error = zip(outputs[k].scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
                print("golden \(name) \(inputCase) out\(k) \(outputName): max |Δ| = \(error) (tolerance \(tolerances[k]))")
                XCTAssertLessThanOrEqual(error, tolerances[k], "\(name) \(inputCase) output \(k) \(outputName)")
            }
        }
    }
}
