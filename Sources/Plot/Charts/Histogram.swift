import Foundation

/// How a histogram chooses its bins.
public enum HistogramBins: Equatable, Sendable {
    /// NumPy's `bins="auto"`: the smaller width of Freedman–Diaconis and Sturges.
    case auto
    case count(Int)
    case width(Double)
}

/// Bin edges and counts, as `numpy.histogram` returns them (last bin closed on the right).
public struct HistogramData: Equatable, Sendable {
    public var edges: [Double]
    public var counts: [Int]

    public init(values: [Double], bins: HistogramBins = .auto) throws {
        let v = values.filter(\.isFinite)
        guard !v.isEmpty else { throw PlotError.badInput("a histogram needs at least one finite value") }
        var lo = v.min()!, hi = v.max()!
        if lo == hi { lo -= 0.5; hi += 0.5 } // numpy's widening for a constant sample
        let n: Int
        switch bins {
        case .count(let k):
            guard k > 0 else { throw PlotError.badInput("bin count must be positive, got \(k)") }
            n = k
        case .width(let w):
            guard w > 0, w.isFinite else { throw PlotError.badInput("bin width must be positive, got \(w)") }
            n = max(1, Int(((hi - lo) / w).rounded(.up)))
        case .auto:
            let w = HistogramData.autoWidth(v)
            n = w > 0 ? max(1, Int(((hi - lo) / w).rounded(.up))) : 1
        }
        // numpy.linspace(first, last, n + 1)
        let step = (hi - lo) / Double(n)
        edges = (0...n).map { $0 == n ? hi : lo + Double($0) * step }
        var c = [Int](repeating: 0, count: n)
        for x in v {
            var i = min(n - 1, max(0, Int((x - lo) / (hi - lo) * Double(n))))
            // numpy corrects the computed index against the real edges.
            if i > 0, x < edges[i] { i -= 1 } else if i < n - 1, x >= edges[i + 1] { i += 1 }
            c[i] += 1
        }
        counts = c
    }

    /// numpy `_hist_bin_auto`: min(FD, Sturges) when FD is positive, else Sturges.
    /// FD = 2·IQR·n^(-1/3) (Freedman & Diaconis 1981); Sturges = range / (log2 n + 1).
    static func autoWidth(_ v: [Double]) -> Double {
        let sorted = v.sorted()
        let n = Double(v.count)
        let sturges = (sorted.last! - sorted.first!) / (log2(n) + 1)
        let iqr = percentile(sorted, 75) - percentile(sorted, 25)
        let fd = 2 * iqr * pow(n, -1.0 / 3)
        return fd > 0 ? min(fd, sturges) : sturges
    }

    /// numpy.percentile's default ("linear") interpolation on sorted data.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let pos = q / 100 * Double(sorted.count - 1)
        let i = Int(pos.rounded(.down))
        let f = pos - Double(i)
        return i + 1 < sorted.count ? sorted[i] + (sorted[i + 1] - sorted[i]) * f : sorted[i]
    }
}

/// Options for `plot hist` (`--width --height --title --bins --xlabel`).
public struct HistogramOptions: Equatable, Sendable {
    public var chart: ChartOptions
    public var bins: HistogramBins
    public var xLabel: String?
    public var yLabel: String
    public var color: Color
    /// Draw dashed lines at the mean and median, with a legend.
    public var showMeanMedian: Bool
    public init(chart: ChartOptions = ChartOptions(), bins: HistogramBins = .auto, xLabel: String? = nil,
                yLabel: String = "count", color: Color = Palette.tableau10[0], showMeanMedian: Bool = true) {
        self.chart = chart; self.bins = bins; self.xLabel = xLabel; self.yLabel = yLabel; self.color = color
        self.showMeanMedian = showMeanMedian
    }
}

/// A histogram of durations, lengths or rates, with nice x ticks and the sample size noted.
public struct Histogram: Sendable {
    public var values: [Double]
    public var data: HistogramData
    public var options: HistogramOptions

    public init(values: [Double], options: HistogramOptions = HistogramOptions()) throws {
        self.values = values.filter(\.isFinite)
        self.data = try HistogramData(values: values, bins: options.bins)
        self.options = options
    }

