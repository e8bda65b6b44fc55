import Datasets
import Foundation
import Hands
import Media
import Pipeline
import TensorCore

/// Which hand a frame's landmarks come from when the tracker finds several.
public enum HandSelection: String, CaseIterable, Sendable {
    /// The hand with the largest ROI (the most prominent one) — the default.
    case largest
    /// MediaPipe's first hand (its output order).
    case first
    /// MediaPipe's "Left" / "Right" label. MediaPipe assumes a mirrored image, so on ordinary
    /// (un-mirrored) video "Left" is the signer's right hand.
    case left, right
    /// Both hands, the signer's left then right (`FrameLayout.bothHands`, 42 points a frame; the
    /// layout of `import frame-npy --hand both`); a frame has a hand when either is found. The
    /// tracker must look for two hands (`--hands 2`).
    case both

    /// What a frame holds under this rule.
    public var layout: FrameLayout { self == .both ? .bothHands : .hand }

    /// The hand this rule picks from the tracker's output (nil when none qualifies); for `both`,
    /// the largest, which the metadata (handedness, recovery) describes.
    public func choose(_ hands: [TrackedHand]) -> TrackedHand? {
        switch self {
        case .first: return hands.first
        case .largest, .both: return hands.max { $0.roi.width * $0.roi.height < $1.roi.width * $1.roi.height }
        case .left: return hands.first { $0.handedness.label == "Left" }
        case .right: return hands.first { $0.handedness.label == "Right" }
        }
    }

    /// The frame stored for the tracker's output: the chosen hand's 63 values (the subject's left
    /// mirrored when `mirrorLeft`), or for `both` the signer's left hand then right hand (the
    /// largest of each side; zeros for a side not found). Nil when no hand qualifies.
    public func frame(_ hands: [TrackedHand], mirrorLeft: Bool) -> (values: [Float], hand: TrackedHand)? {
        guard let chosen = choose(hands) else { return nil }
        guard self == .both else { return (storedLandmarks(chosen, mirrorLeft: mirrorLeft), chosen) }
        var values = [Float](repeating: 0, count: FrameLayout.bothHands.values)
        for (side, offset) in [(true, 0), (false, LandmarkClip.valuesPerFrame)] {
            let candidates = hands.filter { isSubjectsLeftHand($0) == side }
            if let hand = HandSelection.largest.choose(candidates) {
                values.replaceSubrange(offset..<offset + LandmarkClip.valuesPerFrame, with: flatten(hand.landmarks))
            }
        }
        return (values, chosen)
    }
}

/// Options shared by `extract` and `prepare-alphabet`.
public struct ExtractionOptions: Sendable {
    public var tracker = HandTrackerOptions()
    public var hand = HandSelection.largest
    /// The MediaPipe model folder; nil looks where `MediaPipeModelSearch` says.
    public var modelDirectory: URL?
    /// Keep clips already extracted by an interrupted run (their files and manifest record).
    public var resume = false
    /// Process only the first N inputs (a quick look before a long run).
    public var sample: Int?
    /// List what would be processed and write nothing.
    public var dryRun = false
    /// Mirror the subject's left hands to right hands (x → −x about the wrist) so one model
    /// sees one hand shape; the handedness is kept in the record's metadata.
    public var mirrorLeft = false
    /// Clips (`extract`): pad with masked frames or truncate to this many frames.
    public var sequenceLength: Int?
    /// Clips (`extract`): track every Nth frame (1 = all).
    public var frameSkip = 1
    /// Clips processed at once, one tracker each (2 = both cores of the target machine).
    public var workers = 2
    public init() {}
}

/// Reports progress and asks whether to stop; the shell wires these to its progress bar and Ctrl-C.
public struct JobHooks {
    public var progress: (_ done: Int, _ total: Int, _ item: String) -> Void
    public var isCancelled: () -> Bool
    public init(progress: @escaping (Int, Int, String) -> Void = { _, _, _ in }, isCancelled: @escaping () -> Bool = { false }) {
        self.progress = progress
        self.isCancelled = isCancelled
    }
}

extension JobHooks {
    /// Reports item `done` of `total`, then stops the run if the user cancelled: the manifest of
    /// the finished items is written first, so `--resume` continues from there.
    func report(_ done: Int, of total: Int, _ item: String, writer: ImportWriter) throws {
        progress(done, total, item)
        if isCancelled() {
            _ = try writer.writeManifest()
            throw ExtractionError.cancelled(done: done, total: total, manifest: writer.manifestURL)
        }
    }
}

