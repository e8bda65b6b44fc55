import Foundation

/// One group of bars: a value per category (NaN = no bar).
public struct BarSeries: Equatable, Sendable {
    public var name: String
    public var values: [Double]
    public var color: Color?
    public init(name: String, values: [Double], color: Color? = nil) {
        self.name = name; self.values = values; self.color = color
    }
}

/// Options for `plot bar` (`--width --height --title --ylabel --sort --values`).
public struct BarChartOptions: Equatable, Sendable {
    public var chart: ChartOptions
    public var xLabel: String?
    public var yLabel: String?
    /// Fixed value range (e.g. 0...1 for rates); nil = from 0 to a nice bound above the data.
    public var yRange: ClosedRange<Double>?
    /// Print each bar's value above it (nil = when bars are wide enough).
    public var showValues: Bool?
    /// Order categories by the first series, largest first.
    public var sortDescending: Bool
    /// Values are fractions shown as percentages (accuracy, F1, detection rate).
    public var percent: Bool
    public init(chart: ChartOptions = ChartOptions(), xLabel: String? = nil, yLabel: String? = nil,
                yRange: ClosedRange<Double>? = nil, showValues: Bool? = nil, sortDescending: Bool = false,
                percent: Bool = false) {
        self.chart = chart; self.xLabel = xLabel; self.yLabel = yLabel; self.yRange = yRange
        self.showValues = showValues; self.sortDescending = sortDescending; self.percent = percent
    }
}

/// A vertical bar chart over categories (class distribution, per-class accuracy/F1, detection
/// rate per class); several series become grouped bars with a legend. Category names that do not
/// fit under their bar are set at 45° (or 90° when there are very many).
public struct BarChart: Sendable {
    public var categories: [String]
    public var series: [BarSeries]
    public var options: BarChartOptions

    public init(categories: [String], series: [BarSeries], options: BarChartOptions = BarChartOptions()) throws {
        guard !categories.isEmpty else { throw PlotError.badInput("a bar chart needs at least one category") }
        guard !series.isEmpty else { throw PlotError.badInput("a bar chart needs at least one series") }
        for s in series where s.values.count != categories.count {
            throw PlotError.badInput("series '\(s.name)' has \(s.values.count) values for \(categories.count) categories")
        }
        self.categories = categories; self.series = series; self.options = options
    }

    /// One series from (category, value) pairs.
    public init(_ pairs: [(String, Double)], name: String = "value", options: BarChartOptions = BarChartOptions()) throws {
        try self.init(categories: pairs.map(\.0), series: [BarSeries(name: name, values: pairs.map(\.1))], options: options)
    }

    /// Class distribution: how many items carry each label, categories in first-seen order.
    public static func counts(of labels: [String], options: BarChartOptions = BarChartOptions()) throws -> BarChart {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for l in labels {
            if counts[l] == nil { order.append(l) }
            counts[l, default: 0] += 1
        }
        return try BarChart(order.map { ($0, Double(counts[$0]!)) }, name: "count", options: options)
    }

