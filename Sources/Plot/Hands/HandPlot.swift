import Foundation
import TensorCore

/// Options for `plot hand` (`--width --height --title --indices`).
public struct HandPlotOptions: Equatable, Sendable {
    public var chart: ChartOptions
    /// Write each landmark's index beside it.
    public var showIndices: Bool
    /// Axes with ticks in landmark units (off: just the hand).
    public var axes: Bool
    /// Colour key for the fingers under the title.
    public var legend: Bool
    /// Width ÷ height of the image the normalised landmarks came from: x is stretched by it so
    /// a hand from a 16:9 frame keeps its true shape (1 = coordinates already isotropic).
    public var imageAspect: Double
    public init(chart: ChartOptions = ChartOptions(width: 640, height: 640), showIndices: Bool = false,
                axes: Bool = true, legend: Bool = true, imageAspect: Double = 1) {
        self.chart = chart; self.showIndices = showIndices; self.axes = axes; self.legend = legend
        self.imageAspect = imageAspect
    }
}

/// Options for `plot sequence` (`--width --height --title --max-frames --columns`).
public struct SequencePlotOptions: Equatable, Sendable {
    public var chart: ChartOptions
    /// At most this many panels; longer sequences are sampled evenly (first and last kept).
    public var maxFrames: Int
    public var columns: Int?
    /// Width ÷ height of the image the normalised landmarks came from: x is stretched by it so
    /// a hand from a 16:9 frame keeps its true shape (1 = coordinates already isotropic).
    public var imageAspect: Double
    public init(chart: ChartOptions = ChartOptions(width: 1200, height: 800), maxFrames: Int = 24, columns: Int? = nil,
                imageAspect: Double = 1) {
        self.chart = chart; self.maxFrames = maxFrames; self.columns = columns; self.imageAspect = imageAspect
    }
}

/// Options for the fingertip-trajectory view (`plot sequence --trajectory`).
public struct TrajectoryOptions: Equatable, Sendable {
    public var chart: ChartOptions
    /// Landmarks whose paths are drawn (default: the five fingertips).
    public var landmarks: [Int]
    /// Faint skeletons of the first and last visible frames for context.
    public var showSkeletons: Bool
    /// Width ÷ height of the image the normalised landmarks came from: x is stretched by it so
    /// a hand from a 16:9 frame keeps its true shape (1 = coordinates already isotropic).
    public var imageAspect: Double
    public init(chart: ChartOptions = ChartOptions(width: 800, height: 800), landmarks: [Int] = HandSkeleton.fingertips,
                showSkeletons: Bool = true, imageAspect: Double = 1) {
        self.chart = chart; self.landmarks = landmarks; self.showSkeletons = showSkeletons; self.imageAspect = imageAspect
    }
}

/// Equal-aspect map from landmark (x, y) to canvas pixels, y pointing down as in the image the
/// landmarks came from.
public struct HandProjection: Equatable, Sendable {
    public var scale: Double
    public var offsetX: Double, offsetY: Double
    public func callAsFunction(_ x: Double, _ y: Double) -> Point { Point(offsetX + x * scale, offsetY + y * scale) }

}

/// Hand pictures: one hand, a sequence as small multiples, fingertip trajectories, and the
/// skeleton over a video frame (`HandPlot.overlay`).
public enum HandPlot {
    /// One hand: 21 landmarks ([21][x, y(, z)]), bones coloured per finger, wrist marked.
    public static func render(landmarks: [[Float]], options: HandPlotOptions = HandPlotOptions()) throws -> Canvas {
        try renderWithProjection(landmarks: landmarks, options: options).canvas
    }

    /// One frame of a [21, C] or [T, 21, C] landmark tensor (`plot hand lm --frame N`).
    public static func render(landmarks tensor: Tensor, frame: Int = 0, options: HandPlotOptions = HandPlotOptions()) throws -> Canvas {
        let frames = try HandSkeleton.frames(tensor)
        guard frames.indices.contains(frame) else {
            throw PlotError.badInput("frame \(frame) is out of range: the sequence has \(frames.count) frame(s)")
        }
        return try render(landmarks: frames[frame], options: options)
    }

