import Foundation
@testable import Media
import TestSupport
import XCTest

/// Videos from the breakage corpus (Tests/Fixtures/breakage/videos) against the ffmpeg CLI as the
/// outside reference: audio only, variable frame rate, a display matrix (phone portrait), odd and
/// 1-pixel sizes, empty and HTML files.
final class OddVideoTests: XCTestCase {
    func video(_ name: String) -> URL { TestEnvironment.breakage("videos/\(name)") }

    /// The ffmpeg CLI's RGB frames of a file (it turns rotated video upright by default).
    func ffmpegFrames(_ url: URL, width: Int, height: Int) throws -> [[UInt8]] {
        let raw = dir.appendingPathComponent("frames.rgb")
        try ExternalTool.run(["ffmpeg", "-v", "error", "-y", "-i", url.path, "-f", "rawvideo", "-pix_fmt", "rgb24", raw.path])
        let bytes = [UInt8](try Data(contentsOf: raw))
        let size = width * height * 3
        XCTAssertEqual(bytes.count % size, 0, "ffmpeg's frames are \(width)x\(height)")
        return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    func readAll(_ reader: VideoReader, size: ImageSize? = nil) throws -> [VideoFrame] {
        var frames: [VideoFrame] = []
        try reader.forEachFrame(size: size) { frames.append($0); return true }
        return frames
    }

    var dir: URL!
    override func setUpWithError() throws { dir = try TestEnvironment.temporaryDirectory("aslsh-oddvideo") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testAudioOnlyEmptyAndHTMLFilesAreErrorsNamingTheFile() {
        for (name, expected) in [("audio_only.mp4", "no video stream"), ("zero.mp4", "cannot open media"),
                                 ("html.mp4", "cannot open media")] {
            XCTAssertThrowsError(try VideoReader(url: video(name))) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix(video(name).path + ": " + expected), text)
            }
        }
        XCTAssertThrowsError(try VideoReader(url: video("audio_only.mp4"))) {
            XCTAssertEqual(($0 as? MediaError)?.kind, .noVideoStream)
        }
    }

