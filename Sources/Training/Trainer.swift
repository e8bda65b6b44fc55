import Datasets
import Foundation
import NeuralNets
import TensorCore

/// Hyperparameters of one training run (flag names as the original `train.py`).
public struct TrainingOptions: Sendable {
    public var architecture: Architecture = .mlp
    public var hiddenDim: Int?
    public var layers: Int?
    public var dropout: Float = 0.2
    public var batchSize = 64
    public var epochs = 30
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 0
    public var seed: UInt64 = 42
    /// Stop when validation accuracy has not improved for this many epochs (nil = never).
    public var patience: Int?
    /// Global gradient-norm clip (nil = none).
    public var clipNorm: Float?
    /// Where `<arch>_best.safetensors`, `<arch>_last.safetensors` and `<arch>_metrics.jsonl` go.
    public var checkpointDirectory = URL(fileURLWithPath: "models/checkpoints")
    public init() {}
}

/// One epoch's numbers, as written to the metrics log (JSON lines) that `plot curves` reads.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAcc: Double
    public var valLoss: Double?
    public var valAcc: Double?
    public var valTop5: Double?
    enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", trainAcc = "train_acc", valLoss = "val_loss", valAcc = "val_acc", valTop5 = "val_top5"
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(epoch: Int, batch: Int)
    case incompatible(String)
    case cancelled(epoch: Int)

    public var description: String {
        switch self {
        case .nonFinite(let e, let b): "loss became NaN/Inf at epoch \(e), batch \(b): lower --lr or add clipping; the best checkpoint so far is kept"
        case .incompatible(let why): why
        case .cancelled(let e): "stopped at epoch \(e); the best and last checkpoints so far are kept"
        }
    }
}

/// The result of `train`: the best model (by validation accuracy, or the last without
/// validation data), its checkpoint and the per-epoch history.
public struct TrainingRun {
    public var model: SequenceClassifier
    public var labelNames: [String]
    public var history: [EpochMetrics]
    public var bestEpoch: Int
    public var checkpoint: URL
    public var metricsLog: URL
}

/// Mini-batch training with seeded shuffling, Adam/AdamW, early stopping and checkpoints.
public enum Trainer {
    public static func train(_ train: Dataset, validation: Dataset?, options: TrainingOptions,
                             log: (String) -> Void = { _ in }, isCancelled: () -> Bool = { false }) throws -> TrainingRun {
        guard train.count > 0 else { throw TrainingError.incompatible("the training set is empty") }
        if let validation {
            guard validation.labelNames == train.labelNames else {
                throw TrainingError.incompatible("validation classes differ from training classes")
            }
            guard validation.sequenceLength == train.sequenceLength else {
                throw TrainingError.incompatible("validation sequence length \(validation.sequenceLength) ≠ training \(train.sequenceLength)")
            }
        }
        let config = ModelConfig(architecture: options.architecture, sequenceLength: train.sequenceLength,
                                 classCount: train.classCount, hiddenDim: options.hiddenDim, layers: options.layers,
                                 dropout: options.dropout)
        let model = config.makeModel(seed: options.seed)
        let optimizer = options.weightDecay > 0 ? Adam.adamW(learningRate: options.learningRate, weightDecay: options.weightDecay)
                                                : Adam(learningRate: options.learningRate)
        let loss = CrossEntropyLoss()
        var rng = SeededRandom(seed: options.seed ^ 0x5348_5546)
        let name = options.architecture.rawValue
        let best = options.checkpointDirectory.appendingPathComponent("\(name)_best.safetensors")
        let last = options.checkpointDirectory.appendingPathComponent("\(name)_last.safetensors")
        let metricsURL = options.checkpointDirectory.appendingPathComponent("\(name)_metrics.jsonl")
        var history: [EpochMetrics] = []
        var bestAcc = -1.0, bestEpoch = 0, sinceBest = 0
        log("epoch  train_loss  train_acc  val_loss  val_acc  val_top5")
        for epoch in 1...max(1, options.epochs) {
            let order = rng.permutation(train.count)
            var lossSum = 0.0, correct = 0
            for (b, start) in stride(from: 0, to: order.count, by: options.batchSize).enumerated() {
                if isCancelled() { throw TrainingError.cancelled(epoch: epoch) }
                let indices = Array(order[start..<min(start + options.batchSize, order.count)])
                let (x, mask, labels) = batch(train, indices)
                model.parameters.zeroGradients()
                let logits = model.forward(x, mask: mask, training: true)
                let (l, dLogits) = loss.lossAndGradient(logits: logits, labels: labels)
                guard l.isFinite else { throw TrainingError.nonFinite(epoch: epoch, batch: b) }
                model.backward(dLogits)
                if let clip = options.clipNorm { _ = GradientClipping.clipNorm(model.parameters, maxNorm: clip) }
                optimizer.step(model.parameters)
                lossSum += Double(l) * Double(indices.count)
                correct += zip(logits.argmaxLastAxis(), labels).filter { $0 == $1 }.count
            }
            var record = EpochMetrics(epoch: epoch, trainLoss: lossSum / Double(train.count),
                                      trainAcc: Double(correct) / Double(train.count))
            if let validation {
                let report = Evaluator.evaluate(model, on: validation)
                record.valLoss = report.loss
                record.valAcc = report.accuracy
                record.valTop5 = report.top5Accuracy
            }
            history.append(record)
            log(String(format: "%5d  %10.4f  %9.3f  %8@  %7@  %8@", epoch, record.trainLoss, record.trainAcc,
                       record.valLoss.map { String(format: "%.4f", $0) } ?? "-", record.valAcc.map { String(format: "%.3f", $0) } ?? "-",
                       record.valTop5.map { String(format: "%.3f", $0) } ?? "-"))
            let score = record.valAcc ?? record.trainAcc
            try Checkpoint.write(model, labelNames: train.labelNames, history: history, seed: options.seed, to: last)
            if score > bestAcc {
                bestAcc = score; bestEpoch = epoch; sinceBest = 0
                try Checkpoint.write(model, labelNames: train.labelNames, history: history, seed: options.seed, to: best)
            } else {
                sinceBest += 1
            }
            let lines = try history.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
            try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: metricsURL)
            if let patience = options.patience, sinceBest >= patience {
                log("early stop: no validation improvement for \(patience) epochs")
                break
            }
        }
        let (bestModel, _) = try Checkpoint.read(best)
        return TrainingRun(model: bestModel, labelNames: train.labelNames, history: history, bestEpoch: bestEpoch,
                           checkpoint: best, metricsLog: metricsURL)
    }

    /// `[B, T, 21, 3]` sequences, `[B, T]` mask (1 valid) and labels for the given samples.
    static func batch(_ data: Dataset, _ indices: [Int]) -> (Tensor, Tensor, [Int]) {
        let T = data.sequenceLength
        let x = data.sequences.gather(rows: indices)
        var mask = [Float](repeating: 0, count: indices.count * T)
        for (k, i) in indices.enumerated() { for t in 0..<T where data.masks[i * T + t] { mask[k * T + t] = 1 } }
        return (x, Tensor(shape: [indices.count, T], scalars: mask), indices.map { data.labels[$0] })
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