    /// `render` plus the projection it used (tests check that bones land where landmarks project).
    public static func renderWithProjection(landmarks: [[Float]], options: HandPlotOptions = HandPlotOptions())
        throws -> (canvas: Canvas, projection: HandProjection) {
        try FontLibrary.shared.check()
        let xy = try HandSkeleton.xy(landmarks).map { ($0.0 * options.imageAspect, $0.1) }
        guard xy.allSatisfy({ $0.0.isFinite && $0.1.isFinite }) else { throw PlotError.badInput("landmarks contain NaN or infinity") }
        var canvas = Canvas(width: options.chart.width, height: options.chart.height)
        let t = Typography(width: canvas.width, height: canvas.height)
        var top = ChartDecor.title(options.chart.title, on: &canvas, typography: t)
        if options.legend { top += fingerLegend(on: &canvas, y: top, typography: t) }
        let projection = try drawPanel(points: [xy], in: Rect(x: 0, y: top, width: Double(canvas.width), height: Double(canvas.height) - top),
                                       axes: options.axes, on: &canvas, typography: t) { canvas, project, size in
            SkeletonPainter.draw(xy.map { project($0.0, $0.1) }, on: &canvas, size: size, indices: options.showIndices,
                                 typography: t)
        }
        return (canvas, projection)
    }

    /// Small multiples of a [T][21][3] sequence; masked frames (mask false, or all-zero landmarks
    /// when no mask is given) are shown as missing. All panels share one scale so motion shows.
    public static func sequence(frames: [[[Float]]], mask: [Bool]? = nil,
                                options: SequencePlotOptions = SequencePlotOptions()) throws -> Canvas {
        let (xy, valid) = try checkedSequence(frames, mask: mask, aspect: options.imageAspect)
        var canvas = Canvas(width: options.chart.width, height: options.chart.height)
        let t = Typography(width: canvas.width, height: canvas.height)
        let present = valid.filter { $0 }.count
        let title = options.chart.title ?? "\(frames.count) frames, \(frames.count - present) missing"
        let top = ChartDecor.title(title, on: &canvas, typography: t)

        let k = max(1, min(options.maxFrames, frames.count))
        let shown = k == frames.count ? Array(frames.indices)
            : (0..<k).map { Int((Double($0) * Double(frames.count - 1) / Double(max(1, k - 1))).rounded()) }
        let area = Rect(x: t.pad, y: top, width: Double(canvas.width) - 2 * t.pad, height: Double(canvas.height) - top - t.pad)
        var columns = options.columns ?? 1
        if options.columns == nil {
            var best = 0.0
            for c in 1...k {
                let rows = (k + c - 1) / c
                let cell = min(area.width / Double(c), area.height / Double(rows))
                if cell > best { best = cell; columns = c }
            }
        }
        let rows = (k + columns - 1) / columns
        let cw = area.width / Double(columns), ch = area.height / Double(rows)
        // Shared scale from the largest extent of any visible frame.
        var extent = 1e-6
        for (f, p) in xy.enumerated() where valid[f] {
            let xs = p.map(\.0), ys = p.map(\.1)
            extent = max(extent, xs.max()! - xs.min()!, ys.max()! - ys.min()!)
        }
        let labelStyle = t.small
        let labelH = Canvas.lineHeight(size: labelStyle.size)
        for (n, f) in shown.enumerated() {
            let cell = Rect(x: area.minX + Double(n % columns) * cw, y: area.minY + Double(n / columns) * ch, width: cw, height: ch)
                .insetBy(t.pad * 0.3, t.pad * 0.3)
            canvas.fill(cell, color: Color(hex: 0xFAFAFA))
            canvas.strokeRect(Rect(x: cell.minX.rounded() + 0.5, y: cell.minY.rounded() + 0.5, width: cell.width.rounded() - 1,
                                   height: cell.height.rounded() - 1), width: 1, color: Color(hex: 0xDDDDDD))
            canvas.text("t = \(f)", at: Point(cell.minX + t.pad * 0.5, cell.minY + t.pad * 0.3), style: labelStyle, vertical: .top)
            let inner = Rect(x: cell.minX, y: cell.minY + labelH, width: cell.width, height: cell.height - labelH)
            guard valid[f] else {
                hatch(inner.insetBy(t.pad * 0.5, t.pad * 0.5), on: &canvas)
                canvas.text("missing", at: Point(inner.midX, inner.midY), style: TextStyle(size: labelStyle.size, color: Color(hex: 0x888888)),
                            horizontal: .center, vertical: .middle)
                continue
            }
            let p = xy[f]
            let xs = p.map(\.0), ys = p.map(\.1)
            let s = min(inner.width, inner.height) * 0.86 / extent
            let cx = (xs.min()! + xs.max()!) / 2, cy = (ys.min()! + ys.max()!) / 2
            let proj = HandProjection(scale: s, offsetX: inner.midX - cx * s, offsetY: inner.midY - cy * s)
            SkeletonPainter.draw(p.map { proj($0.0, $0.1) }, on: &canvas, size: min(inner.width, inner.height), indices: false,
                                 typography: t)
        }
        return canvas
    }