public enum ExtractionError: Error, CustomStringConvertible {
    case cancelled(done: Int, total: Int, manifest: URL)
    case noInput(String)
    /// Cancelled in the middle of one clip (internal: the run reports `.cancelled`).
    case interrupted

    public var description: String {
        switch self {
        case .cancelled(let done, let total, let manifest):
            "cancelled after \(done) of \(total); the manifest of what finished is at \(manifest.path) (rerun with --resume)"
        case .noInput(let what): what
        case .interrupted: "cancelled"
        }
    }
}

/// `prepare-alphabet`: letter photos → one landmark frame each, through the MediaPipe-exact
/// hand tracker in static-image mode. Photos are found as `<root>/<Class>/*.{jpg,jpeg,png}`
/// (the class is the folder name) or, flat, as `<class>_*.jpg`.
public enum AlphabetPreparation {
    public static func run(photoRoot: URL, outputDirectory: URL, manifestName: String = "alphabet_manifest.json",
                           options: ExtractionOptions = ExtractionOptions(), hooks: JobHooks = JobHooks(),
                           shard: Shard? = nil) throws -> ImportSummary {
        var photos = try findPhotos(photoRoot)
        guard !photos.isEmpty else { throw ExtractionError.noInput("no .jpg/.jpeg/.png photos under \(photoRoot.path)") }
        try ShardRun.checkNoSample(shard, options.sample)
        if let n = options.sample { photos = Array(photos.prefix(n)) }
        var manifestName = manifestName
        var shardRun: ShardRun?
        if let shard {
            // Photos are the units, weighted by file size.
            let output = manifestName.hasPrefix("/") ? URL(fileURLWithPath: manifestName) : outputDirectory.appendingPathComponent(manifestName)
            let (run, indices) = ShardRun.select(files: photos.map { (clipID(for: $0), $0.url) }, input: photoRoot.path, shard: shard,
                                                 stage: "prepare-alphabet", output: output)
            photos = indices.map { photos[$0] }
            manifestName = shard.filePath(manifestName)
            shardRun = run
        }
        var writer = ImportWriter(outputDirectory: outputDirectory, manifestName: manifestName, format: "photos (prepare-alphabet)")
        // An unwritable output is reported before the hand models are even loaded.
        if !options.dryRun { try writer.checkWritable() }
        var trackerOptions = options.tracker
        trackerOptions.staticImageMode = true
        // One photo at a time (results in order, Ctrl-C exact), each through models split over the
        // workers' threads.
        let tracker = try HandTracker(options: trackerOptions, modelDirectory: options.modelDirectory,
                                      threads: max(1, options.workers))
        if options.dryRun {
            let perClass = Dictionary(grouping: photos, by: \.label).mapValues(\.count)
            writer.summary.notes = ["dry run: \(photos.count) photos in \(perClass.count) classes, nothing written"]
                + perClass.keys.sorted().map { "  \($0): \(perClass[$0]!) photos" }
            return writer.summary
        }
        if let shardRun, shardRun.finishedEarlier(resume: options.resume) { return try keep(shardRun, writer: writer) }
        try shardRun?.begin()
        let done = try openJournal(&writer, resume: options.resume)
        var coverage = CoverageTable(recovering: trackerOptions.recovery != nil)
        for (i, photo) in photos.enumerated() {
            try hooks.report(i, of: photos.count, photo.url.lastPathComponent, writer: writer)
            let clipID = clipID(for: photo)
            if let entry = done[clipID] {
                writer.keep(entry)
                coverage.count(photo.label, entry.record.map(CoverageTable.outcome) ?? (entry.skipped == tooSmallReason ? .tooSmall : .missing))
                continue
            }
            let image: RGBImage
            do {
                image = photo.url.pathExtension.lowercased() == "png" ? try PNG.read(photo.url) : try JPEG.read(photo.url)
            } catch {
                writer.skip("unreadable image")
                // MediaError names the file itself: "a.jpg: not a valid JPEG (…)".
                writer.summary.warnings.append("\(error)")
                continue
            }
            let result = try tracker.process(image)
            guard let (values, hand) = options.hand.frame(result.hands, mirrorLeft: options.mirrorLeft) else {
                let tooSmall = result.recovery == .tooSmall
                coverage.count(photo.label, tooSmall ? .tooSmall : .missing)
                try writer.skipTracked(clipID, reason: tooSmall ? tooSmallReason
                                       : result.hands.isEmpty ? "no hand detected" : "no \(options.hand.rawValue) hand")
                continue
            }
            coverage.count(photo.label, hand.recovery.map { .recovered($0) } ?? .detected)
            let clip = LandmarkClip(values: values, mask: [true], layout: options.hand.layout)
            var info = metadata(hand, width: image.width, height: image.height, handsFound: result.hands.count)
            if let attempt = hand.recovery { info[LandmarkRecord.recoveredKey] = .string(attempt.rawValue) }
            try writer.add(clip, clipID: clipID, label: photo.label, sourceFile: photo.url.path, hasZ: true, metadata: info)
        }
        hooks.progress(photos.count, photos.count, "")
        // Fist-like letters fail more often: show the detection rate of every class.
        writer.summary.notes = coverage.lines()
        let summary = try writer.finish().summary
        try shardRun?.finish(skipped: summary.skipped)
        return summary
    }

