#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// How a piece of text is set: pixel size (em height), weight, colour.
public struct TextStyle: Equatable, Sendable {
    public var size: Double
    public var weight: FontWeight
    public var color: Color
    public init(size: Double, weight: FontWeight = .regular, color: Color = .ink) {
        self.size = size; self.weight = weight; self.color = color
    }
}

/// Where the anchor point sits on the text's box (before rotation).
public enum HorizontalAnchor: Sendable { case left, center, right }
/// `middle` centres capital letters and digits on the anchor (what tick labels need);
/// `top`/`bottom` use the font's ascender/descender.
public enum VerticalAnchor: Sendable { case top, middle, baseline, bottom }

/// A line of text rendered to a coverage mask, [height, width], baseline at `baseline` rows down.
struct TextMask {
    var width: Int, height: Int
    var baseline: Int
    var coverage: [UInt8]
    var advanceWidth: Double
    var metrics: FontMetrics

    init(_ text: String, style: TextStyle) {
        let lib = FontLibrary.shared
        metrics = lib.metrics(size: style.size)
        let glyphs = lib.glyphs(for: text, size: style.size, weight: style.weight)
        var pen = 0.0
        var positions: [Int] = []
        var minX = 0, maxX = 0
        for (g, kern) in glyphs {
            pen += kern
            let x = Int(pen.rounded())
            positions.append(x)
            minX = Swift.min(minX, x + g.left)
            maxX = Swift.max(maxX, x + g.left + g.width)
            pen += g.advance
        }
        advanceWidth = pen
        let ascent = Int(metrics.ascent.rounded(.up)), descent = Int(metrics.descent.rounded(.up))
        // Glyphs may poke past the font's ascender (accents); extend to fit them.
        var top = ascent, bottom = descent
        for (g, _) in glyphs { top = Swift.max(top, g.top); bottom = Swift.max(bottom, g.rows - g.top) }
        baseline = top
        height = top + bottom
        width = Swift.max(1, Swift.max(maxX, Int(pen.rounded(.up))) - minX)
        var cov = [UInt8](repeating: 0, count: width * height)
        for ((g, _), x) in zip(glyphs, positions) {
            let ox = x + g.left - minX, oy = baseline - g.top
            for r in 0..<g.rows {
                let y = oy + r
                guard y >= 0, y < height else { continue }
                for c in 0..<g.width {
                    let v = g.bitmap[r * g.width + c]
                    let xx = ox + c
                    if v > 0, xx >= 0, xx < width { cov[y * width + xx] = Swift.max(cov[y * width + xx], v) }
                }
            }
        }
        coverage = cov
        originShift = minX
    }

    /// Horizontal offset of the mask's column 0 from the pen start (negative for overhangs).
    var originShift: Int = 0
}

extension Canvas {
    /// Width of `text` in pixels at `style` (the advance, what layout should reserve).
    public static func measure(_ text: String, style: TextStyle) -> Double {
        FontLibrary.shared.glyphs(for: text, size: style.size, weight: style.weight)
            .reduce(0) { $0 + $1.glyph.advance + $1.kern }
    }

    /// The font's line height (ascender + descender) at `size`.
    public static func lineHeight(size: Double) -> Double {
        let m = FontLibrary.shared.metrics(size: size)
        return m.ascent + m.descent
    }

