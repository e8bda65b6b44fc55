import Foundation
import LandmarkExtraction
import Media
import Pipeline
import TestSupport
import XCTest

/// Real yt-dlp (generic extractor) against a local server on 127.0.0.1 serving the real MS-ASL
/// videos, with a 404, a slow answer, a connection dropped mid-file every time and once.
final class DownloadTests: XCTestCase {
    var server: LocalVideoServer!

    static let haveYTDLP = (try? ExternalTool.run(["yt-dlp", "--version"])) != nil

    override func setUpWithError() throws {
        guard Self.haveYTDLP else { throw XCTSkip("yt-dlp is not installed: run scripts/setup.sh") }
        server = try LocalVideoServer(root: try RealVideos.root(), slowSeconds: 60)
    }

    override func tearDown() { server?.stop() }

    private func record(_ id: String, _ url: String?, label: String = "x", clip: String? = nil) -> ClipRecord {
        ClipRecord(clipID: clip ?? id, videoID: id, url: url, label: label, labelIndex: 0, startTime: 0, endTime: 1,
                   fps: nil, signer: nil, split: nil, bbox: nil, source: "msasl", metadata: [:])
    }

    /// Two download shards with yt-dlp's `--sleep-requests` passed through (as a rate-limited
    /// cluster would run them), merged: every clip once, in input order, with its video's status.
    func testShardedDownloadsMergeWithEveryClipOnce() throws {
        let chosen: Set<String> = ["HPz_C5XM4o4", "J7tP98oDxqE"]
        var records = try RealVideos.records().filter { chosen.contains($0.videoID) }.map { r -> ClipRecord in
            var r = r
            r.url = server.url("videos", "\(r.videoID).mp4")
            return r
        }
        records.insert(record("gone", server.url("missing", "gone.mp4"), label: "lost"), at: 1)
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("manifest.json")
        try Manifest.write(records, to: manifest)
        var owners: [String: Int] = [:]
        for i in 0..<2 {
            var options = DownloadOptions(manifest: manifest, downloadRoot: dir.appendingPathComponent("raw"), retries: 0,
                                          timeout: 120, socketTimeout: 3, extraArguments: ["--sleep-requests", "0.1"])
            options.shard = try Shard(index: i, count: 2)
            let result = try Download.run(options)
            XCTAssertEqual(result.outputManifest?.lastPathComponent, "manifest_downloaded.shard-\(i)-of-2.json")
            for r in result.records { owners[r.clipID] = i }
            // A video's clips are all in one shard.
            for r in result.records { XCTAssertEqual(result.records.filter { $0.videoID == r.videoID }.count, records.filter { $0.videoID == r.videoID }.count) }
        }
        XCTAssertEqual(Set(owners.values), [0, 1], "both shards have work")
        let merged = try ShardMerge.run(manifest: dir.appendingPathComponent("manifest_downloaded.json"))
        XCTAssertTrue(merged.description.contains("ok 4, unavailable 1"), merged.description)
        let all = try Manifest.read(dir.appendingPathComponent("manifest_downloaded.json"))
        XCTAssertEqual(all.map(\.clipID), records.map(\.clipID), "input order")
        XCTAssertEqual(all.first { $0.videoID == "gone" }?.download?.status, .unavailable)
        XCTAssertTrue(all.filter { $0.videoID != "gone" }.allSatisfy { $0.download?.status == .ok })
    }

