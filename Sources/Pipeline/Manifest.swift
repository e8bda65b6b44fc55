import Foundation
import Media
import TensorCore

/// One clip of the normalised manifest (`manifest.json`); later stages add their section
/// (`download`, `trim`) and write `manifest_downloaded.json`, `manifest_trimmed.json`. JSON field
/// names are the snake_case names in `CodingKeys` (documented in the README).
public struct ClipRecord: Codable, Equatable, Sendable {
    /// Unique per clip: `<video_id>__<start_time>_<end_time>` for MS-ASL, the instance's
    /// `video_id` for WLASL. Names the clip's files (`<clip_id>.mp4`, `<clip_id>.npy`).
    public var clipID: String
    /// The source video (MS-ASL reuses one video for several clips): the YouTube id, or
    /// `<file stem>-<8 hex>` for a direct URL (`VideoIDs.videoID(forURL:)`).
    public var videoID: String
    /// Download URL, always with a scheme; nil when the source has none (WLASL `nslt_*.json`).
    public var url: String?
    public var label: String
    public var labelIndex: Int
    /// Span in seconds on the source video's own timeline; `endTime` nil = to the end.
    public var startTime: Double
    public var endTime: Double?
    /// Frame rate the metadata states (the real file can differ: trim measures it).
    public var fps: Double?
    public var signer: Int?
    public var split: String?
    /// Normalised [x0, y0, x1, y1] in 0…1, or nil when the source gives pixels without a frame
    /// size (WLASL: the pixel box is in `metadata.bbox`).
    public var bbox: [Double]?
    /// `msasl` or `wlasl`.
    public var source: String
    /// Every other field of the source record, unchanged.
    public var metadata: [String: JSONValue]
    public var download: DownloadOutcome?
    public var trim: TrimOutcome?

    enum CodingKeys: String, CodingKey {
        case clipID = "clip_id", videoID = "video_id", url, label, labelIndex = "label_index"
        case startTime = "start_time", endTime = "end_time", fps, signer, split, bbox, source, metadata
        case download, trim
    }

    public init(clipID: String, videoID: String, url: String?, label: String, labelIndex: Int,
                startTime: Double, endTime: Double?, fps: Double?, signer: Int?, split: String?,
                bbox: [Double]?, source: String, metadata: [String: JSONValue]) {
        self.clipID = clipID
        self.videoID = videoID
        self.url = url
        self.label = label
        self.labelIndex = labelIndex
        self.startTime = startTime
        self.endTime = endTime
        self.fps = fps
        self.signer = signer
        self.split = split
        self.bbox = bbox
        self.source = source
        self.metadata = metadata
    }
}

/// The download stage's result for a clip's video.
public struct DownloadOutcome: Codable, Equatable, Sendable {
    public var status: DownloadStatus
    /// Path of the downloaded file (relative paths are relative to the download root's parent
    /// as given on the command line), nil unless `ok`.
    public var path: String?
    /// yt-dlp's own error message for failures.
    public var message: String?
    public var attempts: Int

    public init(status: DownloadStatus, path: String?, message: String?, attempts: Int) {
        self.status = status
        self.path = path
        self.message = message
        self.attempts = attempts
    }
}

public enum DownloadStatus: String, Codable, Equatable, Sendable, CaseIterable {
    case ok, unavailable, `private`, geoBlocked = "geo_blocked", loginRequired = "login_required"
    case networkError = "network_error", timeout, noURL = "no_url", failed, skipped, planned
    /// yt-dlp fetched something that is not a video (an empty file, an HTML error page, audio
    /// only); the file is removed so trim never reads it.
    case notVideo = "not_video"

    /// Worth another attempt (with backoff): the network may recover.
    public var isTransient: Bool { self == .networkError || self == .timeout }
}

/// The trim stage's result for a clip: the measured facts of the written file.
public struct TrimOutcome: Codable, Equatable, Sendable {
    public var status: String            // "ok" | "failed" | "planned" (dry run)
    public var path: String?
    public var message: String?
    public var duration: Double?
    public var frames: Int?
    public var fps: String?              // exact rational, e.g. "30000/1001"
    public var width: Int?
    public var height: Int?
    /// Requested span (`requested_end` nil = to the end of the video).
    public var requestedStart: Double?
    public var requestedEnd: Double?
    /// How the span was read: `end-exclusive` — the clip holds the source frames whose pts t
    /// satisfies start ≤ t < end (`ffmpeg -ss S -to E`); nil in manifests of older versions,
    /// which also kept a frame exactly at the end.
    public var span: String?

    /// The convention trim (and extract over an untrimmed video) uses, written as `span`.
    public static let endExclusive = "end-exclusive"

    enum CodingKeys: String, CodingKey {
        case status, path, message, duration, frames, fps, width, height
        case requestedStart = "requested_start", requestedEnd = "requested_end", span
    }
}

/// Reading and writing manifests (JSON arrays of `ClipRecord`).
public enum Manifest {
    public static func read(_ url: URL) throws -> [ClipRecord] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PipelineError.file(.reading(url.path, error: error))
        }
        do {
            return try JSONDecoder().decode([ClipRecord].self, from: data)
        } catch let error as DecodingError {
            if case let .dataCorrupted(context) = error, context.codingPath.isEmpty {
                throw JSONFile.locate(data, file: url.path)
            }
            // Valid JSON but not an array of records: the file as a whole is not a manifest.
            guard let index = decodingIndex(error) else {
                throw PipelineError.unrecognisedLayout(
                    file: url.path, message: FileProblem.malformed(url.path, format: "manifest", "expected a JSON array of clip records").reason)
            }
            throw PipelineError.badRecord(file: url.path, index: index, message: decodingProblem(error))
        }
    }

    /// Writes pretty-printed, key-sorted JSON atomically (temporary name + rename).
    public static func write(_ records: [ClipRecord], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(records)
        do { try OutputFile.write(data, to: url) } catch let problem as FileProblem {
            throw PipelineError.file(problem)
        }
    }

    /// Checks, before a long run, that `url` can be written (folders created; "cannot write: …"
    /// otherwise), so a download or trim does not do all its work and then fail on the manifest.
    public static func checkWritable(_ url: URL) throws {
        do { try OutputFile.checkWritable(url) } catch let problem as FileProblem {
            throw PipelineError.file(problem)
        }
    }

    /// A decoding error as a short phrase with the field ("missing field 'clip_id'"), not Swift's
    /// `keyNotFound(CodingKeys(…), Context(…))`.
    static func decodingProblem(_ error: DecodingError) -> String {
        func field(_ c: DecodingError.Context) -> String {
            c.codingPath.dropFirst().map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, c):
            let at = field(c)
            return "missing field '\(key.stringValue)'" + (at.isEmpty ? "" : " in \(at)")
        case let .typeMismatch(type, c): return "'\(field(c))' should be \(type)"
        case let .valueNotFound(type, c): return "'\(field(c))' is null, expected \(type)"
        case let .dataCorrupted(c): return (field(c).isEmpty ? "" : "'\(field(c))': ") + c.debugDescription
        @unknown default: return "not a valid clip record"
        }
    }

    private static func decodingIndex(_ error: DecodingError) -> Int? {
        let path: [CodingKey]
        switch error {
        case let .keyNotFound(_, c), let .typeMismatch(_, c), let .valueNotFound(_, c), let .dataCorrupted(c):
            path = c.codingPath
        @unknown default: return nil
        }
        return path.first?.intValue
    }
}
