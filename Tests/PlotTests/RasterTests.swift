import XCTest
@testable import Plot

/// The drawing core: exact coverage against geometry and a supersampled naive reference,
/// strokes, alpha blending, PNG round trips and atomic, deterministic writes.
final class RasterTests: XCTestCase {
    /// Naive reference: 16×16 point samples per pixel, even-odd point-in-polygon.
    func supersampledCoverage(_ poly: [Point], width: Int, height: Int) -> [Double] {
        var out = [Double](repeating: 0, count: width * height)
        let n = 16
        for y in 0..<height { for x in 0..<width {
            var inside = 0
            for sy in 0..<n { for sx in 0..<n {
                let px = Double(x) + (Double(sx) + 0.5) / Double(n), py = Double(y) + (Double(sy) + 0.5) / Double(n)
                var c = false
                for i in 0..<poly.count {
                    let a = poly[i], b = poly[(i + 1) % poly.count]
                    if (a.y > py) != (b.y > py), px < (b.x - a.x) * (py - a.y) / (b.y - a.y) + a.x { c.toggle() }
                }
                if c { inside += 1 }
            } }
            out[y * width + x] = Double(inside) / Double(n * n)
        } }
        return out
    }

    /// Nothing to cover — no contour points, or a zero-length line (all of a hand's points on one
    /// spot, as an undetected frame has) — is no mask and no trap.
    func testEmptyAndDegenerateShapesCoverNothing() throws {
        XCTAssertNil(CoverageMask(contours: [], canvasWidth: 10, canvasHeight: 10))
        XCTAssertNil(CoverageMask(contours: [[]], canvasWidth: 10, canvasHeight: 10))
        var canvas = Canvas(width: 20, height: 20, background: .white)
        canvas.line(from: Point(5, 5), to: Point(5, 5), width: 2, color: .black)
        XCTAssertEqual(canvas.pixels.count, 20 * 20 * 4)
    }

    func testCoverageMatchesSupersampledReference() {
        // A triangle, a concave polygon, and one crossing every canvas border (clipping).
        let shapes: [[Point]] = [
            [Point(3.3, 2.1), Point(27.8, 9.6), Point(8.2, 26.4)],
            [Point(2, 2), Point(28, 4), Point(15, 12.5), Point(27, 27), Point(4, 25)],
            [Point(-7.5, 5.2), Point(40.3, -3.1), Point(22.2, 41.7)],
        ]
        for shape in shapes {
            let mask = CoverageMask(contours: [shape], canvasWidth: 30, canvasHeight: 30)!
            let ref = supersampledCoverage(shape, width: 30, height: 30)
            var worst = 0.0
            for y in 0..<30 { for x in 0..<30 {
                let mx = x - mask.originX, my = y - mask.originY
                let got = (mx >= 0 && my >= 0 && mx < mask.width && my < mask.height) ? Double(mask.coverage[my * mask.width + mx]) : 0
                worst = max(worst, abs(got - ref[y * 30 + x]))
            } }
            // 16×16 sampling resolves coverage to ±1/256 per sample row crossing: 0.07 bounds it.
            XCTAssertLessThan(worst, 0.07, "shape \(shape)")
        }
    }

    func testCoverageSumsToPolygonArea() {
        let circle = Polygon.circle(Point(50, 40), 23.7)
        let mask = CoverageMask(contours: [circle], canvasWidth: 100, canvasHeight: 100)!
        let sum = mask.coverage.reduce(0) { $0 + Double($1) }
        XCTAssertEqual(sum, abs(Polygon.signedArea(circle)), accuracy: 1e-2)
        // The polygon approximates the circle within the 0.05 px chord budget.
        XCTAssertEqual(sum, Double.pi * 23.7 * 23.7, accuracy: 2 * Double.pi * 23.7 * 0.05)
    }

    func testFractionalRectBlendsPartialCoverage() {
        var c = Canvas(width: 8, height: 4, background: .white)
        c.fill(Rect(x: 1.5, y: 1, width: 3, height: 2), color: .black)
        XCTAssertColor(c[0, 1], .white, tolerance: 0)
        XCTAssertColor(c[1, 1], Color(128, 128, 128), tolerance: 1) // half covered
        XCTAssertColor(c[2, 2], .black, tolerance: 0)
        XCTAssertColor(c[4, 2], Color(128, 128, 128), tolerance: 1)
        XCTAssertColor(c[5, 2], .white, tolerance: 0)
        XCTAssertColor(c[2, 0], .white, tolerance: 0)
    }

