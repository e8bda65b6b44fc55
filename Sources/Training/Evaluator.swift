import Datasets
import Foundation
import NeuralNets
import TensorCore

/// What `eval` reports: loss, accuracy, top-5, per-class and macro precision/recall/F1, the
/// confusion matrix (rows = true class, columns = predicted), the most-confused class pairs and
/// the worst samples (lowest probability given to the true class).
public struct EvaluationReport: Sendable, Encodable {
    public struct ClassMetrics: Sendable, Encodable, Equatable {
        public var label: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    public struct ConfusedPair: Sendable, Encodable, Equatable {
        public var trueLabel: String
        public var predicted: String
        public var count: Int
        enum CodingKeys: String, CodingKey { case trueLabel = "true", predicted, count }
    }

    public struct Sample: Sendable, Encodable, Equatable {
        /// Row in the dataset.
        public var index: Int
        /// The dataset's `clip_ids` entry ("" when the .npz carries none).
        public var clipID: String
        public var trueLabel: String
        public var predicted: String
        /// Softmax probability of the true class.
        public var trueProbability: Double
        enum CodingKeys: String, CodingKey { case index, clipID = "clip_id", trueLabel = "true", predicted, trueProbability = "true_probability" }
    }

    public var labelNames: [String]
    public var loss: Double
    public var accuracy: Double
    public var top5Accuracy: Double
    public var confusion: [[Int]]
    public var worstSamples: [Sample]
    /// The predicted class of every sample, in the dataset's order (not in the JSON report).
    public var predictions: [Int] = []
    public var count: Int { confusion.map { $0.reduce(0, +) }.reduce(0, +) }

    /// Per class: precision, recall, F1 (0 where undefined) and support (true samples).
    public var perClass: [ClassMetrics] {
        labelNames.indices.map { c in
            let tp = Double(confusion[c][c])
            let predicted = Double(confusion.map { $0[c] }.reduce(0, +)), actual = confusion[c].reduce(0, +)
            let p = predicted > 0 ? tp / predicted : 0, r = actual > 0 ? tp / Double(actual) : 0
            return ClassMetrics(label: labelNames[c], precision: p, recall: r, f1: p + r > 0 ? 2 * p * r / (p + r) : 0, support: actual)
        }
    }
    /// Unweighted means over every class of the model (scikit-learn `average="macro"`, zero_division=0).
    public var macroPrecision: Double { mean(perClass.map(\.precision)) }
    public var macroRecall: Double { mean(perClass.map(\.recall)) }
    public var macroF1: Double { mean(perClass.map(\.f1)) }
    private func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(1, v.count)) }

    /// Off-diagonal cells by count, largest first (ties by true then predicted index).
    public func mostConfused(_ limit: Int = 5) -> [ConfusedPair] {
        var cells: [(Int, Int, Int)] = []
        for i in confusion.indices { for j in confusion.indices where i != j && confusion[i][j] > 0 { cells.append((i, j, confusion[i][j])) } }
        return cells.sorted { ($0.2, -$0.0, -$0.1) > ($1.2, -$1.0, -$1.1) }.prefix(limit)
            .map { ConfusedPair(trueLabel: labelNames[$0.0], predicted: labelNames[$0.1], count: $0.2) }
    }

    enum CodingKeys: String, CodingKey {
        case labels, samples, loss, accuracy, top5 = "top5_accuracy", macroPrecision = "macro_precision", macroRecall = "macro_recall"
        case macroF1 = "macro_f1", perClass = "per_class", confusion, mostConfused = "most_confused", worstSamples = "worst_samples"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(labelNames, forKey: .labels)
        try c.encode(count, forKey: .samples)
        try c.encode(loss, forKey: .loss)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(top5Accuracy, forKey: .top5)
        try c.encode(macroPrecision, forKey: .macroPrecision)
        try c.encode(macroRecall, forKey: .macroRecall)
        try c.encode(macroF1, forKey: .macroF1)
        try c.encode(perClass, forKey: .perClass)
        try c.encode(confusion, forKey: .confusion)
        try c.encode(mostConfused(), forKey: .mostConfused)
        try c.encode(worstSamples, forKey: .worstSamples)
    }

    /// Pretty-printed, sorted-key JSON (what `eval --report` writes).
    public func json() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try e.encode(self)
    }
}

public enum Evaluator {
    /// Evaluates `model` on `data`, whose labels must already use the model's class indices
    /// (see `LabelAlignment.align`). `worst` = how many lowest-confidence samples to keep.
    public static func evaluate(_ model: SequenceClassifier, on data: Dataset, batchSize: Int = 256, worst: Int = 10) -> EvaluationReport {
        let c = data.classCount
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: c), count: c)
        var lossSum = 0.0, top5 = 0
        var samples: [EvaluationReport.Sample] = []
        var predictions: [Int] = []
        predictions.reserveCapacity(data.count)
        let loss = CrossEntropyLoss()
        for start in stride(from: 0, to: data.count, by: batchSize) {
            let indices = Array(start..<min(start + batchSize, data.count))
            let (x, mask, labels) = Trainer.batch(data, indices)
            let logits = model.forward(x, mask: mask, training: false)
            lossSum += Double(loss.lossAndGradient(logits: logits, labels: labels).loss) * Double(indices.count)
            for (k, (predicted, truth)) in zip(logits.argmaxLastAxis(), labels).enumerated() {
                predictions.append(predicted)
                confusion[truth][predicted] += 1
                let row = Array(logits.scalars[(k * c)..<((k + 1) * c)]).map(Double.init)
                let truthLogit = row[truth]
                // Top-5 hit: fewer than 5 classes score strictly higher than the true class.
                if row.filter({ $0 > truthLogit }).count < 5 { top5 += 1 }
                let peak = row.max()!
                let probability = exp(truthLogit - peak) / row.map { exp($0 - peak) }.reduce(0, +)
                let i = indices[k]
                samples.append(.init(index: i, clipID: i < data.metadata.clipIDs.count ? data.metadata.clipIDs[i] : "",
                                     trueLabel: data.labelNames[truth], predicted: data.labelNames[predicted], trueProbability: probability))
            }
        }
        let n = Double(max(1, data.count))
        let correct = (0..<c).map { confusion[$0][$0] }.reduce(0, +)
        let worstSamples = samples.sorted { ($0.trueProbability, $0.index) < ($1.trueProbability, $1.index) }.prefix(worst)
        return EvaluationReport(labelNames: data.labelNames, loss: lossSum / n, accuracy: Double(correct) / n,
                                top5Accuracy: Double(top5) / n, confusion: confusion, worstSamples: Array(worstSamples),
                                predictions: predictions)
    }
}
