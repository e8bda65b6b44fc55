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

    /// Frames at a requested size, against the ffmpeg CLI scaling the same file with bicubic
    /// swscale: the CLI's filter graph splits scale and RGB conversion differently, so values agree
    /// closely but not bit-for-bit (tolerance: mean |Δ| < 1.5 levels, max 48).
    func testResizedFramesAgreeWithFFmpegBicubic() throws {
        let video = try Oracle.video("7G6B6kaMjb4.mp4")
        let size = ImageSize(width: 240, height: 180)
        let reader = try VideoReader(url: video)
        var frames = reader.frames(size: size)
        var mine: [[UInt8]] = []
        while let frame = try frames.next(), mine.count < 5 {
            XCTAssertEqual(frame.image.width, 240)
            XCTAssertEqual(frame.image.height, 180)
            mine.append(frame.image.pixels)
        }
        let dir = try TestEnvironment.temporaryDirectory()
        let raw = dir.appendingPathComponent("f.rgb")
        try ExternalTool.run(["ffmpeg", "-v", "error", "-i", video.path, "-frames:v", "5", "-vf", "scale=240:180:flags=bicubic",
                              "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", raw.path])
        let reference = [UInt8](try Data(contentsOf: raw))
        XCTAssertEqual(reference.count, 5 * 240 * 180 * 3)
        let frameBytes = 240 * 180 * 3
        for k in 0..<5 {
            var total = 0, worst = 0
            for i in 0..<frameBytes {
                let d = abs(Int(mine[k][i]) - Int(reference[k * frameBytes + i]))
                total += d
                worst = max(worst, d)
            }
            XCTAssertLessThan(Double(total) / Double(frameBytes), 1.5, "frame \(k)")
            XCTAssertLessThanOrEqual(worst, 48, "frame \(k)")
        }
    }

    /// Cameras go through libavdevice's v4l2 input (linked and registered); this machine has no
    /// camera, so opening one is the clear not-found error naming the device.
    func testCameraDevicesUseLibavdeviceV4L2() throws {
        let name = try XCTUnwrap(VideoReader.captureInputName(for: "/dev/video0"), "libavdevice's v4l2 input is registered")
        XCTAssertTrue(name.split(separator: ",").contains("v4l2"), name)   // FFmpeg 5.1: "video4linux2,v4l2"
        XCTAssertNil(try VideoReader.captureInputName(for: "/tmp/clip.mp4"))
        let missing = "/dev/video\(90 + Int.random(in: 0..<9))"
        guard !FileManager.default.fileExists(atPath: missing) else { return }
        XCTAssertThrowsError(try VideoReader(url: URL(fileURLWithPath: missing))) { error in
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
    }

}
