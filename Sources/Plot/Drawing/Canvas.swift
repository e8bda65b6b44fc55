/// An RGBA raster (8 bits per channel, straight alpha, row-major [height, width, 4]) that every
/// chart draws into. All drawing is anti-aliased and alpha-blended ("source over").
public struct Canvas: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// [height, width, 4] RGBA bytes.
    public internal(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0, "canvas must be at least 1×1, got \(width)×\(height)")
        self.width = width
        self.height = height
        var px = [UInt8](repeating: 0, count: width * height * 4)
        for i in stride(from: 0, to: px.count, by: 4) {
            px[i] = background.r; px[i + 1] = background.g; px[i + 2] = background.b; px[i + 3] = background.a
        }
        pixels = px
    }

    /// An opaque canvas holding a copy of an RGB image (the frame an overlay is drawn on).
    public init(image: OverlayImage) {
        width = image.width
        height = image.height
        var px = [UInt8](repeating: 255, count: width * height * 4)
        for i in 0..<(width * height) {
            px[4 * i] = image.pixels[3 * i]; px[4 * i + 1] = image.pixels[3 * i + 1]; px[4 * i + 2] = image.pixels[3 * i + 2]
        }
        pixels = px
    }

    public subscript(x: Int, y: Int) -> Color {
        let i = (y * width + x) * 4
        return Color(pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3])
    }

    /// Blends `color` over pixel (x, y) with extra `coverage` (0…1); out-of-range is ignored.
    @inline(__always)
    mutating func blend(x: Int, y: Int, color: Color, coverage: Float) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let sa = Float(color.a) / 255 * coverage
        if sa <= 0 { return }
        let i = (y * width + x) * 4
        if sa >= 1 {
            pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b; pixels[i + 3] = 255
            return
        }
        let da = Float(pixels[i + 3]) / 255
        let outA = sa + da * (1 - sa)
        @inline(__always) func mix(_ s: UInt8, _ d: UInt8) -> UInt8 {
            UInt8(((Float(s) * sa + Float(d) * da * (1 - sa)) / outA).rounded())
        }
        pixels[i] = mix(color.r, pixels[i])
        pixels[i + 1] = mix(color.g, pixels[i + 1])
        pixels[i + 2] = mix(color.b, pixels[i + 2])
        pixels[i + 3] = UInt8((outA * 255).rounded())
    }

    mutating func blend(_ mask: CoverageMask, color: Color) {
        for y in 0..<mask.height {
            for x in 0..<mask.width {
                let c = mask.coverage[y * mask.width + x]
                if c > 0 { blend(x: mask.originX + x, y: mask.originY + y, color: color, coverage: c) }
            }
        }
    }

    // MARK: Filled shapes

    /// Fills the union of `contours` (each a closed polygon in pixel coordinates).
    public mutating func fill(contours: [[Point]], color: Color) {
        guard let mask = CoverageMask(contours: contours, canvasWidth: width, canvasHeight: height) else { return }
        blend(mask, color: color)
    }

    public mutating func fill(polygon: [Point], color: Color) { fill(contours: [polygon], color: color) }

    /// Fills an axis-aligned rectangle; fractional edges get partial coverage.
    public mutating func fill(_ rect: Rect, color: Color) {
        let x0 = max(0, rect.minX), x1 = min(Double(width), rect.maxX)
        let y0 = max(0, rect.minY), y1 = min(Double(height), rect.maxY)
        guard x1 > x0, y1 > y0 else { return }
        let ix0 = Int(x0.rounded(.down)), ix1 = Int(x1.rounded(.up))
        let iy0 = Int(y0.rounded(.down)), iy1 = Int(y1.rounded(.up))
        for y in iy0..<iy1 {
            let cy = min(Double(y + 1), y1) - max(Double(y), y0)
            for x in ix0..<ix1 {
                let cx = min(Double(x + 1), x1) - max(Double(x), x0)
                blend(x: x, y: y, color: color, coverage: Float(cx * cy))
            }
        }
    }

    public mutating func fillCircle(center: Point, radius: Double, color: Color) {
        fill(polygon: Polygon.circle(center, radius), color: color)
    }

    /// A ring of the given stroke `width` around a circle of `radius` (centre line).
    public mutating func strokeCircle(center: Point, radius: Double, width: Double, color: Color) {
        let outer = Polygon.circle(center, radius + width / 2)
        let inner = Array(Polygon.circle(center, max(0, radius - width / 2)).reversed())
        guard let mask = CoverageMask(contours: [outer, inner], canvasWidth: self.width,
                                      canvasHeight: height, unionOfContours: false) else { return }
        blend(mask, color: color)
    }

    // MARK: Strokes

    /// An open (or `closed`) polyline of any `width` with round joins and caps; `dash` is an
    /// on/off pattern in pixels (nil = solid). Drawn as one union so translucent strokes do not
    /// darken where segments overlap.
    public mutating func stroke(_ points: [Point], width lineWidth: Double, color: Color,
                                closed: Bool = false, dash: [Double]? = nil, roundCaps: Bool = true) {
        var path = points
        if closed, let first = points.first { path.append(first) }
        let pieces = dash.map { Canvas.dashed(path, pattern: $0) } ?? [path]
        var contours: [[Point]] = []
        for piece in pieces where !piece.isEmpty {
            for i in 0..<(piece.count - 1) {
                if let q = Polygon.segmentQuad(piece[i], piece[i + 1], lineWidth) { contours.append(q) }
            }
            if lineWidth > 1.2 {
                let joints = roundCaps ? piece : Array(piece.dropFirst().dropLast())
                for p in joints { contours.append(Polygon.circle(p, lineWidth / 2)) }
            }
        }
        fill(contours: contours, color: color)
    }

    public mutating func line(from a: Point, to b: Point, width: Double, color: Color, dash: [Double]? = nil) {
        stroke([a, b], width: width, color: color, dash: dash, roundCaps: false)
    }

    /// A crisp 1-device-pixel-aligned rectangle outline (axes frames, legend boxes).
    public mutating func strokeRect(_ rect: Rect, width: Double, color: Color) {
        stroke(rect.corners, width: width, color: color, closed: true, roundCaps: false)
    }

    /// Cuts a polyline into its "on" pieces under an on/off dash pattern.
    static func dashed(_ path: [Point], pattern: [Double]) -> [[Point]] {
        guard path.count >= 2, !pattern.isEmpty, pattern.allSatisfy({ $0 > 0 }) else { return [path] }
        var pieces: [[Point]] = []
        var current: [Point] = [path[0]]
        var k = 0, left = pattern[0], on = true
        for i in 0..<(path.count - 1) {
            var a = path[i]
            let b = path[i + 1]
            var segment = (b - a).length
            while segment > left {
                let p = a + (b - a) * (left / segment)
                if on { current.append(p); pieces.append(current) } else { current = [p] }
                segment -= left
                a = p
                on.toggle(); k = (k + 1) % pattern.count; left = pattern[k]
            }
            left -= segment
            if on { current.append(b) }
        }
        if on, current.count >= 2 { pieces.append(current) }
        return pieces
    }

    /// Copies `other` into this canvas with its top-left at (x, y), alpha-blended.
    public mutating func draw(_ other: Canvas, atX ox: Int, y oy: Int) {
        for y in 0..<other.height {
            for x in 0..<other.width {
                let c = other[x, y]
                blend(x: ox + x, y: oy + y, color: c, coverage: 1)
            }
        }
    }
}

/// An 8-bit RGB image handed to the plot module (e.g. a decoded video frame), [height, width, 3].
public struct OverlayImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw PlotError.badInput("an RGB image of \(width)×\(height) needs \(max(0, width * height * 3)) bytes, got \(pixels.count)")
        }
        self.width = width; self.height = height; self.pixels = pixels
    }
}
