import Datasets
import Foundation
import NeuralNets
import TensorCore

/// The result of `train`: the best model (by validation accuracy, or training accuracy without
/// validation data), its checkpoint, the last checkpoint and the per-epoch history.
public struct TrainingRun {
    public var model: SequenceClassifier
    public var labelNames: [String]
    public var history: [EpochMetrics]
    public var bestEpoch: Int
    /// `<arch>_epoch<N>_acc<score>.safetensors`.
    public var checkpoint: URL
    /// `<arch>_last.safetensors` (weights + training state for `--resume`).
    public var lastCheckpoint: URL
    public var metricsLog: URL
    /// The TensorBoard event file, with `--tensorboard`.
    public var eventFile: URL?
}

/// Mini-batch training with seeded shuffling and augmentation, Adam/AdamW/SGD, learning-rate
/// schedules, early stopping, best/last checkpoints, exact resume and TensorBoard logs.
public enum Trainer {
    public static func train(_ train: Dataset, validation: Dataset?, options: TrainingOptions,
                             log: (String) -> Void = { _ in }, isCancelled: () -> Bool = { false }) throws -> TrainingRun {
        guard train.count > 0 else { throw TrainingError.incompatible("the training set is empty") }
        if let validation, validation.preprocessing != train.preprocessing {
            throw TrainingError.incompatible("the validation set was built with preprocessing \(validation.preprocessing.summary), "
                                             + "the training set with \(train.preprocessing.summary): build both in one `build`")
        }
        let validation = try validation.map { try LabelAlignment.align($0, to: train.labelNames, role: "validation set") }
        if let validation, validation.sequenceLength != train.sequenceLength {
            throw TrainingError.incompatible("validation sequence length \(validation.sequenceLength) ≠ training \(train.sequenceLength)")
        }
        if let validation, validation.layout != train.layout {
            throw TrainingError.incompatible("validation frames hold \(validation.layout.explained), training frames \(train.layout.explained)")
        }
        if options.balancedClassWeights, let empty = train.labelNames.indices.first(where: { c in !train.labels.contains(c) }) {
            throw TrainingError.badOption("--class-weights balanced: class '\(train.labelNames[empty])' has no training samples")
        }
        let config = ModelConfig(architecture: options.architecture, sequenceLength: train.sequenceLength,
                                 featureCount: train.frameWidth, classCount: train.classCount, hiddenDim: options.hiddenDim, layers: options.layers,
                                 dropout: options.dropout, heads: options.heads, features: options.features)
        if config.architecture == .transformer && config.hiddenDim % config.heads != 0 {
            throw TrainingError.badOption("--hidden-dim \(config.hiddenDim) is not a multiple of --heads \(config.heads)")
        }
        var model = config.makeModel(seed: options.seed)
        let optimizer = ResumableOptimizer(options.optimizer == .adam && options.weightDecay > 0 ? .adamw : options.optimizer,
                                           learningRate: options.learningRate, weightDecay: options.weightDecay,
                                           momentum: options.momentum)
        let loss = CrossEntropyLoss(labelSmoothing: options.labelSmoothing,
                                    classWeights: options.balancedClassWeights ? balancedWeights(train) : nil)
        let directory = options.checkpointDirectory
        let name = options.architecture.rawValue
        let last = directory.appendingPathComponent("\(name)_last.safetensors")
        let metricsURL = directory.appendingPathComponent("\(name)_metrics.jsonl")
        // Before the first epoch, not after it: the folder must exist and take files.
        do { try OutputFile.checkWritable(last) } catch let problem as FileProblem {
            throw TrainingError.file(problem)
        }
        OutputFile.removeStaleTemporaries(in: directory)   // left by a killed run

        var state = TrainingState(
            epoch: 0, optimizer: optimizer.kind, optimizerSteps: 0, learningRate: options.learningRate,
            plateau: options.scheduler == .plateau ? ReduceOnPlateau(factor: options.gamma, patience: options.stepSize) : nil,
            shuffleRNG: SeededRandom(seed: options.seed ^ 0x5348_5546).state,
            augmentationRNG: SeededRandom(seed: options.seed ^ 0x4155_4755).state, dropoutRNGs: [],
            bestScore: -1, bestEpoch: 0, epochsSinceBest: 0, bestCheckpoint: "", runName: options.runName ?? defaultRunName(name),
            batchSize: options.batchSize, augmentation: options.augmentation, scheduler: options.scheduler)
        var history: [EpochMetrics] = []
        if let resume = options.resume {
            (model, state, history) = try restore(from: resume, expecting: config, labelNames: train.labelNames,
                                                  options: options, optimizer: optimizer)
            log("resuming \(resume.lastPathComponent) after epoch \(state.epoch) (best epoch \(state.bestEpoch))")
            // A run killed between the last checkpoint and the metrics log left the log an epoch
            // short: it is rewritten from the checkpoint's history (even when no epoch is left).
            try writeMetrics(history, to: metricsURL)
        }
        let dropouts = DropoutLayers.find(in: model)
        if !state.dropoutRNGs.isEmpty { for (d, words) in zip(dropouts, state.dropoutRNGs) { d.rng = SeededRandom(state: words) } }
        var shuffleRNG = SeededRandom(state: state.shuffleRNG), augmentationRNG = SeededRandom(state: state.augmentationRNG)
        let board = options.tensorboard
            ? try TensorBoardWriter(directory: directory.appendingPathComponent("runs").appendingPathComponent(state.runName)) : nil
        let table = EpochTable(hasValidation: validation != nil)
        log(table.header)

        var epoch = state.epoch + 1
        // A run killed after its last checkpoint of the epoch that stopped it early stays stopped.
        if let patience = options.patience, state.epoch > 0, state.epochsSinceBest >= patience { epoch = options.epochs + 1 }
        while epoch <= options.epochs {
            let started = Date()
            let lr = scheduledLearningRate(options, state: state, epoch: epoch - 1)
            optimizer.learningRate = lr
            let order = shuffleRNG.permutation(train.count)
            var lossSum = 0.0, correct = 0
            for (b, start) in stride(from: 0, to: order.count, by: options.batchSize).enumerated() {
                if isCancelled() { throw TrainingError.cancelled(epoch: epoch) }
                let indices = Array(order[start..<min(start + options.batchSize, order.count)])
                var (x, mask, labels) = batch(train, indices)
                Augmentation.apply(options.augmentation, x: &x, mask: &mask, rng: &augmentationRNG)
                model.parameters.zeroGradients()
                let logits = model.forward(x, mask: mask, training: true)
                let (l, dLogits) = loss.lossAndGradient(logits: logits, labels: labels)
                guard l.isFinite else { throw TrainingError.nonFinite(epoch: epoch, batch: b) }
                model.backward(dLogits)
                if let clip = options.clipNorm { GradientClipping.clipNorm(model.parameters, maxNorm: clip) }
                optimizer.step(model.parameters)
                lossSum += Double(l) * Double(indices.count)
                correct += zip(logits.argmaxLastAxis(), labels).filter { $0 == $1 }.count
            }
            var record = EpochMetrics(epoch: epoch, trainLoss: lossSum / Double(train.count),
                                      trainAcc: Double(correct) / Double(train.count), learningRate: Double(lr))
            if let validation {
                let report = Evaluator.evaluate(model, on: validation)
                record.valLoss = report.loss
                record.valAcc = report.accuracy
                record.valTop5 = report.top5Accuracy
            }
            if var plateau = state.plateau {
                state.learningRate = plateau.step(metric: Float(record.valLoss ?? record.trainLoss), learningRate: state.learningRate)
                state.plateau = plateau
            }
            record.seconds = Date().timeIntervalSince(started)
            history.append(record)
            log(table.row(record))

            let score = record.valAcc ?? record.trainAcc
            if score > state.bestScore {
                let bestName = String(format: "%@_epoch%d_acc%.4f.safetensors", name, epoch, score)
                try Checkpoint.write(model, labelNames: train.labelNames, history: history, seed: options.seed,
                                     preprocessing: train.preprocessing,
                                     to: directory.appendingPathComponent(bestName))
                if !state.bestCheckpoint.isEmpty && state.bestCheckpoint != bestName {
                    try? FileManager.default.removeItem(at: directory.appendingPathComponent(state.bestCheckpoint))
                }
                (state.bestScore, state.bestEpoch, state.epochsSinceBest, state.bestCheckpoint) = (score, epoch, 0, bestName)
            } else {
                state.epochsSinceBest += 1
            }
            state.epoch = epoch
            state.optimizerSteps = optimizer.stepCount
            state.shuffleRNG = shuffleRNG.state
            state.augmentationRNG = augmentationRNG.state
            state.dropoutRNGs = dropouts.map(\.rng.state)
            try Checkpoint.write(model, labelNames: train.labelNames, history: history, seed: options.seed,
                                 preprocessing: train.preprocessing, state: (state, optimizer), to: last)
            try writeMetrics(history, to: metricsURL)
            try board?.add(scalars: tensorBoardScalars(record), step: epoch)
            if let patience = options.patience, state.epochsSinceBest >= patience {
                log("early stop: no validation improvement for \(patience) epochs")
                break
            }
            epoch += 1
        }
        let best = directory.appendingPathComponent(state.bestCheckpoint)
        let (bestModel, _) = try Checkpoint.read(best)
        return TrainingRun(model: bestModel, labelNames: train.labelNames, history: history, bestEpoch: state.bestEpoch,
                           checkpoint: best, lastCheckpoint: last, metricsLog: metricsURL, eventFile: board?.url)
    }

