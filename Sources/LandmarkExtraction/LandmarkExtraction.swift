import Datasets
import Foundation
import Hands
import Media

/// Which hand a frame's landmarks come from when the tracker finds several.
public enum HandSelection: String, CaseIterable, Sendable {
    /// The hand with the largest ROI (the most prominent one) — the default.
    case largest
    /// MediaPipe's first hand (its output order).
    case first
    /// MediaPipe's "Left" / "Right" label. MediaPipe assumes a mirrored image, so on ordinary
    /// (un-mirrored) video "Left" is the signer's right hand.
    case left, right

    func choose(_ hands: [TrackedHand]) -> TrackedHand? {
        switch self {
        case .first: return hands.first
        case .largest: return hands.max { $0.roi.width * $0.roi.height < $1.roi.width * $1.roi.height }
        case .left: return hands.first { $0.handedness.label == "Left" }
        case .right: return hands.first { $0.handedness.label == "Right" }
        }
    }
}

/// Options shared by `extract` and `prepare-alphabet`.
public struct ExtractionOptions: Sendable {
    public var tracker = HandTrackerOptions()
    public var hand = HandSelection.largest
    public var modelDirectory = MediaPipeHandModels.defaultDirectory
    /// Keep clips already extracted by an interrupted run (their files and manifest record).
    public var resume = false
    /// Process only the first N inputs (a quick look before a long run).
    public var sample: Int?
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
            _ = try writer.finish()
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
                           options: ExtractionOptions = ExtractionOptions(), hooks: JobHooks = JobHooks()) throws -> ImportSummary {
        var photos = try findPhotos(photoRoot)
        guard !photos.isEmpty else { throw ExtractionError.noInput("no .jpg/.jpeg/.png photos under \(photoRoot.path)") }
        if let n = options.sample { photos = Array(photos.prefix(n)) }
        var trackerOptions = options.tracker
        trackerOptions.staticImageMode = true
        let tracker = try HandTracker(options: trackerOptions, modelDirectory: options.modelDirectory)
        var writer = ImportWriter(outputDirectory: outputDirectory, manifestName: manifestName, format: "photos (prepare-alphabet)")
        let done = previousRecords(writer.manifestURL, resume: options.resume)
        for (i, photo) in photos.enumerated() {
            try hooks.report(i, of: photos.count, photo.url.lastPathComponent, writer: writer)
            let clipID = clipIDComponent("\(photo.label)_\(photo.url.deletingPathExtension().lastPathComponent)")
            if let record = done[clipID] { writer.adopt(record); continue }
            let image: RGBImage
            do {
                image = photo.url.pathExtension.lowercased() == "png" ? try PNG.read(photo.url) : try JPEG.read(photo.url)
            } catch {
                writer.skip("unreadable image")
                writer.summary.warnings.append("\(photo.url.path): \(error)")
                continue
            }
            let result = try tracker.process(image)
            guard let hand = options.hand.choose(result.hands) else {
                writer.skip(result.hands.isEmpty ? "no hand detected" : "no \(options.hand.rawValue) hand")
                continue
            }
            let clip = LandmarkClip(values: flatten(hand.landmarks), mask: [true])
            try writer.add(clip, clipID: clipID, label: photo.label, sourceFile: photo.url.path, hasZ: true,
                           metadata: metadata(hand, width: image.width, height: image.height, handsFound: result.hands.count))
        }
        hooks.progress(photos.count, photos.count, "")
        return try writer.finish().summary
    }

    struct Photo { var url: URL; var label: String }

    static func findPhotos(_ root: URL) throws -> [Photo] {
        let fm = FileManager.default
        guard let items = try? fm.contentsOfDirectory(at: root, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles]) else {
            throw ExtractionError.noInput("cannot read photo folder \(root.path)")
        }
        func isImage(_ u: URL) -> Bool { ["jpg", "jpeg", "png"].contains(u.pathExtension.lowercased()) }
        var photos: [Photo] = []
        for item in items.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            var isDir: ObjCBool = false
            fm.fileExists(atPath: item.path, isDirectory: &isDir)
            if isDir.boolValue {
                let files = (try? fm.contentsOfDirectory(at: item, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])) ?? []
                photos += files.filter(isImage).sorted { $0.lastPathComponent.compare($1.lastPathComponent, options: .numeric) == .orderedAscending }
                    .map { Photo(url: $0, label: item.lastPathComponent) }
            } else if isImage(item) {
                let stem = item.deletingPathExtension().lastPathComponent
                photos.append(Photo(url: item, label: String(stem.split(separator: "_").first ?? Substring(stem))))
            }
        }
        return photos
    }
}