    /// Draws one line of text anchored at `point`, rotated by `angle` degrees counter-clockwise
    /// about the anchor (90 = reading bottom-to-top, the y-axis label convention).
    public mutating func text(_ string: String, at point: Point, style: TextStyle,
                              horizontal: HorizontalAnchor = .left, vertical: VerticalAnchor = .baseline,
                              angle: Double = 0) {
        guard !string.isEmpty else { return }
        let mask = TextMask(string, style: style)
        // Anchor position inside the unrotated mask (pixel units, mask top-left = origin).
        let ax: Double
        switch horizontal {
        case .left: ax = Double(-mask.originShift)
        case .center: ax = Double(-mask.originShift) + mask.advanceWidth / 2
        case .right: ax = Double(-mask.originShift) + mask.advanceWidth
        }
        let base = Double(mask.baseline)
        let ay: Double
        switch vertical {
        case .top: ay = base - mask.metrics.ascent
        case .middle: ay = base - mask.metrics.capHeight / 2
        case .baseline: ay = base
        case .bottom: ay = base + mask.metrics.descent
        }
        let a = angle.truncatingRemainder(dividingBy: 360)
        if a == 0 {
            let ox = Int((point.x - ax).rounded()), oy = Int((point.y - ay).rounded())
            blitText(mask, ox: ox, oy: oy, color: style.color) { x, y in (x, y) }
        } else if a == 90 || a == -270 {
            // Exact quarter turn: mask (x, y) → canvas (y, -x) relative to the anchor.
            let ox = Int((point.x - ay).rounded()), oy = Int((point.y + ax).rounded())
            blitText(mask, ox: ox, oy: oy, color: style.color) { x, y in (y, -x - 1) }
        } else {
            blitRotated(mask, anchor: Point(ax, ay), at: point, degrees: a, color: style.color)
        }
    }

    private mutating func blitText(_ mask: TextMask, ox: Int, oy: Int, color: Color, map: (Int, Int) -> (Int, Int)) {
        for y in 0..<mask.height {
            for x in 0..<mask.width {
                let v = mask.coverage[y * mask.width + x]
                if v == 0 { continue }
                let (dx, dy) = map(x, y)
                blend(x: ox + dx, y: oy + dy, color: color, coverage: Float(v) / 255)
            }
        }
    }

    /// Any other angle: inverse-maps each destination pixel into the mask, bilinear sampling.
    private mutating func blitRotated(_ mask: TextMask, anchor: Point, at point: Point, degrees: Double, color: Color) {
        let t = degrees * Double.pi / 180
        let c = cos(t), s = sin(t)
        // Forward map (mask → canvas), y down, counter-clockwise on screen:
        //   X = px + (x-ax)·c + (y-ay)·s,  Y = py − (x-ax)·s + (y-ay)·c
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for (x, y) in [(0.0, 0.0), (Double(mask.width), 0), (0, Double(mask.height)), (Double(mask.width), Double(mask.height))] {
            let X = point.x + (x - anchor.x) * c + (y - anchor.y) * s
            let Y = point.y - (x - anchor.x) * s + (y - anchor.y) * c
            minX = Swift.min(minX, X); maxX = Swift.max(maxX, X); minY = Swift.min(minY, Y); maxY = Swift.max(maxY, Y)
        }
        let x0 = Swift.max(0, Int(minX.rounded(.down))), x1 = Swift.min(width - 1, Int(maxX.rounded(.up)))
        let y0 = Swift.max(0, Int(minY.rounded(.down))), y1 = Swift.min(height - 1, Int(maxY.rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        func sample(_ x: Int, _ y: Int) -> Double {
            guard x >= 0, y >= 0, x < mask.width, y < mask.height else { return 0 }
            return Double(mask.coverage[y * mask.width + x]) / 255
        }
        for Y in y0...y1 {
            for X in x0...x1 {
                let dx = Double(X) + 0.5 - point.x, dy = Double(Y) + 0.5 - point.y
                // Inverse rotation, back to mask pixel-centre coordinates.
                let mx = anchor.x + dx * c - dy * s - 0.5
                let my = anchor.y + dx * s + dy * c - 0.5
                let fx = mx.rounded(.down), fy = my.rounded(.down)
                let ix = Int(fx), iy = Int(fy)
                let u = mx - fx, v = my - fy
                let value = sample(ix, iy) * (1 - u) * (1 - v) + sample(ix + 1, iy) * u * (1 - v)
                    + sample(ix, iy + 1) * (1 - u) * v + sample(ix + 1, iy + 1) * u * v
                if value > 0.004 { blend(x: X, y: Y, color: color, coverage: Float(Swift.min(1, value))) }
            }
        }
    }
}
