import Datasets
import Foundation
import LandmarkExtraction
import Pipeline
import TensorCore
import TestSupport
import XCTest

/// Ids of videos that come from direct (non-YouTube) URLs, as most of WLASL's do: readable,
/// stable across hosts and ports, distinct for distinct files, and usable as file names by every
/// stage — and ids from a manifest that would name a file outside its folder never do.
final class DirectURLTests: XCTestCase {
    func testDirectURLIDsAreReadableStableAndDistinct() {
        let a = VideoIDs.videoID(forURL: "http://127.0.0.1:30012/videos/J7tP98oDxqE.mp4")
        // FNV-1a 64 of "/videos/J7tP98oDxqE.mp4", halves xor-folded (computed independently in Python).
        XCTAssertEqual(a, "J7tP98oDxqE-1e0dc118")
        XCTAssertTrue(VideoIDs.isFileSafe(a), a)
        // The same path served from another host, port or scheme is the same video.
        for other in ["http://127.0.0.1:23635/videos/J7tP98oDxqE.mp4", "https://mirror.example.org/videos/J7tP98oDxqE.mp4",
                      "http://user:pw@localhost:8080/videos/J7tP98oDxqE.mp4#t=3"] {
            XCTAssertEqual(VideoIDs.videoID(forURL: other), a, other)
        }
        // Same file name, another folder or query: another video.
        let b = VideoIDs.videoID(forURL: "http://127.0.0.1:30012/mirror/J7tP98oDxqE.mp4")
        let c = VideoIDs.videoID(forURL: "http://127.0.0.1:30012/videos/J7tP98oDxqE.mp4?v=2")
        XCTAssertTrue(b.hasPrefix("J7tP98oDxqE-") && c.hasPrefix("J7tP98oDxqE-"))
        XCTAssertEqual(Set([a, b, c]).count, 3)
        // YouTube ids are unchanged.
        XCTAssertEqual(VideoIDs.videoID(forURL: "https://www.youtube.com/watch?v=N2mG9ZKjrGA"), "N2mG9ZKjrGA")
        XCTAssertEqual(VideoIDs.videoID(forURL: "https://youtu.be/C37R_Ix8-qs"), "C37R_Ix8-qs")
        // Awkward names stay readable and file-safe; a "YouTube id" that is a path is hashed.
        XCTAssertTrue(VideoIDs.videoID(forURL: "http://aslbricks.org/New/ASL-Videos/My%20Book%20(2).MP4").hasPrefix("My_Book_2-"))
        XCTAssertTrue(VideoIDs.videoID(forURL: "https://www.handspeak.com/word/b/book.swf").hasPrefix("book-"))
        XCTAssertTrue(VideoIDs.videoID(forURL: "http://example.org/").hasPrefix("video-"))
        for url in ["http://example.org/", "http://h/..%2F..%2Fetc%2Fpasswd", "https://www.youtube.com/watch?v=../../x",
                    "http://h/.hidden.mp4", "file:///a/b:c.mp4", "ftp://h/a b/\u{00E9}t\u{00E9}.mp4"] {
            let id = VideoIDs.videoID(forURL: url)
            XCTAssertTrue(VideoIDs.isFileSafe(id), "\(url) → \(id)")
        }
    }

    /// MS-ASL-style records with direct URLs: intake gives file-safe video and clip ids (no host,
    /// port, ':' or '/'), and a WLASL `video_id` that is a path is skipped with the reason.
    func testIntakeMakesFileSafeIDsAndSkipsPathLikeWLASLIDs() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let msasl = dir.appendingPathComponent("MSASL_train.json")
        try """
        [{"url": "http://127.0.0.1:23635/videos/J7tP98oDxqE.mp4", "label": 0, "text": "book", "start_time": 0.0, "end_time": 2.64},
         {"url": "http://127.0.0.1:23635/mirror/J7tP98oDxqE.mp4", "label": 0, "text": "book", "start_time": 0.0, "end_time": 2.64},
         {"url": "https://www.youtube.com/watch?v=N2mG9ZKjrGA", "label": 1, "text": "sign language", "start_time": 0.0, "end_time": 2.502}]
        """.write(to: msasl, atomically: true, encoding: .utf8)
        let records = try Intake.run(IntakeOptions(inputs: [msasl])).records
        XCTAssertEqual(records.count, 3)
        XCTAssertEqual(records[2].clipID, "N2mG9ZKjrGA__0.0_2.502")
        XCTAssertNotEqual(records[0].videoID, records[1].videoID, "same file name, different folders")
        XCTAssertNotEqual(records[0].clipID, records[1].clipID)
        for r in records {
            XCTAssertTrue(VideoIDs.isFileSafe(r.videoID) && VideoIDs.isFileSafe(r.clipID), r.clipID)
            XCTAssertFalse(r.clipID.contains(":") || r.clipID.contains("127.0.0.1"), r.clipID)
        }
        XCTAssertEqual(records[0].clipID, records[0].videoID + "__0.0_2.64")