    /// The skip reason of a photo too small for recovery to try.
    static let tooSmallReason = "image too small"

    /// A photo's clip id: `<class>_<file stem>`, file-name safe.
    static func clipID(for photo: Photo) -> String {
        clipIDComponent("\(photo.label)_\(photo.url.deletingPathExtension().lastPathComponent)")
    }

    /// Class names compared case-insensitively: single letters upper-case, words lower-case
    /// (Kaggle writes `del/nothing/space`, other sets `Del/Nothing/Space`).
    static func canonicalLabel(_ name: String) -> String { name.count == 1 ? name.uppercased() : name.lowercased() }

    struct Photo { var url: URL; var label: String }

    static func findPhotos(_ root: URL) throws -> [Photo] {
        let fm = FileManager.default
        guard let items = try? FolderListing.entries(of: root) else {
            throw ExtractionError.noInput(FileProblem.isFolder(root.path) ? FileProblem.reading(root.path, errno: EACCES).description
                                          : FileProblem.missing(root.path, folder: true).description)
        }
        func isImage(_ u: URL) -> Bool { ["jpg", "jpeg", "png"].contains(u.pathExtension.lowercased()) }
        var photos: [Photo] = []
        for item in items.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            var isDir: ObjCBool = false
            // A class folder may be a symbolic link (photos/A → a shared copy): FolderListing
            // follows it and keeps the paths under the link.
            fm.fileExists(atPath: item.path, isDirectory: &isDir)
            if isDir.boolValue {
                let files = (try? FolderListing.entries(of: item)) ?? []
                photos += files.filter(isImage).sorted { $0.lastPathComponent.compare($1.lastPathComponent, options: .numeric) == .orderedAscending }
                    .map { Photo(url: $0, label: canonicalLabel(item.lastPathComponent)) }
            } else if isImage(item) {
                let stem = item.deletingPathExtension().lastPathComponent
                photos.append(Photo(url: item, label: canonicalLabel(String(stem.split(separator: "_").first ?? Substring(stem)))))
            }
        }
        return photos
    }
}

/// `extract`: video clips → per-frame landmarks `[T,21,3]` + mask, through the hand tracker in
/// video mode (tracking between frames, exactly as MediaPipe's `Hands(static_image_mode=False)`).
public enum ClipExtraction {
    /// The log of clips with missed frames or failures, beside the manifest.
    public static let logName = "extract_log.txt"

    /// One clip to extract: the video, the span (nil = whole file) and its labels.
    public struct Input: Sendable {
        public var clipID: String, label: String, labelIndex: Int?, video: URL
        public var start: Double?, end: Double?
        public var signer: String?, split: String?
        public init(clipID: String, label: String, labelIndex: Int? = nil, video: URL, start: Double? = nil,
                    end: Double? = nil, signer: String? = nil, split: String? = nil) {
            self.clipID = clipID; self.label = label; self.labelIndex = labelIndex; self.video = video
            self.start = start; self.end = end; self.signer = signer; self.split = split
        }
    }

