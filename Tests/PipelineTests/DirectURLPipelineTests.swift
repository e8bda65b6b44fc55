import Datasets
import Foundation
import LandmarkExtraction
import Pipeline
import TensorCore
import TestSupport
import XCTest

/// Direct-URL videos through every stage: intake → download (real yt-dlp, generic extractor,
/// against the local server serving the real MS-ASL files) → trim → extract (MediaPipe hand
/// models) → build. Ids made from the URLs name the files of every stage.
final class DirectURLPipelineTests: XCTestCase {
    func testDirectURLRecordsGoThroughIntakeDownloadTrimExtractBuild() throws {
        guard DownloadTests.haveYTDLP else { throw XCTSkip("yt-dlp is not installed: run scripts/setup.sh") }
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("MediaPipe models missing (run make setup)")
        }
        let server = try LocalVideoServer(root: try RealVideos.root())
        defer { server.stop() }
        let dir = try TestEnvironment.temporaryDirectory("aslsh-direct-url")
        defer { try? FileManager.default.removeItem(at: dir) }

        // MS-ASL-style records whose URLs are direct links, as WLASL's mostly are. The second
        // is the first's file on another host and port (never contacted: one download per video
        // id); the third has the same file name in another folder; the last is a dead link.
        let metadata = dir.appendingPathComponent("MSASL_train.json")
        let records: [[String: Any]] = [
            ["url": server.url("videos", "J7tP98oDxqE.mp4"), "label": 38, "text": "book", "start_time": 0.0, "end_time": 2.64, "signer_id": 0],
            ["url": "http://localhost:1/videos/J7tP98oDxqE.mp4", "label": 38, "text": "book", "start_time": 1.0, "end_time": 2.0, "signer_id": 0],
            ["url": server.url("mirror", "J7tP98oDxqE.mp4"), "label": 38, "text": "book", "start_time": 0.0, "end_time": 1.0, "signer_id": 0],
            ["url": server.url("videos", "7G6B6kaMjb4.mp4"), "label": 288, "text": "give", "start_time": 0.0, "end_time": 1.96, "signer_id": 0],
            ["url": server.url("missing", "gone.mp4"), "label": 288, "text": "give", "start_time": 0.0, "end_time": 1.0, "signer_id": 0],
        ]
        try JSONSerialization.data(withJSONObject: records).write(to: metadata)

        // 1. intake: readable, file-safe ids without host or port.
        let intake = try Intake.run(IntakeOptions(inputs: [metadata], output: dir.appendingPathComponent("manifest.json")))
        let clips = intake.records
        XCTAssertEqual(clips.count, 5)
        XCTAssertEqual(clips[0].videoID, clips[1].videoID, "same path on another host and port: same video")
        XCTAssertNotEqual(clips[0].videoID, clips[2].videoID, "same file name in another folder: another video")
        XCTAssertTrue(clips[0].videoID.hasPrefix("J7tP98oDxqE-"), clips[0].videoID)
        for clip in clips {
            XCTAssertTrue(VideoIDs.isFileSafe(clip.clipID), clip.clipID)
            XCTAssertFalse(clip.clipID.contains("127.0.0.1") || clip.clipID.contains(":") || clip.clipID.contains("/"), clip.clipID)
        }

        // 2. download: one run per distinct video id (4), the dead link unavailable.
        let raw = dir.appendingPathComponent("raw")
        let download = try Download.run(DownloadOptions(manifest: dir.appendingPathComponent("manifest.json"), downloadRoot: raw,
                                                        concurrency: 2, retries: 0, backoff: 0.1))
        XCTAssertEqual(download.videos.count, 4, download.description)
        XCTAssertEqual(download.statusCounts[.ok], 3, download.description)
        XCTAssertEqual(download.statusCounts[.unavailable], 1, download.description)
        for id in Set(clips.prefix(4).map(\.videoID)) {
            let file = raw.appendingPathComponent("\(id).mp4")
            XCTAssertTrue(FileManager.default.fileExists(atPath: file.path), "downloaded as \(file.lastPathComponent)")
        }
        XCTAssertEqual(try Data(contentsOf: raw.appendingPathComponent("\(clips[0].videoID).mp4")),
                       try Data(contentsOf: try RealVideos.root().appendingPathComponent("J7tP98oDxqE.mp4")))

