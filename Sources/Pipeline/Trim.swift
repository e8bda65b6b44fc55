import Foundation
import TensorCore
import Media

/// `trim MANIFEST --trim-root --raw-root --resume --overwrite --dry-run --sample --output-manifest
/// --stream-copy`.
public struct TrimOptions: Sendable {
    public var manifest: URL
    /// Where clips are written, as `<trim-root>/<clip id>.mp4`.
    public var trimRoot: URL
    /// Where source videos are looked up, as `<raw-root>/<video id>.<ext>`; a record's
    /// `download.path` is used when no such file exists.
    public var rawRoot: URL
    /// Keep clips whose output already exists and probes as a valid video.
    public var resume: Bool
    /// Re-cut clips whose output already exists.
    public var overwrite: Bool
    /// Plan only: check inputs, write nothing.
    public var dryRun: Bool
    /// Process only the first N clips.
    public var sample: Int?
    /// Defaults to `manifest_trimmed.json` beside the input manifest.
    public var outputManifest: URL?
    /// Copy packets from the keyframe before the start instead of re-encoding (fast, not exact).
    public var streamCopy: Bool
    public var encoder: EncoderOptions
    /// Only this shard's videos (`--shard I/N`): the manifest is written with `.shard-I-of-N`
    /// in its name, beside a state file for `merge`.
    public var shard: Shard?

    public init(manifest: URL, trimRoot: URL, rawRoot: URL, resume: Bool = false, overwrite: Bool = false,
                dryRun: Bool = false, sample: Int? = nil, outputManifest: URL? = nil, streamCopy: Bool = false,
                encoder: EncoderOptions = EncoderOptions()) {
        self.manifest = manifest
        self.trimRoot = trimRoot
        self.rawRoot = rawRoot
        self.resume = resume
        self.overwrite = overwrite
        self.dryRun = dryRun
        self.sample = sample
        self.outputManifest = outputManifest
        self.streamCopy = streamCopy
        self.encoder = encoder
    }
}

public struct TrimResult: CustomStringConvertible, Sendable {
    public var records: [ClipRecord]
    public var written: Int
    public var reused: Int
    public var planned: Int
    public var failed: Int
    public var cancelled: Bool
    public var seconds: Double
    public var outputManifest: URL?

    public var failures: [(clip: String, message: String)] {
        records.compactMap { r in r.trim?.status == "failed" ? (r.clipID, r.trim?.message ?? "") : nil }
    }

    public var description: String {
        let frames = records.compactMap { $0.trim?.status == "ok" ? $0.trim?.frames : nil }.reduce(0, +)
        var lines = [String(format: "trim: %d cut, %d kept (resume), %d failed%@ — %d frames in %.1f s",
                            written, reused, failed, planned > 0 ? ", \(planned) planned (dry run)" : "",
                            frames, seconds)]
        if cancelled { lines.append("cancelled: the remaining clips were not processed") }
        for failure in failures.prefix(20) { lines.append("  failed \(failure.clip): \(failure.message)") }
        if failures.count > 20 { lines.append("  … \(failures.count - 20) more failures in the manifest") }
        if let outputManifest { lines.append("wrote \(outputManifest.path)") }
        return lines.joined(separator: "\n")
    }
}

public enum Trim {
    /// `swf`: WLASL links Flash files, which FFmpeg's swf demuxer reads when they embed video.
    public static let videoExtensions = ["mp4", "mkv", "webm", "mov", "avi", "flv", "m4v", "swf"]

    public static func run(_ options: TrimOptions, hooks: LoopHooks = .none) throws -> TrimResult {
        if options.resume && options.overwrite {
            throw PipelineError.invalidOption(flag: "--resume/--overwrite", message: "choose one")
        }
        if let n = options.sample, n <= 0 { throw PipelineError.invalidOption(flag: "--sample", message: "must be positive, got \(n)") }
        try ShardRun.checkNoSample(options.shard, options.sample)
        let started = Date()
        let input = options.shard?.input(options.manifest) ?? options.manifest
        var records = try Manifest.read(input)
        if let n = options.sample { records = Array(records.prefix(n)) }
        var manifestURL = options.outputManifest
            ?? options.manifest.deletingLastPathComponent().appendingPathComponent("manifest_trimmed.json")
        let shardRun = try ShardRun.selectIfSharded(&records, from: input, shard: options.shard, stage: "trim",
                                                    output: &manifestURL)
        if let shardRun, !options.dryRun, shardRun.finishedEarlier(resume: options.resume) {
            let kept = try Manifest.read(manifestURL)
            let ok = kept.filter { $0.trim?.status == "ok" }.count
            return TrimResult(records: kept, written: 0, reused: ok, planned: 0, failed: kept.count - ok, cancelled: false,
                              seconds: Date().timeIntervalSince(started), outputManifest: manifestURL)
        }
        if !options.dryRun {
            // Fail before cutting anything when the clips' folder or the manifest cannot be written.
            do { try OutputFile.makeFolder(options.trimRoot) } catch let problem as FileProblem { throw PipelineError.file(problem) }
            // A killed run's half-written clips and manifest (temporary names) are not wanted.
            OutputFile.removeStaleTemporaries(in: options.trimRoot)
            OutputFile.removeStaleTemporaries(in: manifestURL.deletingLastPathComponent())
            try Manifest.checkWritable(manifestURL)
            try shardRun?.begin()
        }
        var counts = (written: 0, reused: 0, planned: 0, failed: 0)
        var cancelled = false
        // Ids are made file-safe (`safeFileName`), which can map two ids to one name (`a/b`,
        // `a_b`): the second clip fails instead of overwriting the first one's file.
        var outputOwners: [String: String] = [:]
        for index in records.indices {
            if hooks.isCancelled() { cancelled = true; break }
            let output = clipURL(for: records[index], trimRoot: options.trimRoot)
            if let owner = outputOwners[output.path], owner != records[index].clipID {
                records[index].trim = TrimOutcome(status: "failed", path: nil,
                                                  message: "clip id '\(records[index].clipID)' has the same file name as clip '\(owner)' (\(output.lastPathComponent))",
                                                  requestedStart: records[index].startTime, requestedEnd: records[index].endTime,
                                                  span: TrimOutcome.endExclusive)
                counts.failed += 1
                hooks.progress(index + 1, records.count, records[index].clipID)
                continue
            }
            outputOwners[output.path] = records[index].clipID
            let outcome = trimOne(records[index], options: options, hooks: hooks)
            switch outcome.kind {
            case .written: counts.written += 1
            case .reused: counts.reused += 1
            case .planned: counts.planned += 1
            case .failed: counts.failed += 1
            case .cancelled: cancelled = true
            }
            if cancelled { break }
            records[index].trim = outcome.trim
            fillPixelBox(&records[index])
            hooks.progress(index + 1, records.count, records[index].clipID)
        }
        if !options.dryRun {
            try Manifest.write(records, to: manifestURL)
            if !cancelled { try shardRun?.finish() }
        }
        return TrimResult(records: records, written: counts.written, reused: counts.reused, planned: counts.planned,
                          failed: counts.failed, cancelled: cancelled, seconds: Date().timeIntervalSince(started),
                          outputManifest: options.dryRun ? nil : manifestURL)
    }