    public static func run(inputs allInputs: [Input], outputDirectory: URL, manifestName: String = "landmarks_manifest.json",
                           options: ExtractionOptions = ExtractionOptions(), hooks: JobHooks = JobHooks(),
                           shardRun: ShardRun? = nil) throws -> ImportSummary {
        var inputs = allInputs
        try ShardRun.checkNoSample(shardRun?.shard, options.sample)
        if let n = options.sample { inputs = Array(inputs.prefix(n)) }
        // A shard writes its own manifest and log (`.shard-I-of-N`); the landmark files are per clip.
        let manifestName = shardRun.map { $0.shard.filePath(manifestName) } ?? manifestName
        var writer = ImportWriter(outputDirectory: outputDirectory, manifestName: manifestName, format: "video clips (extract)")
        if options.dryRun {
            writer.summary.notes = ["dry run: \(inputs.count) clips would be extracted, nothing written"]
            return writer.summary
        }
        if let shardRun, shardRun.finishedEarlier(resume: options.resume) { return try keep(shardRun, writer: writer) }
        try writer.checkWritable()
        try shardRun?.begin()
        var trackerOptions = options.tracker
        trackerOptions.staticImageMode = false
        // One tracker per worker: clips are independent, so `workers` clips run at once, each on
        // its own core (the interpreter stays single-threaded inside a worker). The workers
        // share one queue of clips — a worker that finishes a short clip takes the next one at once
        // (pairs of clips used to wait for the longer of the two) — while this thread writes the
        // results in input order, so the manifest, the log and `--resume` do not depend on timing.
        let workers = max(1, min(options.workers, inputs.count))
        // Fewer clips than workers (one long clip): the spare cores go to each tracker's models.
        let modelThreads = max(1, options.workers / workers)
        let trackers = try (0..<workers).map { _ in
            try HandTracker(options: trackerOptions, modelDirectory: options.modelDirectory, threads: modelThreads)
        }
        let done = try openJournal(&writer, resume: options.resume)
        // Up to 4 clips per worker ahead of the writer; one worker runs in step with it (a clip is
        // handed out once the previous one is written), so Ctrl-C between clips is exact.
        let queue = ExtractionQueue(count: inputs.count, lookahead: workers == 1 ? 1 : 4 * workers,
                                    skip: { done[inputs[$0].clipID] != nil })
        let group = DispatchGroup()
        let clips = inputs   // an immutable copy for the workers
        for tracker in trackers {
            DispatchQueue.global().async(group: group) {
                while let i = queue.take() {
                    let outcome = Result { try extract(clips[i], tracker: tracker, options: options, isCancelled: hooks.isCancelled) }
                    queue.put(i, outcome.map { ($0.0, $0.fps, $0.handedness, $0.recovered) })
                }
            }
        }
        // However this loop ends (done, Ctrl-C, an error), no worker is left running.
        defer { queue.stop(); group.wait() }
        var log: [String] = []
        for i in 0..<inputs.count {
            try hooks.report(i, of: inputs.count, inputs[i].clipID, writer: writer)
            queue.reached(i)
            let input = inputs[i]
            if let entry = done[input.clipID] {
                writer.keep(entry)
                if let line = entry.record.map(partialClipLine) ?? entry.log { log.append(line) }
                continue
            }
            switch queue.result(i) {
            case .failure(ExtractionError.interrupted):
                // Ctrl-C inside a clip: half-tracked clips are not written.
                _ = try writer.writeManifest()
                throw ExtractionError.cancelled(done: i, total: inputs.count, manifest: writer.manifestURL)
            case .failure(let error as MediaError):
                // A corrupt or missing video fails that clip; the batch goes on.
                writer.skip("unreadable video")
                log.append("\(input.clipID): failed: \(error)")
            case .failure(let error):
                throw error
            case .success(let (clip, fps, handedness, recovered)):
                guard clip.frameCount > 0 else {
                    let line = "\(input.clipID): no decoded frame within [\(input.start ?? 0), \(input.end.map { "\($0)" } ?? "end")]"
                    try writer.skipTracked(input.clipID, reason: "no frames in span", log: line)
                    log.append(line)
                    continue
                }
                // Both counts before resampling, so a kept clip's log line can be written again.
                var metadata: [String: JSONValue] = ["frames_read": .int(clip.frameCount), "frames_detected": .int(clip.detectedFrames)]
                // Cut here from an untrimmed video: say which frames the span took.
                if input.start != nil || input.end != nil { metadata["span"] = .string(TrimOutcome.endExclusive) }
                if let handedness { metadata["handedness"] = .string(handedness) }
                // With --recover: how many of the detected frames recovery found (MediaPipe missed).
                if options.tracker.recovery != nil { metadata["frames_recovered"] = .int(recovered) }
                if options.mirrorLeft { metadata[LandmarkRecord.mirrorLeftKey] = .bool(true) }   // `build` passes it on to the model
                var stored = clip
                if let length = options.sequenceLength { stored = clip.resampled(to: length) }
                try writer.add(stored, clipID: input.clipID, label: input.label, labelIndex: input.labelIndex,
                               sourceFile: input.video.path, signer: input.signer, split: input.split, hasZ: true,
                               fps: fps / Double(max(1, options.frameSkip)), metadata: metadata)
                if let line = partialClipLine(writer.records.last!) { log.append(line) }
            }
        }
        hooks.progress(inputs.count, inputs.count, "")
        // The detection-failure log beside the manifest: every clip with a missed frame or a failure.
        let logURL = outputDirectory.appendingPathComponent(shardRun?.shard.fileName(logName) ?? logName)
        try OutputFile.write(Data((log.joined(separator: "\n") + (log.isEmpty ? "" : "\n")).utf8), to: logURL)
        if !log.isEmpty { writer.summary.notes.append("detection failures and partial clips: \(log.count), listed in \(logURL.path)") }
        let summary = try writer.finish().summary
        try shardRun?.finish(skipped: summary.skipped, log: logURL)
        return summary
    }