        // 3. trim: four clips, each `<clip id>.mp4`, end-exclusive.
        let clipRoot = dir.appendingPathComponent("clips")
        let trim = try Trim.run(TrimOptions(manifest: dir.appendingPathComponent("manifest_downloaded.json"), trimRoot: clipRoot,
                                            rawRoot: raw))
        XCTAssertEqual(trim.written, 4, trim.description)
        XCTAssertEqual(trim.failed, 1)
        XCTAssertTrue(trim.failures[0].message.contains("(download: unavailable)"), trim.description)
        for record in trim.records.prefix(4) {
            XCTAssertEqual(record.trim?.path, clipRoot.appendingPathComponent("\(record.clipID).mp4").path)
            XCTAssertTrue(FileManager.default.fileExists(atPath: clipRoot.appendingPathComponent("\(record.clipID).mp4").path))
            XCTAssertEqual(record.trim?.span, "end-exclusive")
        }
        // 25 fps: [0, 2.64) holds 66 frames, [1, 2) 25, [0, 1) 25, [0, 1.96) 49.
        XCTAssertEqual(trim.records.prefix(4).map { $0.trim?.frames ?? -1 }, [66, 25, 25, 49])

        // 4. extract from the trimmed manifest: one landmark file pair per clip, named by its id.
        var options = ExtractionOptions()
        options.modelDirectory = TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe")
        options.frameSkip = 2
        let trimmed = try ClipExtraction.inputs(fromPipelineManifest: dir.appendingPathComponent("manifest_trimmed.json"))
        XCTAssertEqual(trimmed.inputs.count, 4)
        XCTAssertEqual(trimmed.skipped, ["trim failed": 1])
        let landmarks = dir.appendingPathComponent("landmarks")
        let extracted = try ClipExtraction.run(inputs: trimmed.inputs, outputDirectory: landmarks, options: options)
        XCTAssertEqual(extracted.clipCount, 4, extracted.text)
        let manifest = try LandmarkManifest.read(contentsOf: extracted.manifestURL)
        XCTAssertEqual(manifest.records.map(\.clipID), trim.records.prefix(4).map(\.clipID))
        for record in manifest.records {
            XCTAssertEqual(record.landmarks, "landmarks/\(record.clipID).npy")
            XCTAssertTrue(FileManager.default.fileExists(atPath: manifest.resolve(record.landmarks).path), record.landmarks)
            XCTAssertTrue(FileManager.default.fileExists(atPath: manifest.resolve(record.mask).path), record.mask)
            XCTAssertGreaterThan(record.detectedFrames, 0, "a signer's hand is visible in \(record.clipID)")
        }
        // Every 2nd frame of 66, 25, 25, 49.
        XCTAssertEqual(manifest.records.map(\.frameCount), [33, 13, 13, 25])

        // Extract over the downloaded, untrimmed video takes the same [start, end) frames.
        let downloaded = try ClipExtraction.inputs(fromPipelineManifest: dir.appendingPathComponent("manifest_downloaded.json"))
        let second = try XCTUnwrap(downloaded.inputs.first { $0.clipID == clips[1].clipID })
        XCTAssertEqual(second.start, 1.0)
        var every = options
        every.frameSkip = 1
        let direct = try ClipExtraction.run(inputs: [second], outputDirectory: dir.appendingPathComponent("landmarks_direct"),
                                            options: every)
        let directRecord = try XCTUnwrap(try LandmarkManifest.read(contentsOf: direct.manifestURL).records.first)
        XCTAssertEqual(directRecord.frameCount, 25, "the 25 frames trim kept for [1.0, 2.0)")
        XCTAssertEqual(directRecord.metadata["span"], .string("end-exclusive"))

        // 5. build: the datasets exist and hold the four clips.
        var build = BuildOptions(manifest: extracted.manifestURL)
        build.splits = [1, 0, 0]
        build.sequenceLength = 16
        let summary = try DatasetBuilder.build(build)
        XCTAssertEqual(summary.sampleCounts, [4, 0, 0], summary.text)
        let train = try XCTUnwrap(summary.outputs.first { $0.lastPathComponent == "train.npz" })
        let dataset = try Dataset(contentsOf: train)
        XCTAssertEqual(dataset.count, 4)
        XCTAssertEqual(Set(dataset.metadata.clipIDs), Set(trim.records.prefix(4).map(\.clipID)))
        XCTAssertEqual(dataset.labelNames.sorted(), ["book", "give"])
        XCTAssertEqual(dataset.sequences.shape, [4, 16, 21, 3])
    }
}