    func testRealVideosAndFailureModes() throws {
        let real = try RealVideos.root()
        // Four real videos (HPz_C5XM4o4 has 3 clips): one download per distinct video. yt-dlp's
        // Python start-up costs ~1.7 s of CPU per run, so the test keeps the number of runs small.
        let chosen: Set<String> = ["7G6B6kaMjb4", "HPz_C5XM4o4", "J7tP98oDxqE", "SVWABYmFdhs"]
        var records = try RealVideos.records().filter { chosen.contains($0.videoID) }.map { r -> ClipRecord in
            var r = r
            r.url = server.url("videos", "\(r.videoID).mp4")
            return r
        }
        records += [record("gone", server.url("missing", "gone.mp4"), label: "lost"),
                    record("cut", server.url("drop", "J7tP98oDxqE.mp4"), label: "lost"),
                    record("sleepy", server.url("slow", "J7tP98oDxqE.mp4"), label: "lost"),
                    record("flaky", server.url("flaky", "S2cqitZ0qes.mp4"), label: "lost"),
                    record("nourl", nil, label: "lost")]
        let dir = try TestEnvironment.temporaryDirectory()
        let manifest = dir.appendingPathComponent("manifest.json")
        try Manifest.write(records, to: manifest)
        let root = dir.appendingPathComponent("raw")
        final class Calls: @unchecked Sendable { let lock = NSLock(); var n = 0; var totals: Set<Int> = [] }
        let calls = Calls()
        let options = DownloadOptions(manifest: manifest, downloadRoot: root, concurrency: 4, retries: 1, timeout: 300, socketTimeout: 3,
                                      backoff: 0.1)
        let result = try Download.run(options, hooks: LoopHooks(progress: { _, total, _ in
            calls.lock.lock(); calls.n += 1; calls.totals.insert(total); calls.lock.unlock() }))

        XCTAssertEqual(result.videos.count, 9)
        XCTAssertEqual(calls.n, 9)
        XCTAssertEqual(calls.totals, [9])
        let counts = result.statusCounts
        XCTAssertEqual(counts[.ok], 5, result.description)             // 4 real + flaky after a retry
        XCTAssertEqual(result.videos["gone"]?.status, .unavailable)
        XCTAssertTrue(result.videos["gone"]?.message?.contains("HTTP Error 404") ?? false, "\(result.videos["gone"]!)")
        XCTAssertEqual(result.videos["cut"]?.status, .networkError)
        XCTAssertEqual(result.videos["cut"]?.attempts, 2, "one retry after a transient failure")
        XCTAssertTrue(result.videos["cut"]?.message?.contains("bytes read") ?? false, "\(result.videos["cut"]!)")
        XCTAssertEqual(result.videos["sleepy"]?.status, .timeout, "yt-dlp's socket timeout")
        XCTAssertTrue(result.videos["sleepy"]?.message?.contains("timed out") ?? false, "\(result.videos["sleepy"]!)")
        XCTAssertEqual(result.videos["nourl"]?.status, .noURL)

        // Downloaded files are byte-identical to the served ones; nothing partial is left in the root.
        for id in chosen {
            let path = try XCTUnwrap(result.videos[id]?.path)
            XCTAssertEqual(path, root.appendingPathComponent("\(id).mp4").path)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), try Data(contentsOf: real.appendingPathComponent("\(id).mp4")))
        }
        XCTAssertEqual(try Data(contentsOf: root.appendingPathComponent("flaky.mp4")),
                       try Data(contentsOf: real.appendingPathComponent("S2cqitZ0qes.mp4")))
        let visible = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(visible.count, 5)
        XCTAssertTrue(visible.allSatisfy { $0.hasSuffix(".mp4") })

        // The manifest: every clip carries its video's outcome; the summary shows coverage.
        let written = try Manifest.read(dir.appendingPathComponent("manifest_downloaded.json"))
        XCTAssertEqual(written.count, 11)
        XCTAssertEqual(written.filter { $0.videoID == "HPz_C5XM4o4" }.map { $0.download?.status }, [.ok, .ok, .ok])
        XCTAssertTrue(result.description.contains("coverage: 7 of 11 clips"), result.description)
        XCTAssertTrue(result.description.contains("lost: 1/5"), result.description)

        // Trim picks the downloaded files up from the download root.
        let trimmed = try Trim.run(TrimOptions(manifest: dir.appendingPathComponent("manifest_downloaded.json"),
                                               trimRoot: dir.appendingPathComponent("clips"), rawRoot: root, sample: 2))
        XCTAssertEqual(trimmed.written, 2, trimmed.description)
    }

    func testResumeFinishesAPartialFileAndSkipsCompleteOnes() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let root = dir.appendingPathComponent("raw")
        let manifest = dir.appendingPathComponent("manifest.json")
        try Manifest.write([record("J7tP98oDxqE", server.url("videos", "J7tP98oDxqE.mp4")),
                            record("S2cqitZ0qes", server.url("videos", "S2cqitZ0qes.mp4"))], to: manifest)
        let original = try Data(contentsOf: try RealVideos.root().appendingPathComponent("J7tP98oDxqE.mp4"))
        // A partial download left by an interrupted run: the file's header (ftyp, moov: 2,621
        // bytes), then zeros up to half, so a file whose first half is that proves yt-dlp
        // continued it (HTTP Range) instead of starting over — and it still opens as a video.
        let work = root.appendingPathComponent(".partial/J7tP98oDxqE")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let half = original.count / 2
        let partial = original.prefix(2621) + Data(count: half - 2621)
        try partial.write(to: work.appendingPathComponent("J7tP98oDxqE.mp4.part"))
        // A complete earlier download of the other video (another real video's bytes, told apart).
        let earlier = try Data(contentsOf: try RealVideos.root().appendingPathComponent("7G6B6kaMjb4.mp4"))
        try earlier.write(to: root.appendingPathComponent("S2cqitZ0qes.mp4"))

        var options = DownloadOptions(manifest: manifest, downloadRoot: root, concurrency: 2, resume: true,
                                      retries: 0, timeout: 30)
        let result = try Download.run(options)
        XCTAssertEqual(result.videos["J7tP98oDxqE"]?.status, .ok, result.description)
        let resumed = try Data(contentsOf: root.appendingPathComponent("J7tP98oDxqE.mp4"))
        XCTAssertEqual(resumed.count, original.count)
        XCTAssertEqual(resumed.prefix(half), partial)
        XCTAssertEqual(resumed.suffix(from: half), original.suffix(from: half))
        XCTAssertEqual(result.videos["S2cqitZ0qes"]?.message, "already downloaded (--resume)")
        XCTAssertEqual(try Data(contentsOf: root.appendingPathComponent("S2cqitZ0qes.mp4")), earlier)

        // Without --resume an existing file is refused; --overwrite replaces it.
        options.resume = false
        let refused = try Download.run(options)
        XCTAssertEqual(refused.videos["S2cqitZ0qes"]?.status, .skipped)
        // A refused (kept) file is still the clip's video: coverage counts it.
        let covered = refused.records.filter { $0.videoID == "S2cqitZ0qes" }.count
        XCTAssertGreaterThan(covered, 0)
        XCTAssertGreaterThanOrEqual(refused.coverage.values.map(\.available).reduce(0, +), covered, refused.description)
        options.overwrite = true
        options.sample = 1
        let redone = try Download.run(options)
        XCTAssertEqual(redone.videos.count, 1)
        XCTAssertEqual(try Data(contentsOf: root.appendingPathComponent("J7tP98oDxqE.mp4")), original)

        // Dry run: plans, writes nothing.
        let planned = try Download.run(DownloadOptions(manifest: manifest, downloadRoot: dir.appendingPathComponent("none"),
                                                       dryRun: true))
        XCTAssertEqual(planned.statusCounts[.planned], 2)
        XCTAssertNil(planned.outputManifest)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("none").path))
        XCTAssertThrowsError(try Download.run(DownloadOptions(manifest: manifest, downloadRoot: root, concurrency: 0)))
        XCTAssertThrowsError(try Download.run(DownloadOptions(manifest: manifest, downloadRoot: root, ytDLP: "no-such-yt-dlp"))) { error in
            guard case .toolMissing? = error as? PipelineError else { return XCTFail("\(error)") }
        }
    }

    /// A stand-in for yt-dlp that never finishes (a shell script sleeping 30 s).
    private func hungDownloader(in dir: URL) throws -> URL {
        let fake = dir.appendingPathComponent("hung-yt-dlp")
        try "#!/bin/sh\nsleep 30\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        return fake
    }

    /// An attempt that outlives `timeout` is killed and counted as a timeout, then retried.
    func testHungDownloaderIsKilledAtTheTimeout() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let fake = try hungDownloader(in: dir)
        let manifest = dir.appendingPathComponent("m.json")
        try Manifest.write([record("v", "http://127.0.0.1:1/v.mp4")], to: manifest)
        let started = Date()
        let result = try Download.run(DownloadOptions(manifest: manifest, downloadRoot: dir.appendingPathComponent("raw"),
                                                      retries: 1, timeout: 0.5, backoff: 0.1, ytDLP: fake.path))
        XCTAssertEqual(result.videos["v"]?.status, .timeout)
        XCTAssertEqual(result.videos["v"]?.attempts, 2)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// Cancelling mid-download stops the running yt-dlp and leaves the video without an outcome.
    func testCancellationStopsARunningDownload() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let fake = try hungDownloader(in: dir)
        let manifest = dir.appendingPathComponent("m.json")
        try Manifest.write([record("a", "http://127.0.0.1:1/a.mp4"), record("b", "http://127.0.0.1:1/b.mp4")], to: manifest)
        let started = Date()
        let hooks = LoopHooks(isCancelled: { Date().timeIntervalSince(started) > 0.5 })
        let result = try Download.run(DownloadOptions(manifest: manifest, downloadRoot: dir.appendingPathComponent("raw"),
                                                      concurrency: 1, timeout: 60, ytDLP: fake.path), hooks: hooks)
        XCTAssertTrue(result.cancelled)
        XCTAssertTrue(result.videos.isEmpty)
        XCTAssertTrue(result.records.allSatisfy { $0.download == nil })
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// yt-dlp's and YouTube's own wording (yt_dlp/extractor/youtube.py) maps to the statuses.
    /// `--mirror`: the manifest's YouTube URLs are never asked for; each video comes from the
    /// mirror by id — over HTTP (a prefix, and a template), or from a folder through file URLs —
    /// byte-identical, under its YouTube id. A video the mirror lacks is `unavailable`.
    func testMirrorServesVideosByIDOverHTTPAndFromAFolder() throws {
        let real = try RealVideos.root()
        let ids = ["7G6B6kaMjb4", "C37R_Ix8-qs"]
        let records = ids.map { id in record(id, "https://www.youtube.com/watch?v=\(id)") } + [record("notThere123", "https://www.youtube.com/watch?v=notThere123")]
        let dir = try TestEnvironment.temporaryDirectory()
        let manifest = dir.appendingPathComponent("manifest.json")
        try Manifest.write(records, to: manifest)
        let mirrors = [("prefix", Mirror(server.url("videos", ""))), ("template", Mirror(server.url("videos", "{id}.mp4"))),
                       ("folder", Mirror(real.path))]
        for (name, mirror) in mirrors {
            var options = DownloadOptions(manifest: manifest, downloadRoot: dir.appendingPathComponent(name), concurrency: 3,
                                          outputManifest: dir.appendingPathComponent("\(name).json"), retries: 0, socketTimeout: 5)
            options.mirror = mirror
            let result = try Download.run(options)
            for id in ids {
                XCTAssertEqual(result.videos[id]?.status, .ok, "\(name): \(String(describing: result.videos[id]))")
                XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("\(name)/\(id).mp4")),
                               try Data(contentsOf: real.appendingPathComponent("\(id).mp4")), name)
            }
            XCTAssertEqual(result.videos["notThere123"]?.status, .unavailable, "\(name): \(String(describing: result.videos["notThere123"]))")
        }
        XCTAssertEqual(Mirror("http://h/m/").url(for: "a b"), "http://h/m/a_b.mp4", "ids are the file-safe ones")
        XCTAssertEqual(Mirror("/srv/v").url(for: "x"), "file:///srv/v/x.mp4")
    }

    func testYouTubeMessagesAreClassified() {
        let cases: [(String, DownloadStatus)] = [
            ("ERROR: [youtube] abc: Private video. Sign in if you've been granted access to this video", .private),
            ("ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader", .unavailable),
            ("ERROR: [youtube] abc: Video unavailable. This video is no longer available because the YouTube account associated with this video has been terminated.", .unavailable),
            ("ERROR: [youtube] abc: Video unavailable. The uploader has not made this video available in your country", .geoBlocked),
            ("ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users.", .loginRequired),
            ("ERROR: [youtube] abc: Sign in to confirm you’re not a bot. Use --cookies-from-browser or --cookies for the authentication.", .loginRequired),
            ("ERROR: [youtube] abc: Join this channel to get access to members-only content like this video", .loginRequired),
            ("ERROR: [generic] x: Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name resolution>", .networkError),
            ("ERROR: [download] Got error: 40841 bytes read, 40842 more expected. Giving up after 1 retries", .networkError),
            ("ERROR: [youtube] abc: Unable to download API page: HTTP Error 503: Service Unavailable", .networkError),
            ("ERROR: [generic] x: Unable to download webpage: HTTP Error 404: Not Found (caused by <HTTPError 404: Not Found>)", .unavailable),
            ("ERROR: [download] x: Read timed out.", .timeout),
            ("ERROR: [generic] a1: Unable to download webpage: [Errno 2] No such file or directory: '/m/a1.mp4' (caused by TransportError(\"[Errno 2] No such file or directory: '/m/a1.mp4'\"))", .unavailable),
            ("ERROR: something new", .failed),
        ]
        for (message, status) in cases {
            XCTAssertEqual(DownloadClassifier.status(of: message), status, message)
        }
    }
}
