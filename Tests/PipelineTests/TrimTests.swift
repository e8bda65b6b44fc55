import TensorCore
import Foundation
import Media
import Pipeline
import TestSupport
import XCTest

final class TrimTests: XCTestCase {
    private func setUpManifest(_ records: [ClipRecord]) throws -> (dir: URL, manifest: URL) {
        let dir = try TestEnvironment.temporaryDirectory()
        let manifest = dir.appendingPathComponent("manifest.json")
        try Manifest.write(records, to: manifest)
        return (dir, manifest)
    }

    /// All 15 real clips: each output holds exactly the frames the oracle selected before the
    /// end, and ffprobe's duration is within one frame interval of the requested span; the
    /// manifest records the facts and the span convention.
    ///
    /// The span is end-exclusive by pts, like `ffmpeg -ss S -to E`: each clip holds exactly the
    /// source frames with start ≤ pts < end, counted here by decoding the source with the Media
    /// module. Where a constant-rate file's span ends fall on frames (6 of the 15), that is
    /// round((end − start)·fps) — no extra frame at the end, as trim used to keep.
    func testRealClipsAreCutWithinOneFrameOfTheSpan() throws {
        let rows = try RealVideos.rows()
        let records = try RealVideos.records()
        let (dir, manifest) = try setUpManifest(records)
        let trimRoot = dir.appendingPathComponent("clips")
        final class Calls: @unchecked Sendable { var items: [String] = [] }
        let calls = Calls()
        let result = try Trim.run(TrimOptions(manifest: manifest, trimRoot: trimRoot, rawRoot: try RealVideos.root()),
                                  hooks: LoopHooks(progress: { done, total, item in
                                      XCTAssertEqual(total, 15); calls.items.append("\(done):\(item)") }))
        XCTAssertEqual(result.written, 15, result.description)
        XCTAssertEqual(result.failed, 0)
        XCTAssertEqual(calls.items.count, 15)
        let written = try Manifest.read(dir.appendingPathComponent("manifest_trimmed.json"))
        XCTAssertEqual(written, result.records)
        var onFrames = 0
        for record in written {
            let trim = try XCTUnwrap(record.trim)
            let path = try XCTUnwrap(trim.path)
            let probe = try RealVideos.ffprobe(URL(fileURLWithPath: path))
            let interval = 1 / RealVideos.rational(probe.rate)
            XCTAssertEqual(probe.frames, try RealVideos.oracleFrameCount(record.clipID), record.clipID)
            XCTAssertEqual(trim.frames, probe.frames, record.clipID)
            XCTAssertEqual(probe.duration, record.endTime! - record.startTime, accuracy: interval + 1e-6, record.clipID)
            XCTAssertEqual(try XCTUnwrap(trim.duration), probe.duration, accuracy: 1e-3)
            XCTAssertEqual(trim.width, probe.width)
            XCTAssertEqual(trim.height, probe.height)
            XCTAssertEqual(trim.fps, probe.rate, "the clip's own measured rate")
            XCTAssertEqual(trim.span, "end-exclusive", "the convention is recorded")

            let row = try XCTUnwrap(rows.first { "\($0.videoID)__\($0.start)_\($0.end)" == record.clipID })
            let source = try RealVideos.root().appendingPathComponent("\(row.videoID).mp4")
            let inSpan = try RealVideos.sourceFrameCount(source, start: record.startTime, end: record.endTime)
            XCTAssertEqual(probe.frames, inSpan, "\(record.clipID): the source frames with start ≤ pts < end")
            let fps = RealVideos.rational(row.fileFPS)
            let first = record.startTime * fps, last = record.endTime! * fps
            let nominal = Int(((record.endTime! - record.startTime) * fps).rounded())
            if abs(first - first.rounded()) < 1e-6, abs(last - last.rounded()) < 1e-6 {
                XCTAssertEqual(probe.frames, nominal, "\(record.clipID): (end − start)·fps, ±0")
                onFrames += 1
            }
            print("trim \(record.clipID): \(probe.frames) frames, source frames in [start, end) \(inSpan), "
                  + "round((end − start)·fps) \(nominal)")
        }
        XCTAssertEqual(onFrames, 6, "clips whose span ends fall on frames of a constant-rate file")
        // HPz_C5XM4o4's header says 89/3 fps but its frames are 33.72 ms apart: the clip's rate is
        // measured from its frames (ffprobe agrees above), ≈ 29.651.
        let hpz = try XCTUnwrap(written.first { $0.clipID == "HPz_C5XM4o4__2.462_4.148" }?.trim)
        XCTAssertEqual(RealVideos.rational(try XCTUnwrap(hpz.fps)), 29.651, accuracy: 0.01)
    }

