import Foundation

/// Deterministic sample data for every chart type: the benchmark's workload and the gallery
/// (`aslsh-bench plot --gallery DIR`) used to look at each chart.
public struct PlotSamples {
    public init() {}

    /// A tiny LCG so samples need no RNG dependency and never change.
    struct LCG {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        mutating func normal() -> Double {
            let u = max(1e-12, next()), v = next()
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
    }

    public var all: [(String, () throws -> Canvas)] {
        [("curves", curves), ("confusion30", confusion30), ("confusion5", confusion5)]
    }

    public func history(epochs: Int = 100) -> TrainingHistory {
        var r = LCG(state: 7)
        return TrainingHistory(epochs: (1...epochs).map { e in
            let t = Double(e)
            let tl = 2.9 * exp(-t / 12) + 0.15 + 0.02 * r.normal()
            let vl = 2.9 * exp(-t / 14) + 0.35 + 0.0009 * t + 0.04 * r.normal()
            return EpochMetrics(epoch: e, trainLoss: tl, trainAcc: min(1, 1 - 0.93 * exp(-t / 10) - 0.01 * abs(r.normal())),
                                valLoss: vl, valAcc: min(1, 0.9 - 0.85 * exp(-t / 12) + 0.015 * r.normal()))
        })
    }

    public func curves() throws -> Canvas {
        try TrainingCurves.render(history(), options: CurvesOptions(chart: ChartOptions(width: 1200, height: 500,
                                                                                         title: "MLP on Kaggle alphabet")))
    }

    static let words = ["hello", "thank you", "please", "sorry", "yes", "no", "help", "more", "want", "eat",
                        "drink", "mother", "father", "friend", "teacher", "school", "book", "computer", "family",
                        "water", "good", "bad", "happy", "sad", "name", "what", "where", "learn", "sign", "again"]

    public func confusionMatrix(classes: Int) -> [[Double]] {
        var r = LCG(state: 11)
        return (0..<classes).map { i in
            (0..<classes).map { j in
                i == j ? Double(Int(20 + 25 * r.next())) : (r.next() < 0.15 ? Double(Int(1 + 6 * r.next())) : 0)
            }
        }
    }

    public func confusion30() throws -> Canvas {
        try ConfusionHeatmap(matrix: confusionMatrix(classes: 30), labels: Self.words,
                             options: ConfusionOptions(chart: ChartOptions(width: 1200, height: 1100,
                                                                           title: "Confusion matrix — 30 signs"))).render()
    }

    public func confusion5() throws -> Canvas {
        try ConfusionHeatmap(matrix: confusionMatrix(classes: 5), labels: Array(Self.words.prefix(5)),
                             options: ConfusionOptions(chart: ChartOptions(width: 800, height: 700, title: "Row-normalised"),
                                                       normalize: true)).render()
    }
}
