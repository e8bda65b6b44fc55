import Foundation
import JobControl
import LandmarkExtraction
import Pipeline

/// The video pipeline: `intake` (MS-ASL / WLASL metadata → manifest), `download` (yt-dlp),
/// `trim` (frame-accurate clips). Flag names follow the original Python scripts.
public enum PipelineCommands {
    public static var all: [CommandDefinition] { [intake, download, trim, merge] }

    /// `--shard I/N|auto`, shared by the heavy stages (download, trim, extract, prepare-alphabet).
    static let shardFlag = FlagSpec("shard", .string, "only slice I of N (I from 0) of the input, by video, balanced by clip length; "
                                    + "auto: I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, N from auto/N, ASLSH_SHARD_COUNT "
                                    + "or SLURM_ARRAY_TASK_COUNT. Writes NAME.shard-I-of-N.json (+ .state.json); `merge` joins them")

    /// The `--shard` value, or nil when not given.
    static func shard(_ call: Invocation) throws -> Shard? {
        guard let text = call.string("shard") else { return nil }
        do { return try Shard.parse(text) } catch { throw call.failure("\(error)") }
    }

    /// The manifest path a (possibly sharded) stage wrote, as given.
    static func writtenPath(_ call: Invocation, _ flag: String, _ shard: Shard?) -> Value {
        let path = call.string(flag)!
        return .path(shard.map { $0.filePath(path) } ?? path)
    }

    /// Progress + Ctrl-C for the pipeline's loop hooks (download reports from worker threads,
    /// one call at a time).
    final class Hooks: @unchecked Sendable {
        var reporter: ProgressReporter?
        var reported = 0
        let label: String, unit: String
        // Taken on the command's thread: download's workers do not see its job binding.
        let output: ProgressReporter.Output, cancellation = Cancellation.current
        init(_ label: String, unit: String, quiet: Bool) {
            self.label = label
            self.unit = unit
            output = .display(quiet: quiet)
        }
        var loopHooks: LoopHooks {
            LoopHooks(progress: { [self] done, total, _ in
                if reporter == nil { reporter = ProgressReporter(label: label, total: total, unit: unit, output: output) }
                if done > reported { try? reporter?.advance(by: done - reported); reported = done }
            }, isCancelled: { [cancellation] in cancellation.isRequested })
        }
        func finish() { reporter?.finish() }
    }

    /// Prints a stage's summary; its wall time (" in 4.5 s") moves to a volatile line of its own
    /// so a replayed session still checks the counts.
    static func summary(_ text: String, _ call: Invocation) {
        for line in text.splitLines() {
            let relative = LandmarkCommands.relative(line)
            if let range = relative.range(of: #" in [0-9]+(\.[0-9]+)? s\b"#, options: .regularExpression) {
                call.session.print(relative.replacingCharacters(in: range, with: ""))
                call.session.print("time:" + relative[range].dropFirst(3), volatile: true)
            } else {
                call.session.print(relative)
            }
        }
    }

    static let intake = CommandDefinition(
        "intake", summary: "MS-ASL / WLASL metadata → a normalised clip manifest",
        discussion: """
        Reads MSASL_{train,val,test}.json (+ MSASL_classes.json), WLASL_v0.3.json, or nslt_*.json
        (+ wlasl_class_list.txt). Malformed entries are skipped and counted by reason.
        example: m = intake data/raw/MSASL_val.json --max-classes 20 --clips-per-class 10 --out data/processed/manifest.json
        """,
        arguments: [ArgumentSpec("files", .path, "metadata JSON file(s)", variadic: true)],
        flags: [FlagSpec("out", .path, "manifest (JSON) to write", default: .path("data/processed/manifest.json"), aliases: ["output"]),
                FlagSpec("max-classes", .int, "keep the N most frequent classes", validate: FlagSpec.positive),
                FlagSpec("clips-per-class", .int, "balanced, seeded sample per class", validate: FlagSpec.positive),
                FlagSpec("seed", .int, "sampling seed", default: .int(0)),
                FlagSpec("format", .choice(MetadataFormat.allCases.map(\.rawValue)), "metadata format", default: .string("auto")),
                FlagSpec("classes", .path, "MSASL_classes.json or wlasl_class_list.txt"),
                FlagSpec("verbose", short: "v", .bool, "list every skipped entry")]
    ) { call in
        let files = call.list("files").compactMap(\.textValue).map { Invocation.resolvePath($0) }
        guard !files.isEmpty else { throw call.failure("no metadata file given", hint: "intake MSASL_val.json") }
        let options = IntakeOptions(inputs: files, output: call.url("out"), maxClasses: call.int("max-classes"),
                                    clipsPerClass: call.int("clips-per-class"), seed: UInt64(max(0, call.int("seed")!)),
                                    verbose: call.bool("verbose"), format: MetadataFormat(rawValue: call.string("format")!)!,
                                    classes: call.url("classes"))
        let result: IntakeResult
        do { result = try Intake.run(options) } catch { throw call.failure("\(error)") }
        summary(result.description, call)
        return .record(Record([(key: "manifest", value: .path(call.string("out")!)),
                               (key: "clips", value: .int(result.records.count)),
                               (key: "classes", value: .int(result.classCount))]))
    }