    /// Each frame's time is its own presentation time — not index / frame rate — as ffprobe reports.
    func testVariableFrameRateTimesAreEachFramesOwnTime() throws {
        let url = video("vfr.mp4")
        let probe = try ExternalTool.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                          "frame=best_effort_timestamp_time", "-of", "csv=p=0", url.path])
        let expected = probe.split(whereSeparator: \.isNewline).compactMap { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: ", "))) }
        XCTAssertEqual(expected, [0, 0.1, 0.2, 0.3, 0.4, 0.65, 0.9, 1.15])
        let frames = try readAll(try VideoReader(url: url))
        XCTAssertEqual(frames.count, expected.count)
        for (frame, time) in zip(frames, expected) { XCTAssertEqual(frame.time, time, accuracy: 1e-6) }
        // A cut of [0.5, 1.0) keeps exactly the frames at 0.65 and 0.9.
        let facts = try VideoSegment.encode(from: url, to: dir.appendingPathComponent("cut.mp4"), start: 0.5, end: 1.0)
        XCTAssertEqual(facts.frameCount, 2)
        let cut = try readAll(try VideoReader(url: dir.appendingPathComponent("cut.mp4")))
        XCTAssertEqual(cut.map(\.time).map { ($0 * 1000).rounded() }, [0, 250], "source spacing kept")
    }

    /// A portrait phone clip (32×16 stored, display matrix turning it): frames come out upright,
    /// 16×32, equal to what the ffmpeg CLI shows; a requested size is the upright size.
    func testRotatedVideoFramesAreUprightLikeFFmpegShowsThem() throws {
        let url = video("rotated90.mp4")
        let reader = try VideoReader(url: url)
        XCTAssertEqual(reader.info.rotation, .clockwise270)
        XCTAssertEqual([reader.info.codedWidth, reader.info.codedHeight], [32, 16])
        XCTAssertEqual([reader.info.width, reader.info.height], [16, 32])
        let frames = try readAll(reader)
        let reference = try ffmpegFrames(url, width: 16, height: 32)
        XCTAssertEqual(frames.count, reference.count)
        for (frame, expected) in zip(frames, reference) {
            XCTAssertEqual([frame.image.width, frame.image.height], [16, 32])
            let worst = zip(frame.image.pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 2, "frame \(frame.index) differs from ffmpeg's upright frame by \(worst)")
        }
        let small = try readAll(try VideoReader(url: url), size: ImageSize(width: 8, height: 16))
        XCTAssertEqual(small.map { [$0.image.width, $0.image.height] }, Array(repeating: [8, 16], count: 3))
        // Both cuts keep the display matrix, so the clips are shown (and read) upright too.
        _ = try VideoSegment.encode(from: url, to: dir.appendingPathComponent("encoded.mp4"), start: 0, end: nil)
        _ = try VideoSegment.copy(from: url, to: dir.appendingPathComponent("copied.mp4"), start: 0, end: nil)
        for name in ["encoded.mp4", "copied.mp4"] {
            let clip = try VideoReader(url: dir.appendingPathComponent(name))
            XCTAssertEqual(clip.info.rotation, .clockwise270, name)
            XCTAssertEqual([clip.info.width, clip.info.height], [16, 32], name)
        }
    }

    /// The quarter turns of the display matrix, against ffmpeg's own matrices for rotate=90/180/270.
    func testDisplayMatricesGiveTheQuarterTurnFFmpegApplies() {
        // Matrices by what ffprobe prints as their rotation (av_display_rotation_get, counter-
        // clockwise degrees); ffmpeg turns the picture by minus that. rotated90.mp4's is "90".
        let one: Int32 = 1 << 16, w: Int32 = 1 << 30
        XCTAssertEqual(DisplayRotation(displayMatrix: [0, -one, 0, one, 0, 0, 0, 0, w]), .clockwise270)  // "90"
        XCTAssertEqual(DisplayRotation(displayMatrix: [-one, 0, 0, 0, -one, 0, 0, 0, w]), .halfTurn)     // "180"
        XCTAssertEqual(DisplayRotation(displayMatrix: [0, one, 0, -one, 0, 0, 0, 0, w]), .clockwise90)   // "-90"
        XCTAssertEqual(DisplayRotation(displayMatrix: [one, 0, 0, 0, one, 0, 0, 0, w]), .none)
        XCTAssertEqual(DisplayRotation(displayMatrix: [0, 0, 0, 0, 0, 0, 0, 0, 0]), .none, "a degenerate matrix is ignored")
        let image = RGBImage(width: 2, height: 1, pixels: [1, 1, 1, 2, 2, 2])
        XCTAssertEqual(DisplayRotation.clockwise90.apply(to: image).pixels, [1, 1, 1, 2, 2, 2])
        XCTAssertEqual(DisplayRotation.clockwise90.apply(to: image).height, 2)
        XCTAssertEqual(DisplayRotation.clockwise270.apply(to: image).pixels, [2, 2, 2, 1, 1, 1])
        XCTAssertEqual(DisplayRotation.halfTurn.apply(to: image).pixels, [2, 2, 2, 1, 1, 1])
    }

    /// 33×17 and 1×1 decode at their size, equal to the ffmpeg CLI's frames; a cut of either is a
    /// valid H.264 clip (4:2:0: 32×16, and 2×2 for the 1-pixel video).
    func testOddAndOnePixelSizesDecodeAndCut() throws {
        for (name, w, h, cut) in [("odd_33x17.mp4", 33, 17, [32, 16]), ("tiny_1x1.mp4", 1, 1, [2, 2])] {
            let url = video(name)
            let frames = try readAll(try VideoReader(url: url))
            let reference = try ffmpegFrames(url, width: w, height: h)
            XCTAssertEqual(frames.count, 3, name)
            for (frame, expected) in zip(frames, reference) {
                XCTAssertEqual([frame.image.width, frame.image.height], [w, h], name)
                let worst = zip(frame.image.pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 2, "\(name) frame \(frame.index)")
            }
            let facts = try VideoSegment.encode(from: url, to: dir.appendingPathComponent("cut-\(name)"), start: 0, end: nil)
            XCTAssertEqual([facts.width, facts.height], cut, name)
            XCTAssertEqual(facts.frameCount, 3, name)
        }
    }
}
