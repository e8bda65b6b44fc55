import Foundation
import NeuralNets
import TensorCore
import TestSupport
import TFLiteExport
import TFLiteRuntime
import Training
import XCTest

/// Shared pieces: small seeded models, masks with trailing padding / middle gaps / all valid, and
/// the three ways to run a model (Swift forward, our TFLiteRuntime, LiteRT through litert_run.py).
enum ExportHarness {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("litert_run.py")

    static func metadata(_ config: ModelConfig, seed: UInt64 = 7) -> ModelMetadata {
        ModelMetadata(config: config, labelNames: (0..<config.classCount).map { "class\($0)" }, normalisation: "wrist_mcp9", seed: seed)
    }

    /// Landmarks [B, T, 21, 3] in ±1 and masks: row 0 trailing padding, row 1 gaps in the middle
    /// (and a masked first frame), row 2 all valid, further rows alternate.
    static func batch(_ B: Int, _ T: Int, seed: UInt64, points K: Int = 21) -> (x: Tensor, mask: Tensor) {
        var rng = SeededRandom(seed: seed)
        let x = Tensor(shape: [B, T, K, 3], scalars: (0..<(B * T * 3 * K)).map { _ in rng.uniform(-1, 1) })
        var m = [Float](repeating: 1, count: B * T)
        for b in 0..<B {
            for t in 0..<T {
                switch b % 3 {
                case 0: m[b * T + t] = t < T - 3 ? 1 : 0
                case 1: m[b * T + t] = (t == 0 || t == 2 || t == 3 || t == T - 2) ? 0 : 1
                default: break
                }
            }
        }
        return (x, Tensor(shape: [B, T], scalars: m))
    }

    /// Our runtime on exported bytes.
    static func runtime(_ bytes: Data, _ x: Tensor, _ mask: Tensor) throws -> Tensor {
        let interpreter = try TFLiteInterpreter(model: try TFLiteModel(bytes: [UInt8](bytes)))
        XCTAssertEqual(interpreter.inputNames, ["landmarks", "mask"])
        XCTAssertEqual(interpreter.outputNames, ["logits"])
        return try interpreter.invoke([x, mask])[0]
    }

    struct LiteRTResult {
        /// LiteRT's builtin kernels only, and the default resolver (XNNPACK delegate).
        var builtin: Tensor, delegated: Tensor
        /// Op names the builtin run resolved.
        var ops: [String]
    }

    /// LiteRT on exported files, one Python process for all jobs (inputs resized to each batch).
    static func liteRT(_ jobs: [(model: Data, x: Tensor, mask: Tensor)], in directory: URL) throws -> [LiteRTResult] {
        var list: [[String: String]] = []
        for (k, job) in jobs.enumerated() {
            let path = { (name: String) in directory.appendingPathComponent("job\(k)_\(name)").path }
            try job.model.write(to: URL(fileURLWithPath: path("model.tflite")))
            try NPY.write(job.x, to: URL(fileURLWithPath: path("landmarks.npy")))
            try NPY.write(job.mask, to: URL(fileURLWithPath: path("mask.npy")))
            list.append(["model": path("model.tflite"), "landmarks": path("landmarks.npy"), "mask": path("mask.npy"), "out": path("logits")])
        }
        let jobsURL = directory.appendingPathComponent("jobs.json")
        try JSONSerialization.data(withJSONObject: list).write(to: jobsURL)
        let out = try ExternalTool.run(["python3", script.path, jobsURL.path])
        let report = try JSONSerialization.jsonObject(with: Data(out.split(separator: "\n").last.map(String.init)!.utf8)) as! [[String: Any]]
        return try list.enumerated().map { k, job in
            let read = { (suffix: String) in try NPY.read(contentsOf: URL(fileURLWithPath: job["out"]! + suffix)).tensor()! }
            return LiteRTResult(builtin: try read("_builtin.npy"), delegated: try read("_default.npy"), ops: report[k]["ops"] as! [String])
        }
    }

    static func requireLiteRT() throws {
        do { try ExternalTool.requirePython("ai_edge_litert", "numpy") } catch let e as MissingTool where !MissingTool.mustFail {
            throw XCTSkip(e.description)
        }
    }

    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    }

    static func argmax(_ logits: Tensor) -> [Int] {
        let c = logits.shape[1]
        return (0..<logits.shape[0]).map { b in (0..<c).max { logits.scalars[b * c + $0] < logits.scalars[b * c + $1] }! }
    }
}