    /// The metrics log: one JSON line an epoch.
    static func writeMetrics(_ history: [EpochMetrics], to url: URL) throws {
        let lines = try history.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        do { try OutputFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: url) } catch let problem as FileProblem {
            throw TrainingError.file(problem)
        }
    }

    /// Loads a last checkpoint and its training state; refuses another architecture, label set,
    /// sequence length or feature layout with a sentence saying which.
    static func restore(from url: URL, expecting config: ModelConfig, labelNames: [String], options: TrainingOptions,
                        optimizer: ResumableOptimizer) throws -> (SequenceClassifier, TrainingState, [EpochMetrics]) {
        let loaded = try Checkpoint.loadForResume(url)
        let meta = loaded.metadata, have = meta.config
        let source = url.lastPathComponent
        guard let state = loaded.state else {
            throw TrainingError.incompatible("cannot resume from \(source): it has no training state (resume from a run's <arch>_last.safetensors)")
        }
        if have.architecture != config.architecture || have.hiddenDim != config.hiddenDim || have.layers != config.layers
            || have.dropout != config.dropout || have.bidirectional != config.bidirectional || have.kernelSize != config.kernelSize
            || have.heads != config.heads && config.architecture == .transformer || have.features != config.features {
            throw TrainingError.incompatible("cannot resume from \(source): it is \(describe(have)), this run asks for \(describe(config))")
        }
        if meta.labelNames != labelNames {
            let missing = Set(labelNames).subtracting(meta.labelNames).sorted(), extra = Set(meta.labelNames).subtracting(labelNames).sorted()
            throw TrainingError.incompatible("cannot resume from \(source): its \(meta.labelNames.count) classes differ from the dataset's \(labelNames.count)"
                + (missing.isEmpty ? "" : "; new in the dataset: \(missing.joined(separator: ", "))")
                + (extra.isEmpty ? "" : "; only in the checkpoint: \(extra.joined(separator: ", "))")
                + (missing.isEmpty && extra.isEmpty ? " (same names, another order)" : ""))
        }
        if have.sequenceLength != config.sequenceLength || have.featureCount != config.featureCount
            || meta.normalisation != LandmarkNormalizer.name {
            throw TrainingError.incompatible("cannot resume from \(source): feature layout T = \(have.sequenceLength), \(have.featureCount) features, "
                + "\(meta.normalisation) ≠ the dataset's T = \(config.sequenceLength), \(config.featureCount) features, \(LandmarkNormalizer.name)")
        }
        if meta.seed != options.seed || state.optimizer != optimizer.kind || state.batchSize != options.batchSize
            || state.augmentation != options.augmentation || state.scheduler != options.scheduler {
            throw TrainingError.incompatible("cannot resume from \(source): it was trained with seed \(meta.seed), --optimizer \(state.optimizer.rawValue), "
                + "--batch-size \(state.batchSize), --scheduler \(state.scheduler.rawValue) and its augmentation flags; repeat them to continue the same run")
        }
        optimizer.stepCount = state.optimizerSteps
        optimizer.first = loaded.optimizer["first"] ?? []
        optimizer.second = loaded.optimizer["second"] ?? []
        return (loaded.model, state, meta.history)
    }

    static func describe(_ c: ModelConfig) -> String {
        "an \(c.architecture.rawValue) (hidden \(c.hiddenDim), \(c.layers) layers\(c.architecture == .transformer ? ", \(c.heads) heads" : ""), dropout \(c.dropout)"
            + "\(c.features == [.coords] ? "" : ", features \(c.features.map(\.rawValue).joined(separator: "+"))"))"
    }

    /// Warm-up then the chosen schedule, for a 0-based epoch.
    static func scheduledLearningRate(_ options: TrainingOptions, state: TrainingState, epoch: Int) -> Float {
        let base = options.learningRate, warmup = options.warmupEpochs
        switch options.scheduler {
        case .cosine:
            return LearningRateSchedule.cosine(total: options.epochs, warmup: warmup, minimum: 0).learningRate(base: base, epoch: epoch)
        case .none, .step, .plateau:
            if epoch < warmup { return base * Float(epoch + 1) / Float(warmup) }
            switch options.scheduler {
            case .step: return LearningRateSchedule.step(stepSize: options.stepSize, gamma: options.gamma).learningRate(base: base, epoch: epoch - warmup)
            case .plateau: return state.learningRate
            default: return base
            }
        }
    }

    /// n / (C · n_c) per class (scikit-learn `compute_class_weight("balanced")`).
    static func balancedWeights(_ data: Dataset) -> [Float] {
        var counts = [Int](repeating: 0, count: data.classCount)
        for l in data.labels { counts[l] += 1 }
        return counts.map { Float(data.count) / Float(data.classCount * max($0, 1)) }
    }

    static func tensorBoardScalars(_ r: EpochMetrics) -> [(tag: String, value: Float)] {
        var s: [(tag: String, value: Float)] = [("loss/train", Float(r.trainLoss)), ("accuracy/train", Float(r.trainAcc))]
        if let v = r.valLoss { s.append(("loss/val", Float(v))) }
        if let v = r.valAcc { s.append(("accuracy/val", Float(v))) }
        if let v = r.valTop5 { s.append(("top5/val", Float(v))) }
        if let v = r.learningRate { s.append(("lr", Float(v))) }
        return s
    }

    static func defaultRunName(_ arch: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return "\(arch)_\(f.string(from: Date()))"
    }

    /// `[B, T, K, 3]` sequences, `[B, T]` mask (1 valid) and labels for the given samples.
    static func batch(_ data: Dataset, _ indices: [Int]) -> (Tensor, Tensor, [Int]) {
        let T = data.sequenceLength
        let x = data.sequences.gather(rows: indices)
        var mask = [Float](repeating: 0, count: indices.count * T)
        for (k, i) in indices.enumerated() { for t in 0..<T where data.masks[i * T + t] { mask[k * T + t] = 1 } }
        return (x, Tensor(shape: [indices.count, T], scalars: mask), indices.map { data.labels[$0] })
    }
}