        let wlasl = dir.appendingPathComponent("WLASL_v0.3.json")
        try """
        [{"gloss": "book", "instances": [
          {"video_id": "../../evil", "url": "http://h/a.mp4", "frame_start": 1, "frame_end": -1, "fps": 25},
          {"video_id": "69241", "url": "http://aslbricks.org/New/ASL-Videos/book.mp4", "frame_start": 1, "frame_end": 10, "fps": 25}]}]
        """.write(to: wlasl, atomically: true, encoding: .utf8)
        let result = try Intake.run(IntakeOptions(inputs: [wlasl], verbose: true))
        XCTAssertEqual(result.records.map(\.clipID), ["69241"])
        XCTAssertEqual(result.records[0].endTime!, 10.0 / 25.0, accuracy: 1e-12, "frames 1…10 → [0, 10/25)")
        XCTAssertTrue(result.description.contains("WLASL_v0.3.json record 0: video_id is not a plain file name"), result.description)
    }

    /// A hand-made manifest whose ids would climb out of the output folders (`../../x`, `..`,
    /// absolute): trim writes every clip inside its root and nothing anywhere else.
    func testIDsFromAManifestNeverWriteOutsideTheOutputRoot() throws {
        let real = try RealVideos.root()
        let dir = try TestEnvironment.temporaryDirectory()
        let nested = dir.appendingPathComponent("a/b")
        let raw = nested.appendingPathComponent("raw"), clips = nested.appendingPathComponent("clips")
        try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
        // The source looked up under the raw root by its (sanitised) id: "../../J7" → ".._.._J7".
        try FileManager.default.createSymbolicLink(at: raw.appendingPathComponent("_._.._J7.mp4"),
                                                   withDestinationURL: real.appendingPathComponent("J7tP98oDxqE.mp4"))
        func record(_ clip: String, _ video: String) -> ClipRecord {
            ClipRecord(clipID: clip, videoID: video, url: nil, label: "book", labelIndex: 0, startTime: 0, endTime: 0.4,
                       fps: nil, signer: nil, split: nil, bbox: nil, source: "msasl", metadata: [:])
        }
        let manifest = nested.appendingPathComponent("m.json")
        try Manifest.write([record("../../escaped", "../../J7"), record("/tmp/absolute", "../../J7"), record("..", "../../J7"),
                            record("a/b", "../../J7"), record("a_b", "../../J7")], to: manifest)
        let result = try Trim.run(TrimOptions(manifest: manifest, trimRoot: clips, rawRoot: raw))
        XCTAssertEqual(result.written, 4, result.description)
        XCTAssertEqual(result.failed, 1)
        for r in result.records where r.trim?.status == "ok" {
            let path = try XCTUnwrap(r.trim?.path)
            XCTAssertEqual(URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path,
                           clips.standardizedFileURL.path, "\(r.clipID) → \(path)")
        }
        let outside = try FileManager.default.contentsOfDirectory(atPath: dir.path) + (try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("a").path))
        XCTAssertEqual(Set(outside), ["a", "b"], "nothing written above the roots")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/absolute.mp4"))
        // Two ids that sanitise to one file name: the second fails, naming both, instead of
        // overwriting the first clip.
        let failed = try XCTUnwrap(result.records.first { $0.trim?.status == "failed" })
        XCTAssertEqual(failed.clipID, "a_b")
        XCTAssertEqual(failed.trim?.message, "clip id 'a_b' has the same file name as clip 'a/b' (a_b.mp4)")
    }
}
