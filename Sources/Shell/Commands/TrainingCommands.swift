import Datasets
import Foundation
import JobControl
import NeuralNets
import TensorCore
import Training

/// `train` and `eval`: datasets → checkpoint → report.
public enum TrainingCommands {
    public static var all: [CommandDefinition] { [train, evaluate] }

    static func dataset(_ call: Invocation, _ name: String) throws -> Dataset? {
        guard let url = call.url(name) else { return nil }
        do { return try Dataset(contentsOf: url) } catch { throw call.failure("\(error)") }
    }

    /// A checkpoint path, or the record `train` returned (its `checkpoint` field).
    static func checkpointURL(_ value: Value?) -> URL? {
        if let v = value?.field("checkpoint")?.textValue { return Invocation.resolvePath(v) }
        return value?.textValue.map { Invocation.resolvePath($0) }
    }

    static let train = CommandDefinition(
        "train", summary: "train an MLP, LSTM or TCN classifier on a dataset (.npz from build)",
        discussion: """
        Seeded shuffling, Adam (AdamW with --weight-decay), best checkpoint by validation accuracy,
        early stopping (--patience), metrics log (JSON lines) for `plot curves`. Ctrl-C stops at a
        batch boundary keeping the best checkpoint.
        example: net = train data/processed/datasets/letters_train.npz --val data/processed/datasets/letters_val.npz --architecture mlp --epochs 30
        """,
        arguments: [ArgumentSpec("dataset", .path, "training .npz")],
        flags: [FlagSpec("val", .path, "validation .npz"),
                FlagSpec("architecture", .choice(Architecture.allCases.map(\.rawValue)), "model", default: .string("mlp")),
                FlagSpec("hidden-dim", .int, "hidden size (default: mlp 256, lstm 128, tcn 64)", validate: FlagSpec.positive),
                FlagSpec("layers", .int, "layers / TCN levels", validate: FlagSpec.positive),
                FlagSpec("dropout", .number, "dropout probability", default: .number(0.2)),
                FlagSpec("batch-size", .int, "samples per batch", default: .int(64), validate: FlagSpec.positive),
                FlagSpec("epochs", .int, "passes over the data", default: .int(30), validate: FlagSpec.positive),
                FlagSpec("lr", .number, "learning rate", default: .number(1e-3), validate: FlagSpec.positive),
                FlagSpec("weight-decay", .number, "AdamW weight decay", default: .number(0)),
                FlagSpec("patience", .int, "early stopping patience (epochs)", validate: FlagSpec.positive),
                FlagSpec("clip", .number, "gradient-norm clip", validate: FlagSpec.positive),
                FlagSpec("seed", .int, "seed for initialisation and shuffling", default: .int(42)),
                FlagSpec("device", .choice(["cpu"]), "compute device", default: .string("cpu")),
                FlagSpec("checkpoint-dir", .path, "checkpoint folder", default: .path("models/checkpoints"))]
    ) { call in
        guard let train = try dataset(call, "dataset") else { throw call.failure("no dataset") }
        var options = TrainingOptions()
        options.architecture = Architecture(rawValue: call.string("architecture")!)!
        options.hiddenDim = call.int("hidden-dim")
        options.layers = call.int("layers")
        options.dropout = Float(call.number("dropout")!)
        options.batchSize = call.int("batch-size")!
        options.epochs = call.int("epochs")!
        options.learningRate = Float(call.number("lr")!)
        options.weightDecay = Float(call.number("weight-decay")!)
        options.patience = call.int("patience")
        options.clipNorm = call.number("clip").map(Float.init)
        options.seed = UInt64(max(0, call.int("seed")!))
        options.checkpointDirectory = call.url("checkpoint-dir")!
        let run: TrainingRun
        do {
            run = try Trainer.train(train, validation: try dataset(call, "val"), options: options,
                                    log: { call.session.print($0, volatile: true) }, isCancelled: { Cancellation.isRequested })
        } catch let error as TrainingError {
            if case .cancelled = error { throw CancelledError() }
            throw call.failure(error.description)
        }
        let best = run.history[run.bestEpoch - 1]
        call.session.print("best epoch \(run.bestEpoch) → \(LandmarkCommands.relative(run.checkpoint.path))")
        return .record(Record([(key: "checkpoint", value: .path(LandmarkCommands.relative(run.checkpoint.path))),
                               (key: "metrics", value: .path(LandmarkCommands.relative(run.metricsLog.path))),
                               (key: "best_epoch", value: .int(run.bestEpoch)),
                               (key: "val_acc", value: best.valAcc.map { .number($0) } ?? .null),
                               (key: "train_acc", value: .number(best.trainAcc))]))
    }

    static let evaluate = CommandDefinition(
        "eval", summary: "evaluate a checkpoint on a dataset: accuracy, top-5, per-class F1, confusion matrix",
        discussion: """
        Writes the confusion matrix (rows = true class) as .npy for `plot confusion`.
        example: r = eval net data/processed/datasets/letters_test.npz; plot confusion r --out plots/cm.png
        """,
        arguments: [ArgumentSpec("model", .any, "a checkpoint path or the value `train` returned"),
                    ArgumentSpec("dataset", .path, "test .npz")],
        flags: [FlagSpec("confusion-out", .path, "where the confusion matrix .npy goes (default: beside the checkpoint)")]
    ) { call in
        guard let url = checkpointURL(call["model"]) else { throw call.failure("MODEL must be a checkpoint path or a train result") }
        guard let data = try dataset(call, "dataset") else { throw call.failure("no dataset") }
        let model: SequenceClassifier, names: [String]
        do { (model, names) = try Checkpoint.read(url) } catch { throw call.failure("\(error)") }
        guard names == data.labelNames else {
            throw call.failure("the checkpoint's classes (\(names.count)) differ from the dataset's (\(data.labelNames.count))")
        }
        guard model.config.sequenceLength == data.sequenceLength else {
            throw call.failure("the checkpoint expects T = \(model.config.sequenceLength), the dataset has T = \(data.sequenceLength)")
        }
        let report = Evaluator.evaluate(model, on: data)
        let cmURL = call.url("confusion-out") ?? url.deletingPathExtension().appendingPathExtension("confusion.npy")
        try NPY.write(NDArray(shape: [names.count, names.count], storage: .int64(report.confusion.flatMap { $0.map(Int64.init) })), to: cmURL)
        call.session.print(String(format: "accuracy %.4f  top-5 %.4f  macro F1 %.4f  (%d samples)", report.accuracy,
                                  report.top5Accuracy, report.macroF1, report.count))
        for (name, m) in zip(names, report.perClass) {
            call.session.print(String(format: "  %-10@ precision %.3f  recall %.3f  F1 %.3f", name as NSString, m.precision, m.recall, m.f1))
        }
        return .record(Record([(key: "accuracy", value: .number(report.accuracy)), (key: "top5", value: .number(report.top5Accuracy)),
                               (key: "macro_f1", value: .number(report.macroF1)),
                               (key: "confusion", value: .path(LandmarkCommands.relative(cmURL.path))),
                               (key: "labels", value: .string(names.joined(separator: " ")))]))
    }
}
