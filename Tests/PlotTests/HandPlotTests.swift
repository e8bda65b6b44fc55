import XCTest
@testable import Plot
import TensorCore

final class HandPlotTests: XCTestCase {
    let hand = PlotSamples.openHand

    /// Distance from p to segment ab.
    func segmentDistance(_ p: Point, _ a: Point, _ b: Point) -> Double {
        let d = b - a
        let t = max(0, min(1, ((p.x - a.x) * d.x + (p.y - a.y) * d.y) / max(1e-12, d.x * d.x + d.y * d.y)))
        return (p - (a + d * t)).length
    }

    func testBonesAreDrawnWhereLandmarksProjectAndBackgroundElsewhere() throws {
        let options = HandPlotOptions(chart: ChartOptions(width: 640, height: 640), axes: false, legend: false)
        let (canvas, proj) = try HandPlot.renderWithProjection(landmarks: hand, options: options)
        let c = try roundTrip(canvas, name: "hand")
        let p = hand.map { proj(Double($0[0]), Double($0[1])) }
        for (a, b, part) in HandSkeleton.bones {
            let mid = (p[a] + p[b]) * 0.5
            XCTAssertColor(c[Int(mid.x), Int(mid.y)], HandSkeleton.color(part), tolerance: 3, "bone \(a)-\(b)")
        }
        for i in 1..<21 {
            XCTAssertColor(c[Int(p[i].x), Int(p[i].y)], HandSkeleton.color(HandSkeleton.part(ofLandmark: i)), tolerance: 3,
                           "landmark \(i)")
        }
        // Wrist: white centre inside a dark ring.
        XCTAssertColor(c[Int(p[0].x), Int(p[0].y)], .white, tolerance: 3)
        let lw = max(2, 640.0 / 110 * 0.92)
        XCTAssertColor(c[Int(p[0].x + lw * 1.25 * 1.2), Int(p[0].y)], SkeletonPainter.wristColor, tolerance: 6)
        // Far from every bone: untouched background.
        var checked = 0
        for y in stride(from: 5, to: 635, by: 9) { for x in stride(from: 5, to: 635, by: 9) {
            let q = Point(Double(x) + 0.5, Double(y) + 0.5)
            let near = HandSkeleton.bones.map { segmentDistance(q, p[$0.0], p[$0.1]) }.min()!
            if near > 20 { XCTAssertColor(c[x, y], .white, tolerance: 0, "(\(x), \(y))"); checked += 1 }
        } }
        XCTAssertGreaterThan(checked, 3000)
    }

    func testEqualAspectAndYDown() throws {
        // Landmarks spanning 1 unit in x and 0.25 in y: one scale serves both axes.
        var wide = hand.map { [$0[0] * 4, $0[1], $0[2]] }
        wide[0] = [wide[0][0], wide[0][1] + 0.1, 0]
        let (_, proj) = try HandPlot.renderWithProjection(landmarks: wide, options: HandPlotOptions(axes: false, legend: false))
        let o = proj(0, 0), ex = proj(1, 0), ey = proj(0, 1)
        XCTAssertEqual((ex - o).length, (ey - o).length, accuracy: 1e-9)
        XCTAssertGreaterThan(ey.y, o.y) // larger y is lower on the page
        // imageAspect stretches x: a 16:9 frame's normalised x spans 16/9 of y's unit.
        let (_, pa) = try HandPlot.renderWithProjection(landmarks: hand, options: HandPlotOptions(imageAspect: 16.0 / 9))
        let (_, p1) = try HandPlot.renderWithProjection(landmarks: hand, options: HandPlotOptions(imageAspect: 1))
        let spanA = pa(Double(hand[20][0]) * 16 / 9, 0).x - pa(Double(hand[4][0]) * 16 / 9, 0).x
        let spanAy = pa(0, Double(hand[0][1])).y - pa(0, Double(hand[12][1])).y
        let span1 = p1(Double(hand[20][0]), 0).x - p1(Double(hand[4][0]), 0).x
        let span1y = p1(0, Double(hand[0][1])).y - p1(0, Double(hand[12][1])).y
        XCTAssertEqual((spanA / spanAy) / (span1 / span1y), 16.0 / 9, accuracy: 1e-9)
        let (_, p2) = try HandPlot.renderWithProjection(landmarks: hand)
        XCTAssertLessThan(p2(0, 0.3).y, p2(0, 0.85).y) // fingertips above the wrist
    }

    func testTitleAndLegendTextPresent() throws {
        let c = try roundTrip(try HandPlot.render(landmarks: hand, options: HandPlotOptions(chart: ChartOptions(width: 500, height: 520, title: "Letter B"))))
        let t = Typography(width: 500, height: 520)
        let titleBand = Rect(x: 0, y: 0, width: 500, height: t.pad * 2 + Canvas.lineHeight(size: t.title.size))
        XCTAssertGreaterThan(inkCount(c, titleBand), 100)
        for part in [HandSkeleton.Part.thumb, .index, .middle, .ring, .pinky] {
            // The legend's colour key sits just below the title.
            XCTAssertGreaterThan(colorCount(c, Rect(x: 0, y: titleBand.maxY, width: 500, height: 30), HandSkeleton.color(part)), 5,
                                 part.name)
        }
    }