    /// The log line of a clip with frames where no hand was found, from its record (the counts
    /// of tracked frames in its metadata), so a clip kept by `--resume` logs what it logged first.
    static func partialClipLine(_ record: LandmarkRecord) -> String? {
        guard case .int(let read)? = record.metadata["frames_read"], case .int(let detected)? = record.metadata["frames_detected"],
              detected < read else { return nil }
        return "\(record.clipID): hand detected in \(detected)/\(read) frames"
    }

    /// Tracks one clip: every decoded frame whose timestamp lies in the end-exclusive span
    /// [start, end) of the file's own timestamps — the rule trim cuts by (`VideoSegment.contains`),
    /// so extracting over a downloaded video and over its trimmed clip sees the same frames.
    public static func extract(_ input: Input, tracker: HandTracker, options: ExtractionOptions,
                               isCancelled: () -> Bool = { false }) throws -> (LandmarkClip, fps: Double, handedness: String?, recovered: Int) {
        tracker.reset()
        let reader = try VideoReader(url: input.video)
        let start = input.start ?? 0
        if start > 0 { try reader.seek(to: start - VideoSegment.boundarySlack) }
        var values: [Float] = [], mask: [Bool] = []
        var failure: Error?
        var index = 0
        var labels: [String: Int] = [:]
        var recovered = 0
        try reader.forEachFrame { frame in
            guard frame.time >= start - VideoSegment.boundarySlack else { return true }
            // Frames arrive in pts order: the first one at or past the end closes the span.
            guard VideoSegment.contains(frame.time, start: start, end: input.end) else { return false }
            guard !isCancelled() else { failure = ExtractionError.interrupted; return false }
            defer { index += 1 }
            guard index % max(1, options.frameSkip) == 0 else { return true }
            do {
                let result = try tracker.process(frame.image)
                if let (frame, chosen) = options.hand.frame(result.hands, mirrorLeft: options.mirrorLeft) {
                    values += frame
                    mask.append(true)
                    labels[chosen.handedness.label, default: 0] += 1
                    if chosen.recovery != nil { recovered += 1 }
                } else {
                    // A frame without a hand is masked (its zeros are never read as data).
                    values += [Float](repeating: 0, count: options.hand.layout.values)
                    mask.append(false)
                }
            } catch { failure = error; return false }
            return true
        }
        if let failure { throw failure }
        let majority = labels.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key
        return (LandmarkClip(values: values, mask: mask, layout: options.hand.layout), reader.info.frameRate.value, majority, recovered)
    }
}

func flatten(_ landmarks: [Landmark]) -> [Float] { landmarks.flatMap { [Float($0.x), Float($0.y), Float($0.z)] } }

/// The subject's left hand: MediaPipe assumes a mirrored image, so on ordinary (un-mirrored)
/// photos and video its "Right" label is the subject's left hand.
func isSubjectsLeftHand(_ hand: TrackedHand) -> Bool { hand.handedness.label == "Right" }

