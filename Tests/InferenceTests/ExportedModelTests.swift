import Datasets
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

    /// A model built with `--dominant-right` canonicalises what it is given the same way: a
    /// left-dominant clip and its mirror image (right-dominant) get the same probabilities, from
    /// the checkpoint and from its ONNX and TFLite files.
    func testDominantRightModelsTreatALeftHandedSignerAsItsMirrorImage() throws {
        let directory = try TestEnvironment.temporaryDirectory("inference-dominant")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = ModelConfig(architecture: .tcn, sequenceLength: 6, featureCount: 126, classCount: 3, hiddenDim: 8, layers: 2,
                                 features: [.coords, .distances])
        let model = config.makeModel(seed: 3)
        let checkpoint = directory.appendingPathComponent("tcn.safetensors")
        try Checkpoint.write(model, labelNames: ["a", "b", "c"], history: [], seed: 3,
                             preprocessing: Dataset.Preprocessing(dominantRight: true), to: checkpoint)
        let (loaded, metadata) = try Checkpoint.load(checkpoint)
        XCTAssertTrue(metadata.preprocessing.dominantRight)
        let onnx = directory.appendingPathComponent("tcn.onnx"), tflite = directory.appendingPathComponent("tcn.tflite")
        try ONNXExporter.write(model: loaded, metadata: metadata, to: onnx)
        try TFLiteExporter.write(model: loaded, metadata: metadata, to: tflite)
        var rng = SeededRandom(seed: 5)
        // Raw image coordinates: the left hand in all 6 frames, the right in 2.
        var values = [Float]()
        for t in 0..<6 {
            values += (0..<63).map { _ in rng.uniform(0.2, 0.8) }
            values += (0..<63).map { _ in t < 2 ? rng.uniform(0.2, 0.8) : 0 }
        }
        let left = LandmarkClip(values: values, mask: [Bool](repeating: true, count: 6), layout: .bothHands)
        var normalised = left
        _ = LandmarkNormalizer.normalize(&normalised, useZ: true)
        var mirrored = normalised
        LandmarkClip.mirrorNormalised(&mirrored.values, layout: .bothHands)
        XCTAssertNotEqual(mirrored.values, normalised.values)
        for file in [checkpoint, onnx, tflite] {
            let predictor = try ASLPredictor(modelFile: file)
            XCTAssertTrue(predictor.input.dominantRight, file.lastPathComponent)
            let a = try predictor.predictDistribution(clip: left, sortedByConfidence: false)
            let b = try predictor.predictDistribution(clip: mirrored, sortedByConfidence: false)
            for (x, y) in zip(a, b) { XCTAssertEqual(x.confidence, y.confidence, accuracy: 1e-6, file.lastPathComponent) }
        }
        // Without the flag the two differ: the canonicalisation is what makes them equal.
        let plain = directory.appendingPathComponent("plain.safetensors")
        try Checkpoint.write(model, labelNames: ["a", "b", "c"], history: [], seed: 3, to: plain)
        let predictor = try ASLPredictor(checkpoint: plain)
        let a = try predictor.predictDistribution(clip: left, sortedByConfidence: false)
        let b = try predictor.predictDistribution(clip: mirrored, sortedByConfidence: false)
        XCTAssertGreaterThan(zip(a, b).map { abs($0.confidence - $1.confidence) }.max()!, 1e-4)
    }

    /// A stream of frames of the wrong width is an error naming the frame and both widths, not a
    /// crash; frames of the model's layout make a window.
    func testStreamingRefusesFramesOfAnotherLayout() throws {
        let directory = try TestEnvironment.temporaryDirectory("inference-stream-layout")
        defer { try? FileManager.default.removeItem(at: directory) }
        let two = try ASLPredictor(checkpoint: Fixtures.sequenceCheckpoint(.tcn, T: 4, labels: ["a", "b"], in: directory, layout: .bothHands))
        let recognizer = SlidingWindowRecognizer(letterModel: two, options: .init(window: 4, stride: 4))
        XCTAssertThrowsError(try recognizer.push([Float](repeating: 0.5, count: 63), time: 1.5)) {
            XCTAssertTrue("\($0)".contains("63 values; the model takes 42 points (left and right hand) a frame (126 values)"), "\($0)")
        }
        var rng = SeededRandom(seed: 2)
        var last: WindowPrediction?
        for t in 0..<4 { last = try recognizer.push((0..<126).map { _ in rng.uniform(0.2, 0.8) }, time: Double(t)) }
        XCTAssertEqual(try XCTUnwrap(last).scores.count, 2)
    }
}