    public func render() throws -> Canvas {
        try FontLibrary.shared.check()
        var canvas = Canvas(width: options.chart.width, height: options.chart.height)
        let t = Typography(width: canvas.width, height: canvas.height)
        let top = ChartDecor.title(options.chart.title, on: &canvas, typography: t)
        let maxCount = Double(data.counts.max() ?? 1)
        let probe = AxisSpec.numeric(lo: 0, hi: maxCount, start: 0, end: 1, count: 6, title: nil)
        let m = ChartDecor.margins(yLabels: probe.labels, yTitle: options.yLabel, xTitle: options.xLabel, typography: t)
        let plot = Rect(x: m.left + t.pad, y: top + t.pad * 0.5, width: Double(canvas.width) - m.left - t.pad * 3,
                        height: Double(canvas.height) - top - t.pad * 0.5 - m.bottom)
        guard plot.width > 10, plot.height > 10 else { throw PlotError.badInput("canvas too small for a histogram") }
        let lo = data.edges.first!, hi = data.edges.last!
        let xAxis = AxisSpec.numeric(lo: lo, hi: hi, start: plot.minX, end: plot.maxX,
                                     count: max(3, min(10, Int(plot.width / (t.base * 6)))), title: options.xLabel)
        let yAxis = AxisSpec.numeric(lo: 0, hi: maxCount, start: plot.maxY, end: plot.minY,
                                     count: max(3, min(8, Int(plot.height / (t.base * 3.2)))), title: options.yLabel)
        for v in yAxis.ticks {
            let py = ChartDecor.snap(yAxis.scale(v), t.axisWidth)
            canvas.line(from: Point(plot.minX, py), to: Point(plot.maxX, py), width: t.axisWidth, color: .gridGrey)
        }
        let edgeColor = Color.white
        for (i, c) in data.counts.enumerated() where c > 0 {
            let x0 = xAxis.scale(data.edges[i]), x1 = xAxis.scale(data.edges[i + 1])
            let y = yAxis.scale(Double(c))
            let r = Rect(x: x0, y: y, width: x1 - x0, height: plot.maxY - y)
            canvas.fill(r, color: options.color)
            // Thin white seams keep adjacent bins apart without a heavy outline.
            if x1 - x0 > 4 { canvas.line(from: Point(x1, y), to: Point(x1, plot.maxY), width: 1, color: edgeColor) }
        }
        ChartDecor.axes(plot, x: xAxis, y: yAxis, on: &canvas, typography: t, grid: false)
        var legend: [(String, ChartDecor.LegendMark)] = []
        if options.showMeanMedian, values.count > 1 {
            let mean = values.reduce(0, +) / Double(values.count)
            let median = HistogramData.percentile(values.sorted(), 50)
            let meanColor = Palette.tableau10[2], medianColor = Palette.tableau10[4]
            for (v, color) in [(mean, meanColor), (median, medianColor)] {
                let x = xAxis.scale(v)
                canvas.line(from: Point(x, plot.minY), to: Point(x, plot.maxY), width: t.lineWidth, color: color,
                            dash: [t.lineWidth * 3, t.lineWidth * 2])
            }
            legend = [("mean \(Histogram.short(mean))", .line(meanColor, dashed: true)),
                      ("median \(Histogram.short(median))", .line(medianColor, dashed: true))]
        }
        legend.append(("n = \(values.count), \(data.counts.count) bins", .box(options.color)))
        let corners = data.counts.enumerated().map { i, c in
            Point(xAxis.scale((data.edges[i] + data.edges[i + 1]) / 2), yAxis.scale(Double(c)))
        }
        // Points along every bar's full height, so the legend avoids tall bars.
        let avoid = corners.flatMap { p in stride(from: p.y, through: plot.maxY, by: max(4, t.base)).map { Point(p.x, $0) } }
        ChartDecor.legend(legend, in: plot, avoid: avoid, on: &canvas, typography: t)
        return canvas
    }

    static func short(_ v: Double) -> String {
        let a = abs(v)
        return a >= 100 ? String(format: "%.0f", v) : a >= 10 ? String(format: "%.1f", v) : String(format: "%.2f", v)
    }
}