    /// Fingertip paths over a sequence: one colour per finger, fading in with time, hollow
    /// circle at the first visible frame and filled dot at the last; masked frames break paths.
    public static func trajectories(frames: [[[Float]]], mask: [Bool]? = nil,
                                    options: TrajectoryOptions = TrajectoryOptions()) throws -> Canvas {
        for l in options.landmarks where !(0..<21).contains(l) { throw PlotError.badInput("landmark \(l) is not in 0…20") }
        let (xy, valid) = try checkedSequence(frames, mask: mask, aspect: options.imageAspect)
        guard let first = valid.firstIndex(of: true), let last = valid.lastIndex(of: true) else {
            throw PlotError.badInput("every frame of the sequence is masked")
        }
        var canvas = Canvas(width: options.chart.width, height: options.chart.height)
        let t = Typography(width: canvas.width, height: canvas.height)
        var top = ChartDecor.title(options.chart.title ?? "Fingertip trajectories", on: &canvas, typography: t)
        let parts = options.landmarks.map { HandSkeleton.part(ofLandmark: $0) }
        var entries: [(String, ChartDecor.LegendMark)] = options.landmarks.map { l in
            let p = HandSkeleton.part(ofLandmark: l)
            return (HandSkeleton.fingertips.contains(l) ? p.name : "\(p.name) \(l)", .line(HandSkeleton.color(p), dashed: false))
        }
        entries.append(("frames \(first)–\(last): ○ first, ● last", .dot(Color(hex: 0x444444))))
        top += ChartDecor.legendRow(entries, centerX: Double(canvas.width) / 2, y: top, on: &canvas, typography: t)
        let visible = xy.indices.filter { valid[$0] }.map { xy[$0] }
        _ = try drawPanel(points: visible, in: Rect(x: 0, y: top, width: Double(canvas.width), height: Double(canvas.height) - top),
                          axes: true, on: &canvas, typography: t) { canvas, project, size in
            if options.showSkeletons {
                SkeletonPainter.drawGhost(xy[first].map { project($0.0, $0.1) }, on: &canvas, size: size, alpha: 0.22)
                if last != first {
                    SkeletonPainter.drawGhost(xy[last].map { project($0.0, $0.1) }, on: &canvas, size: size, alpha: 0.45)
                }
            }
            let lw = max(1.5, size / 260)
            for (l, part) in zip(options.landmarks, parts) {
                let color = HandSkeleton.color(part)
                for f in first..<last where valid[f] && valid[f + 1] {
                    let age = Double(f - first + 1) / Double(max(1, last - first))
                    canvas.line(from: project(xy[f][l].0, xy[f][l].1), to: project(xy[f + 1][l].0, xy[f + 1][l].1),
                                width: lw, color: color.withAlpha(0.3 + 0.7 * age))
                }
                let start = project(xy[first][l].0, xy[first][l].1), end = project(xy[last][l].0, xy[last][l].1)
                canvas.strokeCircle(center: start, radius: lw * 2.2, width: lw, color: color)
                canvas.fillCircle(center: end, radius: lw * 2.4, color: color)
            }
        }
        return canvas
    }