    func testTensorInputAndBadShapes() throws {
        let t = Tensor(shape: [21, 3], scalars: hand.flatMap { $0 })
        let frames = try HandSkeleton.frames(t)
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames[0], hand)
        XCTAssertThrowsError(try HandSkeleton.frames(Tensor(zeros: [20, 3])))
        let seq = Tensor(shape: [2, 21, 3], scalars: hand.flatMap { $0 } + hand.flatMap { $0 })
        XCTAssertEqual(try HandPlot.render(landmarks: seq, frame: 1).pngData(), try HandPlot.render(landmarks: hand).pngData())
        XCTAssertThrowsError(try HandPlot.render(landmarks: seq, frame: 2)) { XCTAssertTrue("\($0)".contains("out of range")) }
        XCTAssertThrowsError(try HandPlot.render(landmarks: Array(hand.prefix(20)))) {
            XCTAssertTrue("\($0)".contains("21 landmarks"), "\($0)")
        }
        var nan = hand; nan[3][0] = .nan
        XCTAssertThrowsError(try HandPlot.render(landmarks: nan))
    }

    func testSequenceShowsMaskedFramesAsMissing() throws {
        let seq = PlotSamples().waveSequence(frames: 4)
        let mask = [true, false, true, true]
        let options = SequencePlotOptions(chart: ChartOptions(width: 800, height: 300, title: "four"), columns: 4)
        let c = try roundTrip(try HandPlot.sequence(frames: seq.frames, mask: mask, options: options), name: "seq")
        let t = Typography(width: 800, height: 300)
        let top = t.pad * 2 + Canvas.lineHeight(size: t.title.size)
        let cw = (800 - 2 * t.pad) / 4
        func panel(_ k: Int) -> Rect { Rect(x: t.pad + Double(k) * cw + 3, y: top + 3, width: cw - 6, height: 300 - top - t.pad - 6) }
        let fingers = HandSkeleton.Part.allCases.filter { $0 != .palm }.map(HandSkeleton.color)
        for k in 0..<4 {
            let fingerPixels = fingers.map { colorCount(c, panel(k), $0, tolerance: 4) }.reduce(0, +)
            if mask[k] { XCTAssertGreaterThan(fingerPixels, 100, "frame \(k)") } else {
                XCTAssertEqual(fingerPixels, 0, "masked frame \(k)")
                XCTAssertGreaterThan(colorCount(c, panel(k), Color(hex: 0xF0F0F0), tolerance: 1), 1000)
            }
        }
        XCTAssertThrowsError(try HandPlot.sequence(frames: seq.frames, mask: [true]))
    }

    func testTrajectoriesDrawEveryFingertip() throws {
        let seq = PlotSamples().waveSequence()
        let c = try roundTrip(try HandPlot.trajectories(frames: seq.frames, mask: seq.mask), name: "traj")
        for part in [HandSkeleton.Part.thumb, .index, .middle, .ring, .pinky] {
            XCTAssertGreaterThan(colorCount(c, fullRect(c), HandSkeleton.color(part), tolerance: 4), 80, part.name)
        }
        XCTAssertThrowsError(try HandPlot.trajectories(frames: seq.frames, mask: seq.mask.map { _ in false }))
    }

    func testOverlayDrawsSkeletonAndRotatedROIOnTheFrame() throws {
        let w = 320, h = 240
        let grey = Color(90, 90, 90)
        let image = try OverlayImage(width: w, height: h, pixels: [UInt8](repeating: 90, count: w * h * 3))
        let roi = RotatedRect(centerX: 0.5, centerY: 0.55, width: 0.5, height: 0.6, rotation: 0.3)
        let options = OverlayOptions(roiColor: Color(0, 229, 255))
        let c = try roundTrip(try HandPlot.overlay(image: image, hands: [hand], rois: [roi], options: options), name: "overlay")
        XCTAssertEqual(c.width, w); XCTAssertEqual(c.height, h)
        // Landmarks in normalised coordinates land on their pixels.
        for i in [4, 8, 12, 16, 20] {
            let x = Int(Double(hand[i][0]) * Double(w)), y = Int(Double(hand[i][1]) * Double(h))
            XCTAssertColor(c[x, y], HandSkeleton.color(HandSkeleton.part(ofLandmark: i)), tolerance: 4, "tip \(i)")
        }
        // The ROI outline passes through the midpoints of its rotated edges.
        let k = roi.corners(imageWidth: w, imageHeight: h)
        for e in 0..<4 {
            let m = (k[e] + k[(e + 1) % 4]) * 0.5
            if e == 0 { continue } // the top edge carries the orientation dot
            XCTAssertColor(c[Int(m.x), Int(m.y)], options.roiColor, tolerance: 30, "edge \(e)")
        }
        // Rotation is clockwise: with a positive angle the top-left corner moves right.
        XCTAssertGreaterThan(k[0].x, 0.5 * Double(w) - 0.25 * Double(w))
        // Far from skeleton and box, the frame is untouched.
        XCTAssertEqual(c[3, h - 3], grey)
        XCTAssertEqual(c[w - 3, 3], grey)
        XCTAssertThrowsError(try OverlayImage(width: 2, height: 2, pixels: [1, 2, 3]))
        // No detection: a banner says so.
        let none = try HandPlot.overlay(image: image, hands: [])
        XCTAssertGreaterThan(inkCount(none, Rect(x: 0, y: 0, width: Double(w), height: 20), background: grey), 100)
    }
}
