import Foundation
import Media
import TensorCore

/// `download MANIFEST --concurrency --format --resume --overwrite --dry-run --sample
/// --output-manifest --download-root` (+ `--retries --timeout --yt-dlp`).
public struct DownloadOptions: Sendable {
    public var manifest: URL
    /// Videos land in `<download-root>/<video id>.<ext>`.
    public var downloadRoot: URL
    /// Parallel yt-dlp processes.
    public var concurrency: Int
    /// yt-dlp format selector (`-f`).
    public var format: String
    /// Skip videos already downloaded; continue partial ones (yt-dlp `--continue`).
    public var resume: Bool
    /// Download again even when the video exists.
    public var overwrite: Bool
    public var dryRun: Bool
    /// Only the first N distinct videos (with all their clips).
    public var sample: Int?
    /// Defaults to `manifest_downloaded.json` beside the input manifest.
    public var outputManifest: URL?
    /// Further attempts after a transient failure (network error, timeout), with exponential backoff.
    public var retries: Int
    /// Seconds before an attempt (yt-dlp process) is killed and counted as a timeout.
    public var timeout: Double
    /// Seconds yt-dlp waits on a silent connection before giving up (`--socket-timeout`).
    public var socketTimeout: Double
    /// First backoff delay in seconds (doubled per retry).
    public var backoff: Double
    /// The yt-dlp executable (name on PATH or a path).
    public var ytDLP: String
    /// Extra arguments passed to yt-dlp before the URL (e.g. `--cookies FILE`).
    public var extraArguments: [String]
    /// Fetch every video from a mirror instead of the manifest's URL (`Mirror`).
    public var mirror: Mirror?
    /// Only this shard's videos (`--shard I/N`): the manifest is written with `.shard-I-of-N`
    /// in its name, beside a state file for `merge`.
    public var shard: Shard?

    public init(manifest: URL, downloadRoot: URL, concurrency: Int = 4, format: String = "best[ext=mp4]/best",
                resume: Bool = false, overwrite: Bool = false, dryRun: Bool = false, sample: Int? = nil,
                outputManifest: URL? = nil, retries: Int = 3, timeout: Double = 600, socketTimeout: Double = 30,
                backoff: Double = 2,
                ytDLP: String = "yt-dlp", extraArguments: [String] = []) {
        self.manifest = manifest
        self.downloadRoot = downloadRoot
        self.concurrency = concurrency
        self.format = format
        self.resume = resume
        self.overwrite = overwrite
        self.dryRun = dryRun
        self.sample = sample
        self.outputManifest = outputManifest
        self.retries = retries
        self.timeout = timeout
        self.socketTimeout = socketTimeout
        self.backoff = backoff
        self.ytDLP = ytDLP
        self.extraArguments = extraArguments
    }
}

public struct DownloadResult: CustomStringConvertible, Sendable {
    public var records: [ClipRecord]
    /// Per distinct video id.
    public var videos: [String: DownloadOutcome]
    public var cancelled: Bool
    public var seconds: Double
    public var outputManifest: URL?

    public var statusCounts: [DownloadStatus: Int] {
        videos.values.reduce(into: [:]) { $0[$1.status, default: 0] += 1 }
    }

    /// Whether a clip's video is on disk: downloaded now, or already there (`skipped` keeps the
    /// existing file, which trim then uses).
    static func hasVideo(_ record: ClipRecord) -> Bool {
        guard let download = record.download else { return false }
        return download.status == .ok || (download.status == .skipped && download.path != nil)
    }

    /// Per class: (clips whose video is available, clips).
    public var coverage: [String: (available: Int, total: Int)] {
        var result: [String: (available: Int, total: Int)] = [:]
        for r in records {
            var entry = result[r.label] ?? (0, 0)
            entry.total += 1
            if Self.hasVideo(r) { entry.available += 1 }
            result[r.label] = entry
        }
        return result
    }

