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
        [("curves", curves), ("confusion30", confusion30), ("confusion5", confusion5),
         ("bar_distribution", barDistribution), ("bar_rates", barRates), ("bar_grouped", barGrouped),
         ("hist_durations", histDurations), ("hand", hand), ("hand_indices", handIndices),
         ("sequence", sequence), ("trajectory", trajectory), ("overlay", overlay)]
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

    public func barDistribution() throws -> Canvas {
        var r = LCG(state: 3)
        let pairs = Self.words.map { ($0, Double(Int(20 + 60 * r.next()))) }
        return try BarChart(pairs, name: "clips", options: BarChartOptions(
            chart: ChartOptions(title: "Class distribution (train split)"), yLabel: "clips", sortDescending: true)).render()
    }

    public func barRates() throws -> Canvas {
        var r = LCG(state: 5)
        let letters = (0..<26).map { String(UnicodeScalar(UInt8(65 + $0))) }
        let pairs = letters.map { ($0, min(1, 0.6 + 0.4 * r.next())) }
        return try BarChart(pairs, name: "accuracy", options: BarChartOptions(
            chart: ChartOptions(width: 1000, height: 500, title: "Per-class accuracy"), xLabel: "letter",
            yLabel: "accuracy", yRange: 0...1, percent: true)).render()
    }

    public func barGrouped() throws -> Canvas {
        var r = LCG(state: 9)
        let names = Array(Self.words.prefix(8))
        let p = names.map { _ in 0.7 + 0.3 * r.next() }, rc = names.map { _ in 0.6 + 0.4 * r.next() }
        return try BarChart(categories: names, series: [BarSeries(name: "precision", values: p),
                                                        BarSeries(name: "recall", values: rc)],
                            options: BarChartOptions(chart: ChartOptions(title: "Precision and recall per class"),
                                                     yLabel: "score", yRange: 0...1)).render()
    }

    public func histDurations() throws -> Canvas {
        var r = LCG(state: 13)
        let durations = (0..<800).map { _ in max(0.3, exp(0.6 + 0.45 * r.normal())) }
        return try Histogram(values: durations, options: HistogramOptions(
            chart: ChartOptions(title: "Clip durations"), xLabel: "duration (s)", yLabel: "clips")).render()
    }

    /// A right hand in MediaPipe's normalised image coordinates (open palm, fingers up).
    public static let openHand: [[Float]] = [
        [0.50, 0.85, 0], [0.41, 0.80, 0], [0.35, 0.72, 0], [0.31, 0.64, 0], [0.28, 0.57, 0],
        [0.43, 0.58, 0], [0.41, 0.47, 0], [0.40, 0.40, 0], [0.39, 0.34, 0],
        [0.50, 0.57, 0], [0.50, 0.45, 0], [0.50, 0.37, 0], [0.50, 0.30, 0],
        [0.57, 0.59, 0], [0.58, 0.48, 0], [0.59, 0.41, 0], [0.60, 0.35, 0],
        [0.63, 0.63, 0], [0.66, 0.55, 0], [0.68, 0.50, 0], [0.70, 0.45, 0],
    ]

    /// The open hand waving: rotated about the wrist by a sine, drifting right; frames 9–11 masked.
    public func waveSequence(frames: Int = 30) -> (frames: [[[Float]]], mask: [Bool]) {
        let seq: [[[Float]]] = (0..<frames).map { f in
            let a = 0.35 * sin(Double(f) / Double(frames) * 2 * .pi * 1.5)
            let w = Self.openHand[0]
            return Self.openHand.map { p in
                let dx = Double(p[0] - w[0]), dy = Double(p[1] - w[1])
                return [Float(Double(w[0]) + dx * cos(a) - dy * sin(a) + 0.004 * Double(f)),
                        Float(Double(w[1]) + dx * sin(a) + dy * cos(a)), 0]
            }
        }
        return (seq, (0..<frames).map { !(9...11).contains($0) })
    }

    public func hand() throws -> Canvas {
        try HandPlot.render(landmarks: Self.openHand, options: HandPlotOptions(chart: ChartOptions(width: 640, height: 700,
                                                                                                  title: "Open hand")))
    }

    public func handIndices() throws -> Canvas {
        try HandPlot.render(landmarks: Self.openHand, options: HandPlotOptions(
            chart: ChartOptions(width: 500, height: 500, title: "Landmark indices"), showIndices: true, axes: false))
    }

    public func sequence() throws -> Canvas {
        let s = waveSequence()
        return try HandPlot.sequence(frames: s.frames, mask: s.mask, options: SequencePlotOptions(maxFrames: 18))
    }

    public func trajectory() throws -> Canvas {
        let s = waveSequence()
        return try HandPlot.trajectories(frames: s.frames, mask: s.mask)
    }

    /// A synthetic 640×480 "frame" (vertical gradient with a soft blob) under the hand and its ROI.
    public func overlay() throws -> Canvas {
        let w = 640, h = 480
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                let d = hypot(Double(x - 320), Double(y - 280)) / 300
                let v = UInt8(max(0, min(255, 150 - 60 * Double(y) / Double(h) + 60 * (1 - d))))
                px[(y * w + x) * 3] = v; px[(y * w + x) * 3 + 1] = UInt8(Double(v) * 0.85); px[(y * w + x) * 3 + 2] = UInt8(Double(v) * 0.7)
            }
        }
        let image = try OverlayImage(width: w, height: h, pixels: px)
        let roi = RotatedRect(centerX: 0.5, centerY: 0.56, width: 0.62, height: 0.78, rotation: -0.12)
        return try HandPlot.overlay(image: image, hands: [Self.openHand], rois: [roi],
                                    options: OverlayOptions(title: "frame 42 (t = 1.40 s)"))
    }
}
