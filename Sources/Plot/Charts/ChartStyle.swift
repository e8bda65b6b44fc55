/// The options every `plot` command shares: `--out` is the caller's, these are the rest
/// (`--width --height --title`).
public struct ChartOptions: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var title: String?
    public init(width: Int = 960, height: Int = 640, title: String? = nil) {
        self.width = width; self.height = height; self.title = title
    }
}

/// Font sizes and stroke widths scaled to the canvas, so a 2400-px figure for print looks like
/// the 960-px one, only sharper.
struct Typography {
    let base: Double
    init(width: Int, height: Int) {
        base = max(10, min(28, (Double(width) * Double(height)).squareRoot() / 52))
    }
    var title: TextStyle { TextStyle(size: base * 1.35, weight: .bold) }
    var label: TextStyle { TextStyle(size: base * 1.05) }
    var tick: TextStyle { TextStyle(size: base * 0.88, color: Color(hex: 0x333333)) }
    var legend: TextStyle { TextStyle(size: base * 0.92) }
    var small: TextStyle { TextStyle(size: max(8, base * 0.75), color: Color(hex: 0x333333)) }
    var pad: Double { (base * 0.6).rounded() }
    var lineWidth: Double { max(1.5, base / 7) }
    var axisWidth: Double { max(1, (base / 14).rounded()) }
}

/// Linear map from data values to pixels.
struct LinearScale {
    var lo: Double, hi: Double
    var start: Double, end: Double
    func callAsFunction(_ v: Double) -> Double {
        hi == lo ? (start + end) / 2 : start + (v - lo) / (hi - lo) * (end - start)
    }
}

/// One axis: its scale, tick positions and labels, and an optional title.
struct AxisSpec {
    var scale: LinearScale
    var ticks: [Double]
    var labels: [String]
    var title: String?

    /// Nice ticks covering [lo, hi] (range widened to the nice bounds unless `fixed`).
    static func numeric(lo: Double, hi: Double, start: Double, end: Double, count: Int, title: String?,
                        fixed: Bool = false, format: ((Double, Double) -> String)? = nil) -> AxisSpec {
        let fmt = format ?? NiceTicks.format
        if fixed {
            let t = NiceTicks.ticksInside(lo: lo, hi: hi, count: count)
            return AxisSpec(scale: LinearScale(lo: lo, hi: hi, start: start, end: end), ticks: t.values,
                            labels: t.values.map { fmt($0, t.step) }, title: title)
        }
        let t = NiceTicks.ticks(lo: lo, hi: hi, count: count)
        return AxisSpec(scale: LinearScale(lo: t.lo, hi: t.hi, start: start, end: end), ticks: t.values,
                        labels: t.values.map { fmt($0, t.step) }, title: title)
    }
}

/// Shared chart decorations: title band, axes with ticks and grid, legend.
enum ChartDecor {
    /// Draws the figure title centred in the top band; returns the band's height.
    @discardableResult
    static func title(_ title: String?, on canvas: inout Canvas, typography t: Typography, width: Double? = nil) -> Double {
        guard let title, !title.isEmpty else { return t.pad }
        let style = t.title
        let h = Canvas.lineHeight(size: style.size)
        canvas.text(title, at: Point((width ?? Double(canvas.width)) / 2, t.pad + h / 2), style: style,
                    horizontal: .center, vertical: .middle)
        return t.pad * 2 + h
    }

    /// Margins (left, bottom) that tick labels and axis titles need around a plot area.
    static func margins(yLabels: [String], yTitle: String?, xTitle: String?, typography t: Typography) -> (left: Double, bottom: Double) {
        let tickW = yLabels.map { Canvas.measure($0, style: t.tick) }.max() ?? 0
        var left = tickW + t.pad * 1.6
        if yTitle != nil { left += Canvas.lineHeight(size: t.label.size) + t.pad * 0.6 }
        var bottom = Canvas.lineHeight(size: t.tick.size) + t.pad * 1.4
        if xTitle != nil { bottom += Canvas.lineHeight(size: t.label.size) + t.pad * 0.4 }
        return (left.rounded(.up), bottom.rounded(.up))
    }

    /// Grid lines, the L-shaped axes, ticks and their labels, and the axis titles.
    static func axes(_ plot: Rect, x: AxisSpec, y: AxisSpec, on canvas: inout Canvas, typography t: Typography,
                     grid: Bool = true, xTickLabels: Bool = true) {
        let aw = t.axisWidth
        if grid {
            for v in y.ticks {
                let py = snap(y.scale(v), aw)
                canvas.line(from: Point(plot.minX, py), to: Point(plot.maxX, py), width: aw, color: .gridGrey)
            }
            for v in x.ticks {
                let px = snap(x.scale(v), aw)
                canvas.line(from: Point(px, plot.minY), to: Point(px, plot.maxY), width: aw, color: .gridGrey)
            }
        }
        let tickLen = t.pad * 0.6
        for (v, label) in zip(y.ticks, y.labels) {
            let py = snap(y.scale(v), aw)
            canvas.line(from: Point(plot.minX - tickLen, py), to: Point(plot.minX, py), width: aw, color: .axisGrey)
            canvas.text(label, at: Point(plot.minX - tickLen - t.pad * 0.4, py), style: t.tick,
                        horizontal: .right, vertical: .middle)
        }
        for (v, label) in zip(x.ticks, x.labels) {
            let px = snap(x.scale(v), aw)
            canvas.line(from: Point(px, plot.maxY), to: Point(px, plot.maxY + tickLen), width: aw, color: .axisGrey)
            if xTickLabels {
                canvas.text(label, at: Point(px, plot.maxY + tickLen + t.pad * 0.3), style: t.tick,
                            horizontal: .center, vertical: .top)
            }
        }
        frame(plot, on: &canvas, typography: t)
        if let title = x.title {
            canvas.text(title, at: Point(plot.midX, Double(canvas.height) - t.pad * 0.6), style: t.label,
                        horizontal: .center, vertical: .bottom)
        }
        if let title = y.title {
            let tickW = y.labels.map { Canvas.measure($0, style: t.tick) }.max() ?? 0
            let x0 = plot.minX - tickLen - t.pad * 1.0 - tickW
            canvas.text(title, at: Point(x0, plot.midY), style: t.label, horizontal: .center, vertical: .bottom, angle: 90)
        }
    }