    public var description: String {
        let counts = statusCounts
        let parts = DownloadStatus.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
        let available = records.filter(Self.hasVideo).count
        var lines = [String(format: "download: %d videos (%@) in %.1f s", videos.count, parts.joined(separator: ", "), seconds),
                     String(format: "coverage: %d of %d clips (%.1f%%) have their video", available, records.count,
                            records.isEmpty ? 0 : 100 * Double(available) / Double(records.count))]
        let worst = coverage.sorted {
            let a = Double($0.value.available) / Double($0.value.total), b = Double($1.value.available) / Double($1.value.total)
            return a != b ? a < b : $0.key < $1.key
        }
        if !worst.isEmpty {
            lines.append("per class (lowest coverage first):")
            for (label, c) in worst.prefix(15) { lines.append("  \(label): \(c.available)/\(c.total)") }
            if worst.count > 15 { lines.append("  … \(worst.count - 15) more classes") }
        }
        let failures = videos.filter { $0.value.status != .ok && $0.value.status != .planned }.sorted { $0.key < $1.key }
        for (id, outcome) in failures.prefix(20) {
            lines.append("  \(outcome.status.rawValue) \(id): \(outcome.message ?? "")")
        }
        if cancelled { lines.append("cancelled: the remaining videos were not attempted") }
        if let outputManifest { lines.append("wrote \(outputManifest.path)") }
        return lines.joined(separator: "\n")
    }
}

public enum Download {
    public static func run(_ options: DownloadOptions, hooks: LoopHooks = .none) throws -> DownloadResult {
        guard options.concurrency >= 1 else {
            throw PipelineError.invalidOption(flag: "--concurrency", message: "must be at least 1, got \(options.concurrency)")
        }
        if options.resume && options.overwrite {
            throw PipelineError.invalidOption(flag: "--resume/--overwrite", message: "choose one")
        }
        if let n = options.sample, n <= 0 { throw PipelineError.invalidOption(flag: "--sample", message: "must be positive, got \(n)") }
        try ShardRun.checkNoSample(options.shard, options.sample)
        let started = Date()
        let input = options.shard?.input(options.manifest) ?? options.manifest
        var records = try Manifest.read(input)
        var outputURL = outputManifestURL(options)
        let shardRun = try ShardRun.selectIfSharded(&records, from: input, shard: options.shard, stage: "download",
                                                    output: &outputURL)
        if let shardRun, !options.dryRun, shardRun.finishedEarlier(resume: options.resume) {
            let kept = try Manifest.read(outputURL)
            var videos: [String: DownloadOutcome] = [:]
            for r in kept { if let d = r.download { videos[r.videoID] = d } }
            return DownloadResult(records: kept, videos: videos, cancelled: false,
                                  seconds: Date().timeIntervalSince(started), outputManifest: outputURL)
        }
        if !options.dryRun {
            // Fail before any download when the videos or the manifest cannot be written.
            do { try OutputFile.makeFolder(options.downloadRoot) } catch let problem as FileProblem { throw PipelineError.file(problem) }
            OutputFile.removeStaleTemporaries(in: outputURL.deletingLastPathComponent())
            try Manifest.checkWritable(outputURL)
            try shardRun?.begin()
        }

        // One download per distinct video, in first-appearance order.
        var order: [String] = []
        var seen: Set<String> = []
        var urls: [String: String] = [:]
        for r in records {
            if seen.insert(r.videoID).inserted { order.append(r.videoID) }
            if urls[r.videoID] == nil, let url = options.mirror?.url(for: r.videoID) ?? r.url { urls[r.videoID] = url }
        }
        if let n = options.sample {
            order = Array(order.prefix(n))
            let kept = Set(order)
            records = records.filter { kept.contains($0.videoID) }
        }
        guard let executable = YTDLP.locate(options.ytDLP) else {
            throw PipelineError.toolMissing(tool: options.ytDLP, message: "install it with `python3 -m pip install yt-dlp` (scripts/setup.sh does)")
        }

        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            var done = 0
            var outcomes: [String: DownloadOutcome] = [:]
            var cancelled = false
        }
        let shared = Shared()
        let videoOrder = order, videoURLs = urls
        let group = DispatchGroup()
        for _ in 0..<min(options.concurrency, max(order.count, 1)) {
            group.enter()
            Thread {
                defer { group.leave() }
                while true {
                    shared.lock.lock()
                    if shared.cancelled || shared.next >= videoOrder.count { shared.lock.unlock(); return }
                    let id = videoOrder[shared.next]
                    shared.next += 1
                    shared.lock.unlock()
                    if hooks.isCancelled() {
                        shared.lock.lock(); shared.cancelled = true; shared.lock.unlock()
                        return
                    }
                    guard let outcome = downloadOne(id: id, url: videoURLs[id], executable: executable, options: options,
                                                    isCancelled: hooks.isCancelled) else {
                        shared.lock.lock(); shared.cancelled = true; shared.lock.unlock()
                        return
                    }
                    // Progress is reported under the lock: calls never overlap, `done` only grows.
                    shared.lock.lock()
                    shared.outcomes[id] = outcome
                    shared.done += 1
                    hooks.progress(shared.done, videoOrder.count, id)
                    shared.lock.unlock()
                }
            }.start()
        }
        group.wait()