    static let download = CommandDefinition(
        "download", summary: "download each distinct video of a manifest with yt-dlp",
        discussion: """
        One download per distinct video, bounded concurrency, retries with backoff; per-video
        status (ok, unavailable, private, geo_blocked, login_required, network_error, timeout).
        example: download data/processed/manifest.json --videos data/raw/videos --out data/processed/manifest_downloaded.json --resume
        """,
        arguments: [ArgumentSpec("manifest", .path, "clip manifest from intake")],
        flags: [FlagSpec("out", .path, "manifest to write (the clips with their downloaded video's path and status)",
                         default: .path("data/processed/manifest_downloaded.json"), aliases: ["output-manifest"]),
                FlagSpec("videos", .path, "folder the videos are downloaded to", default: .path("data/raw/videos"),
                         aliases: ["download-root"], writes: true),
                FlagSpec("concurrency", .int, "parallel downloads", default: .int(4), validate: FlagSpec.positive),
                FlagSpec("format", .string, "yt-dlp format selector", default: .string("best[ext=mp4]/best")),
                FlagSpec("resume", .bool, "skip finished files, finish partial ones"),
                FlagSpec("overwrite", .bool, "download again even when present"),
                FlagSpec("dry-run", .bool, "plan only"),
                FlagSpec("sample", .int, "only the first N videos", validate: FlagSpec.positive),
                FlagSpec("retries", .int, "retries for transient errors", default: .int(3), validate: FlagSpec.nonNegative),
                FlagSpec("mirror", .string, "fetch videos from a copy instead of their URLs: a URL prefix (ID.mp4 is "
                         + "appended), a template with {id}, or a local folder"),
                FlagSpec("backoff", .number, "seconds before the first retry, doubled for each next one", default: .number(2),
                         validate: FlagSpec.nonNegative),
                FlagSpec("sleep-requests", .number, "seconds yt-dlp waits between its requests (its --sleep-requests): "
                         + "slower, but less likely to be rate-limited", validate: FlagSpec.nonNegative),
                FlagSpec("sleep-interval", .number, "seconds yt-dlp waits before each download (its --sleep-interval)",
                         validate: FlagSpec.nonNegative),
                shardFlag,
                FlagSpec("quiet", short: "q", .bool, "no progress display")]
    ) { call in
        var options = DownloadOptions(manifest: call.url("manifest")!, downloadRoot: call.url("videos")!)
        options.shard = try shard(call)
        options.backoff = call.number("backoff")!
        if let s = call.number("sleep-requests") { options.extraArguments += ["--sleep-requests", String(s)] }
        if let s = call.number("sleep-interval") { options.extraArguments += ["--sleep-interval", String(s)] }
        options.concurrency = call.int("concurrency")!
        options.format = call.string("format")!
        options.resume = call.bool("resume")
        options.overwrite = call.bool("overwrite")
        options.dryRun = call.bool("dry-run")
        options.sample = call.int("sample")
        options.outputManifest = call.url("out")
        options.retries = call.int("retries")!
        options.mirror = call.string("mirror").map { Mirror($0) }
        let hooks = Hooks("download", unit: "videos", quiet: call.bool("quiet"))
        defer { hooks.finish() }
        let result: DownloadResult
        do { result = try Download.run(options, hooks: hooks.loopHooks) } catch { throw call.failure("\(error)") }
        summary(result.description, call)
        if result.cancelled { throw CancelledError() }
        // Every video failed (none downloaded, none kept or planned): the command fails.
        let failed = result.videos.values.filter { ![.ok, .planned, .skipped].contains($0.status) }.count
        if failed > 0, failed == result.videos.count {
            throw call.failure("all \(failed) videos failed; their reasons are listed above and in \(LandmarkCommands.relative(result.outputManifest?.path ?? "the manifest"))")
        }
        var counts = Record()
        for (status, n) in result.statusCounts.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { counts[status.rawValue] = .int(n) }
        return .record(Record([(key: "manifest", value: writtenPath(call, "out", options.shard)),
                               (key: "videos", value: .record(counts))]))
    }

