import Foundation
import Pipeline
import TestSupport
import XCTest

/// intake → download → trim on the real MS-ASL train excerpt. YouTube is replaced by the local
/// server: each record's URL is pointed at `/videos/<id>.mp4`, which exists for the videos in
/// `msasl_videos/` and is a 404 (a dead link, as 10–30% are on YouTube) for the others.
final class EndToEndTests: XCTestCase {
    func testIntakeDownloadTrimOnRealMSASLMetadata() throws {
        guard DownloadTests.haveYTDLP else { throw XCTSkip("yt-dlp is not installed: run scripts/setup.sh") }
        let excerpt = try realData("msasl_metadata/MSASL_train_head_excerpt.json")
        let server = try LocalVideoServer(root: try RealVideos.root())
        defer { server.stop() }
        let dir = try TestEnvironment.temporaryDirectory()

        // 1. intake (class names from MSASL_classes.json beside the excerpt in ../shared).
        let classes = try realData("msasl_metadata/MSASL_classes.json")
        let intake = try Intake.run(IntakeOptions(inputs: [excerpt], output: dir.appendingPathComponent("manifest.json"),
                                                  classes: classes))
        XCTAssertEqual(intake.records.count, 41)
        XCTAssertEqual(intake.records.filter { $0.videoID == "N2mG9ZKjrGA" }.first?.url,
                       "https://www.youtube.com/watch?v=N2mG9ZKjrGA", "scheme added")

        // Five videos keep the test short: three served (5 clips), two dead (13 clips).
        let kept: Set<String> = ["HPz_C5XM4o4", "N2mG9ZKjrGA", "J7tP98oDxqE", "WeAFuzYTdtU", "jQb9NL9_S6U"]
        let local = intake.records.filter { kept.contains($0.videoID) }.map { r -> ClipRecord in
            var r = r
            r.url = server.url("videos", "\(r.videoID).mp4")
            return r
        }
        XCTAssertEqual(local.count, 18)
        let manifest = dir.appendingPathComponent("manifest_local.json")
        try Manifest.write(local, to: manifest)

        // 2. download.
        let raw = dir.appendingPathComponent("raw")
        let download = try Download.run(DownloadOptions(manifest: manifest, downloadRoot: raw, concurrency: 3,
                                                        outputManifest: dir.appendingPathComponent("manifest_downloaded.json"),
                                                        retries: 1, backoff: 0.1))
        XCTAssertEqual(download.videos.count, 5)
        XCTAssertEqual(download.statusCounts[.ok], 3, download.description)
        XCTAssertEqual(download.statusCounts[.unavailable], 2)
        XCTAssertTrue(download.description.contains("coverage: 5 of 18 clips"), download.description)
        XCTAssertTrue(download.description.contains("day: 0/4"), download.description)
        XCTAssertTrue(download.description.contains("phone: 3/3"), download.description)

        // 3. trim from the downloaded manifest.
        let trim = try Trim.run(TrimOptions(manifest: dir.appendingPathComponent("manifest_downloaded.json"),
                                            trimRoot: dir.appendingPathComponent("clips"), rawRoot: raw))
        XCTAssertEqual(trim.written, 5, trim.description)
        XCTAssertEqual(trim.failed, 13)
        XCTAssertTrue(trim.failures.allSatisfy { $0.message.contains("(download: unavailable)") }, trim.description)
        let trimmed = try Manifest.read(dir.appendingPathComponent("manifest_trimmed.json"))
        for record in trimmed where record.trim?.status == "ok" {
            let probe = try RealVideos.ffprobe(URL(fileURLWithPath: record.trim!.path!))
            XCTAssertEqual(probe.frames, try RealVideos.oracleFrameCount(record.clipID), record.clipID)
            XCTAssertEqual(probe.duration, record.endTime! - record.startTime,
                           accuracy: 1 / RealVideos.rational(probe.rate) + 1e-6, record.clipID)
            XCTAssertEqual(record.label, ["HPz_C5XM4o4": "phone", "N2mG9ZKjrGA": "sign language",
                                          "J7tP98oDxqE": "book"][record.videoID])
            XCTAssertNotNil(record.bbox)
            XCTAssertEqual(record.download?.status, .ok)
        }
    }
}
