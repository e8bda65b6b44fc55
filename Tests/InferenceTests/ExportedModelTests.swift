import Foundation
import NeuralNets
import ONNXExport
import TensorCore
import TestSupport
import TFLiteExport
import Training
import XCTest
@testable import Inference

/// The predictor on the files `export` writes: an aslsh `.onnx` and a `.tflite` (our runtime) give
/// the checkpoint's probabilities for every architecture, including masked frames in the middle,
/// with coordinates and with handshape distances (`--features`, computed inside each file).
final class ExportedModelTests: XCTestCase {
    func testExportedONNXAndTFLitePredictLikeTheCheckpoint() throws {
        let directory = try TestEnvironment.temporaryDirectory("inference-exported")
        defer { try? FileManager.default.removeItem(at: directory) }
        let labels = ["hello", "yes", "no", "more", "go"]
        for (architecture, features) in Architecture.allCases.flatMap({ a in [(a, [FrameFeature.coords]), (a, [.distances])] }) {
            let T = architecture == .mlp ? 1 : 12
            let checkpoint = try Fixtures.sequenceCheckpoint(architecture, T: T, labels: labels, in: directory, features: features)
            let (model, metadata) = try Checkpoint.load(checkpoint)
            XCTAssertEqual(metadata.config.features, features, "the checkpoint keeps --features")
            let name = checkpoint.deletingPathExtension().lastPathComponent
            let onnx = directory.appendingPathComponent("\(name).onnx")
            let tflite = directory.appendingPathComponent("\(name).tflite")
            try ONNXExporter.write(model: model, metadata: metadata, to: onnx)
            try TFLiteExporter.write(model: model, metadata: metadata, to: tflite)
            let reference = try ASLPredictor(checkpoint: checkpoint)
            var rng = SeededRandom(seed: 11)
            for sample in 0..<4 {
                let frames = T + sample
                let x = Tensor(shape: [frames, 21, 3], scalars: (0..<(frames * 63)).map { _ in rng.uniform(-1, 1) })
                // A gap in the middle of sequences (frame 2 missing), all valid for the MLP.
                let mask = (0..<frames).map { !(T > 1 && $0 == 2) }
                let expected = try reference.predictDistribution(x, mask: mask, sortedByConfidence: false)
                for file in [onnx, tflite] {
                    let predictor = try ASLPredictor(modelFile: file)
                    XCTAssertEqual(predictor.modelInfo.format, file.pathExtension)
                    XCTAssertEqual(predictor.labelNames, labels)
                    let got = try predictor.predictDistribution(x, mask: mask, sortedByConfidence: false)
                    for (a, b) in zip(got, expected) {
                        XCTAssertEqual(a.label, b.label)
                        XCTAssertEqual(a.confidence, b.confidence, accuracy: 1e-5, "\(file.lastPathComponent) sample \(sample)")
                    }
                }
            }
        }
    }
}
