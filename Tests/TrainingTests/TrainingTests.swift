import XCTest
import Datasets
import HandSynthesis
import NeuralNets
import TensorCore
import SyntheticFixtures
import TestSupport
@testable import Training

/// Synthetic data shared by the training tests: letters (T = 1, 12 classes, signer-disjoint splits)
/// built once per process, and small random sequence sets built in memory.
enum Fixtures {
    nonisolated(unsafe) static var cached: (Dataset, Dataset, Dataset)?

    static func letters() throws -> (train: Dataset, validation: Dataset, test: Dataset) {
        if let cached { return cached }
        let directory = try TestEnvironment.temporaryDirectory("training-fixture")
        defer { try? FileManager.default.removeItem(at: directory) }
        let built = try SyntheticDatasets.build(SynthesisOptions(classes: ["letters"], perClass: 30, seed: 3),
                                                staticFrames: true, in: directory)
        let splits = (built.train, built.validation, built.test)
        cached = splits
        return splits
    }

    /// N random sequences `[N, T, 21, 3]` in C classes (class c shifted by c/C), every third
    /// sample with its last frames masked, clip ids `clip<i>`.
    static func sequences(n: Int, T: Int, classes: Int, seed: UInt64) -> Dataset {
        var rng = SeededRandom(seed: seed)
        let labels = (0..<n).map { $0 % classes }
        var values = [Float](repeating: 0, count: n * T * 63), masks = [Bool](repeating: true, count: n * T)
        for i in 0..<n {
            let valid = i % 3 == 0 ? max(1, T / 2) : T
            for t in 0..<T {
                guard t < valid else { masks[i * T + t] = false; continue }
                for k in 0..<63 { values[(i * T + t) * 63 + k] = rng.normal(std: 0.3) + Float(labels[i]) / Float(classes) }
            }
        }
        return Dataset(sequences: Tensor(shape: [n, T, 21, 3], scalars: values), masks: masks, labels: labels,
                       labelNames: (0..<classes).map { "class\($0)" },
                       metadata: .init(clipIDs: (0..<n).map { "clip\($0)" }, sourceFiles: [String](repeating: "", count: n),
                                        signers: [String](repeating: "", count: n), detectionRates: [Float](repeating: 1, count: n),
                                        frameCounts: [Int](repeating: T, count: n), hasZ: [Bool](repeating: true, count: n)))
    }
}

/// Training and evaluation end to end on built-in synthetic data: the model learns (accuracy far
/// above chance on signer-disjoint validation data), checkpoints round-trip to the same
/// predictions, the metrics log and epoch table are written, and bad combinations are refused.
final class TrainingTests: XCTestCase {
    var directory: URL!
    var train: Dataset!, validation: Dataset!, test: Dataset!

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory("training")
        (train, validation, test) = try Fixtures.letters()
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
        XCTAssertTrue(log[0].contains("\"train_loss\"") && log[0].contains("\"val_acc\"") && log[0].contains("\"lr\""))
        XCTAssertEqual(lines.count, 26, "a header and one line per epoch")
        XCTAssertTrue(lines[0].hasPrefix("epoch  train_loss  train_acc  val_loss  val_acc  val_top5"), lines[0])
        XCTAssertEqual(Set(lines.map(\.count)).count, 1, "aligned: every row as wide as the header\n\(lines.joined(separator: "\n"))")
        XCTAssertTrue(lines[1].contains("1.00e-03"), lines[1])
    }

    func testSameSeedSameRunAndBadInputsAreRefused() throws {
        var options = TrainingOptions()
        options.epochs = 2
        options.checkpointDirectory = directory.appendingPathComponent("a")
        let a = try Trainer.train(train, validation: nil, options: options)
        options.checkpointDirectory = directory.appendingPathComponent("b")
        let b = try Trainer.train(train, validation: nil, options: options)
        XCTAssertEqual(a.history.map(\.withoutTime), b.history.map(\.withoutTime), "seeded: identical runs")
        var other = validation!
        other.labelNames = other.labelNames.map { $0 + "x" }
        XCTAssertThrowsError(try Trainer.train(train, validation: other, options: options)) { error in
            XCTAssertTrue("\(error)".contains("validation set has 12 classes the model does not know: Ax, Bx"), "\(error)")
        }
        XCTAssertThrowsError(try Trainer.train(train, validation: nil, options: options, isCancelled: { true })) { error in
            guard case TrainingError.cancelled(epoch: 1)? = error as? TrainingError else { return XCTFail("\(error)") }
        }
        let notACheckpoint = directory.appendingPathComponent("plain.safetensors")
        try Safetensors(tensors: [("w", NDArray(float32: [1]))]).write(to: notACheckpoint)
        XCTAssertThrowsError(try Checkpoint.read(notACheckpoint))
    }

    /// Best kept as `<arch>_epoch<N>_acc<A>.safetensors` (older bests deleted), plus `<arch>_last`.
    func testCheckpointNamingKeepsTheBestAndTheLast() throws {
        var options = TrainingOptions()
        options.epochs = 8
        options.batchSize = 32
        options.checkpointDirectory = directory.appendingPathComponent("named")
        let run = try Trainer.train(train, validation: validation, options: options)
        let files = try FileManager.default.contentsOfDirectory(atPath: options.checkpointDirectory.path).sorted()
        let bestAcc = run.history.compactMap(\.valAcc).max()!
        let firstBest = run.history.first { $0.valAcc == bestAcc }!.epoch
        XCTAssertEqual(run.bestEpoch, firstBest, "the first epoch reaching the best accuracy")
        let expected = String(format: "mlp_epoch%d_acc%.4f.safetensors", firstBest, bestAcc)
        XCTAssertEqual(run.checkpoint.lastPathComponent, expected)
        XCTAssertEqual(files, [expected, "mlp_last.safetensors", "mlp_metrics.jsonl"].sorted())
        let (_, meta) = try Checkpoint.load(run.checkpoint)
        XCTAssertEqual(meta.history.count, firstBest, "the best checkpoint's history ends at its epoch")
        let last = try Checkpoint.loadForResume(run.lastCheckpoint)
        XCTAssertEqual(last.state?.epoch, 8)
        XCTAssertEqual(last.state?.bestCheckpoint, expected)
        XCTAssertEqual(last.optimizer["first"]?.count, last.model.parameters.count, "Adam moments saved")
        XCTAssertNil(try Checkpoint.loadForResume(run.checkpoint).state, "only the last checkpoint carries training state")
    }
}