    // MARK: Shared pieces

    /// Checks a sequence and its mask; returns per-frame (x, y) and whether each frame is shown.
    static func checkedSequence(_ frames: [[[Float]]], mask: [Bool]?, aspect: Double) throws -> (xy: [[(Double, Double)]], valid: [Bool]) {
        try FontLibrary.shared.check()
        guard !frames.isEmpty else { throw PlotError.badInput("an empty sequence has no frames to plot") }
        if let mask, mask.count != frames.count {
            throw PlotError.badInput("mask has \(mask.count) entries for \(frames.count) frames")
        }
        guard aspect > 0, aspect.isFinite else { throw PlotError.badInput("image aspect must be positive, got \(aspect)") }
        let xy = try frames.enumerated().map { try HandSkeleton.xy($1, frame: $0).map { ($0.0 * aspect, $0.1) } }
        return (xy, validity(xy, mask: mask))
    }

    static func validity(_ xy: [[(Double, Double)]], mask: [Bool]?) -> [Bool] {
        xy.enumerated().map { f, p in
            let finite = p.allSatisfy { $0.0.isFinite && $0.1.isFinite }
            if let mask { return mask[f] && finite }
            return finite && p.contains { $0.0 != 0 || $0.1 != 0 }
        }
    }

    /// Colour key for the five fingers and the wrist marker; returns its height.
    static func fingerLegend(on canvas: inout Canvas, y: Double, typography t: Typography) -> Double {
        var entries: [(String, ChartDecor.LegendMark)] = [HandSkeleton.Part.thumb, .index, .middle, .ring, .pinky].map {
            ($0.name, .line(HandSkeleton.color($0), dashed: false))
        }
        entries.append(("wrist", .dot(SkeletonPainter.wristColor)))
        return ChartDecor.legendRow(entries, centerX: Double(canvas.width) / 2, y: y, on: &canvas, typography: t)
    }

    /// An equal-aspect panel around `points` (all frames' landmarks), optionally with axes in
    /// landmark units (y grows downwards, as in the image); `body` draws with the projection.
    static func drawPanel(points: [[(Double, Double)]], in area: Rect, axes: Bool, on canvas: inout Canvas,
                          typography t: Typography, body: (inout Canvas, HandProjection, Double) -> Void) throws -> HandProjection {
        let all = points.flatMap { $0 }
        let xs = all.map(\.0), ys = all.map(\.1)
        var minX = xs.min()!, maxX = xs.max()!, minY = ys.min()!, maxY = ys.max()!
        var plot = area.insetBy(t.pad, t.pad * 0.5)
        if axes {
            let probe = AxisSpec.numeric(lo: minY, hi: maxY, start: 0, end: 1, count: 5, title: "y")
            let m = ChartDecor.margins(yLabels: probe.labels, yTitle: "y", xTitle: "x", typography: t)
            plot = Rect(x: area.minX + m.left + t.pad, y: area.minY + t.pad * 0.5,
                        width: area.width - m.left - t.pad * 2.5, height: area.height - m.bottom - t.pad * 0.5)
        }
        guard plot.width > 10, plot.height > 10 else { throw PlotError.badInput("canvas too small for a hand plot") }
        // Pad the data box by 8 % and widen the narrower side so one unit is equal on both axes.
        let pad = 0.08 * max(maxX - minX, maxY - minY, 1e-3)
        minX -= pad; maxX += pad; minY -= pad; maxY += pad
        let s = min(plot.width / (maxX - minX), plot.height / (maxY - minY))
        let cx = (minX + maxX) / 2, cy = (minY + maxY) / 2
        let projection = HandProjection(scale: s, offsetX: plot.midX - cx * s, offsetY: plot.midY - cy * s)
        if axes {
            let x0 = (plot.minX - projection.offsetX) / s, x1 = (plot.maxX - projection.offsetX) / s
            let y0 = (plot.minY - projection.offsetY) / s, y1 = (plot.maxY - projection.offsetY) / s
            let count = 5
            let xAxis = AxisSpec.numeric(lo: x0, hi: x1, start: plot.minX, end: plot.maxX, count: count, title: "x", fixed: true)
            // Screen y grows downwards like the data: scale maps y0 → top.
            var yAxis = AxisSpec.numeric(lo: y0, hi: y1, start: plot.minY, end: plot.maxY, count: count, title: "y (down)", fixed: true)
            yAxis.scale = LinearScale(lo: y0, hi: y1, start: plot.minY, end: plot.maxY)
            ChartDecor.axes(plot, x: xAxis, y: yAxis, on: &canvas, typography: t)
        }
        body(&canvas, projection, min(plot.width, plot.height))
        return projection
    }