    /// Left and bottom axis lines (open frame, the usual style for papers).
    static func frame(_ plot: Rect, on canvas: inout Canvas, typography t: Typography) {
        let aw = t.axisWidth
        let left = snap(plot.minX, aw), bottom = snap(plot.maxY, aw)
        canvas.line(from: Point(left, plot.minY), to: Point(left, bottom + aw / 2), width: aw, color: .axisGrey)
        canvas.line(from: Point(left - aw / 2, bottom), to: Point(plot.maxX, bottom), width: aw, color: .axisGrey)
    }

    /// Puts a line of width `w` on whole pixels (odd widths centre on a pixel centre) so axes stay crisp.
    static func snap(_ v: Double, _ w: Double) -> Double {
        let iw = Int(w.rounded())
        return iw % 2 == 1 ? v.rounded(.down) + 0.5 : v.rounded()
    }

    enum LegendMark { case line(Color, dashed: Bool), box(Color), dot(Color) }

    /// A one-row legend centred at `y` (below a title, where it can never cover data); returns its height.
    @discardableResult
    static func legendRow(_ entries: [(String, LegendMark)], centerX: Double, y: Double,
                          on canvas: inout Canvas, typography t: Typography) -> Double {
        let style = t.legend
        let swatch = style.size * 1.6
        let widths = entries.map { swatch + t.pad * 0.5 + Canvas.measure($0.0, style: style) }
        let total = widths.reduce(0, +) + t.pad * 2 * Double(max(0, entries.count - 1))
        var x = (centerX - total / 2).rounded()
        let h = Canvas.lineHeight(size: style.size)
        let cy = (y + h / 2).rounded()
        for ((name, mark), w) in zip(entries, widths) {
            drawMark(mark, x: x, cy: cy, swatch: swatch, on: &canvas, typography: t)
            canvas.text(name, at: Point(x + swatch + t.pad * 0.5, cy), style: style, vertical: .middle)
            x += w + t.pad * 2
        }
        return h + t.pad
    }

    /// A legend box in whichever corner of `plot` holds the fewest of `avoid` points.
    static func legend(_ entries: [(String, LegendMark)], in plot: Rect, avoid: [Point],
                       on canvas: inout Canvas, typography t: Typography) {
        guard !entries.isEmpty else { return }
        let style = t.legend
        let rowH = Canvas.lineHeight(size: style.size) * 1.15
        let swatch = style.size * 2
        let textW = entries.map { Canvas.measure($0.0, style: style) }.max() ?? 0
        let w = (t.pad * 2 + swatch + t.pad * 0.6 + textW).rounded(.up)
        let h = (t.pad * 1.2 + rowH * Double(entries.count)).rounded(.up)
        let m = t.pad
        let candidates = [Rect(x: plot.maxX - w - m, y: plot.minY + m, width: w, height: h),
                          Rect(x: plot.maxX - w - m, y: plot.maxY - h - m, width: w, height: h),
                          Rect(x: plot.minX + m, y: plot.minY + m, width: w, height: h),
                          Rect(x: plot.minX + m, y: plot.maxY - h - m, width: w, height: h)]
        func hits(_ r: Rect) -> Int {
            avoid.filter { $0.x >= r.minX - m && $0.x <= r.maxX + m && $0.y >= r.minY - m && $0.y <= r.maxY + m }.count
        }
        var best = candidates[0]
        var bestHits = hits(best)
        for c in candidates.dropFirst() { let n = hits(c); if n < bestHits { best = c; bestHits = n } }
        let box = Rect(x: best.x.rounded() + 0.5, y: best.y.rounded() + 0.5, width: w, height: h)
        canvas.fill(box, color: Color.white.withAlpha(0.9))
        canvas.strokeRect(box, width: 1, color: Color(hex: 0xCCCCCC))
        for (i, (name, mark)) in entries.enumerated() {
            let cy = box.minY + t.pad * 0.6 + rowH * (Double(i) + 0.5)
            let sx = box.minX + t.pad
            drawMark(mark, x: sx, cy: cy.rounded(), swatch: swatch, on: &canvas, typography: t)
            canvas.text(name, at: Point(sx + swatch + t.pad * 0.6, cy), style: style, vertical: .middle)
        }
    }

    /// A legend swatch `swatch` px wide starting at x, centred on row cy.
    static func drawMark(_ mark: LegendMark, x: Double, cy: Double, swatch: Double, on canvas: inout Canvas,
                         typography t: Typography) {
        switch mark {
        case .line(let c, let dashed):
            canvas.line(from: Point(x, cy), to: Point(x + swatch, cy), width: max(3, (t.lineWidth * 1.6).rounded()), color: c,
                        dash: dashed ? [t.lineWidth * 3, t.lineWidth * 2] : nil)
        case .box(let c):
            canvas.fill(Rect(x: x + swatch * 0.2, y: cy - swatch * 0.3, width: swatch * 0.6, height: swatch * 0.6), color: c)
        case .dot(let c):
            canvas.fillCircle(center: Point(x + swatch / 2, cy), radius: t.legend.size * 0.35, color: c)
        }
    }
}
