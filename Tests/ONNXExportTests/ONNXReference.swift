import Foundation
import NeuralNets
import TensorCore
import TestSupport
import Training
import XCTest
@testable import ONNXExport

/// Runs `Scripts/onnx_run.py` (the real onnx checker + onnxruntime) on an exported model and
/// compares its logits with the Swift model's `forward(training: false)`.
enum ONNXReference {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Scripts/onnx_run.py").path

    /// Skips (or fails under CI) when the Python tools are missing.
    static func requireTools() throws {
        do { try ExternalTool.requirePython("onnx", "onnxruntime") } catch let e as MissingTool where !MissingTool.mustFail {
            throw XCTSkip(e.description)
        }
    }

    /// What the script reports about the model (after `check_model(full_check=True)` passed).
    struct ModelInfo: Decodable {
        var opset: Int
        var ir_version: Int
        var metadata: [String: String]
        var inputs: [String: [Dim]]
        var outputs: [String: [Dim]]
        var ops: [String]
    }

    /// A dim: a number or a symbolic name.
    enum Dim: Decodable, Equatable {
        case value(Int), name(String)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) { self = .value(i) } else { self = .name(try c.decode(String.self)) }
        }
    }

    struct Case {
        var name: String
        var landmarks: Tensor   // [B, T, 21, 3]
        var mask: Tensor        // [B, T]
    }

    /// Runs every case through onnxruntime; returns the model info and logits by case name.
    static func run(_ modelURL: URL, cases: [Case], in directory: URL) throws -> (ModelInfo, [String: Tensor]) {
        for c in cases {
            try NPY.write(c.landmarks, to: directory.appendingPathComponent("\(c.name).landmarks.npy"))
            try NPY.write(c.mask, to: directory.appendingPathComponent("\(c.name).mask.npy"))
        }
        let out = try ExternalTool.run(["python3", script, modelURL.path, directory.path] + cases.map(\.name))
        let info = try JSONDecoder().decode(ModelInfo.self, from: Data(out.split(separator: "\n").last.map(String.init)!.utf8))
        var logits: [String: Tensor] = [:]
        for c in cases {
            logits[c.name] = try NPY.read(contentsOf: directory.appendingPathComponent("\(c.name).logits.npy")).tensor()
        }
        return (info, logits)
    }

    /// Seeded landmarks `[B, T, K, 3]` (K = 21 unless given) in U(−1, 1) and a mask `[B, T]` mixing every pattern the
    /// contract covers: all valid, trailing padding, gaps in the middle, leading missing frames,
    /// a single valid frame and (for B ≥ 6) a row with no valid frame at all.
    static func makeCase(_ name: String, batch B: Int, steps T: Int, seed: UInt64, points K: Int = 21) -> Case {
        var rng = SeededRandom(seed: seed)
        let x = (0..<(B * T * 3 * K)).map { _ in rng.uniform(-1, 1) }
        var m = [Float](repeating: 1, count: B * T)
        for b in 0..<B {
            let pattern = B == 1 ? 2 : b % 6
            for t in 0..<T {
                let valid: Bool
                switch pattern {
                case 0: valid = true                                              // all valid
                case 1: valid = t < max(1, T - 1 - b % 4)                         // trailing padding
                case 2: valid = !(t >= T / 3 && t < T / 3 + 2) && t != T - 2      // middle gaps
                case 3: valid = t >= 2 && t % 3 != 1                              // leading missing + gaps
                case 4: valid = t == T / 2                                        // one frame
                default: valid = false                                            // no valid frame
                }
                m[b * T + t] = valid ? 1 : 0
            }
        }
        return Case(name: name, landmarks: Tensor(shape: [B, T, K, 3], scalars: x), mask: Tensor(shape: [B, T], scalars: m))
    }

    static func metadata(for model: SequenceClassifier, seed: UInt64) -> ModelMetadata {
        ModelMetadata(config: model.config, labelNames: (0..<model.config.classCount).map { "class_\($0)" },
                      normalisation: "wrist_mcp9", seed: seed)
    }

    /// max |a − b|.
    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    }
}