    static let trim = CommandDefinition(
        "trim", summary: "cut each clip from its video, frame-accurately, by the file's own timestamps",
        discussion: """
        Re-encodes to H.264 MP4 (or --stream-copy for fast keyframe-aligned cuts). A corrupt,
        truncated or missing video fails that clip with the reason; the run goes on.
        example: trim data/processed/manifest_downloaded.json --videos data/raw/videos --clips data/processed/clips --out data/processed/manifest_trimmed.json --resume
        """,
        arguments: [ArgumentSpec("manifest", .path, "manifest from download (or intake)")],
        flags: [FlagSpec("out", .path, "manifest to write (the clips with their trimmed file)",
                         default: .path("data/processed/manifest_trimmed.json"), aliases: ["output-manifest"]),
                FlagSpec("clips", .path, "folder the trimmed clips are written to", default: .path("data/processed/clips"),
                         aliases: ["trim-root"], writes: true),
                FlagSpec("videos", .path, "folder of downloaded videos (download's --videos)", default: .path("data/raw/videos"),
                         aliases: ["raw-root"]),
                FlagSpec("resume", .bool, "keep clips already cut"),
                FlagSpec("overwrite", .bool, "cut again even when present"),
                FlagSpec("dry-run", .bool, "plan only"),
                FlagSpec("sample", .int, "only the first N clips", validate: FlagSpec.positive),
                FlagSpec("stream-copy", .bool, "no re-encode: fast, starts at the keyframe before the span"),
                shardFlag,
                FlagSpec("quiet", short: "q", .bool, "no progress display")]
    ) { call in
        var options = TrimOptions(manifest: call.url("manifest")!, trimRoot: call.url("clips")!, rawRoot: call.url("videos")!,
                                  resume: call.bool("resume"), overwrite: call.bool("overwrite"), dryRun: call.bool("dry-run"),
                                  sample: call.int("sample"), outputManifest: call.url("out"),
                                  streamCopy: call.bool("stream-copy"))
        options.shard = try shard(call)
        let hooks = Hooks("trim", unit: "clips", quiet: call.bool("quiet"))
        defer { hooks.finish() }
        let result: TrimResult
        do { result = try Trim.run(options, hooks: hooks.loopHooks) } catch { throw call.failure("\(error)") }
        summary(result.description, call)
        if result.cancelled { throw CancelledError() }
        // Every clip failed (none cut or kept): the command fails; some failed: the summary counts them.
        if result.failed > 0, result.written + result.reused == 0 {
            throw call.failure("all \(result.failed) clips failed (first: \(result.failures.first.map { "\($0.clip): \(LandmarkCommands.relative($0.message))" } ?? "?"))")
        }
        return .record(Record([(key: "manifest", value: writtenPath(call, "out", options.shard)),
                               (key: "written", value: .int(result.written)), (key: "reused", value: .int(result.reused)),
                               (key: "failed", value: .int(result.failed))]))
    }

    static let merge = CommandDefinition(
        "merge", summary: "join the shard manifests of a stage run with --shard into the one manifest",
        discussion: """
        MANIFEST is the manifest the unsharded run would write (the stage's --out, or extract's
        --manifest); its shards NAME.shard-I-of-N.json and their .state.json files are found beside
        it. Every input record must appear exactly once: a missing, unfinished or killed shard,
        shards of another count or another input, an edited shard manifest — each is refused,
        naming the shard and what to do. Records come out in input order, so the result is the
        unsharded run's manifest byte for byte; the per-status and per-class counts are summed.
        example: merge data/processed/manifest_trimmed.json
        example: merge data/processed/landmarks/landmarks_manifest.json
        """,
        arguments: [ArgumentSpec("manifest", .path, "the manifest to make from its shards")],
        flags: [FlagSpec("out", .path, "where to write it [default: MANIFEST]")]
    ) { call in
        let result: ShardMerge.Result
        do { result = try ShardMerge.run(manifest: call.url("manifest")!, output: call.url("out")) } catch {
            throw call.failure("\(error)")
        }
        summary(result.description, call)
        return .record(Record([(key: "manifest", value: .path(call.string("out") ?? call.string("manifest")!)),
                               (key: "stage", value: .string(result.stage)),
                               (key: "shards", value: .int(result.shards)),
                               (key: "records", value: .int(result.records))]))
    }
}