    /// Diagonal hatching: the "no hand in this frame" fill.
    static func hatch(_ r: Rect, on canvas: inout Canvas) {
        canvas.fill(r, color: Color(hex: 0xF0F0F0))
        let step = 10.0
        var d = -r.height
        while d < r.width {
            // Line x = r.minX + d + (y - r.minY), clipped to the rect.
            let a = Point(r.minX + max(d, 0), r.minY + max(0, -d))
            let len = min(r.width - max(d, 0), r.height - max(0, -d))
            if len > 0 { canvas.line(from: a, to: Point(a.x + len, a.y + len), width: 1, color: Color(hex: 0xD5D5D5)) }
            d += step
        }
    }
}

/// Draws a projected 21-point skeleton: bones, joints with a white rim, the wrist ringed.
enum SkeletonPainter {
    static let wristColor = Color(hex: 0x222222)

    /// Bones only, thin and translucent: context behind trajectories.
    static func drawGhost(_ p: [Point], on canvas: inout Canvas, size: Double, alpha: Double) {
        let lw = max(1.5, size / 220)
        // Neutral grey so the context hand never reads as a fingertip path.
        let ghost = Color(hex: 0x8A8A8A).withAlpha(alpha)
        for (a, b, _) in HandSkeleton.bones { canvas.line(from: p[a], to: p[b], width: lw, color: ghost) }
        canvas.fillCircle(center: p[HandSkeleton.wrist], radius: lw * 2.5, color: ghost)
    }

    static func draw(_ p: [Point], on canvas: inout Canvas, size: Double, indices: Bool, typography t: Typography,
                     alpha: Double = 1) {
        let lw = max(2, size / 110)
        let r = lw * 1.25
        for (a, b, part) in HandSkeleton.bones {
            canvas.line(from: p[a], to: p[b], width: lw, color: HandSkeleton.color(part).withAlpha(alpha))
        }
        for (i, q) in p.enumerated() {
            let color = HandSkeleton.color(HandSkeleton.part(ofLandmark: i))
            if i == HandSkeleton.wrist {
                canvas.fillCircle(center: q, radius: r * 2.1, color: Color.white.withAlpha(alpha))
                canvas.fillCircle(center: q, radius: r * 1.7, color: wristColor.withAlpha(alpha))
                canvas.fillCircle(center: q, radius: r * 0.7, color: Color.white.withAlpha(alpha))
            } else {
                canvas.fillCircle(center: q, radius: r + max(1, lw * 0.35), color: Color.white.withAlpha(alpha))
                canvas.fillCircle(center: q, radius: r, color: color.withAlpha(alpha))
            }
        }
        if indices {
            let style = TextStyle(size: max(8, min(t.small.size, size / 45)), color: Color(hex: 0x333333))
            for (i, q) in p.enumerated() {
                canvas.text(String(i), at: Point(q.x + r * 1.6, q.y - r * 1.2), style: style, vertical: .baseline)
            }
        }
    }
}