    func testAlphaBlendingSourceOver() {
        var c = Canvas(width: 2, height: 1, background: .white)
        c.fill(Rect(x: 0, y: 0, width: 1, height: 1), color: Color(255, 0, 0).withAlpha(0.5))
        XCTAssertColor(c[0, 0], Color(255, 127, 127), tolerance: 1)
        var clear = Canvas(width: 1, height: 1, background: .clear)
        clear.fill(Rect(x: 0, y: 0, width: 1, height: 1), color: Color(0, 0, 255).withAlpha(0.5))
        XCTAssertEqual(clear[0, 0].a, 128)
        XCTAssertEqual(clear[0, 0].b, 255) // straight alpha keeps the colour
    }

    func testThickLineCoversItsWidthOnly() {
        var c = Canvas(width: 40, height: 21)
        c.line(from: Point(5, 10.5), to: Point(35, 10.5), width: 3, color: .black)
        for x in 6..<34 {
            for y in 9...11 { XCTAssertColor(c[x, y], .black, tolerance: 0, "(\(x), \(y))") }
            XCTAssertColor(c[x, 8], .white, tolerance: 0)
            XCTAssertColor(c[x, 12], .white, tolerance: 0)
        }
        // A diagonal anti-aliased line has partial pixels, i.e. grey levels between the ends.
        var d = Canvas(width: 40, height: 40)
        d.line(from: Point(3, 5), to: Point(36, 31), width: 2, color: .black)
        let greys = Set(d.pixels.enumerated().filter { $0.offset % 4 == 0 && $0.element > 10 && $0.element < 245 }.map(\.element))
        XCTAssertGreaterThan(greys.count, 20)
    }

    func testTranslucentPolylineDoesNotDarkenAtJoins() {
        var c = Canvas(width: 60, height: 60)
        let color = Color(0, 0, 0).withAlpha(0.5)
        c.stroke([Point(10, 10), Point(50, 10), Point(50, 50)], width: 8, color: color)
        // The corner (overlap of two segments and a round join) has the same tone as mid-segment.
        XCTAssertColor(c[50, 10], c[30, 10], tolerance: 1)
        XCTAssertColor(c[30, 10], Color(127, 127, 127), tolerance: 1)
    }

    func testDashPatternSplitsPolyline() {
        let pieces = Canvas.dashed([Point(0, 0), Point(10, 0), Point(10, 10)], pattern: [4, 2])
        // On: 0–4, 6–10, 12–16 (turning the corner), 18–20.
        XCTAssertEqual(pieces.count, 4)
        XCTAssertEqual(pieces[0], [Point(0, 0), Point(4, 0)])
        XCTAssertEqual(pieces[2], [Point(10, 2), Point(10, 6)])
        XCTAssertEqual(pieces[3].last, Point(10, 10))
    }

    func testPNGRoundTripRGBAndRGBA() throws {
        var c = Canvas(width: 37, height: 23, background: Color(10, 20, 30))
        c.fillCircle(center: Point(18, 11), radius: 8, color: Color(200, 100, 50))
        let back = try roundTrip(c)
        XCTAssertEqual(back.pixels, c.pixels)
        var t = Canvas(width: 5, height: 4, background: .clear)
        t.fill(Rect(x: 1, y: 1, width: 2, height: 2), color: Color(0, 255, 0, 100))
        let backT = try roundTrip(t)
        XCTAssertEqual(backT.pixels, t.pixels)
        XCTAssertEqual(backT[1, 1], Color(0, 255, 0, 100))
    }

    func testWriteIsAtomicAndDeterministic() throws {
        let dir = try TestEnvironment.temporaryDirectory("plot-atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = Canvas(width: 64, height: 48)
        c.stroke([Point(3, 40), Point(30, 5), Point(60, 44)], width: 4, color: Palette.categorical(0))
        let a = try c.writePNG(to: dir.appendingPathComponent("sub/a.png"))
        let b = try c.writePNG(to: dir.appendingPathComponent("sub/b.png"))
        XCTAssertEqual(try Data(contentsOf: a), try Data(contentsOf: b))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("sub").path).sorted()
        XCTAssertEqual(names, ["a.png", "b.png"]) // no temporary left behind
        XCTAssertEqual([UInt8](try Data(contentsOf: a).prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    func testDecodingGarbageFailsWithFileName() {
        XCTAssertThrowsError(try PNGCodec.decodeRGBA([1, 2, 3, 4], file: "bad.png")) { error in
            guard case PlotError.png(let file, _)? = error as? PlotError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "bad.png")
        }
    }
}

import TestSupport
