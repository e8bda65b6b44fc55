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

    /// One answer on every CPU: the portable, AVX and AVX-512 kernels and two threads must give
    /// the same bits for all four models (each element's sum has one order on every path; hand
    /// tracking feeds its outputs back into the next crop, so "close" is not enough).
    func testEveryKernelPathAndThreadCountGivesTheSameBits() throws {
        defer { KernelPath.force(KernelPath.supported) }
        for name in ["palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"] {
            guard let url = TestEnvironment.mediapipeModel(name) else {
                throw XCTSkip("models/mediapipe/\(name).tflite is absent: run scripts/setup.sh")
            }
            let model = try TFLiteModel(contentsOf: url)
            let side = name.hasPrefix("palm") ? 192 : 224
            var rng = SeededRandom(seed: 7)
            let input = Tensor(shape: [1, side, side, 3], scalars: (0..<(side * side * 3)).map { _ in rng.uniform() })
            XCTAssertTrue(KernelPath.force(.portable))
            let reference = try TFLiteInterpreter(model: model, threads: 1).invoke([input])
            var runs: [(String, [Tensor])] = [("portable, 2 threads", try TFLiteInterpreter(model: model, threads: 2).invoke([input]))]
            if KernelPath.force(.avx) {
                runs.append(("avx, 1 thread", try TFLiteInterpreter(model: model, threads: 1).invoke([input])))
                runs.append(("avx, 2 threads", try TFLiteInterpreter(model: model, threads: 2).invoke([input])))
                if KernelPath.force(.avx512) {
                    runs.append(("avx512, 1 thread", try TFLiteInterpreter(model: model, threads: 1).invoke([input])))
                    runs.append(("avx512, 2 threads", try TFLiteInterpreter(model: model, threads: 2).invoke([input])))
                }
            } else {
                print("\(name): this CPU has no AVX (\(KernelPath.cpuFeatures)); only the portable path compared")
            }
            for (label, outputs) in runs {
                for (k, (a, b)) in zip(reference, outputs).enumerated() {
                    XCTAssertEqual(a.shape, b.shape)
                    let differing = zip(a.scalars, b.scalars).filter { $0.bitPattern != $1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "\(name) output \(k): \(label) differs from portable, 1 thread in \(differing) values")
                }
            }
        }
    }

    /// Folding ADD and PRELU into the convolution before them (palm detectors) changes no bit,
    /// at one thread or two.
    func testFusedResidualBlocksEqualUnfusedBitForBit() throws {
        for name in ["palm_detection_full", "palm_detection_lite", "hand_landmark_lite"] {
            guard let url = TestEnvironment.mediapipeModel(name) else {
                throw XCTSkip("models/mediapipe/\(name).tflite is absent: run scripts/setup.sh")
            }
            let model = try TFLiteModel(contentsOf: url)
            let side = name.hasPrefix("palm") ? 192 : 224
            var rng = SeededRandom(seed: 8)
            let input = Tensor(shape: [1, side, side, 3], scalars: (0..<(side * side * 3)).map { _ in rng.uniform(-1, 1) })
            let unfused = try TFLiteInterpreter(model: model, threads: 1, fuseOperators: false)
            let reference = try unfused.invoke([input])
            for threads in [1, 2] {
                let fused = try TFLiteInterpreter(model: model, threads: threads)
                if name.hasPrefix("palm") {
                    XCTAssertLessThan(fused.kernelCount, unfused.kernelCount, "\(name): no residual block was fused")
                }
                for (k, (a, b)) in zip(reference, try fused.invoke([input])).enumerated() {
                    let differing = zip(a.scalars, b.scalars).filter { $0.bitPattern != $1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "\(name) output \(k), \(threads) thread(s): fused differs in \(differing) values")
                }
            }
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
