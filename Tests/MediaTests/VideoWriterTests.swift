import Foundation
import Media
import TestSupport
import XCTest

/// Encoding and cutting, checked with ffprobe (the `ffmpeg` package) as the outside reference.
final class VideoWriterTests: XCTestCase {
    struct Probe { var frames: Int; var width: Int; var height: Int; var duration: Double; var rate: String; var codec: String }

    /// ffprobe's own view of a file: decoded frame count, size, stream duration, frame rate.
    static func ffprobe(_ url: URL) throws -> Probe {
        let out = try ExternalTool.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
                                        "-show_entries", "stream=codec_name,width,height,nb_read_frames,duration,avg_frame_rate",
                                        "-of", "json", url.path])
        let root = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
        let s = (root["streams"] as! [[String: Any]])[0]
        return Probe(frames: Int(s["nb_read_frames"] as! String)!, width: s["width"] as! Int, height: s["height"] as! Int,
                     duration: Double(s["duration"] as! String)!, rate: s["avg_frame_rate"] as! String,
                     codec: s["codec_name"] as! String)
    }

    func testWriterEncodesH264ThatFFprobeAndTheReaderAgreeOn() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let url = dir.appendingPathComponent("synthetic.mp4")
        let w = 64, h = 48, n = 10
        func frame(_ k: Int) -> RGBImage {
            var p = [UInt8](); p.reserveCapacity(w * h * 3)
            for y in 0..<h { for x in 0..<w { p += [UInt8(x * 2 + k * 5), UInt8(y * 4), 128] } }
            return RGBImage(width: w, height: h, pixels: p)
        }
        let writer = try VideoWriter(url: url, width: w, height: h, frameRate: Rational(25, 1),
                                     options: EncoderOptions(crf: 10, preset: "medium"))
        for k in 0..<n { try writer.write(frame(k), time: Double(k) / 25) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "output appears only when finished")
        let facts = try writer.finish()
        XCTAssertEqual(facts.frameCount, n)
        XCTAssertEqual(facts.duration, 0.4, accuracy: 1e-6)
        let probe = try Self.ffprobe(url)
        XCTAssertEqual(probe.codec, "h264")
        XCTAssertEqual(probe.frames, n)
        XCTAssertEqual(probe.width, w)
        XCTAssertEqual(probe.height, h)
        XCTAssertEqual(probe.rate, "25/1")
        XCTAssertEqual(probe.duration, 0.4, accuracy: 1e-6)

        // Lossy round trip (4:2:0 chroma + crf 10): mean error small, timestamps exact.
        let reader = try VideoReader(url: url)
        var frames = reader.frames()
        var k = 0
        while let decoded = try frames.next() {
            XCTAssertEqual(decoded.time, Double(k) / 25, accuracy: 1e-9)
            let expected = frame(k).pixels
            var total = 0
            for (a, b) in zip(decoded.image.pixels, expected) { total += abs(Int(a) - Int(b)) }
            let meanError = Double(total) / Double(expected.count)
            XCTAssertLessThan(meanError, 3.0, "frame \(k)")
            k += 1
        }
        XCTAssertEqual(k, n)
    }

    func testWriterRejectsOddSizesAndLeavesNoFileWhenAbandoned() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let url = dir.appendingPathComponent("odd.mp4")
        XCTAssertThrowsError(try VideoWriter(url: url, width: 63, height: 48, frameRate: Rational(25, 1))) { error in
            XCTAssertEqual((error as? MediaError)?.kind, .invalidArgument)
        }
        do {
            let writer = try VideoWriter(url: url, width: 64, height: 48, frameRate: Rational(25, 1))
            try writer.write(RGBImage(width: 64, height: 48), time: 0)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    /// The cut keeps exactly the oracle's frames for a span in the middle of a 89/3 fps file —
    /// those before the end: spans are end-exclusive, the oracle's is closed (here no frame falls
    /// on the end, so both hold 49).
    func testEncodedSegmentKeepsExactlyTheSpansFrames() throws {
        let clip = try Oracle.clip("HPz_C5XM4o4__2.462_4.148")
        let dir = try TestEnvironment.temporaryDirectory()
        let out = dir.appendingPathComponent("cut.mp4")
        let facts = try VideoSegment.encode(from: try Oracle.video(clip.video), to: out, start: clip.start, end: clip.end)
        let expected = clip.frames.filter { $0.timeMs / 1000 >= clip.start - 1e-6 && $0.timeMs / 1000 < clip.end - 1e-6 }.count
        XCTAssertEqual(expected, 49)
        XCTAssertEqual(facts.frameCount, expected)
        XCTAssertEqual(facts.width, 640)
        XCTAssertEqual(facts.height, 360)
        let probe = try Self.ffprobe(out)
        XCTAssertEqual(probe.frames, expected)
        let frameDuration = 3.0 / 89.0
        // Within one frame of the requested span (the last kept frame lasts one frame interval).
        XCTAssertEqual(probe.duration, clip.end - clip.start, accuracy: frameDuration + 1e-6)
        XCTAssertEqual(facts.duration, probe.duration, accuracy: 1e-3)

        // The first output frame is the oracle's first frame, re-encoded (crf 18: close, not equal).
        let first = try XCTUnwrap(try VideoReader(url: out).nextFrame())
        XCTAssertEqual(first.time, 0, accuracy: 1e-9)
    }

    func testStreamCopyStartsAtTheKeyframeBeforeTheSpan() throws {
        let video = try Oracle.video("HPz_C5XM4o4.mp4")
        let dir = try TestEnvironment.temporaryDirectory()
        let out = dir.appendingPathComponent("copy.mp4")
        let facts = try VideoSegment.copy(from: video, to: out, start: 2.462, end: 4.148)
        let probe = try Self.ffprobe(out)
        XCTAssertEqual(probe.frames, facts.frameCount)
        XCTAssertGreaterThanOrEqual(facts.frameCount, 49)
        XCTAssertEqual(probe.codec, "h264")
    }

    func testSeekLandsOnTheFirstFrameAtOrAfterTheTarget() throws {
        let clip = try Oracle.clip("HPz_C5XM4o4__4.991_6.61")
        let reader = try VideoReader(url: try Oracle.video(clip.video))
        try reader.seek(to: clip.start)
        let frame = try XCTUnwrap(try reader.nextFrame())
        XCTAssertEqual(frame.time * 1000, clip.frames[0].timeMs, accuracy: 1e-3)
        XCTAssertEqual(SHA256.hex(frame.image.pixels), clip.frames[0].rgbSHA256)
    }

    func testStreamFactsOfARealFile() throws {
        let reader = try VideoReader(url: try Oracle.video("I_QDeKcyvns.mp4"))
        XCTAssertEqual(reader.info.codec, "h264")
        XCTAssertEqual(reader.info.width, 640)
        XCTAssertEqual(reader.info.height, 360)
        XCTAssertEqual(reader.info.frameRate, Rational(30000, 1001))
        XCTAssertEqual(reader.info.frameCount, 115)
        XCTAssertEqual(try XCTUnwrap(reader.info.duration), 3.8545, accuracy: 0.05)
    }

    /// A file cut in half: opening or decoding fails with an error naming the file — never a crash
    /// and never a silently short clip presented as complete.
    func testTruncatedAndMissingVideosAreClearErrors() throws {
        let video = try Oracle.video("J7tP98oDxqE.mp4")
        let data = try Data(contentsOf: video)
        let dir = try TestEnvironment.temporaryDirectory()
        let cut = dir.appendingPathComponent("cut.mp4")
        try data.prefix(data.count / 2).write(to: cut)
        XCTAssertThrowsError(try VideoSegment.encode(from: cut, to: dir.appendingPathComponent("o.mp4"), start: 0, end: 2.6)) { error in
            let media = error as? MediaError
            XCTAssertNotNil(media, "\(error)")
            XCTAssertEqual(media?.file, cut.path)
            print("truncated:", error)
        }
        XCTAssertThrowsError(try VideoReader(url: dir.appendingPathComponent("absent.mp4"))) { error in
            XCTAssertEqual((error as? MediaError)?.kind, .fileNotFound)
        }
        try Data("garbage".utf8).write(to: cut)
        XCTAssertThrowsError(try VideoReader(url: cut)) { error in
            XCTAssertEqual((error as? MediaError)?.kind, .cannotOpen)
            XCTAssertEqual((error as? MediaError)?.operation, "avformat_open_input")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.mp4").path))
    }
}
