import Foundation

/// Options for `plot confusion` (`--width --height --title --normalize --colormap`).
public struct ConfusionOptions: Equatable, Sendable {
    public var chart: ChartOptions
    /// Row-normalised rates (each true class sums to 1) instead of counts.
    public var normalize: Bool
    public var colormap: ColorMap
    /// Write each cell's value (nil = when the cells are big enough to read).
    public var showValues: Bool?
    public var xLabel: String
    public var yLabel: String
    public init(chart: ChartOptions = ChartOptions(width: 1000, height: 900), normalize: Bool = false,
                colormap: ColorMap = .blues, showValues: Bool? = nil,
                xLabel: String = "Predicted", yLabel: String = "True") {
        self.chart = chart; self.normalize = normalize; self.colormap = colormap; self.showValues = showValues
        self.xLabel = xLabel; self.yLabel = yLabel
    }
}

/// A confusion matrix heatmap: rows are true classes, columns predictions, square cells,
/// class names on both axes (rotated on x when they do not fit), a colour bar, and cell values in
/// black or white, whichever reads on that cell.
public struct ConfusionHeatmap: Sendable {
    /// [classes, classes] counts (rows = true class).
    public var matrix: [[Double]]
    public var labels: [String]
    public var options: ConfusionOptions

    public init(matrix: [[Double]], labels: [String]? = nil, options: ConfusionOptions = ConfusionOptions()) throws {
        let n = matrix.count
        guard n > 0 else { throw PlotError.badInput("empty confusion matrix") }
        for (i, row) in matrix.enumerated() where row.count != n {
            throw PlotError.badInput("confusion matrix row \(i) has \(row.count) values, expected \(n) (square)")
        }
        guard matrix.allSatisfy({ $0.allSatisfy { $0.isFinite && $0 >= 0 } }) else {
            throw PlotError.badInput("confusion matrix values must be finite and non-negative")
        }
        let names = labels ?? (0..<n).map(String.init)
        guard names.count == n else { throw PlotError.badInput("\(names.count) labels for a \(n)×\(n) matrix") }
        self.matrix = matrix; self.labels = names; self.options = options
    }

    public init(counts: [[Int]], labels: [String]? = nil, options: ConfusionOptions = ConfusionOptions()) throws {
        try self.init(matrix: counts.map { $0.map(Double.init) }, labels: labels, options: options)
    }

    /// The values drawn: counts, or each row divided by its sum (an empty row stays 0).
    public var displayed: [[Double]] {
        guard options.normalize else { return matrix }
        return matrix.map { row in
            let s = row.reduce(0, +)
            return s > 0 ? row.map { $0 / s } : row.map { _ in 0 }
        }
    }

    /// Colour-scale maximum: 1 for rates, the largest count otherwise.
    public var scaleMax: Double {
        options.normalize ? 1 : max(1, matrix.flatMap { $0 }.max() ?? 1)
    }

    /// The fill colour of a cell holding `value` (what the tests check pixels against).
    public func color(for value: Double) -> Color { options.colormap.color(value / scaleMax) }

    /// Cell geometry of the last render: `cell(row, column)` in canvas pixels.
    public struct Layout: Equatable, Sendable {
        public var origin: Point
        public var cellSize: Double
        public var colorBar: Rect
        public func cell(_ row: Int, _ column: Int) -> Rect {
            Rect(x: origin.x + Double(column) * cellSize, y: origin.y + Double(row) * cellSize,
                 width: cellSize, height: cellSize)
        }
    }

    public func render() throws -> Canvas { try renderWithLayout().canvas }

