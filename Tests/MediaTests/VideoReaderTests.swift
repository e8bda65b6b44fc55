import Foundation
import Media
import TestSupport
import XCTest

/// Video decode checked against the oracle: OpenCV 4.11's FFmpeg backend decoded these real
/// MS-ASL files and recorded each selected frame's pts and the sha256 of its RGB buffer.
final class VideoReaderTests: XCTestCase {
    /// Frames selected by the oracle's rule (start−1µs ≤ pts ≤ end+1µs) must have the same file
    /// index, the same timestamp (±1 µs) and bit-identical RGB pixels.
    func checkClip(_ name: String) throws {
        let clip = try Oracle.clip(name)
        let reader = try VideoReader(url: try Oracle.video(clip.video))
        var selected: [VideoFrame] = []
        var frames = reader.frames()
        while let frame = try frames.next() {
            let ms = frame.time * 1000
            if ms >= clip.start * 1000 - 1e-3 && ms <= clip.end * 1000 + 1e-3 { selected.append(frame) }
            if ms > clip.end * 1000 + 1 { break }
        }
        XCTAssertEqual(selected.count, clip.frames.count, "\(name): selected frame count")
        for (mine, expected) in zip(selected, clip.frames) {
            XCTAssertEqual(mine.index, expected.fileFrameIndex, "\(name)")
            XCTAssertEqual(mine.time * 1000, expected.timeMs, accuracy: 1e-3, "\(name) frame \(mine.index)")
            XCTAssertEqual(SHA256.hex(mine.image.pixels), expected.rgbSHA256, "\(name) frame \(mine.index) pixels")
        }
    }

    func testFramesMatchOpenCVOnAConstantRateClip() throws { try checkClip("7G6B6kaMjb4__0.0_1.96") }
    func testFramesMatchOpenCVOnAnNTSCRateClip() throws { try checkClip("N2mG9ZKjrGA__0.0_2.502") }
    func testFramesMatchOpenCVOnAMidFileClip() throws { try checkClip("HPz_C5XM4o4__2.462_4.148") }
}
