import Datasets
import Foundation
import JobControl
import NeuralNets
import Plot
import TensorCore
import Training

/// `train`, `eval` and `cv`: datasets → checkpoint → report.
public enum TrainingCommands {
    public static var all: [CommandDefinition] { [train, evaluate, crossValidate] }

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
        "train", summary: "train an MLP, LSTM, TCN or Transformer classifier on a dataset (.npz from build)",
        discussion: """
        Seeded shuffling and augmentation, Adam/AdamW/SGD, learning-rate schedules, early stopping
        (--patience). Keeps the best checkpoint by validation accuracy as
        <arch>_epoch<N>_acc<A>.safetensors and <arch>_last.safetensors (with the training state:
        --resume it to continue exactly). Metrics log (JSON lines) for `plot curves`; --tensorboard
        also writes event files under <out>/runs/. Ctrl-C stops at a batch boundary
        keeping both checkpoints.
        example: net = train data/processed/datasets/letters_train.npz --val data/processed/datasets/letters_val.npz --architecture mlp --epochs 30 --out models/checkpoints/letters
        """,
        arguments: [ArgumentSpec("dataset", .path, "training .npz")],
        flags: [FlagSpec("dataset", .path, "training .npz (instead of the DATASET argument)"),
                FlagSpec("val", .path, "validation .npz"),
                FlagSpec("architecture", .choice(Architecture.allCases.map(\.rawValue)), "model", default: .string("mlp")),
                FlagSpec("hidden-dim", .int, "hidden size (default: mlp 256, lstm 128, tcn 64, transformer 64)", validate: FlagSpec.positive),
                FlagSpec("layers", .int, "layers / TCN levels", validate: FlagSpec.positive),
                FlagSpec("heads", .int, "Transformer attention heads (hidden-dim a multiple)", default: .int(4), validate: FlagSpec.positive),
                FlagSpec("features", .choice(FrameFeature.allCases.map(\.rawValue)),
                         "what the model sees of each frame: coords (the coordinates, 63 a hand), distances (55 handshape "
                         + "distances a hand, unchanged by turning or mirroring it), or both", default: .list([.string("coords")]),
                         values: .oneOrMore),
                FlagSpec("dropout", .number, "dropout probability", default: .number(0.2)),
                FlagSpec("batch-size", .int, "samples per batch", default: .int(64), validate: FlagSpec.positive),
                FlagSpec("epochs", .int, "total epochs (a resumed run continues up to this)", default: .int(30), validate: FlagSpec.positive),
                FlagSpec("lr", .number, "learning rate", default: .number(1e-3), validate: FlagSpec.positive),
                FlagSpec("optimizer", .choice(OptimizerKind.allCases.map(\.rawValue)), "adam (AdamW when --weight-decay > 0), adamw, sgd", default: .string("adam")),
                FlagSpec("momentum", .number, "SGD momentum", default: .number(0.9), validate: FlagSpec.nonNegative),
                FlagSpec("weight-decay", .number, "weight decay (decoupled for adam/adamw)", default: .number(0), validate: FlagSpec.nonNegative),
                FlagSpec("scheduler", .choice(SchedulerKind.allCases.map(\.rawValue)), "learning-rate schedule", default: .string("none")),
                FlagSpec("warmup", .int, "linear warm-up epochs", default: .int(0), validate: FlagSpec.nonNegative),
                FlagSpec("step-size", .int, "step: epochs between decays; plateau: patience", default: .int(10), validate: FlagSpec.positive),
                FlagSpec("gamma", .number, "step/plateau decay factor", default: .number(0.1), validate: FlagSpec.positive),
                FlagSpec("label-smoothing", .number, "label smoothing ε in [0, 1)", default: .number(0), validate: FlagSpec.nonNegative),
                FlagSpec("class-weights", .choice(["none", "balanced"]), "loss class weights (balanced = n/(C·n_c))", default: .string("none")),
                FlagSpec("patience", .int, "early stopping patience (epochs)", validate: FlagSpec.positive),
                FlagSpec("clip", .number, "gradient-norm clip", validate: FlagSpec.positive),
                FlagSpec("seed", .int, "seed for initialisation, shuffling, dropout and augmentation", default: .int(42)),
                FlagSpec("augment", .bool, "the cross-validated default augmentation: rotate ±10°, scale ±10 %, jitter 0.01, "
                         + "time-stretch ±10 % (sequences); no mirroring. An --augment-* flag given overrides its part"),
                FlagSpec("augment-mirror", .bool, "mirror x → −x with probability ½"),
                FlagSpec("augment-rotate", .number, "rotate by U(−DEG, DEG) degrees", validate: FlagSpec.nonNegative),
                FlagSpec("augment-scale", .number, "scale by U(1−F, 1+F)", validate: FlagSpec.nonNegative),
                FlagSpec("augment-jitter", .number, "σ of translation and landmark noise (palm lengths)", validate: FlagSpec.nonNegative),
                FlagSpec("augment-time-stretch", .number, "resample in time by U(1−F, 1+F)", validate: FlagSpec.nonNegative),
                FlagSpec("augment-frame-dropout", .number, "mask each valid frame with probability P", validate: FlagSpec.nonNegative),
                FlagSpec("resume", .path, "continue from a run's <arch>_last.safetensors"),
                FlagSpec("tensorboard", .bool, "also write TensorBoard event files under <out>/runs/"),
                FlagSpec("run-name", .string, "TensorBoard run folder (default <arch>_<UTC time>)"),
                FlagSpec("device", .choice(["cpu"]), "compute device", default: .string("cpu")),
                FlagSpec("out", .path, "folder for the checkpoints and the metrics log", default: .path("models/checkpoints"),
                         aliases: ["checkpoint-dir"])]
    ) { call in
        guard let train = try dataset(call, "dataset") else { throw call.failure("no dataset") }
        let options = try trainingOptions(call)
        let run: TrainingRun
        // In a background job the epochs also feed `jobs` and `wait`'s bar; in the foreground the
        // epoch table is the display.
        let epochs = JobContext.current.map { _ in ProgressReporter(label: "train", total: options.epochs, unit: "epochs", output: .quiet) }
        defer { epochs?.finish() }
        do {
            run = try Trainer.train(train, validation: try dataset(call, "val"), options: options,
                                    log: { line in
                                        call.session.print(line, volatile: true)
                                        if line.trimmingCharacters(in: .whitespaces).first?.isNumber == true { try? epochs?.advance() }
                                    }, isCancelled: { [cancellation = Cancellation.current] in cancellation.isRequested })
        } catch let error as TrainingError {
            if case .cancelled = error { throw CancelledError() }
            throw call.failure(error.description)
        }
        let best = run.history.first { $0.epoch == run.bestEpoch }
        call.session.print("best epoch \(run.bestEpoch) → \(LandmarkCommands.relative(run.checkpoint.path))")
        var entries: [(key: String, value: Value)] = [
            (key: "checkpoint", value: .path(LandmarkCommands.relative(run.checkpoint.path))),
            (key: "last", value: .path(LandmarkCommands.relative(run.lastCheckpoint.path))),
            (key: "metrics", value: .path(LandmarkCommands.relative(run.metricsLog.path))),
            (key: "best_epoch", value: .int(run.bestEpoch)),
            (key: "epochs", value: .int(run.history.last?.epoch ?? 0)),
            (key: "val_acc", value: best?.valAcc.map { .number($0) } ?? .null),
            (key: "train_acc", value: best.map { .number($0.trainAcc) } ?? .null)]
        if let events = run.eventFile { entries.append((key: "tensorboard", value: .path(LandmarkCommands.relative(events.path)))) }
        return .record(Record(entries))
    }

    /// The training flags `cv` shares with `train` (not those naming one run's files).
    static let sharedTrainingFlags = train.flags.filter {
        !["dataset", "val", "seed", "resume", "tensorboard", "run-name", "out"].contains($0.name)
    }

    static let crossValidate = CommandDefinition(
        "cv", summary: "cross-validate: train and score every fold, no signer in two folds (accuracy on people the model never saw)",
        discussion: """
        The datasets (e.g. the train, val and test files of one build) are pooled and dealt into --folds folds; with
        --group-by signer (default) each signer's samples stay in one fold, so as many folds as signers is
        leave-one-signer-out. Each fold trains a fresh model on the others with the train flags given (no validation
        set: the epoch with the best training accuracy is kept) and is scored on its held-out fold. --seeds repeats
        everything per seed (folds dealt and models seeded by it). Prints each fold, the mean ± sd of the fold
        accuracies and a per-signer table, worst first; writes that table as a bar chart (--plot). Each finished
        fold is saved in --out/cv_results.json: after Ctrl-C or a kill, --resume goes on from there. --shard I/N runs
        only every N-th (seed, fold) from I, saving to cv_results.shard-I-of-N.json, so N processes or machines sharing
        --out split the work; a final run with --resume gathers every shard's folds, trains any missing and reports.
        Result fields: mean sd pooled folds (table) groups (table) plot, and with recovered samples (--recover) hand_sources (table).
        example: r = cv data/processed/datasets/signs_train.npz data/processed/datasets/signs_val.npz data/processed/datasets/signs_test.npz --folds 6 --architecture tcn --seeds 1 2 3
        """,
        arguments: [ArgumentSpec("datasets", .path, "dataset .npz files, pooled", variadic: true)],
        flags: [FlagSpec("folds", .int, "number of folds (as many as signers: leave one signer out)", default: .int(5),
                         validate: FlagSpec.positive),
                FlagSpec("group-by", .choice(CrossValidation.Grouping.allCases.map(\.rawValue)),
                         "keep each signer's (or source's) samples in one fold; none: stratified by class", default: .string("signer")),
                FlagSpec("seeds", .int, "seeds, one round of folds each", default: .list([.int(42)]), values: .oneOrMore),
                FlagSpec("plot", .path, "per-signer accuracy chart (PNG) [default: cv_<group>s.png in --out]"),
                FlagSpec("resume", .bool, "keep the folds an interrupted run or the shards finished (--out/cv_results*.json, same data and settings)"),
                FlagSpec("shard", .string, "only (seed, fold) jobs I, I+N, I+2N, … of N (I from 0), into cv_results.shard-I-of-N.json; "
                         + "auto: I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, N from auto/N, ASLSH_SHARD_COUNT or SLURM_ARRAY_TASK_COUNT"),
                FlagSpec("out", .path, "folder for the folds' checkpoints and the chart", default: .path("models/cv"))]
            + sharedTrainingFlags
    ) { call in
        let paths = call.list("datasets").compactMap { $0.textValue }
        guard !paths.isEmpty else { throw call.failure("no dataset") }
        var parts: [(Dataset, String)] = []
        for path in paths {
            do { parts.append((try Dataset(contentsOf: Invocation.resolvePath(path)), path)) } catch { throw call.failure("\(error)") }
        }
        var options = CrossValidation.Options()
        options.folds = call.int("folds")!
        options.grouping = CrossValidation.Grouping(rawValue: call.string("group-by")!)!
        options.seeds = try call.list("seeds").map {
            guard let seed = $0.numberValue.flatMap({ $0 >= 0 ? UInt64(exactly: $0) : nil }) else {
                throw call.failure("--seeds: \(ValueFormatter.inline($0)) is not a seed (a whole number ≥ 0)")
            }
            return seed
        }
        options.directory = call.url("out")!
        options.resume = call.bool("resume")
        if let shard = try PipelineCommands.shard(call) { options.shard = (shard.index, shard.count) }
        options.training = try trainingOptions(call)
        options.training.resume = nil   // trainingOptions reads --resume as a checkpoint path; here it is a switch
        let groupName = options.grouping == .none ? "sample" : options.grouping.rawValue
        let plot = call.url("plot") ?? options.directory.appendingPathComponent("cv_\(groupName)s.png")
        do { try OutputFile.checkWritable(plot) } catch { throw call.failure("\(error)") }
        let report: CrossValidation.Report
        let progress = ProgressReporter(label: "cv", total: options.jobs.count, unit: "folds",
                                        output: .display(quiet: false))
        defer { progress.finish() }
        do {
            let data = try CrossValidation.merged(parts)
            let groups = Set(try CrossValidation.groups(of: data, by: options.grouping)).count
            call.session.print("cv: \(options.folds) folds × \(options.seeds.count) seed\(options.seeds.count == 1 ? "" : "s"), \(data.count) samples in \(data.classCount) classes, "
                + (options.grouping == .none ? "stratified by class" : "\(groups) \(groupName)s, none in two folds")
                + ", \(options.training.architecture.rawValue)"
                + (options.shard.map { "; shard \($0.index)/\($0.count): \(options.jobs.count) of \(options.folds * options.seeds.count) folds" } ?? ""))
            report = try CrossValidation.run(data, options: options, progress: { fold in
                call.session.print("seed \(fold.seed) fold \(fold.fold)  accuracy \(String(format: "%.4f", fold.accuracy))  "
                                   + "(\(fold.trainCount) train, \(fold.testCount) test)  held out: \(Self.listed(fold.heldOut))")
                try? progress.advance()
            }, isCancelled: { [cancellation = Cancellation.current] in cancellation.isRequested })
        } catch let error as TrainingError {
            if case .cancelled = error { throw CancelledError() }
            throw call.failure(error.description)
        } catch let error as DatasetError {
            throw call.failure(error.description)
        }
        progress.finish()
        call.session.print(String(format: "accuracy %.4f ± %.4f (mean ± sd of %d folds); pooled over samples %.4f",
                                  report.mean, report.standardDeviation, report.folds.count, report.pooledAccuracy))
        let groupTable = Table(columns: [groupName, "samples", "accuracy"], rows: report.groups.map {
            [.string($0.name), .int($0.samples), .number($0.accuracy)]
        })
        if options.grouping != .none {
            for line in ValueFormatter.lines(.table(groupTable), maxRows: 20) { call.session.print(line) }
            do {
                let chart = try BarChart(report.groups.map { ($0.name, $0.accuracy) }, name: "accuracy",
                                         options: BarChartOptions(chart: ChartOptions(width: 1000, height: 600,
                                                                                      title: "held-out accuracy per \(groupName)"),
                                                                  xLabel: groupName, yLabel: "accuracy", yRange: 0...1, showValues: true))
                try chart.render().writePNG(to: plot)
            } catch { throw call.failure("\(error)") }
            call.session.print("wrote \(LandmarkCommands.relative(plot.path))")
        }
        let foldTable = Table(columns: ["seed", "fold", "held_out", "train", "test", "accuracy"], rows: report.folds.map {
            [.int(Int($0.seed)), .int($0.fold), .string($0.heldOut.joined(separator: " ")), .int($0.trainCount), .int($0.testCount),
             .number($0.accuracy)]
        })
        var entries: [(key: String, value: Value)] = [
            (key: "mean", value: .number(report.mean)), (key: "sd", value: .number(report.standardDeviation)),
            (key: "pooled", value: .number(report.pooledAccuracy)),
            (key: "folds", value: .table(foldTable)), (key: "groups", value: .table(groupTable))]
        if !report.handSources.isEmpty {
            // Recovered hands (`--recover`) are only worth keeping if they are classified as well.
            let table = Table(columns: ["hand", "samples", "accuracy"], rows: report.handSources.map {
                [.string($0.name), .int($0.samples), .number($0.accuracy)]
            })
            call.session.print("held-out accuracy by where the hand came from:")
            for line in ValueFormatter.lines(.table(table), maxRows: 20) { call.session.print(line) }
            entries.append((key: "hand_sources", value: .table(table)))
        }
        if options.grouping != .none { entries.append((key: "plot", value: .path(LandmarkCommands.relative(plot.path)))) }
        return .record(Record(entries))
    }

    /// "m01 m02" or "17 samples" for a long list.
    static func listed(_ names: [String]) -> String {
        names.count <= 4 ? names.joined(separator: " ") : "\(names.prefix(3).joined(separator: " ")) … (\(names.count))"
    }

    static func trainingOptions(_ call: Invocation) throws -> TrainingOptions {
        var options = TrainingOptions()
        options.architecture = Architecture(rawValue: call.string("architecture")!)!
        options.hiddenDim = call.int("hidden-dim")
        options.layers = call.int("layers")
        options.heads = call.int("heads") ?? 4
        options.features = FrameFeatures.normalised(call.list("features").compactMap { $0.textValue.flatMap(FrameFeature.init) })
        options.dropout = Float(call.number("dropout")!)
        options.batchSize = call.int("batch-size")!
        options.epochs = call.int("epochs")!
        options.learningRate = Float(call.number("lr")!)
        options.optimizer = OptimizerKind(rawValue: call.string("optimizer")!)!
        options.momentum = Float(call.number("momentum")!)
        options.weightDecay = Float(call.number("weight-decay")!)
        options.scheduler = SchedulerKind(rawValue: call.string("scheduler")!)!
        options.warmupEpochs = call.int("warmup")!
        options.stepSize = call.int("step-size")!
        options.gamma = Float(call.number("gamma")!)
        options.labelSmoothing = Float(call.number("label-smoothing")!)
        guard options.labelSmoothing < 1 else { throw call.failure("--label-smoothing must be below 1, got \(options.labelSmoothing)") }
        guard (0..<1).contains(options.dropout) else { throw call.failure("--dropout must be in [0, 1), got \(options.dropout)") }
        options.balancedClassWeights = call.string("class-weights") == "balanced"
        options.patience = call.int("patience")
        options.clipNorm = call.number("clip").map(Float.init)
        options.seed = UInt64(max(0, call.int("seed") ?? 42))   // cv has --seeds instead
        // --augment starts from the cross-validated default; each --augment-* flag given overrides its part.
        var augment = call.bool("augment") ? AugmentationOptions.recommended : AugmentationOptions()
        augment.mirror = call.bool("augment-mirror")
        if let v = call.number("augment-rotate") { augment.rotateDegrees = Float(v) }
        if let v = call.number("augment-scale") { augment.scale = Float(v) }
        if let v = call.number("augment-jitter") { augment.jitter = Float(v) }
        if let v = call.number("augment-time-stretch") { augment.timeStretch = Float(v) }
        if let v = call.number("augment-frame-dropout") { augment.frameDropout = Float(v) }
        guard augment.scale < 1, augment.timeStretch < 1, augment.frameDropout < 1 else {
            throw call.failure("--augment-scale, --augment-time-stretch and --augment-frame-dropout must be below 1")
        }
        options.augmentation = augment
        options.resume = call.url("resume")
        options.tensorboard = call.bool("tensorboard")
        options.runName = call.string("run-name")
        options.checkpointDirectory = call.url("out")!
        return options
    }

    static let evaluate = CommandDefinition(
        "eval", summary: "evaluate a checkpoint: accuracy, top-5, per-class P/R/F1, confusion, worst samples",
        discussion: """
        Classes are matched by name (a test set with the same classes in another order is fine; classes
        the checkpoint does not know are an error naming them). Writes the confusion matrix
        (rows = true class) as .npy for `plot confusion` and, with --out, the whole report as JSON.
        Result fields: accuracy top5 loss macro_precision macro_recall macro_f1 confusion (array)
        confusion_npy labels per_class (table) most_confused (table) worst (table) report, and with --by signer
        by_signer (table).
        example: r = eval net data/processed/datasets/letters_test.npz --out reports/letters.json; plot confusion r --out plots/cm.png
        example: eval --dataset data/processed/datasets/letters_test.npz --checkpoint models/checkpoints/letters/mlp_last.safetensors
        """,
        arguments: [ArgumentSpec("checkpoint", .any, "a checkpoint path or the value `train` returned"),
                    ArgumentSpec("dataset", .path, "test .npz")],
        flags: [FlagSpec("checkpoint", .any, "the checkpoint, as a flag (the original CLI's spelling)"),
                FlagSpec("dataset", .path, "the test .npz, as a flag"),
                FlagSpec("confusion-out", .path, "where the confusion matrix .npy goes (default: beside the checkpoint)"),
                FlagSpec("out", .path, "write the full report as JSON here", aliases: ["report"]),
                FlagSpec("worst", .int, "how many lowest-confidence samples to list", default: .int(5), validate: FlagSpec.nonNegative),
                FlagSpec("by", .choice(["signer", "source", "recovery"]),
                         "also the accuracy per signer (or source; or recovery: MediaPipe's hands vs each --recover attempt's), worst first"),
                FlagSpec("device", .choice(["cpu"]), "compute device", default: .string("cpu"))]
    ) { call in
        guard let url = checkpointURL(call["checkpoint"]) else { throw call.failure("CHECKPOINT must be a checkpoint path or a train result") }
        guard let raw = try dataset(call, "dataset") else { throw call.failure("no dataset") }
        let model: SequenceClassifier, names: [String], data: Dataset
        do {
            (model, names) = try Checkpoint.read(url)
            data = try LabelAlignment.align(raw, to: names, role: "test set \(call.url("dataset")!.lastPathComponent)")
        } catch { throw call.failure("\(error)") }
        guard model.config.sequenceLength == data.sequenceLength else {
            throw call.failure("the checkpoint expects T = \(model.config.sequenceLength), the dataset has T = \(data.sequenceLength)")
        }
        guard model.config.featureCount == data.frameWidth else {
            throw call.failure("the checkpoint expects \(model.config.frameLayout.explained) a frame, the dataset's frames hold \(data.layout.explained)")
        }
        let cmURL = call.url("confusion-out") ?? url.deletingPathExtension().appendingPathExtension("confusion.npy")
        // Both outputs must be writable before either is written (and before the evaluation runs).
        for output in [cmURL] + (call.url("out").map { [$0] } ?? []) {
            do { try OutputFile.checkWritable(output) } catch {
                throw call.failure("\(error)")
            }
        }
        let report = Evaluator.evaluate(model, on: data, worst: call.int("worst")!)
        let confusion = NDArray(shape: [names.count, names.count], storage: .int64(report.confusion.flatMap { $0.map(Int64.init) }))
        do {
            try NPY.write(confusion, to: cmURL)
            if let reportURL = call.url("out") { try OutputFile.write(try report.json(), to: reportURL) }
        } catch { throw call.failure("\(error)") }
        printReport(report, call.session)
        let perClass = Table(columns: ["label", "precision", "recall", "f1", "support"], rows: report.perClass.map {
            [.string($0.label), .number($0.precision), .number($0.recall), .number($0.f1), .int($0.support)]
        })
        let confused = Table(columns: ["true", "predicted", "count"], rows: report.mostConfused().map {
            [.string($0.trueLabel), .string($0.predicted), .int($0.count)]
        })
        let worst = Table(columns: ["index", "clip_id", "true", "predicted", "p_true"], rows: report.worstSamples.map {
            [.int($0.index), .string($0.clipID), .string($0.trueLabel), .string($0.predicted), .number($0.trueProbability)]
        })
        var entries: [(key: String, value: Value)] = [
            (key: "accuracy", value: .number(report.accuracy)), (key: "top5", value: .number(report.top5Accuracy)),
            (key: "loss", value: .number(report.loss)),
            (key: "macro_precision", value: .number(report.macroPrecision)), (key: "macro_recall", value: .number(report.macroRecall)),
            (key: "macro_f1", value: .number(report.macroF1)),
            (key: "confusion", value: .array(confusion)),
            (key: "confusion_npy", value: .path(LandmarkCommands.relative(cmURL.path))),
            (key: "labels", value: .string(names.joined(separator: " "))),
            (key: "per_class", value: .table(perClass)), (key: "most_confused", value: .table(confused)), (key: "worst", value: .table(worst))]
        if let reportURL = call.url("out") { entries.append((key: "report", value: .path(LandmarkCommands.relative(reportURL.path)))) }
        if let by = call.string("by") {
            let table = try accuracyByGroup(report.predictions, data, by: by, call)
            for line in ValueFormatter.lines(.table(table), maxRows: 20) { call.session.print(line) }
            entries.append((key: "by_\(by)", value: .table(table)))
        }
        return .record(Record(entries))
    }

    /// `eval --by signer`: each group's accuracy, worst first (ties by name).
    static func accuracyByGroup(_ predicted: [Int], _ data: Dataset, by: String, _ call: Invocation) throws -> Table {
        let groups: [String]
        if let grouping = CrossValidation.Grouping(rawValue: by) {
            do { groups = try CrossValidation.groups(of: data, by: grouping, flag: "--by") } catch { throw call.failure("\(error)") }
        } else {
            groups = data.metadata.handSources(count: data.count)
        }
        var tally: [String: (samples: Int, correct: Int)] = [:]
        for (i, g) in groups.enumerated() {
            tally[g, default: (0, 0)].samples += 1
            if predicted[i] == data.labels[i] { tally[g]!.correct += 1 }
        }
        let rows = tally.map { (name: $0.key, samples: $0.value.samples, accuracy: Double($0.value.correct) / Double($0.value.samples)) }
            .sorted { ($0.accuracy, $0.name) < ($1.accuracy, $1.name) }
        return Table(columns: [by, "samples", "accuracy"],
                     rows: rows.map { [.string($0.name), .int($0.samples), .number($0.accuracy)] })
    }

    static func printReport(_ report: EvaluationReport, _ session: Session) {
        session.print(String(format: "accuracy %.4f  top-5 %.4f  macro P %.4f  R %.4f  F1 %.4f  (%d samples)", report.accuracy,
                             report.top5Accuracy, report.macroPrecision, report.macroRecall, report.macroF1, report.count))
        let width = max(5, report.labelNames.map(\.count).max() ?? 5)
        func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        session.print(pad("class") + "  precision  recall     f1  support")
        for m in report.perClass {
            session.print(pad(m.label) + String(format: "  %9.3f  %6.3f  %5.3f  %7d", m.precision, m.recall, m.f1, m.support))
        }
        let confused = report.mostConfused()
        if !confused.isEmpty {
            session.print("most confused: " + confused.map { "\($0.trueLabel)→\($0.predicted) ×\($0.count)" }.joined(separator: ", "))
        }
        if !report.worstSamples.isEmpty {
            // Lowest probability given to the true class; "A→B" when the sample was misclassified.
            session.print("least confident: " + report.worstSamples.prefix(3).map {
                let outcome = $0.trueLabel == $0.predicted ? $0.trueLabel : "\($0.trueLabel)→\($0.predicted)"
                return "\($0.clipID.isEmpty ? "#\($0.index)" : $0.clipID) (\(outcome), p=\(String(format: "%.2f", $0.trueProbability)))"
            }.joined(separator: ", "))
        }
    }
}