    public func render() throws -> Canvas {
        try FontLibrary.shared.check()
        var canvas = Canvas(width: options.chart.width, height: options.chart.height)
        let t = Typography(width: canvas.width, height: canvas.height)
        var top = ChartDecor.title(options.chart.title, on: &canvas, typography: t)
        if series.count > 1 {
            top += ChartDecor.legendRow(series.enumerated().map { k, s in (s.name, .box(s.color ?? Palette.categorical(k))) },
                                        centerX: Double(canvas.width) / 2, y: top, on: &canvas, typography: t)
        }
        var order = Array(categories.indices)
        if options.sortDescending {
            let v = series[0].values
            order.sort { (v[$0].isNaN ? -.infinity : v[$0], $1) > (v[$1].isNaN ? -.infinity : v[$1], $0) }
        }
        let n = order.count
        let scale = options.percent ? 100.0 : 1.0
        let finite = series.flatMap(\.values).filter(\.isFinite).map { $0 * scale }
        let lo = options.yRange.map { $0.lowerBound * scale } ?? min(0, finite.min() ?? 0)
        let hi = options.yRange.map { $0.upperBound * scale } ?? max(finite.max() ?? 1, lo + 1e-9)
        let fmt: (Double, Double) -> String = { v, s in NiceTicks.format(v, step: s) + (options.percent ? "%" : "") }
        let probe = AxisSpec.numeric(lo: lo, hi: hi, start: 0, end: 1, count: 6, title: nil, fixed: options.yRange != nil, format: fmt)
        let m = ChartDecor.margins(yLabels: probe.labels, yTitle: options.yLabel, xTitle: nil, typography: t)

        // Category labels: horizontal if they fit the slot, else 45°, else 90° for crowded axes.
        let labelStyle = TextStyle(size: n > 40 ? max(7, t.tick.size * 0.8) : t.tick.size, color: t.tick.color)
        let labelW = order.map { Canvas.measure(categories[$0], style: labelStyle) }.max() ?? 0
        let labelH = Canvas.lineHeight(size: labelStyle.size)
        let plotW0 = Double(canvas.width) - m.left - t.pad * 3
        let slot0 = plotW0 / Double(n)
        let angle: Double = labelW <= slot0 * 0.95 ? 0 : (slot0 >= labelH * 1.6 && n <= 40 ? 45 : 90)
        let labelBand = angle == 0 ? labelH : angle == 45 ? labelW * 0.7072 + labelH * 0.7072 : labelW
        var bottom = t.pad * 1.5 + labelBand
        if options.xLabel != nil { bottom += Canvas.lineHeight(size: t.label.size) + t.pad * 0.6 }
        // A 45° label reaches left of its bar: keep the first one on the canvas.
        let leftExtra = angle == 45 ? max(0, labelW * 0.7072 - m.left - slot0 / 2) : 0
        let plot = Rect(x: m.left + t.pad + leftExtra, y: top + t.pad * 0.5,
                        width: plotW0 - leftExtra, height: Double(canvas.height) - top - t.pad * 0.5 - bottom)
        guard plot.width > 10, plot.height > 10 else { throw PlotError.badInput("canvas too small for \(n) bars") }

        let yAxis = AxisSpec.numeric(lo: lo, hi: hi, start: plot.maxY, end: plot.minY,
                                     count: max(3, min(8, Int(plot.height / (t.base * 3.2)))),
                                     title: options.yLabel, fixed: options.yRange != nil, format: fmt)
        // Horizontal grid only: vertical lines between bars add nothing.
        for v in yAxis.ticks {
            let py = ChartDecor.snap(yAxis.scale(v), t.axisWidth)
            canvas.line(from: Point(plot.minX, py), to: Point(plot.maxX, py), width: t.axisWidth, color: .gridGrey)
        }
        let slot = plot.width / Double(n)
        let groupW = slot * 0.8
        let barW = groupW / Double(series.count)
        let zeroY = yAxis.scale(max(yAxis.scale.lo, min(yAxis.scale.hi, 0)))
        let valueStyle = TextStyle(size: max(7, min(t.small.size, barW * 0.45)), color: t.tick.color)
        let showValues = options.showValues ?? (series.count == 1 && n <= 40 &&
            order.allSatisfy { Canvas.measure(valueText(series[0].values[$0] * scale), style: valueStyle) <= slot * 0.98 })
        for (k, s) in series.enumerated() {
            let color = s.color ?? Palette.categorical(k)
            for (slotIndex, c) in order.enumerated() {
                let v = s.values[c] * scale
                guard v.isFinite else { continue }
                let x = plot.minX + slot * Double(slotIndex) + (slot - groupW) / 2 + barW * Double(k)
                let y = yAxis.scale(min(max(v, yAxis.scale.lo), yAxis.scale.hi))
                canvas.fill(Rect(x: x, y: min(y, zeroY), width: barW, height: abs(zeroY - y)), color: color)
                if showValues {
                    canvas.text(valueText(v), at: Point(x + barW / 2, min(y, zeroY) - t.pad * 0.3), style: valueStyle,
                                horizontal: .center, vertical: .bottom)
                }
            }
        }
        ChartDecor.axes(plot, x: AxisSpec(scale: LinearScale(lo: 0, hi: 1, start: plot.minX, end: plot.maxX),
                                          ticks: [], labels: [], title: nil),
                        y: yAxis, on: &canvas, typography: t, grid: false)
        let labelY = plot.maxY + t.pad * 0.6
        for (slotIndex, c) in order.enumerated() {
            let cx = plot.minX + slot * (Double(slotIndex) + 0.5)
            switch angle {
            case 0: canvas.text(categories[c], at: Point(cx, labelY), style: labelStyle, horizontal: .center, vertical: .top)
            case 45: canvas.text(categories[c], at: Point(cx + labelH * 0.3, labelY), style: labelStyle, horizontal: .right,
                                 vertical: .middle, angle: 45)
            default: canvas.text(categories[c], at: Point(cx, labelY), style: labelStyle, horizontal: .right,
                                 vertical: .middle, angle: 90)
            }
        }
        if let xLabel = options.xLabel {
            canvas.text(xLabel, at: Point(plot.midX, Double(canvas.height) - t.pad * 0.6), style: t.label,
                        horizontal: .center, vertical: .bottom)
        }
        return canvas
    }

    func valueText(_ v: Double) -> String {
        if options.percent { return String(format: "%.0f", v) }
        if v == v.rounded(), abs(v) < 1e7 { return String(Int(v)) }
        return abs(v) < 1 ? String(format: "%.2f", v) : String(format: "%.1f", v)
    }
}