    /// Missing, truncated and out-of-range inputs fail per clip with a reason; the batch goes on.
    func testFailuresAreRecordedPerClipAndTheBatchContinues() throws {
        let real = try RealVideos.root()
        let (dir, _) = try setUpManifest([])
        let raw = dir.appendingPathComponent("raw")
        try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: raw.appendingPathComponent("J7tP98oDxqE.mp4"),
                                                   withDestinationURL: real.appendingPathComponent("J7tP98oDxqE.mp4"))
        let data = try Data(contentsOf: real.appendingPathComponent("S2cqitZ0qes.mp4"))
        try data.prefix(data.count / 2).write(to: raw.appendingPathComponent("S2cqitZ0qes.mp4"))
        func record(_ video: String, _ start: Double, _ end: Double?) -> ClipRecord {
            ClipRecord(clipID: "\(video)__\(start)", videoID: video, url: nil, label: "x", labelIndex: 0,
                       startTime: start, endTime: end, fps: nil, signer: nil, split: nil, bbox: nil, source: "msasl",
                       metadata: [:])
        }
        let records = [record("absentVideo", 0, 1), record("S2cqitZ0qes", 0, 2.92), record("J7tP98oDxqE", 30, 31),
                       record("J7tP98oDxqE", 1, nil)]
        let manifest = dir.appendingPathComponent("m.json")
        try Manifest.write(records, to: manifest)
        let result = try Trim.run(TrimOptions(manifest: manifest, trimRoot: dir.appendingPathComponent("clips"), rawRoot: raw))
        XCTAssertEqual(result.failed, 3, result.description)
        XCTAssertEqual(result.written, 1)
        let messages = result.records.map { $0.trim?.message ?? "" }
        XCTAssertTrue(messages[0].contains("no source video absentVideo"), messages[0])
        XCTAssertTrue(messages[1].contains("S2cqitZ0qes.mp4"), messages[1])
        XCTAssertTrue(messages[2].contains("no frame in 30.000"), messages[2])
        // "to the end": frames from 1.0 s to the last one (67 frames at 25 fps, pts 0…2.64).
        let toEnd = try XCTUnwrap(result.records[3].trim)
        XCTAssertEqual(toEnd.status, "ok")
        XCTAssertEqual(toEnd.frames, 67 - 25)
        // No partial or temporary outputs for the failed clips.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("clips").path)
        XCTAssertEqual(left, ["J7tP98oDxqE__1.0.mp4"])
    }

    func testResumeOverwriteDryRunAndSample() throws {
        let records = Array(try RealVideos.records().filter { $0.videoID == "7G6B6kaMjb4" || $0.videoID == "J7tP98oDxqE" })
        XCTAssertEqual(records.count, 2)
        let (dir, manifest) = try setUpManifest(records)
        let clips = dir.appendingPathComponent("clips")
        var options = TrimOptions(manifest: manifest, trimRoot: clips, rawRoot: try RealVideos.root(), dryRun: true)

        let plan = try Trim.run(options)
        XCTAssertEqual(plan.planned, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: clips.path), "dry run writes nothing")
        XCTAssertNil(plan.outputManifest)

        options.dryRun = false
        options.sample = 1
        let first = try Trim.run(options)
        XCTAssertEqual(first.records.count, 1)
        XCTAssertEqual(first.written, 1)
        let clip = try XCTUnwrap(first.records[0].trim?.path)
        let stamp = try FileManager.default.attributesOfItem(atPath: clip)[.modificationDate] as! Date

        options.sample = nil
        let again = try Trim.run(options)
        XCTAssertEqual(again.failed, 1, "an existing output without --resume/--overwrite is refused")
        XCTAssertTrue(again.records[0].trim!.message!.contains("--resume"))
        XCTAssertEqual(again.written, 1)

        options.resume = true
        let resumed = try Trim.run(options)
        XCTAssertEqual(resumed.reused, 2)
        XCTAssertEqual(resumed.records[0].trim?.frames, first.records[0].trim?.frames)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: clip)[.modificationDate] as! Date, stamp)

        options.resume = false
        options.overwrite = true
        options.sample = 1
        Thread.sleep(forTimeInterval: 0.01)
        let redone = try Trim.run(options)
        XCTAssertEqual(redone.written, 1)
        XCTAssertNotEqual(try FileManager.default.attributesOfItem(atPath: clip)[.modificationDate] as! Date, stamp)

        options.resume = true
        XCTAssertThrowsError(try Trim.run(options))
    }

    func testCancellationStopsTheBatchWithoutPartialFiles() throws {
        let records = Array(try RealVideos.records().prefix(3))
        let (dir, manifest) = try setUpManifest(records)
        let clips = dir.appendingPathComponent("clips")
        final class Counter: @unchecked Sendable { var n = 0 }
        let counter = Counter()
        // Cancel in the middle of the second clip's encode.
        let hooks = LoopHooks(isCancelled: { counter.n += 1; return counter.n > 60 })
        let result = try Trim.run(TrimOptions(manifest: manifest, trimRoot: clips, rawRoot: try RealVideos.root()), hooks: hooks)
        XCTAssertTrue(result.cancelled, result.description)
        XCTAssertEqual(result.written, 1)
        XCTAssertNil(result.records[1].trim)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: clips.path).count, 1)
    }

    func testStreamCopyWritesKeyframeAlignedClips() throws {
        let records = Array(try RealVideos.records().filter { $0.clipID == "HPz_C5XM4o4__4.991_6.61" })
        let (dir, manifest) = try setUpManifest(records)
        let result = try Trim.run(TrimOptions(manifest: manifest, trimRoot: dir.appendingPathComponent("c"),
                                              rawRoot: try RealVideos.root(), streamCopy: true))
        XCTAssertEqual(result.written, 1, result.description)
        let trim = try XCTUnwrap(result.records[0].trim)
        let probe = try RealVideos.ffprobe(URL(fileURLWithPath: trim.path!))
        XCTAssertEqual(trim.frames, probe.frames)
        XCTAssertGreaterThanOrEqual(probe.frames, try RealVideos.oracleFrameCount(records[0].clipID))
    }

    /// A WLASL-style pixel box (kept in metadata by intake) is normalised once trim knows the
    /// real frame size (J7tP98oDxqE is 480×360).
    func testPixelBoxIsNormalisedWithTheRealFrameSize() throws {
        let records = try RealVideos.records() // skips when ../shared is absent
        var record = try XCTUnwrap(records.first { $0.videoID == "J7tP98oDxqE" })
        record.source = "wlasl"
        record.metadata["bbox"] = .array([.int(48), .int(36), .int(432), .int(324)])
        let (dir, manifest) = try setUpManifest([record])
        let result = try Trim.run(TrimOptions(manifest: manifest, trimRoot: dir.appendingPathComponent("c"),
                                              rawRoot: try RealVideos.root()))
        let box = try XCTUnwrap(result.records[0].bbox)
        for (value, expected) in zip(box, [0.1, 0.1, 0.9, 0.9]) { XCTAssertEqual(value, expected, accuracy: 1e-12) }
    }
}
