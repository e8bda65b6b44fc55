import XCTest
import Datasets
import NeuralNets
import TensorCore
import TestSupport
@testable import Training

/// `--resume`: 3 epochs + 3 resumed equal 6 uninterrupted epochs bit for bit (weights, optimiser
/// moments, metrics), with dropout, augmentation and a schedule all drawing randomness or state;
/// checkpoints of another architecture, label set or layout are refused with a clear message.
final class ResumeTests: XCTestCase {
    var directory: URL!
    override func setUpWithError() throws { directory = try TestEnvironment.temporaryDirectory("training-resume") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func assertResumeIdentical(_ train: Dataset, _ validation: Dataset, _ base: TrainingOptions, file: StaticString = #filePath, line: UInt = #line) throws {
        var whole = base
        whole.runName = "run"   // the default name is the start time
        whole.epochs = 6
        whole.checkpointDirectory = directory.appendingPathComponent("whole")
        let uninterrupted = try Trainer.train(train, validation: validation, options: whole)

        var first = base
        first.runName = "run"
        first.epochs = 3
        first.checkpointDirectory = directory.appendingPathComponent("split")
        _ = try Trainer.train(train, validation: validation, options: first)
        var second = base
        second.epochs = 6
        second.checkpointDirectory = first.checkpointDirectory
        second.resume = first.checkpointDirectory.appendingPathComponent("\(base.architecture.rawValue)_last.safetensors")
        var lines: [String] = []
        let resumed = try Trainer.train(train, validation: validation, options: second, log: { lines.append($0) })
        XCTAssertTrue(lines[0].hasPrefix("resuming \(base.architecture.rawValue)_last.safetensors after epoch 3"), lines[0], file: file, line: line)
        XCTAssertEqual(lines.count, 2 + 3, "header + epochs 4…6 only", file: file, line: line)

        XCTAssertEqual(resumed.history.map(\.withoutTime), uninterrupted.history.map(\.withoutTime), "same metrics", file: file, line: line)
        XCTAssertEqual(resumed.bestEpoch, uninterrupted.bestEpoch, file: file, line: line)
        XCTAssertEqual(resumed.checkpoint.lastPathComponent, uninterrupted.checkpoint.lastPathComponent, file: file, line: line)
        let a = try Safetensors.read(contentsOf: uninterrupted.lastCheckpoint), b = try Safetensors.read(contentsOf: resumed.lastCheckpoint)
        XCTAssertEqual(a.tensors.map(\.name), b.tensors.map(\.name), file: file, line: line)
        for ((name, x), (_, y)) in zip(a.tensors, b.tensors) {
            XCTAssertEqual(x, y, "\(name) differs", file: file, line: line)   // bit-identical float32 payloads
        }
        XCTAssertEqual(a.metadata[TrainingState.key], b.metadata[TrainingState.key], "same RNG, optimiser and best/patience state",
                       file: file, line: line)
    }

    func testMLPResumeWithDropoutAugmentationAndStepScheduleIsBitIdentical() throws {
        let (train, validation, _) = try Fixtures.letters()
        var options = TrainingOptions()
        options.batchSize = 32
        options.dropout = 0.3
        options.scheduler = .step
        options.stepSize = 2
        options.gamma = 0.5
        options.augmentation.mirror = true
        options.augmentation.jitter = 0.02
        options.augmentation.rotateDegrees = 10
        options.patience = 10
        try assertResumeIdentical(train, validation, options)
    }

    func testTCNResumeWithPlateauSGDAndFrameAugmentationIsBitIdentical() throws {
        let train = Fixtures.sequences(n: 48, T: 8, classes: 4, seed: 1), validation = Fixtures.sequences(n: 16, T: 8, classes: 4, seed: 2)
        var options = TrainingOptions()
        options.architecture = .tcn
        options.hiddenDim = 16
        options.layers = 2
        options.batchSize = 16
        options.optimizer = .sgd
        options.learningRate = 0.05
        options.scheduler = .plateau
        options.stepSize = 1
        options.gamma = 0.5
        options.augmentation.timeStretch = 0.2
        options.augmentation.frameDropout = 0.2
        try assertResumeIdentical(train, validation, options)
    }

    func testResumeRefusesAnotherArchitectureLabelSetOrLayout() throws {
        let train = Fixtures.sequences(n: 24, T: 4, classes: 3, seed: 1)
        var options = TrainingOptions()
        options.epochs = 1
        options.batchSize = 8
        options.hiddenDim = 16
        options.checkpointDirectory = directory
        let run = try Trainer.train(train, validation: nil, options: options)
        var again = options
        again.epochs = 2
        again.resume = run.lastCheckpoint

        func refusal(_ data: Dataset, _ o: TrainingOptions) -> String {
            do { _ = try Trainer.train(data, validation: nil, options: o); return "accepted" } catch { return "\(error)" }
        }
        var lstm = again
        lstm.architecture = .lstm
        XCTAssertTrue(refusal(train, lstm).contains("it is an mlp (hidden 16, 2 layers, dropout 0.2), this run asks for an lstm"), refusal(train, lstm))
        var renamed = train
        renamed.labelNames[2] = "other"
        XCTAssertTrue(refusal(renamed, again).contains("new in the dataset: other; only in the checkpoint: class2"), refusal(renamed, again))
        let longer = Fixtures.sequences(n: 24, T: 6, classes: 3, seed: 1)
        XCTAssertTrue(refusal(longer, again).contains("feature layout T = 4"), refusal(longer, again))
        var reseeded = again
        reseeded.seed = 7
        XCTAssertTrue(refusal(train, reseeded).contains("repeat them to continue the same run"), refusal(train, reseeded))
        again.resume = run.checkpoint
        XCTAssertTrue(refusal(train, again).contains("it has no training state"), refusal(train, again))
        // Control: the right resume is accepted and runs epoch 2 only.
        again.resume = run.lastCheckpoint
        XCTAssertEqual(try Trainer.train(train, validation: nil, options: again).history.map(\.epoch), [1, 2])
    }

    /// Dropout streams are found in all three architectures (their state is saved for resume).
    func testDropoutLayersAreFoundInEveryArchitecture() {
        for (arch, expected) in [(Architecture.mlp, 2), (.lstm, 1), (.tcn, 8)] {
            let model = ModelConfig(architecture: arch, sequenceLength: 4, classCount: 3, dropout: 0.2).makeModel(seed: 1)
            XCTAssertEqual(DropoutLayers.find(in: model).count, expected, "\(arch)")
        }
    }

    /// The resumable optimiser's update equals NeuralNets' Adam, AdamW and SGD bit for bit.
    func testResumableOptimizerMatchesNeuralNets() {
        let cases: [(OptimizerKind, NeuralNets.Optimizer)] = [
            (.adam, Adam(learningRate: 0.01, weightDecay: 0.1)),
            (.adamw, Adam.adamW(learningRate: 0.01, weightDecay: 0.1)),
            (.sgd, SGD(learningRate: 0.01, momentum: 0.9, weightDecay: 0.1))]
        for (kind, reference) in cases {
            var rng = SeededRandom(seed: 9)
            let a = ParameterStore(), b = ParameterStore()
            let initial = (0..<50).map { _ in rng.normal() }
            a.add("w", shape: [50], values: initial)
            b.add("w", shape: [50], values: initial)
            let ours = ResumableOptimizer(kind, learningRate: 0.01, weightDecay: 0.1, momentum: 0.9)
            for _ in 0..<5 {
                for i in 0..<50 { let g = rng.normal(); a.gradients[i] = g; b.gradients[i] = g }
                ours.step(a)
                reference.step(b)
            }
            XCTAssertEqual(a.tensor("w")!.scalars, b.tensor("w")!.scalars, "\(kind)")
        }
    }

    /// The learning rate each scheduler gives per epoch (recorded in the history).
    func testSchedulersSetTheLearningRatePerEpoch() throws {
        let train = Fixtures.sequences(n: 16, T: 1, classes: 2, seed: 3)
        func rates(_ configure: (inout TrainingOptions) -> Void) throws -> [Double] {
            var o = TrainingOptions()
            o.epochs = 6
            o.learningRate = 0.1
            o.batchSize = 16
            o.hiddenDim = 8
            o.dropout = 0
            o.checkpointDirectory = directory.appendingPathComponent(UUID().uuidString)
            configure(&o)
            return try Trainer.train(train, validation: nil, options: o).history.map { $0.learningRate! }
        }
        func close(_ a: [Double], _ b: [Double], _ what: String) {
            XCTAssertEqual(a.count, b.count, what)
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-6 * abs(y), "\(what): \(a) vs \(b)") }
        }
        close(try rates { _ in }, [0.1, 0.1, 0.1, 0.1, 0.1, 0.1], "none")
        close(try rates { $0.scheduler = .step; $0.stepSize = 2; $0.gamma = 0.5 }, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], "step")
        close(try rates { $0.scheduler = .step; $0.stepSize = 2; $0.gamma = 0.5; $0.warmupEpochs = 2 },
              [0.05, 0.1, 0.1, 0.1, 0.05, 0.05], "warm-up then step")
        // Cosine with 1 warm-up epoch over 6: warm-up 0.1·1/1, then 0.05·(1 + cos(π·k/5)), k = 0…4.
        close(try rates { $0.scheduler = .cosine; $0.warmupEpochs = 1 },
              [0.1] + (0..<5).map { 0.05 * (1 + cos(Double.pi * Double($0) / 5)) }, "cosine")
        // Plateau (patience 1, factor ½): SGD with lr 1e-6 moves the loss by far less than the 1e-4
        // relative threshold, so epochs 2, 3 are bad → lr halves for epoch 4; 4, 5 bad → halves for 6.
        close(try rates { $0.scheduler = .plateau; $0.stepSize = 1; $0.gamma = 0.5; $0.optimizer = .sgd; $0.learningRate = 1e-6 },
              [1e-6, 1e-6, 1e-6, 5e-7, 5e-7, 2.5e-7], "plateau")
    }

    /// `--class-weights balanced` = n/(C·n_c) (scikit-learn's rule) and `--label-smoothing` both reach the loss.
    func testClassWeightsAndLabelSmoothingReachTheLoss() throws {
        var data = Fixtures.sequences(n: 8, T: 1, classes: 2, seed: 6)
        data.labels = [0, 1, 1, 1, 0, 1, 1, 1]   // 2 of class 0, 6 of class 1
        XCTAssertEqual(Trainer.balancedWeights(data), [8.0 / 4, 8.0 / 12])
        func firstLoss(_ configure: (inout TrainingOptions) -> Void) throws -> Double {
            var o = TrainingOptions()
            o.epochs = 1
            o.batchSize = 8
            o.hiddenDim = 8
            o.checkpointDirectory = directory.appendingPathComponent(UUID().uuidString)
            configure(&o)
            return try Trainer.train(data, validation: nil, options: o).history[0].trainLoss
        }
        let plain = try firstLoss { _ in }
        // One batch, loss before the first step: only the loss definition differs.
        XCTAssertNotEqual(try firstLoss { $0.balancedClassWeights = true }, plain)
        XCTAssertNotEqual(try firstLoss { $0.labelSmoothing = 0.2 }, plain)
        XCTAssertEqual(try firstLoss { _ in }, plain)
    }
}