/// Landmarks of one hand as stored: x mirrored about the wrist for the subject's left hand when
/// `mirrorLeft` (normalisation subtracts the wrist afterwards, so 2·wrist − x is exact).
public func storedLandmarks(_ hand: TrackedHand, mirrorLeft: Bool) -> [Float] {
    var values = flatten(hand.landmarks)
    if mirrorLeft, isSubjectsLeftHand(hand) { LandmarkClip.mirrorAboutWrist(&values) }
    return values
}

func metadata(_ hand: TrackedHand, width: Int, height: Int, handsFound: Int) -> [String: JSONValue] {
    ["handedness": .string(hand.handedness.label), "handedness_score": .double(Double(hand.handedness.score)),
     "presence": .double(Double(hand.presence)), "image_width": .int(width), "image_height": .int(height),
     "hands_found": .int(handsFound)]
}

/// The summary of a shard that had already finished (`--resume`): its manifest and log are kept.
func keep(_ run: ShardRun, writer: ImportWriter) throws -> ImportSummary {
    var writer = writer
    for record in try LandmarkManifest.read(contentsOf: writer.manifestURL).records { writer.adopt(record) }
    for (reason, count) in run.state.skipped ?? [:] { writer.skip(reason, count: count - (run.inputSkips[reason] ?? 0)) }
    writer.summary.notes.append("shard \(run.shard) had already finished on this input: kept as it is (--resume)")
    return writer.summary
}

/// Opens the run's journal (`ImportJournal`) and, with `--resume`, returns what earlier runs
/// finished, by clip id: the journal's outcomes and the records of a manifest already written (a
/// cancelled or finished run), a clip only when its files are complete.
func openJournal(_ writer: inout ImportWriter, resume: Bool) throws -> [String: JournalEntry] {
    let (journal, entries) = try ImportJournal.open(for: writer.manifestURL, resume: resume)
    writer.journal = journal
    guard resume else { return [:] }
    var result: [String: JournalEntry] = [:]
    let previous = try? LandmarkManifest.read(contentsOf: writer.manifestURL)
    for record in previous?.records ?? [] { result[record.clipID] = JournalEntry(clipID: record.clipID, record: record) }
    for entry in entries { result[entry.clipID] = entry }
    let files = LandmarkManifest(records: [], baseDirectory: writer.manifestURL.deletingLastPathComponent(), source: writer.manifestURL.path)
    return result.filter { $0.value.record.map(files.hasCompleteFiles) ?? true }
}

/// The clips of one `extract` run shared by its workers: `take` hands out the next clip to track
/// (skipping ones already done, and at most `lookahead` clips ahead of the writer, which bounds
/// the finished results held in memory), `put` stores a clip's outcome, and `result(i)` — called
/// by the writer in input order — waits for clip i and hands its outcome over.
final class ExtractionQueue: @unchecked Sendable {
    typealias Outcome = Result<(LandmarkClip, Double, String?, Int), Error>
    private let condition = NSCondition()
    private let count: Int, lookahead: Int
    private let skip: (Int) -> Bool
    private var next = 0, written = 0
    private var stopped = false
    private var outcomes: [Int: Outcome] = [:]

    init(count: Int, lookahead: Int, skip: @escaping (Int) -> Bool) {
        self.count = count; self.lookahead = max(1, lookahead); self.skip = skip
    }

    /// The next clip index to track, or nil when there is none left or the run stopped.
    func take() -> Int? {
        condition.lock(); defer { condition.unlock() }
        while true {
            while next < count && skip(next) { next += 1 }
            if stopped || next >= count { return nil }
            if next < written + lookahead { next += 1; return next - 1 }
            condition.wait()
        }
    }

    func put(_ i: Int, _ outcome: Outcome) {
        condition.lock(); outcomes[i] = outcome; condition.broadcast(); condition.unlock()
    }

    /// The writer is at clip i (every i in order, done ones included): clips up to
    /// i + lookahead − 1 may now be handed out.
    func reached(_ i: Int) {
        condition.lock(); written = i; condition.broadcast(); condition.unlock()
    }

    /// Waits for clip i's outcome and removes it. Clip i is always handed out before the writer
    /// waits for it: `take` goes in index order and i < written + lookahead.
    func result(_ i: Int) -> Outcome {
        condition.lock(); defer { condition.unlock() }
        while outcomes[i] == nil { condition.wait() }
        return outcomes.removeValue(forKey: i)!
    }

    /// No more clips are handed out; workers finish the one they are on.
    func stop() {
        condition.lock(); stopped = true; condition.broadcast(); condition.unlock()
    }
}