    public func renderWithLayout() throws -> (canvas: Canvas, layout: Layout) {
        try FontLibrary.shared.check()
        let n = matrix.count
        var canvas = Canvas(width: options.chart.width, height: options.chart.height)
        let t = Typography(width: canvas.width, height: canvas.height)
        let top = ChartDecor.title(options.chart.title, on: &canvas, typography: t)
        let W = Double(canvas.width), H = Double(canvas.height)
        let axisTitleH = Canvas.lineHeight(size: t.label.size)
        let barW = (t.base * 1.1).rounded()
        let data = displayed, vmax = scaleMax

        // Pass 1: guess the cell size, pick the label font from it; pass 2: exact margins.
        let guessCell = min(W * 0.78, H - top - H * 0.18) / Double(n)
        let labelStyle = TextStyle(size: max(7, min(t.tick.size, guessCell * 0.72)), color: t.tick.color)
        let labelW = labels.map { Canvas.measure($0, style: labelStyle) }.max() ?? 0
        let labelH = Canvas.lineHeight(size: labelStyle.size)
        let barLabels = colorBarTicks(vmax: vmax)
        let barLabelW = barLabels.labels.map { Canvas.measure($0, style: t.tick) }.max() ?? 0
        let left = t.pad * 2 + axisTitleH + labelW + t.pad
        let right = t.pad * 2 + barW + t.pad * 0.8 + barLabelW + t.pad * 1.5
        var cell = (W - left - right) / Double(n)
        // x labels: horizontal when they fit in a cell, else rotated a quarter turn.
        var rotated = labelW > cell * 0.92
        var bottom = t.pad * 2 + axisTitleH + (rotated ? labelW : labelH) + t.pad * 0.8
        cell = min(cell, (H - top - bottom - t.pad) / Double(n))
        rotated = labelW > cell * 0.92
        bottom = t.pad * 2 + axisTitleH + (rotated ? labelW : labelH) + t.pad * 0.8
        cell = max(1, min(cell, (H - top - bottom - t.pad) / Double(n))).rounded(.down)

        let side = cell * Double(n)
        // Centre the block (matrix + colour bar) horizontally in the space the margins leave.
        let slack = max(0, W - left - right - side)
        let origin = Point((left + slack / 2).rounded(), (top + t.pad).rounded())
        let layout = Layout(origin: origin, cellSize: cell,
                            colorBar: Rect(x: origin.x + side + t.pad * 2, y: origin.y, width: barW, height: side))

        for i in 0..<n {
            for j in 0..<n {
                canvas.fill(layout.cell(i, j), color: options.colormap.color(data[i][j] / vmax))
            }
        }
        canvas.strokeRect(Rect(x: origin.x - 0.5, y: origin.y - 0.5, width: side + 1, height: side + 1), width: 1, color: .axisGrey)

        // Cell values.
        let strings = data.map { row in row.map { valueText($0) } }
        let longest = strings.flatMap { $0 }.max { $0.count < $1.count } ?? ""
        var valueSize = min(labelStyle.size * 1.4, cell * 0.42)
        while valueSize > 6, Canvas.measure(longest, style: TextStyle(size: valueSize)) > cell * 0.9 { valueSize -= 0.5 }
        if options.showValues ?? (valueSize >= 7.5) {
            for i in 0..<n {
                for j in 0..<n where !strings[i][j].isEmpty {
                    let r = layout.cell(i, j)
                    let bg = options.colormap.color(data[i][j] / vmax)
                    canvas.text(strings[i][j], at: Point(r.midX, r.midY),
                                style: TextStyle(size: valueSize, color: bg.readableText),
                                horizontal: .center, vertical: .middle)
                }
            }
        }

        // Class names: rows on the left, columns below.
        for i in 0..<n {
            canvas.text(labels[i], at: Point(origin.x - t.pad * 0.6, origin.y + (Double(i) + 0.5) * cell),
                        style: labelStyle, horizontal: .right, vertical: .middle)
        }
        let labelTop = origin.y + side + t.pad * 0.6
        for j in 0..<n {
            let cx = origin.x + (Double(j) + 0.5) * cell
            if rotated {
                canvas.text(labels[j], at: Point(cx, labelTop), style: labelStyle, horizontal: .right, vertical: .middle, angle: 90)
            } else {
                canvas.text(labels[j], at: Point(cx, labelTop), style: labelStyle, horizontal: .center, vertical: .top)
            }
        }
        let labelsBottom = labelTop + (rotated ? labelW : labelH)
        canvas.text(options.xLabel, at: Point(origin.x + side / 2, labelsBottom + t.pad * 0.8), style: t.label,
                    horizontal: .center, vertical: .top)
        canvas.text(options.yLabel, at: Point(origin.x - t.pad * 1.4 - labelW, origin.y + side / 2), style: t.label,
                    horizontal: .center, vertical: .bottom, angle: 90)

        drawColorBar(layout.colorBar, ticks: barLabels, vmax: vmax, on: &canvas, typography: t)
        return (canvas, layout)
    }

    func valueText(_ v: Double) -> String {
        if v == 0 { return "" }
        if options.normalize { return String(format: "%.2f", v) }
        return v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v)
    }

    private func colorBarTicks(vmax: Double) -> (values: [Double], labels: [String]) {
        let t = NiceTicks.ticksInside(lo: 0, hi: vmax, count: 6)
        return (t.values, t.values.map { NiceTicks.format($0, step: t.step) })
    }

    private func drawColorBar(_ bar: Rect, ticks: (values: [Double], labels: [String]), vmax: Double,
                              on canvas: inout Canvas, typography t: Typography) {
        let y0 = Int(bar.minY), y1 = Int(bar.maxY)
        for y in y0..<y1 {
            let v = 1 - (Double(y - y0) + 0.5) / Double(y1 - y0)
            canvas.fill(Rect(x: bar.minX, y: Double(y), width: bar.width, height: 1), color: options.colormap.color(v))
        }
        canvas.strokeRect(Rect(x: bar.minX - 0.5, y: bar.minY - 0.5, width: bar.width + 1, height: bar.height + 1),
                          width: 1, color: .axisGrey)
        for (v, label) in zip(ticks.values, ticks.labels) {
            let y = ChartDecor.snap(bar.maxY - v / vmax * bar.height, 1)
            canvas.line(from: Point(bar.maxX, y), to: Point(bar.maxX + t.pad * 0.5, y), width: 1, color: .axisGrey)
            canvas.text(label, at: Point(bar.maxX + t.pad * 0.8, y), style: t.tick, vertical: .middle)
        }
    }
}
