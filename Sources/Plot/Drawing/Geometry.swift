/// A point in canvas pixel space: x to the right, y down, pixel (i, j) covering [i, i+1)×[j, j+1).
public struct Point: Equatable, Sendable {
    public var x: Double, y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }

    static func + (a: Point, b: Point) -> Point { Point(a.x + b.x, a.y + b.y) }
    static func - (a: Point, b: Point) -> Point { Point(a.x - b.x, a.y - b.y) }
    static func * (a: Point, s: Double) -> Point { Point(a.x * s, a.y * s) }
    var length: Double { (x * x + y * y).squareRoot() }
}

/// An axis-aligned rectangle in canvas pixels.
public struct Rect: Equatable, Sendable {
    public var x: Double, y: Double, width: Double, height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var minX: Double { x }
    public var minY: Double { y }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var midX: Double { x + width / 2 }
    public var midY: Double { y + height / 2 }

    public func insetBy(_ dx: Double, _ dy: Double) -> Rect {
        Rect(x: x + dx, y: y + dy, width: max(0, width - 2 * dx), height: max(0, height - 2 * dy))
    }

    var corners: [Point] { [Point(minX, minY), Point(maxX, minY), Point(maxX, maxY), Point(minX, maxY)] }
}

/// Polygon helpers used by strokes and fills.
enum Polygon {
    /// Shoelace signed area (positive = clockwise on screen, since y points down).
    static func signedArea(_ p: [Point]) -> Double {
        guard p.count > 2 else { return 0 }
        var s = 0.0
        for i in 0..<p.count {
            let a = p[i], b = p[(i + 1) % p.count]
            s += a.x * b.y - b.x * a.y
        }
        return s / 2
    }

    /// A circle as a polygon fine enough that the chord error stays under ~0.05 px.
    static func circle(_ c: Point, _ r: Double) -> [Point] {
        // Chord error e = r(1 - cos(π/n)) ≤ 0.05 px  ⇔  n ≥ π / acos(1 - e/r).
        let e = 0.05
        let n = r <= e ? 12 : max(12, min(360, Int((Double.pi / acos(1 - e / r)).rounded(.up))))
        return (0..<n).map { i in
            let t = 2 * Double.pi * Double(i) / Double(n)
            return Point(c.x + r * cos(t), c.y + r * sin(t))
        }
    }

    /// The four corners of a segment thickened to `width` (butt ends).
    static func segmentQuad(_ a: Point, _ b: Point, _ width: Double) -> [Point]? {
        let d = b - a
        let len = d.length
        guard len > 1e-9 else { return nil }
        let n = Point(-d.y / len, d.x / len) * (width / 2)
        return [a + n, b + n, b - n, a - n]
    }

    /// Corners of a rectangle of `size` centred at `center`, rotated by `angle` radians
    /// (positive = clockwise on screen, as MediaPipe's ROI rotation).
    static func rotatedRect(center: Point, width: Double, height: Double, angle: Double) -> [Point] {
        let c = cos(angle), s = sin(angle)
        return [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)].map { (u, v) in
            let dx = u * width, dy = v * height
            return Point(center.x + dx * c - dy * s, center.y + dx * s + dy * c)
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
