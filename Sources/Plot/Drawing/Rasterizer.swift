/// Anti-aliased polygon rasterisation by exact signed-area accumulation (the method of
/// Raph Levien's font-rs, after libart / stb_truetype v2): each edge adds, to the cells it
/// crosses, the signed area it sweeps; a running sum along each row is then the coverage of
/// every pixel (0…1), exact for straight edges. Union of several same-orientation contours is
/// approximated by clamping the summed coverage to 1.
struct CoverageMask {
    /// Top-left pixel of the mask on the canvas.
    var originX: Int, originY: Int
    var width: Int, height: Int
    /// Coverage, row-major [height, width], each in 0…1.
    var coverage: [Float]

    /// Rasterises `contours` (canvas pixel coordinates) clipped to a canvas of `canvasWidth`×
    /// `canvasHeight`. With `unionOfContours`, every contour is first made clockwise so that
    /// overlapping pieces (stroke segments and their round joins) add instead of cancelling;
    /// without it, opposite orientations cut holes (rings).
    init?(contours: [[Point]], canvasWidth: Int, canvasHeight: Int, unionOfContours: Bool = true) {
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for c in contours { for p in c {
            guard p.x.isFinite, p.y.isFinite else { return nil }
            minX = Swift.min(minX, p.x); maxX = Swift.max(maxX, p.x)
            minY = Swift.min(minY, p.y); maxY = Swift.max(maxY, p.y)
        } }
        // No point at all (a zero-length stroke has no outline): nothing to cover.
        guard minX <= maxX, minY <= maxY else { return nil }
        let x0 = Swift.max(0, Int(minX.rounded(.down))), y0 = Swift.max(0, Int(minY.rounded(.down)))
        let x1 = Swift.min(canvasWidth, Int(maxX.rounded(.up)) + 1)
        let y1 = Swift.min(canvasHeight, Int(maxY.rounded(.up)) + 1)
        guard x1 > x0, y1 > y0 else { return nil }
        originX = x0; originY = y0; width = x1 - x0; height = y1 - y0

        let stride = width + 2
        var acc = [Float](repeating: 0, count: stride * height)
        let origin = Point(Double(x0), Double(y0))
        for var contour in contours where contour.count >= 3 {
            if unionOfContours, Polygon.signedArea(contour) < 0 { contour.reverse() }
            for i in 0..<contour.count {
                let a = contour[i] - origin, b = contour[(i + 1) % contour.count] - origin
                CoverageMask.addClippedEdge(a, b, width: width, height: height, stride: stride, into: &acc)
            }
        }
        coverage = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            var sum: Float = 0
            for x in 0..<width {
                sum += acc[y * stride + x]
                coverage[y * width + x] = Swift.min(1, abs(sum))
            }
        }
    }

    /// Splits the edge where it leaves [0, width] in x and projects the outside parts onto the
    /// nearest border: what lies left of the mask still has to reach the row sums, what lies
    /// right of it must not wrap into the next row.
    static func addClippedEdge(_ a: Point, _ b: Point, width: Int, height: Int, stride: Int,
                               into acc: inout [Float]) {
        let w = Double(width)
        var ts: [Double] = [0, 1]
        if a.x != b.x {
            for edge in [0.0, w] {
                let t = (edge - a.x) / (b.x - a.x)
                if t > 0 && t < 1 { ts.append(t) }
            }
        }
        ts.sort()
        for k in 0..<(ts.count - 1) {
            var p = a + (b - a) * ts[k], q = a + (b - a) * ts[k + 1]
            let mid = (p.x + q.x) / 2
            if mid <= 0 { p.x = 0; q.x = 0 } else if mid >= w { p.x = w; q.x = w }
            p.x = Swift.min(w, Swift.max(0, p.x)); q.x = Swift.min(w, Swift.max(0, q.x))
            addEdge(p, q, height: height, stride: stride, into: &acc)
        }
    }

    /// One edge with x already inside [0, width]: accumulates signed swept area per cell.
    static func addEdge(_ p: Point, _ q: Point, height: Int, stride: Int, into acc: inout [Float]) {
        guard p.y != q.y else { return }
        let (dir, p0, p1): (Double, Point, Point) = p.y < q.y ? (1, p, q) : (-1, q, p)
        let dxdy = (p1.x - p0.x) / (p1.y - p0.y)
        let yStart = Swift.max(0, Int(p0.y.rounded(.down)))
        let yEnd = Swift.min(height, Int(p1.y.rounded(.up)))
        guard yStart < yEnd else { return }
        for y in yStart..<yEnd {
            let top = Swift.max(Double(y), p0.y), bottom = Swift.min(Double(y + 1), p1.y)
            let dy = bottom - top
            if dy <= 0 { continue }
            let xa = p0.x + (top - p0.y) * dxdy, xb = p0.x + (bottom - p0.y) * dxdy
            let d = dy * dir
            let lo = Swift.min(xa, xb), hi = Swift.max(xa, xb)
            let loFloor = lo.rounded(.down), hiCeil = hi.rounded(.up)
            let loI = Int(loFloor), hiI = Int(hiCeil)
            let row = y * stride
            if hiI <= loI + 1 {
                // The edge stays inside one pixel column on this row.
                let xmf = 0.5 * (xa + xb) - loFloor
                acc[row + loI] += Float(d - d * xmf)
                acc[row + loI + 1] += Float(d * xmf)
            } else {
                let s = 1 / (hi - lo)
                let x0f = lo - loFloor
                let a0 = 0.5 * s * (1 - x0f) * (1 - x0f)
                let x1f = hi - hiCeil + 1
                let am = 0.5 * s * x1f * x1f
                acc[row + loI] += Float(d * a0)
                if hiI == loI + 2 {
                    acc[row + loI + 1] += Float(d * (1 - a0 - am))
                } else {
                    let a1 = s * (1.5 - x0f)
                    acc[row + loI + 1] += Float(d * (a1 - a0))
                    if loI + 2 < hiI - 1 {
                        for xi in (loI + 2)..<(hiI - 1) { acc[row + xi] += Float(d * s) }
                    }
                    let a2 = a1 + Double(hiI - loI - 3) * s
                    acc[row + hiI - 1] += Float(d * (1 - a2 - am))
                }
                acc[row + hiI] += Float(d * am)
            }
        }
    }
}