        for i in records.indices { records[i].download = shared.outcomes[records[i].videoID] }
        var manifestURL: URL? = nil
        if !options.dryRun {
            try Manifest.write(records, to: outputURL)
            manifestURL = outputURL
            if !shared.cancelled { try shardRun?.finish() }
        }
        return DownloadResult(records: records, videos: shared.outcomes, cancelled: shared.cancelled,
                              seconds: Date().timeIntervalSince(started), outputManifest: manifestURL)
    }

    static func outputManifestURL(_ options: DownloadOptions) -> URL {
        options.outputManifest ?? options.manifest.deletingLastPathComponent().appendingPathComponent("manifest_downloaded.json")
    }

    /// The finished file for a video id, if any (`<root>/<id>.<video ext>`).
    public static func existingVideo(id: String, root: URL) -> URL? {
        for ext in Trim.videoExtensions {
            let url = root.appendingPathComponent("\(safeFileName(id)).\(ext)")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return nil
    }

    /// Where yt-dlp works on a video (its `.part` files stay here between runs for `--resume`).
    static func workDirectory(id: String, root: URL) -> URL {
        root.appendingPathComponent(".partial").appendingPathComponent(safeFileName(id))
    }

    /// Downloads one video with retries; nil when cancelled mid-way.
    static func downloadOne(id: String, url: String?, executable: URL, options: DownloadOptions,
                            isCancelled: () -> Bool) -> DownloadOutcome? {
        let fm = FileManager.default
        guard let url else { return DownloadOutcome(status: .noURL, path: nil, message: "the manifest has no URL", attempts: 0) }
        // Only an address with a scheme reaches yt-dlp: a hand-edited manifest's `-o x` or
        // `--exec …` is refused here (and would still follow `--` in yt-dlp's arguments).
        guard url.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression) != nil else {
            return DownloadOutcome(status: .failed, path: nil, message: "not a URL (no scheme): '\(url)'", attempts: 0)
        }
        if let existing = existingVideo(id: id, root: options.downloadRoot), !options.dryRun,
           notAVideo(existing) != nil, options.resume || options.overwrite {
            // An empty file or an error page left by an earlier tool is not a download to keep.
            try? fm.removeItem(at: existing)
        }
        if let existing = existingVideo(id: id, root: options.downloadRoot) {
            if options.resume {
                return DownloadOutcome(status: .ok, path: existing.path, message: "already downloaded (--resume)", attempts: 0)
            }
            if !options.overwrite {
                return DownloadOutcome(status: .skipped, path: existing.path,
                                       message: "file exists (pass --resume to keep it or --overwrite to replace it)", attempts: 0)
            }
        }
        if options.dryRun {
            return DownloadOutcome(status: .planned, path: nil, message: url, attempts: 0)
        }
        let work = workDirectory(id: id, root: options.downloadRoot)
        if !options.resume { try? fm.removeItem(at: work) }
        do { try OutputFile.makeFolder(work) } catch {
            return DownloadOutcome(status: .failed, path: nil, message: FileProblem.writing(work.path, error: error).description, attempts: 0)
        }
        let arguments = ytDLPArguments(url: url, output: work.appendingPathComponent("\(safeFileName(id)).%(ext)s"),
                                       options: options)
        var attempt = 0
        var last = DownloadOutcome(status: .failed, path: nil, message: nil, attempts: 0)
        while attempt <= options.retries {
            if attempt > 0 {
                // Exponential backoff before a retry, cancellable.
                let until = Date().addingTimeInterval(options.backoff * pow(2, Double(attempt - 1)))
                while Date() < until { if isCancelled() { return nil }; usleep(50_000) }
            }
            attempt += 1
            let run: YTDLP.Run
            do {
                run = try YTDLP.run(executable, arguments, timeout: options.timeout, isCancelled: isCancelled)
            } catch {
                return DownloadOutcome(status: .failed, path: nil,
                                       message: "cannot run \(executable.path): \(FileProblem.reading(executable.path, error: error).reason)",
                                       attempts: attempt)
            }
            if run.cancelled { return nil }
            if run.timedOut {
                last = DownloadOutcome(status: .timeout, path: nil,
                                       message: "yt-dlp killed after \(options.timeout) s" + (YTDLP.errorMessage(run.stderr).isEmpty ? "" : ": " + YTDLP.errorMessage(run.stderr)),
                                       attempts: attempt)
                continue
            }
            if run.exitStatus == 0, let produced = finishedFile(in: work), let problem = notAVideo(produced) {
                try? fm.removeItem(at: work)
                return DownloadOutcome(status: .notVideo, path: nil, message: problem, attempts: attempt)
            }
            if run.exitStatus == 0, let produced = finishedFile(in: work) {
                let final = options.downloadRoot.appendingPathComponent(produced.lastPathComponent)
                if options.overwrite, let existing = existingVideo(id: id, root: options.downloadRoot) { try? fm.removeItem(at: existing) }
                guard OutputFile.commit(produced, to: final) == 0 else {
                    return DownloadOutcome(status: .failed, path: nil, message: FileProblem.writing(final.path, errno: errno).description, attempts: attempt)
                }
                try? fm.removeItem(at: work)
                return DownloadOutcome(status: .ok, path: final.path, message: nil, attempts: attempt)
            }
            let message = YTDLP.errorMessage(run.stderr)
            let status = run.exitStatus == 0 ? DownloadStatus.failed : YTDLP.classify(message)
            last = DownloadOutcome(status: status, path: nil,
                                   message: message.isEmpty ? "yt-dlp exited \(run.exitStatus) without a file" : message,
                                   attempts: attempt)
            if !status.isTransient { break }
        }
        return last
    }

    /// yt-dlp's arguments for one video: options first, then `--` and the URL, so that a URL
    /// can never be read as an option whatever it starts with.
    static func ytDLPArguments(url: String, output: URL, options: DownloadOptions) -> [String] {
        ["--no-playlist", "--no-progress", "--no-color", "--no-cache-dir", "--continue",
         "--retries", "1", "--fragment-retries", "1",
         "--socket-timeout", String(max(1, options.socketTimeout)),
         "-f", options.format, "-o", output.path]
            + (url.hasPrefix("file:") ? ["--enable-file-urls"] : []) + options.extraArguments + ["--", url]
    }

    /// Why a downloaded file is not a video — "empty file (0 bytes)", "an HTML page, not a video",
    /// or the reader's reason ("no video stream", "not a valid video …") — or nil when FFmpeg
    /// opens a video stream in it. Servers answer a missing video with an error page under the
    /// video's name and a 200 status, which yt-dlp saves as if it were the video.
    public static func notAVideo(_ file: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return "cannot read the file" }
        let head = (try? handle.read(upToCount: 512)) ?? Data()
        try? handle.close()
        if head.isEmpty { return "empty file (0 bytes)" }
        let text = String(decoding: head.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if text.hasPrefix("<!doctype html") || text.hasPrefix("<html") || text.hasPrefix("<?xml") || text.hasPrefix("<head") {
            return "an HTML page, not a video"
        }
        do { _ = try VideoReader(url: file) } catch let error as MediaError {
            return error.kind == .noVideoStream ? "no video stream (audio only?)" : "not a video: \(error.message)"
        } catch { return "not a video: \(error)" }
        return nil
    }

    /// The completed file yt-dlp left in its work directory (not a `.part`/`.ytdl` leftover).
    static func finishedFile(in work: URL) -> URL? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []
        return names.filter { !$0.hasSuffix(".part") && !$0.hasSuffix(".ytdl") && !$0.hasPrefix(".") && !$0.contains(".part-Frag") }
            .sorted().first.map { work.appendingPathComponent($0) }
    }
}

/// Where videos come from when not from their own URLs: a lab's copy of a dataset on a web server
/// or a shared disk. A URL prefix (`https://host/msasl`) gets `/<video id>.mp4` appended; a
/// template with `{id}` (`https://host/v/{id}.webm`) has the id put in; a local folder becomes
/// `file://` URLs, which yt-dlp reads with `--enable-file-urls`. Ids are the file-safe ones the
/// downloads are saved under.
public struct Mirror: Sendable, Equatable {
    public let base: String

    /// `text` is a URL (with a scheme), a template or a folder (resolved against `relativeTo`).
    public init(_ text: String, relativeTo folder: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
        if text.contains("://") {
            base = text
        } else {
            let path = URL(fileURLWithPath: (text as NSString).expandingTildeInPath, relativeTo: folder).standardizedFileURL.path
            base = URL(fileURLWithPath: path).absoluteString
        }
    }

    public func url(for videoID: String) -> String {
        let id = safeFileName(videoID).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? safeFileName(videoID)
        if base.contains("{id}") { return base.replacingOccurrences(of: "{id}", with: id) }
        return (base.hasSuffix("/") ? base : base + "/") + id + ".mp4"
    }
}
