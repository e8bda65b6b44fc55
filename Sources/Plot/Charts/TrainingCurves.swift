import Foundation

/// One epoch's metrics, as a training run reports them (validation optional).
public struct EpochMetrics: Equatable, Sendable, Codable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAcc: Double
    public var valLoss: Double?
    public var valAcc: Double?
    public init(epoch: Int, trainLoss: Double, trainAcc: Double, valLoss: Double? = nil, valAcc: Double? = nil) {
        self.epoch = epoch; self.trainLoss = trainLoss; self.trainAcc = trainAcc; self.valLoss = valLoss; self.valAcc = valAcc
    }
    enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", trainAcc = "train_acc", valLoss = "val_loss", valAcc = "val_acc"
    }
}

/// A run's history: what `plot curves` draws.
public struct TrainingHistory: Equatable, Sendable {
    public var epochs: [EpochMetrics]
    public init(epochs: [EpochMetrics]) { self.epochs = epochs }

    /// The epoch with the highest validation accuracy (earliest on ties), if any was recorded.
    public var bestValidation: EpochMetrics? {
        epochs.filter { $0.valAcc?.isFinite == true }.max { ($0.valAcc!, -$0.epoch) < ($1.valAcc!, -$1.epoch) }
    }

    /// From arrays (validation arrays may be empty); epochs are numbered from 1.
    public init(trainLoss: [Double], trainAcc: [Double], valLoss: [Double] = [], valAcc: [Double] = []) throws {
        guard trainLoss.count == trainAcc.count, valLoss.isEmpty || valLoss.count == trainLoss.count,
              valAcc.isEmpty || valAcc.count == trainLoss.count else {
            throw PlotError.badInput("metric arrays differ in length: train_loss \(trainLoss.count), train_acc \(trainAcc.count), "
                                     + "val_loss \(valLoss.count), val_acc \(valAcc.count)")
        }
        epochs = trainLoss.indices.map { i in
            EpochMetrics(epoch: i + 1, trainLoss: trainLoss[i], trainAcc: trainAcc[i],
                         valLoss: valLoss.isEmpty ? nil : valLoss[i], valAcc: valAcc.isEmpty ? nil : valAcc[i])
        }
    }

    /// A JSON-lines metrics log: one object per line with `epoch`, `train_loss`, `train_acc` and
    /// optionally `val_loss`, `val_acc` (other keys ignored; blank lines skipped).
    public static func readMetricsLog(_ url: URL) throws -> TrainingHistory {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PlotError.file(.reading(url.path, error: error))
        }
        return try parseMetricsLog(text, file: url.path)
    }

    public static func parseMetricsLog(_ text: String, file: String = "<metrics>") throws -> TrainingHistory {
        var epochs: [EpochMetrics] = []
        let decoder = JSONDecoder()
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            do {
                epochs.append(try decoder.decode(EpochMetrics.self, from: Data(trimmed.utf8)))
            } catch DecodingError.keyNotFound(let key, _) {
                throw PlotError.metricsLog(file: file, line: i + 1, message: "missing key \"\(key.stringValue)\"")
            } catch DecodingError.typeMismatch(_, let ctx) {
                throw PlotError.metricsLog(file: file, line: i + 1,
                                           message: "\"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\" is not a number")
            } catch {
                throw PlotError.metricsLog(file: file, line: i + 1, message: "not a JSON object")
            }
        }
        guard !epochs.isEmpty else { throw PlotError.metricsLog(file: file, line: 1, message: "no epochs in the log") }
        return TrainingHistory(epochs: epochs)
    }
}

/// Options for `plot curves` (`--width --height --title`).
public struct CurvesOptions: Equatable, Sendable {
    public var chart: ChartOptions
    /// Accuracy axis as 0–100 % instead of 0–1.
    public var percent: Bool
    public init(chart: ChartOptions = ChartOptions(width: 1200, height: 500), percent: Bool = false) {
        self.chart = chart; self.percent = percent
    }
}

/// Training curves: loss and accuracy panels side by side, train solid and validation dashed,
/// best validation accuracy marked.
public enum TrainingCurves {
    public static let trainColor = Palette.tableau10[0]
    public static let valColor = Palette.tableau10[1]

    public static func render(_ history: TrainingHistory, options: CurvesOptions = CurvesOptions()) throws -> Canvas {
        try FontLibrary.shared.check()
        guard !history.epochs.isEmpty else { throw PlotError.badInput("no epochs to plot") }
        var canvas = Canvas(width: options.chart.width, height: options.chart.height)
        let t = Typography(width: canvas.width, height: canvas.height)
        let top = ChartDecor.title(options.chart.title, on: &canvas, typography: t)
        let x = history.epochs.map { Double($0.epoch) }
        let hasVal = history.epochs.contains { $0.valLoss != nil || $0.valAcc != nil }
        func series(_ train: (EpochMetrics) -> Double, _ val: (EpochMetrics) -> Double?, scale: Double) -> [LineSeries] {
            var s = [LineSeries(name: "train", x: x, y: history.epochs.map { train($0) * scale }, color: trainColor)]
            if hasVal {
                s.append(LineSeries(name: "validation", x: x, y: history.epochs.map { (val($0) ?? .nan) * scale },
                                    color: valColor, dashed: true))
            }
            return s
        }
        let scale = options.percent ? 100.0 : 1.0
        let loss = try LineChart(series: series({ $0.trainLoss }, { $0.valLoss }, scale: 1),
                                 options: LineChartOptions(xLabel: "epoch", yLabel: "loss"))
        let accValues = history.epochs.flatMap { [$0.trainAcc, $0.valAcc ?? .nan] }.filter(\.isFinite)
        let accLo = NiceTicks.ticks(lo: (accValues.min() ?? 0) * scale, hi: scale, count: 6).lo
        let acc = try LineChart(series: series({ $0.trainAcc }, { $0.valAcc }, scale: scale),
                                options: LineChartOptions(xLabel: "epoch", yLabel: options.percent ? "accuracy (%)" : "accuracy",
                                                          yRange: max(0, accLo)...scale))
        let w = Double(canvas.width) / 2, h = Double(canvas.height) - top
        loss.draw(on: &canvas, in: Rect(x: 0, y: top, width: w, height: h), typography: t, panelTitle: "Loss")
        var accTitle = "Accuracy"
        if let best = history.bestValidation {
            accTitle += " (best validation \(String(format: options.percent ? "%.1f%%" : "%.3f", best.valAcc! * scale)) at epoch \(best.epoch))"
        }
        acc.draw(on: &canvas, in: Rect(x: w, y: top, width: w, height: h), typography: t, panelTitle: accTitle)
        return canvas
    }
}