    /// The source video for a record: `<raw-root>/<video id>.<ext>`, else its `download.path`.
    public static func sourceVideo(for record: ClipRecord, rawRoot: URL) -> URL? {
        let fm = FileManager.default
        let stem = safeFileName(record.videoID)
        for ext in videoExtensions {
            let url = rawRoot.appendingPathComponent("\(stem).\(ext)")
            if fm.fileExists(atPath: url.path) { return url }
        }
        if let path = record.download?.path, fm.fileExists(atPath: path) { return URL(fileURLWithPath: path) }
        return nil
    }

    public static func clipURL(for record: ClipRecord, trimRoot: URL) -> URL {
        trimRoot.appendingPathComponent("\(safeFileName(record.clipID)).mp4")
    }

    enum Kind { case written, reused, planned, failed, cancelled }

    static func trimOne(_ record: ClipRecord, options: TrimOptions, hooks: LoopHooks) -> (kind: Kind, trim: TrimOutcome) {
        let output = clipURL(for: record, trimRoot: options.trimRoot)
        var trim = TrimOutcome(status: "failed", path: output.path, message: nil, duration: nil, frames: nil, fps: nil,
                               width: nil, height: nil, requestedStart: record.startTime, requestedEnd: record.endTime,
                               span: TrimOutcome.endExclusive)
        guard let source = sourceVideo(for: record, rawRoot: options.rawRoot) else {
            trim.message = "no source video \(safeFileName(record.videoID)).{\(videoExtensions.joined(separator: ","))} in \(options.rawRoot.path)"
                + (record.download.map { " (download: \($0.status.rawValue))" } ?? "")
            return (.failed, trim)
        }
        let exists = FileManager.default.fileExists(atPath: output.path)
        if exists && options.resume, let facts = try? VideoFileFacts(probing: output), facts.frameCount > 0 {
            store(facts, into: &trim)
            trim.message = "kept existing clip (--resume)"
            return (.reused, trim)
        }
        if exists && !options.resume && !options.overwrite {
            trim.message = "output exists (pass --resume to keep it or --overwrite to replace it)"
            return (.failed, trim)
        }
        if let problem = Download.notAVideo(source) {
            trim.message = "\(source.path): \(problem)"
            return (.failed, trim)
        }
        if options.dryRun {
            trim.status = "planned"
            trim.message = "from \(source.path)"
            return (.planned, trim)
        }
        do {
            let facts: VideoFileFacts
            if options.streamCopy {
                facts = try VideoSegment.copy(from: source, to: output, start: record.startTime, end: record.endTime)
            } else {
                facts = try VideoSegment.encode(from: source, to: output, start: record.startTime, end: record.endTime,
                                                options: options.encoder, isCancelled: hooks.isCancelled)
            }
            store(facts, into: &trim)
            return (.written, trim)
        } catch let error as MediaError where error.kind == .cancelled {
            return (.cancelled, trim)
        } catch {
            trim.message = "\(error)"
            return (.failed, trim)
        }
    }

    private static func store(_ facts: VideoFileFacts, into trim: inout TrimOutcome) {
        trim.status = "ok"
        trim.duration = facts.duration
        trim.frames = facts.frameCount
        trim.fps = facts.frameRate.description
        trim.width = facts.width
        trim.height = facts.height
    }

    /// WLASL boxes are pixels of the source video; once the real frame size is known, the
    /// normalised `bbox` can be filled in.
    private static func fillPixelBox(_ record: inout ClipRecord) {
        guard record.bbox == nil, let w = record.trim?.width, let h = record.trim?.height, w > 0, h > 0,
              let box = record.metadata["bbox"]?.array?.compactMap({ $0.number }), box.count == 4 else { return }
        record.bbox = [box[0] / Double(w), box[1] / Double(h), box[2] / Double(w), box[3] / Double(h)]
            .map { min(max($0, 0), 1) }
    }
}