/// The per-epoch table: fixed-width columns so a long run reads as one aligned block.
struct EpochTable {
    var hasValidation: Bool
    var header: String {
        "epoch  train_loss  train_acc" + (hasValidation ? "  val_loss  val_acc  val_top5" : "") + "        lr   time"
    }

    func row(_ r: EpochMetrics) -> String {
        var s = String(format: "%5d  %10.4f  %9.3f", r.epoch, r.trainLoss, r.trainAcc)
        if hasValidation { s += String(format: "  %8.4f  %7.3f  %8.3f", r.valLoss ?? .nan, r.valAcc ?? .nan, r.valTop5 ?? .nan) }
        return s + String(format: "  %8.2e  %4.1fs", r.learningRate ?? .nan, r.seconds ?? 0)
    }
}

/// Matches a dataset's classes to a model's by name: the same set in another order is remapped;
/// classes the model does not know are an error that names them.
public enum LabelAlignment {
    public static func align(_ data: Dataset, to names: [String], role: String) throws -> Dataset {
        if data.labelNames == names { return data }
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let used = Set(data.labels)
        let unknown = data.labelNames.enumerated().filter { used.contains($0.offset) && index[$0.element] == nil }.map(\.element)
        guard unknown.isEmpty else {
            throw TrainingError.incompatible("the \(role) has \(unknown.count) class\(unknown.count == 1 ? "" : "es") the model does not know: "
                + unknown.joined(separator: ", ") + " (model classes: \(names.joined(separator: ", ")))")
        }
        var aligned = data
        aligned.labels = data.labels.map { index[data.labelNames[$0]]! }
        aligned.labelNames = names
        return aligned
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
