import Foundation
import XCTest
@testable import Plot
import TestSupport

/// Writes `canvas` as a PNG in a fresh temp directory and decodes it back with libpng's
/// simplified reader: every chart test asserts on the decoded file, not on memory.
func roundTrip(_ canvas: Canvas, name: String = "plot", file: StaticString = #filePath, line: UInt = #line) throws -> Canvas {
    let dir = try TestEnvironment.temporaryDirectory("plot-test")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = try canvas.writePNG(to: dir.appendingPathComponent("\(name).png"))
    // ASLSH_PLOT_KEEP=DIR keeps a copy of every test picture, for looking at them.
    if let keep = ProcessInfo.processInfo.environment["ASLSH_PLOT_KEEP"] {
        try canvas.writePNG(to: URL(fileURLWithPath: keep).appendingPathComponent("\(name).png"))
    }
    let decoded = try PNGCodec.read(url)
    XCTAssertEqual(decoded.width, canvas.width, file: file, line: line)
    XCTAssertEqual(decoded.height, canvas.height, file: file, line: line)
    return decoded
}

/// Pixels in `rect` (clamped to the canvas) that differ from `background` by more than `tolerance`.
func inkCount(_ c: Canvas, _ rect: Rect, background: Color = .white, tolerance: Int = 24) -> Int {
    var n = 0
    for y in max(0, Int(rect.minY))..<min(c.height, Int(rect.maxY.rounded(.up))) {
        for x in max(0, Int(rect.minX))..<min(c.width, Int(rect.maxX.rounded(.up))) where distance(c[x, y], background) > tolerance {
            n += 1
        }
    }
    return n
}

/// Pixels in `rect` within `tolerance` of `color`.
func colorCount(_ c: Canvas, _ rect: Rect, _ color: Color, tolerance: Int = 6) -> Int {
    var n = 0
    for y in max(0, Int(rect.minY))..<min(c.height, Int(rect.maxY.rounded(.up))) {
        for x in max(0, Int(rect.minX))..<min(c.width, Int(rect.maxX.rounded(.up))) where distance(c[x, y], color) <= tolerance {
            n += 1
        }
    }
    return n
}

/// Largest per-channel difference (RGB).
func distance(_ a: Color, _ b: Color) -> Int {
    max(abs(Int(a.r) - Int(b.r)), abs(Int(a.g) - Int(b.g)), abs(Int(a.b) - Int(b.b)))
}

func XCTAssertColor(_ actual: Color, _ expected: Color, tolerance: Int = 2, _ message: String = "",
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(distance(actual, expected), tolerance, "\(actual) vs \(expected) \(message)", file: file, line: line)
}

func fullRect(_ c: Canvas) -> Rect { Rect(x: 0, y: 0, width: Double(c.width), height: Double(c.height)) }
