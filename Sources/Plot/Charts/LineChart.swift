/// One line of a line chart: (x, y) pairs; non-finite y values break the line.
public struct LineSeries: Equatable, Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    public var color: Color?
    public var dashed: Bool
    public init(name: String, x: [Double], y: [Double], color: Color? = nil, dashed: Bool = false) {
        self.name = name; self.x = x; self.y = y; self.color = color; self.dashed = dashed
    }
}

/// `plot curves`-style options for a single-panel line chart.
public struct LineChartOptions: Equatable, Sendable {
    public var chart: ChartOptions
    public var xLabel: String?
    public var yLabel: String?
    /// Fixed y range; nil = nice range around the data.
    public var yRange: ClosedRange<Double>?
    /// Dots on each point (auto: when every series has ≤ 40 points).
    public var markers: Bool?
    public init(chart: ChartOptions = ChartOptions(), xLabel: String? = nil, yLabel: String? = nil,
                yRange: ClosedRange<Double>? = nil, markers: Bool? = nil) {
        self.chart = chart; self.xLabel = xLabel; self.yLabel = yLabel; self.yRange = yRange; self.markers = markers
    }
}

/// A line chart (training curves, any per-step quantity): nice ticks, grid, legend when there is
/// more than one series.
public struct LineChart: Sendable {
    public var series: [LineSeries]
    public var options: LineChartOptions

    public init(series: [LineSeries], options: LineChartOptions = LineChartOptions()) throws {
        guard !series.isEmpty else { throw PlotError.badInput("a line chart needs at least one series") }
        for s in series where s.x.count != s.y.count {
            throw PlotError.badInput("series '\(s.name)' has \(s.x.count) x values but \(s.y.count) y values")
        }
        guard series.contains(where: { s in s.y.contains { $0.isFinite } }) else {
            throw PlotError.badInput("a line chart needs at least one finite value")
        }
        self.series = series; self.options = options
    }

    public func render() throws -> Canvas {
        try FontLibrary.shared.check()
        var canvas = Canvas(width: options.chart.width, height: options.chart.height)
        let t = Typography(width: canvas.width, height: canvas.height)
        let top = ChartDecor.title(options.chart.title, on: &canvas, typography: t)
        draw(on: &canvas, in: Rect(x: 0, y: top, width: Double(canvas.width), height: Double(canvas.height) - top),
             typography: t, panelTitle: nil)
        return canvas
    }

    /// Draws into `area` of a larger figure (panels of `TrainingCurves`).
    func draw(on canvas: inout Canvas, in area: Rect, typography t: Typography, panelTitle: String?) {
        var area = area
        if let panelTitle {
            let style = TextStyle(size: t.label.size * 1.05, weight: .bold)
            let h = Canvas.lineHeight(size: style.size)
            canvas.text(panelTitle, at: Point(area.midX, area.minY + h / 2), style: style, horizontal: .center, vertical: .middle)
            area.y += h + t.pad * 0.6; area.height -= h + t.pad * 0.6
        }
        let points = series.flatMap { s in zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite } }
        let xs = points.map(\.0), ys = points.map(\.1)
        var xlo = xs.min() ?? 0, xhi = xs.max() ?? 1
        if xhi == xlo { xlo -= 1; xhi += 1 }
        let ylo = options.yRange?.lowerBound ?? ys.min() ?? 0, yhi = options.yRange?.upperBound ?? ys.max() ?? 1
        // First pass with a provisional pixel range, to size the margins from the real labels.
        let yProbe = AxisSpec.numeric(lo: ylo, hi: yhi, start: 0, end: 1, count: 6, title: options.yLabel,
                                      fixed: options.yRange != nil)
        let m = ChartDecor.margins(yLabels: yProbe.labels, yTitle: options.yLabel, xTitle: options.xLabel, typography: t)
        let plot = Rect(x: area.minX + m.left + t.pad, y: area.minY + t.pad * 0.5,
                        width: area.width - m.left - t.pad * 3.5, height: area.height - m.bottom - t.pad * 0.5)
        guard plot.width > 10, plot.height > 10 else { return }
        let xCount = max(3, min(10, Int(plot.width / (t.base * 6))))
        let integerX = series.allSatisfy { $0.x.allSatisfy { $0 == $0.rounded() } }
        var xAxis = AxisSpec.numeric(lo: xlo, hi: xhi, start: plot.minX, end: plot.maxX, count: xCount,
                                     title: options.xLabel, fixed: true)
        if integerX {
            // Epochs: integer ticks only, never 2.5.
            let step = max(1, NiceTicks.niceNumber(max(1, (xhi - xlo) / Double(xCount - 1)), round: true).rounded())
            let first = (xlo / step).rounded(.up) * step
            let values = stride(from: first, through: xhi + 1e-9, by: step).map { $0 }
            xAxis = AxisSpec(scale: xAxis.scale, ticks: values, labels: values.map { String(Int($0)) }, title: options.xLabel)
        }
        let yAxis = AxisSpec.numeric(lo: ylo, hi: yhi, start: plot.maxY, end: plot.minY,
                                     count: max(3, min(8, Int(plot.height / (t.base * 3.2)))),
                                     title: options.yLabel, fixed: options.yRange != nil)
        ChartDecor.axes(plot, x: xAxis, y: yAxis, on: &canvas, typography: t)

        let showMarkers = options.markers ?? series.allSatisfy { $0.x.count <= 40 }
        var projected: [Point] = []
        for (i, s) in series.enumerated() {
            let color = s.color ?? Palette.categorical(i)
            var run: [Point] = []
            func flush() {
                if run.count >= 2 {
                    canvas.stroke(run, width: t.lineWidth, color: color,
                                  dash: s.dashed ? [t.lineWidth * 4, t.lineWidth * 2.5] : nil)
                }
                if showMarkers { for p in run { canvas.fillCircle(center: p, radius: t.lineWidth * 1.6, color: color) } }
                run = []
            }
            for (x, y) in zip(s.x, s.y) {
                guard x.isFinite, y.isFinite else { flush(); continue }
                let p = Point(xAxis.scale(x), yAxis.scale(y))
                run.append(p); projected.append(p)
            }
            flush()
        }
        if series.count > 1 {
            ChartDecor.legend(series.enumerated().map { i, s in
                (s.name, .line(s.color ?? Palette.categorical(i), dashed: s.dashed))
            }, in: plot, avoid: projected, on: &canvas, typography: t)
        }
    }
}