/// `extract`: video clips → per-frame landmarks `[T,21,3]` + mask, through the hand tracker in
/// video mode (tracking between frames, exactly as MediaPipe's `Hands(static_image_mode=False)`).
public enum ClipExtraction {
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
                           options: ExtractionOptions = ExtractionOptions(), hooks: JobHooks = JobHooks()) throws -> ImportSummary {
        var inputs = allInputs
        if let n = options.sample { inputs = Array(inputs.prefix(n)) }
        var trackerOptions = options.tracker
        trackerOptions.staticImageMode = false
        let tracker = try HandTracker(options: trackerOptions, modelDirectory: options.modelDirectory)
        var writer = ImportWriter(outputDirectory: outputDirectory, manifestName: manifestName, format: "video clips (extract)")
        let done = previousRecords(writer.manifestURL, resume: options.resume)
        for (i, input) in inputs.enumerated() {
            try hooks.report(i, of: inputs.count, input.clipID, writer: writer)
            if let record = done[input.clipID] { writer.adopt(record); continue }
            let clip: LandmarkClip, fps: Double
            do {
                (clip, fps) = try extract(input, tracker: tracker, hand: options.hand, isCancelled: hooks.isCancelled)
            } catch ExtractionError.interrupted {
                // Ctrl-C inside a clip: the half-tracked clip is not written.
                _ = try writer.finish()
                throw ExtractionError.cancelled(done: i, total: inputs.count, manifest: writer.manifestURL)
            } catch let error as MediaError {
                // A corrupt or missing video fails that clip; the batch goes on.
                writer.skip("unreadable video")
                writer.summary.warnings.append("\(input.clipID): \(error)")
                continue
            }
            guard clip.frameCount > 0 else { writer.skip("no frames in span"); continue }
            try writer.add(clip, clipID: input.clipID, label: input.label, labelIndex: input.labelIndex,
                           sourceFile: input.video.path, signer: input.signer, split: input.split, hasZ: true, fps: fps)
        }
        hooks.progress(inputs.count, inputs.count, "")
        return try writer.finish().summary
    }

    /// Tracks one clip: every decoded frame whose timestamp lies in [start, end] (the file's own
    /// timestamps, ±1 µs like the oracle), in decode order.
    public static func extract(_ input: Input, tracker: HandTracker, hand: HandSelection,
                               isCancelled: () -> Bool = { false }) throws -> (LandmarkClip, fps: Double) {
        tracker.reset()
        let reader = try VideoReader(url: input.video)
        let lower = (input.start ?? 0) - 1e-6, upper = (input.end ?? .infinity) + 1e-6
        if let start = input.start, start > 0 { try reader.seek(to: start) }
        var values: [Float] = [], mask: [Bool] = []
        var failure: Error?
        try reader.forEachFrame { frame in
            guard frame.time >= lower else { return true }
            guard frame.time <= upper else { return false }
            guard !isCancelled() else { failure = ExtractionError.interrupted; return false }
            do {
                let result = try tracker.process(frame.image)
                if let chosen = hand.choose(result.hands) {
                    values += flatten(chosen.landmarks)
                    mask.append(true)
                } else {
                    values += [Float](repeating: 0, count: 63)
                    mask.append(false)
                }
            } catch { failure = error; return false }
            return true
        }
        if let failure { throw failure }
        return (LandmarkClip(values: values, mask: mask), reader.info.frameRate.value)
    }
}

func flatten(_ landmarks: [Landmark]) -> [Float] { landmarks.flatMap { [Float($0.x), Float($0.y), Float($0.z)] } }

func metadata(_ hand: TrackedHand, width: Int, height: Int, handsFound: Int) -> [String: Datasets.JSONValue] {
    ["handedness": .string(hand.handedness.label), "handedness_score": .number(hand.handedness.score),
     "presence": .number(hand.presence), "image_width": .number(Double(width)), "image_height": .number(Double(height)),
     "hands_found": .number(Double(handsFound))]
}

/// Records of an earlier run whose files still exist, by clip id (only with `--resume`).
func previousRecords(_ manifest: URL, resume: Bool) -> [String: LandmarkRecord] {
    guard resume, let previous = try? LandmarkManifest.read(contentsOf: manifest) else { return [:] }
    var result: [String: LandmarkRecord] = [:]
    for record in previous.records
    where FileManager.default.fileExists(atPath: previous.resolve(record.landmarks).path)
        && FileManager.default.fileExists(atPath: previous.resolve(record.mask).path) {
        result[record.clipID] = record
    }
    return result
}
