import Datasets
import Foundation
import NeuralNets
import TensorCore

/// What `eval` reports: loss, accuracy, top-5, per-class precision/recall/F1 and the confusion
/// matrix (rows = true class, columns = predicted).
public struct EvaluationReport: Sendable {
    public var labelNames: [String]
    public var loss: Double
    public var accuracy: Double
    public var top5Accuracy: Double
    public var confusion: [[Int]]
    public var count: Int { confusion.map { $0.reduce(0, +) }.reduce(0, +) }

    /// Per class: (precision, recall, F1), 0 where undefined.
    public var perClass: [(precision: Double, recall: Double, f1: Double)] {
        labelNames.indices.map { c in
            let tp = Double(confusion[c][c])
            let predicted = Double(confusion.map { $0[c] }.reduce(0, +)), actual = Double(confusion[c].reduce(0, +))
            let p = predicted > 0 ? tp / predicted : 0, r = actual > 0 ? tp / actual : 0
            return (p, r, p + r > 0 ? 2 * p * r / (p + r) : 0)
        }
    }
    public var macroF1: Double { perClass.map(\.f1).reduce(0, +) / Double(max(1, labelNames.count)) }
}

public enum Evaluator {
    public static func evaluate(_ model: SequenceClassifier, on data: Dataset, batchSize: Int = 256) -> EvaluationReport {
        let c = data.classCount
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: c), count: c)
        var lossSum = 0.0, top5 = 0
        let loss = CrossEntropyLoss()
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let indices = Array(start..<min(start + batchSize, data.count))
            let (x, mask, labels) = Trainer.batch(data, indices)
            let logits = model.forward(x, mask: mask, training: false)
            lossSum += Double(loss.lossAndGradient(logits: logits, labels: labels).loss) * Double(indices.count)
            for (k, (predicted, truth)) in zip(logits.argmaxLastAxis(), labels).enumerated() {
                confusion[truth][predicted] += 1
                if Tensor(shape: [c], scalars: Array(logits.scalars[(k * c)..<((k + 1) * c)])).topKLastAxis(5)[0].contains(truth) { top5 += 1 }
            }
        }
        let n = Double(max(1, data.count))
        let correct = (0..<c).map { confusion[$0][$0] }.reduce(0, +)
        return EvaluationReport(labelNames: data.labelNames, loss: lossSum / n, accuracy: Double(correct) / n,
                                top5Accuracy: Double(top5) / n, confusion: confusion)
    }
}

/// Checkpoint format: safetensors weights (PyTorch state_dict names) + JSON metadata under
/// `__metadata__["aslsh"]` (a `ModelMetadata`). Exported ONNX (`metadata_props`) and TFLite
/// (model metadata) files carry the same JSON under the same key, so every loader reads one type.
public enum Checkpoint {
    public static func write(_ model: SequenceClassifier, labelNames: [String], history: [EpochMetrics], seed: UInt64, to url: URL) throws {
        let meta = ModelMetadata(config: model.config, labelNames: labelNames, normalisation: LandmarkNormalizer.name,
                                 history: history, seed: seed, aslshVersion: ASLSHVersion.string)
        try model.parameters.safetensors(metadata: [ModelMetadata.key: try meta.jsonString()]).write(to: url)
    }

    /// Reads a checkpoint back into a model; refuses files that are not aslsh checkpoints.
    public static func read(_ url: URL) throws -> (SequenceClassifier, labelNames: [String]) {
        let loaded = try load(url)
        return (loaded.model, loaded.metadata.labelNames)
    }

    /// The model and its full metadata (config, labels, normalisation, history, seed, version).
    public static func load(_ url: URL) throws -> (model: SequenceClassifier, metadata: ModelMetadata) {
        let file = try Safetensors.read(contentsOf: url)
        guard let json = file.metadata[ModelMetadata.key] else {
            throw TrainingError.incompatible("\(url.path) is not an aslsh checkpoint (no aslsh metadata)")
        }
        let meta = try ModelMetadata(json: json, source: url.path)
        let model = meta.config.makeModel(seed: meta.seed)
        try model.parameters.load(file.tensors, source: url.path)
        return (model, meta)
    }
}
