import XCTest
@testable import Plot

final class TextAndTicksTests: XCTestCase {
    func testTextInksPixelsAndScalesWithSize() throws {
        var c = Canvas(width: 300, height: 80)
        c.text("Accuracy 0.93", at: Point(10, 40), style: TextStyle(size: 20), vertical: .middle)
        let ink = inkCount(c, fullRect(c))
        XCTAssertGreaterThan(ink, 150)
        // Ink stays near the anchor line: rows 40 ± 20.
        XCTAssertEqual(inkCount(c, Rect(x: 0, y: 0, width: 300, height: 22)), 0)
        XCTAssertEqual(inkCount(c, Rect(x: 0, y: 60, width: 300, height: 20)), 0)
        let small = Canvas.measure("Accuracy 0.93", style: TextStyle(size: 10))
        let large = Canvas.measure("Accuracy 0.93", style: TextStyle(size: 20))
        XCTAssertEqual(large / small, 2, accuracy: 0.2)
        XCTAssertGreaterThan(Canvas.measure("WWWW", style: TextStyle(size: 12)), Canvas.measure("iiii", style: TextStyle(size: 12)))
    }

    func testRotatedTextIsTallerThanWide() {
        var c = Canvas(width: 100, height: 300)
        c.text("validation loss", at: Point(50, 150), style: TextStyle(size: 18), horizontal: .center,
               vertical: .middle, angle: 90)
        var minX = 100, maxX = 0, minY = 300, maxY = 0
        for y in 0..<300 { for x in 0..<100 where distance(c[x, y], .white) > 40 {
            minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
        } }
        XCTAssertGreaterThan(maxY - minY, 3 * (maxX - minX))
        XCTAssertEqual(Double(minY + maxY) / 2, 150, accuracy: 4) // centred on the anchor
        // 45° text spans both directions about equally.
        var d = Canvas(width: 300, height: 300)
        d.text("thank you very much", at: Point(150, 150), style: TextStyle(size: 18), horizontal: .center,
               vertical: .middle, angle: 45)
        minX = 300; maxX = 0; minY = 300; maxY = 0
        for y in 0..<300 { for x in 0..<300 where distance(d[x, y], .white) > 40 {
            minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
        } }
        XCTAssertEqual(Double(maxX - minX) / Double(maxY - minY), 1, accuracy: 0.2)
    }

    func testNiceTicks() {
        let a = NiceTicks.ticks(lo: 0.03, hi: 0.93, count: 6)
        XCTAssertEqual(a.values, [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0].map { $0 }, accuracy: 1e-12)
        XCTAssertEqual(a.values.map { NiceTicks.format($0, step: a.step) }, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let b = NiceTicks.ticks(lo: 0, hi: 87, count: 6)
        XCTAssertEqual(b.values, [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(NiceTicks.format(-0.0000001, step: 0.5), "0.0")
        XCTAssertEqual(NiceTicks.format(25_000, step: 5_000), "25k")
        let c = NiceTicks.ticks(lo: 5, hi: 5, count: 5) // degenerate range still gets ticks
        XCTAssertGreaterThan(c.values.count, 1)
        XCTAssertTrue(c.values.contains(5))
    }

    func testContrastPicksReadableText() {
        XCTAssertEqual(ColorMap.blues.color(1).readableText, .white)
        XCTAssertEqual(ColorMap.blues.color(0).readableText, .black)
        XCTAssertEqual(ColorMap.viridis.color(0).readableText, .white)
        XCTAssertEqual(ColorMap.viridis.color(1).readableText, .black)
        XCTAssertEqual(ColorMap.viridis.color(0), Color(hex: 0x440154))
        XCTAssertEqual(ColorMap.viridis.color(1), Color(hex: 0xFDE725))
    }
}

func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(a) vs \(b)", file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, "\(a) vs \(b)", file: file, line: line) }
}
