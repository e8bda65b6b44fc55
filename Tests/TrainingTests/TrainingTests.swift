import XCTest
import Datasets
import HandSynthesis
import NeuralNets
import TensorCore
import TestSupport
@testable import Training

/// Training and evaluation end to end on built-in synthetic data: the model learns (accuracy far
/// above chance on signer-disjoint validation data), checkpoints round-trip to the same
/// predictions, the metrics log is written, and bad combinations are refused.
final class TrainingTests: XCTestCase {
    var directory: URL!
    var train: Dataset!, validation: Dataset!, test: Dataset!

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory("training")
        let synth = directory.appendingPathComponent("synth")
        _ = try HandSynthesizer.write(SynthesisOptions(classes: ["letters"], perClass: 30, seed: 3), to: synth)
        var options = BuildOptions(manifest: synth.appendingPathComponent("synth_manifest.json"))
        options.staticFrames = true
        options.datasetDirectory = directory
        options.groupBy = .signer
        let summary = try DatasetBuilder.build(options)
        (train, validation, test) = (try Dataset(contentsOf: summary.outputs[0]), try Dataset(contentsOf: summary.outputs[1]),
                                     try Dataset(contentsOf: summary.outputs[2]))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testMLPLearnsSyntheticLettersAndCheckpointsRoundTrip() throws {
        var options = TrainingOptions()
        options.epochs = 25
        options.batchSize = 32
        options.checkpointDirectory = directory.appendingPathComponent("checkpoints")
        var lines: [String] = []
        let run = try Trainer.train(train, validation: validation, options: options, log: { lines.append($0) })
        XCTAssertEqual(run.history.count, 25)
        XCTAssertLessThan(run.history.last!.trainLoss, run.history.first!.trainLoss * 0.5, "the loss falls")
        let report = Evaluator.evaluate(run.model, on: test)
        print("synthetic letters, MLP: test accuracy \(report.accuracy), macro F1 \(report.macroF1), best epoch \(run.bestEpoch)")
        // 12 classes: chance is 0.083; unseen signers.
        XCTAssertGreaterThan(report.accuracy, 0.7)
        XCTAssertEqual(report.count, test.count)
        XCTAssertEqual(report.confusion.count, 12)
        let (restored, names) = try Checkpoint.read(run.checkpoint)
        XCTAssertEqual(names, train.labelNames)
        XCTAssertEqual(Evaluator.evaluate(restored, on: test).confusion, report.confusion, "same predictions after reload")
        let log = try String(contentsOf: run.metricsLog, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.count, 25)
        XCTAssertTrue(log[0].contains("\"train_loss\"") && log[0].contains("\"val_acc\""))
        XCTAssertEqual(lines.count, 26, "a header and one line per epoch")
    }

    func testSameSeedSameRunAndBadInputsAreRefused() throws {
        var options = TrainingOptions()
        options.epochs = 2
        options.checkpointDirectory = directory.appendingPathComponent("a")
        let a = try Trainer.train(train, validation: nil, options: options)
        options.checkpointDirectory = directory.appendingPathComponent("b")
        let b = try Trainer.train(train, validation: nil, options: options)
        XCTAssertEqual(a.history, b.history, "seeded: identical runs")
        var other = validation!
        other.labelNames = other.labelNames.map { $0 + "x" }
        XCTAssertThrowsError(try Trainer.train(train, validation: other, options: options))
        XCTAssertThrowsError(try Trainer.train(train, validation: nil, options: options, isCancelled: { true })) { error in
            guard case TrainingError.cancelled(epoch: 1)? = error as? TrainingError else { return XCTFail("\(error)") }
        }
        let notACheckpoint = directory.appendingPathComponent("plain.safetensors")
        try Safetensors(tensors: [("w", NDArray(float32: [1]))]).write(to: notACheckpoint)
        XCTAssertThrowsError(try Checkpoint.read(notACheckpoint))
    }
}
