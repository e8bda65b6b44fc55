import Foundation
import Media
@testable import Pipeline
import TestSupport
import XCTest

/// The pipeline stages on the committed corpus of real-world breakage (Tests/Fixtures/breakage,
/// made by scripts/make-breakage-corpus.sh): every bad record, label file and "video" gets a
/// named behaviour — skipped and counted with a reason, or an error naming the file and place.
final class BreakageCorpusTests: XCTestCase {
    let corpus = TestEnvironment.breakage

    /// MS-ASL records as they come: each bad one is skipped with its reason (and listed by index
    /// with --verbose); the good ones — scheme-less URLs, a video inside a playlist, times given as
    /// text, NaN in a field that is not needed — are kept, and the manifest can be written.
    func testMSASLBadRecordsAreSkippedByReasonAndTheRestKept() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = corpus("metadata/MSASL_breakage.json")
        let out = dir.appendingPathComponent("manifest.json")
        let result = try Intake.run(IntakeOptions(inputs: [file], output: out, verbose: true,
                                                  classes: corpus("metadata/MSASL_classes_bom_crlf.json")))
        XCTAssertEqual(result.skipped.counts, [
            "missing start_time/end_time": 2,            // records 3, 4
            "negative start_time": 1,                    // 5
            "start_time/end_time not a finite number": 2, // 6 (NaN), 7 (Infinity)
            "end_time not after start_time": 2,          // 8 (end before start), 9 (empty span)
            "missing url": 2,                            // 10 (""), 11 ("   ")
            "playlist url, not a video": 1,              // 12
            "url starts with '-'": 2,                    // 13, 14: never handed to yt-dlp
            "url scheme is not http(s)": 1,              // 15 (file:///etc/passwd)
        ], result.description)
        for (index, reason) in [(6, "start_time/end_time not a finite number"), (13, "url starts with '-'"),
                                (15, "url scheme is not http(s)")] {
            XCTAssertTrue(result.description.contains("MSASL_breakage.json record \(index): \(reason)"), result.description)
        }
        XCTAssertEqual(result.records.map(\.videoID), ["aaaaaaaaaaa", "ccccccccccc", "kkkkkkkkkkk", "lllllllllll", "bbbbbbbbbbb"])
        let byID = Dictionary(uniqueKeysWithValues: result.records.map { ($0.videoID, $0) })
        XCTAssertEqual(byID["bbbbbbbbbbb"]?.url, "https://www.youtube.com/watch?v=bbbbbbbbbbb")
        XCTAssertEqual(byID["bbbbbbbbbbb"]?.label, "world", "class names from a class file with a BOM and CRLF")
        XCTAssertEqual(byID["aaaaaaaaaaa"]?.label, "hello")
        XCTAssertEqual(byID["ccccccccccc"]?.url, "https://www.youtube.com/watch?v=ccccccccccc&list=PL0123456789",
                       "a video in a playlist is that video (yt-dlp runs with --no-playlist)")
        let nanFields = try XCTUnwrap(byID["kkkkkkkkkkk"])
        XCTAssertNil(nanFields.fps, "NaN fps is no fps")
        XCTAssertNil(nanFields.bbox, "a box holding NaN is no box")
        XCTAssertEqual(nanFields.metadata["box"], .array([.null, .int(0), .int(1), .int(1)]))
        let textTimes = try XCTUnwrap(byID["lllllllllll"])
        XCTAssertEqual(textTimes.startTime, 1.5)
        XCTAssertEqual(textTimes.endTime, 2.5)
        // The manifest holds no NaN (JSON cannot) and reads back whole.
        XCTAssertEqual(try Manifest.read(out), result.records)
    }

    /// WLASL: `frame_end = -1` is "to the end" (no end time; trim cuts to the end), Flash `.swf`
    /// links are kept (FFmpeg reads their video), inconsistent frame numbers are skipped.
    func testWLASLFrameEndMinusOneFlashLinksAndBadFrames() throws {
        let result = try Intake.run(IntakeOptions(inputs: [corpus("metadata/WLASL_breakage.json")], verbose: true))
        XCTAssertEqual(result.skipped.counts, ["invalid frame_start/frame_end": 3, "url starts with '-'": 1], result.description)
        for index in [2, 3, 4] {
            XCTAssertTrue(result.description.contains("WLASL_breakage.json record \(index): invalid frame_start/frame_end"))
        }
        let byID = Dictionary(uniqueKeysWithValues: result.records.map { ($0.videoID, $0) })
        XCTAssertEqual(Set(byID.keys), ["00001", "00002", "00006", "00008"])
        XCTAssertEqual(byID["00001"]?.startTime, 0)
        XCTAssertNil(byID["00001"]?.endTime, "frame_end -1: to the end of the video")
        let flash = try XCTUnwrap(byID["00002"])
        XCTAssertEqual(flash.url, "http://example.com/book_flash.swf")
        XCTAssertEqual(flash.startTime, 4.0 / 25, accuracy: 1e-12)   // frame 5 (1-based)
        XCTAssertEqual(try XCTUnwrap(flash.endTime), 29.0 / 25, accuracy: 1e-12)
        XCTAssertEqual(byID["00006"]?.fps, 25, "NaN fps: WLASL's stated 25")
        XCTAssertEqual(byID["00008"]?.url, "https://www.example.com/drink.mp4")
        XCTAssertEqual(byID["00008"]?.label, "drink")
        XCTAssertEqual(try XCTUnwrap(byID["00008"]?.startTime), 2.0 / 25, accuracy: 1e-12)
        XCTAssertNil(byID["00008"]?.endTime)
    }

    /// Class lists: a BOM and CRLF are read through; a name or index given twice, a gap in the
    /// indices or a non-name entry is an error naming the file and the line or entry — never a
    /// silent shift of every later class's name.
    func testClassListsWithBOMCRLFDuplicatesAndGaps() throws {
        let nslt = corpus("metadata/nslt_2.json")
        let ok = try Intake.run(IntakeOptions(inputs: [nslt], classes: corpus("metadata/wlasl_class_list_bom_crlf.txt")))
        XCTAssertEqual(ok.records.map(\.label), ["book", "drink"])
        XCTAssertEqual(ok.records.map(\.videoID), ["00008", "00001"])
        XCTAssertNil(ok.records[1].endTime, "nslt frame_end -1: to the end")

        func error(_ options: IntakeOptions) -> String {
            do { _ = try Intake.run(options); return "no error" } catch { return "\(error)" }
        }
        let duplicate = corpus("metadata/wlasl_class_list_duplicate.txt")
        XCTAssertEqual(error(IntakeOptions(inputs: [nslt], classes: duplicate)),
                       "\(duplicate.path):3: index 1 is already on line 2 ('drink')")
        let gap = corpus("metadata/wlasl_class_list_gap.txt")
        XCTAssertEqual(error(IntakeOptions(inputs: [nslt], classes: gap)),
                       "\(gap.path): class index 1 is missing (indices run 0…2)")
        let msasl = corpus("metadata/MSASL_breakage.json")
        let twice = corpus("metadata/MSASL_classes_duplicate.json")
        XCTAssertEqual(error(IntakeOptions(inputs: [msasl], classes: twice)),
                       "\(twice.path): record 2: class 'hello' is already entry 0")
        let null = corpus("metadata/MSASL_classes_null.json")
        XCTAssertEqual(error(IntakeOptions(inputs: [msasl], classes: null)),
                       "\(null.path): record 1: class name should be a non-empty string, got null")
    }

    /// A URL that looks like an option never reaches yt-dlp: download refuses it before running
    /// anything, and every URL it does pass follows `--`.
    func testURLsStartingWithADashAreNeverYtDLPOptions() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("manifest.json")
        let urls = ["--version", "-o\(dir.path)/pwned --exec touch"]
        try Manifest.write(urls.enumerated().map { i, url in
            ClipRecord(clipID: "c\(i)", videoID: "v\(i)", url: url, label: "x", labelIndex: 0, startTime: 0, endTime: 1,
                       fps: nil, signer: nil, split: nil, bbox: nil, source: "msasl", metadata: [:])
        }, to: manifest)
        // A yt-dlp that would leave a mark if it ran at all.
        let fake = dir.appendingPathComponent("yt-dlp")
        try "#!/bin/sh\ntouch \"\(dir.path)/ran\"\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        var options = DownloadOptions(manifest: manifest, downloadRoot: dir.appendingPathComponent("raw"), retries: 0)
        options.ytDLP = fake.path
        let result = try Download.run(options)
        XCTAssertEqual(result.videos["v0"], DownloadOutcome(status: .failed, path: nil, message: "not a URL (no scheme): '--version'", attempts: 0))
        XCTAssertEqual(result.videos["v1"]?.status, .failed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("ran").path), "yt-dlp never ran")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("pwned").path))
        let arguments = Download.ytDLPArguments(url: "https://x/-o", output: dir.appendingPathComponent("v.%(ext)s"), options: options)
        XCTAssertEqual(Array(arguments.suffix(2)), ["--", "https://x/-o"])
    }

    /// Through the real yt-dlp from a loopback server: an HTML error page saved under a video's
    /// name is `not_video` and removed; an empty answer is yt-dlp's "Did not get any data
    /// blocks" (network_error). An HTML leftover of an earlier run is not taken as downloaded
    /// by --resume: it is fetched again. (Two yt-dlp runs: each costs seconds of Python start-up.)
    func testEmptyAndHTMLDownloadsAreNotKeptAsVideos() throws {
        guard DownloadTests.haveYTDLP else { throw XCTSkip("yt-dlp is not installed: run scripts/setup.sh") }
        let (server, port) = try ExternalTool.serveFolderOverHTTP(corpus("videos"))
        defer { server.terminate() }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let records = ["html", "zero"].map { id in
            ClipRecord(clipID: id, videoID: id, url: "http://127.0.0.1:\(port)/\(id).mp4", label: id, labelIndex: 0,
                       startTime: 0, endTime: nil, fps: nil, signer: nil, split: nil, bbox: nil, source: "wlasl", metadata: [:])
        }
        let manifest = dir.appendingPathComponent("manifest.json")
        try Manifest.write(records, to: manifest)
        let root = dir.appendingPathComponent("raw")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: corpus("videos/html.mp4"), to: root.appendingPathComponent("html.mp4"))
        let result = try Download.run(DownloadOptions(manifest: manifest, downloadRoot: root, concurrency: 2, resume: true,
                                                      retries: 0, timeout: 60, socketTimeout: 5))
        XCTAssertEqual(result.videos["html"], DownloadOutcome(status: .notVideo, path: nil, message: "an HTML page, not a video", attempts: 1),
                       "the leftover was fetched again (attempts 1), and what came is no video")
        XCTAssertEqual(result.videos["zero"]?.status, .networkError)
        XCTAssertTrue(result.videos["zero"]?.message?.contains("Did not get any data blocks") ?? false, "\(result.videos["zero"]!)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(kept, [], "nothing that is not a video stays where trim looks")
        XCTAssertTrue(result.description.contains("coverage: 0 of 2 clips"), result.description)
        // What else a server may send under a video's name, checked the same way after yt-dlp.
        XCTAssertEqual(Download.notAVideo(corpus("videos/audio_only.mp4")), "no video stream (audio only?)")
        XCTAssertEqual(Download.notAVideo(corpus("videos/zero.mp4")), "empty file (0 bytes)")
        XCTAssertNil(Download.notAVideo(corpus("videos/flash.swf")))
        XCTAssertNil(Download.notAVideo(corpus("videos/tiny_1x1.mp4")))
    }

    /// Trim over odd sources: each bad one fails with the file and the reason, the batch goes on;
    /// Flash, rotated, odd-sized, 1×1 and variable-rate videos are cut; no end = to the end.
    func testTrimOfOddSourcesFailsPerClipAndGoesOn() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = dir.appendingPathComponent("raw")
        try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
        let sources = ["zero": "zero.mp4", "html": "html.mp4", "audio": "audio_only.mp4", "flash": "flash.swf",
                       "rotated": "rotated90.mp4", "odd": "odd_33x17.mp4", "tiny": "tiny_1x1.mp4", "vfr": "vfr.mp4"]
        for (id, name) in sources {
            try FileManager.default.copyItem(at: corpus("videos/\(name)"),
                                             to: raw.appendingPathComponent("\(id).\((name as NSString).pathExtension)"))
        }
        let spans: [String: (Double, Double?)] = ["vfr": (0.35, 1.0), "flash": (0.1, nil)]
        let records = sources.keys.sorted().map { id in
            ClipRecord(clipID: id, videoID: id, url: nil, label: id, labelIndex: 0, startTime: spans[id]?.0 ?? 0,
                       endTime: spans[id].map { $0.1 } ?? 10, fps: nil, signer: nil, split: nil, bbox: nil, source: "wlasl", metadata: [:])
        }
        let manifest = dir.appendingPathComponent("manifest.json")
        try Manifest.write(records, to: manifest)
        let result = try Trim.run(TrimOptions(manifest: manifest, trimRoot: dir.appendingPathComponent("clips"), rawRoot: raw))
        let byID = Dictionary(uniqueKeysWithValues: result.records.map { ($0.clipID, $0.trim!) })
        XCTAssertEqual(result.failed, 3, result.description)
        XCTAssertEqual(result.written, 5, result.description)
        XCTAssertEqual(byID["zero"]?.message, "\(raw.path)/zero.mp4: empty file (0 bytes)")
        XCTAssertEqual(byID["html"]?.message, "\(raw.path)/html.mp4: an HTML page, not a video")
        XCTAssertEqual(byID["audio"]?.message, "\(raw.path)/audio.mp4: no video stream (audio only?)")
        // Frames at 0.4, 0.65 and 0.9 s lie in [0.35, 1.0).
        XCTAssertEqual(byID["vfr"]?.frames, 3)
        XCTAssertEqual(byID["flash"]?.frames, 4, "frames 0.1…0.4 s: to the end")
        XCTAssertEqual([byID["odd"]?.width, byID["odd"]?.height], [32, 16], "4:2:0 drops the odd row and column")
        XCTAssertEqual([byID["tiny"]?.width, byID["tiny"]?.height], [2, 2], "a 1-pixel side is stretched to 2")
        // The rotated clip keeps its display matrix: read back, its frames are upright like the source's.
        let clip = try VideoReader(url: URL(fileURLWithPath: try XCTUnwrap(byID["rotated"]?.path)))
        XCTAssertEqual(clip.info.rotation, try VideoReader(url: corpus("videos/rotated90.mp4")).info.rotation)
        XCTAssertEqual([clip.info.width, clip.info.height], [16, 32])
    }
}
