import TensorCore
import Foundation

/// WLASL in its two layouts:
/// - `WLASL_v0.3.json`: `[{gloss, instances: [{video_id, url, frame_start, frame_end, fps, bbox,
///   signer_id, split, …}]}]`, the gloss's position in the file being its class index;
/// - `nslt_{100,300,1000,2000}.json`: `{"<video_id>": {subset, action: [class, frame_start,
///   frame_end]}}` with names from `wlasl_class_list.txt` (`index<TAB>gloss` lines). No URLs.
/// Frames are 1-based and `frame_end = -1` means "to the end"; a clip covering frames s…e
/// (inclusive) becomes the span [(s−1)/fps, e/fps): spans are end-exclusive in every stage
/// (trim, extract), so frame e (pts (e−1)/fps) is the last one kept and frame e+1 is not.
enum WLASLIntake {
    static let consumed: Set<String> = ["video_id", "url", "frame_start", "frame_end", "fps", "signer_id", "split"]
    /// WLASL's stated frame rate when an entry has none (the dataset README: 25 fps).
    static let defaultFPS = 25.0

    static func fromGlosses(_ glosses: [JSONValue], file: URL, skip: inout SkipLog) -> [ClipRecord] {
        var records: [ClipRecord] = []
        var seen = 0
        for (classIndex, entry) in glosses.enumerated() {
            guard let gloss = entry.object?["gloss"]?.string, let instances = entry.object?["instances"]?.array else {
                skip.add("gloss entry without gloss/instances", file: file, index: classIndex); continue
            }
            for instance in instances {
                defer { seen += 1 }
                guard let fields = instance.object else { skip.add("not an object", file: file, index: seen); continue }
                guard let videoID = fields["video_id"]?.string, !videoID.isEmpty else {
                    skip.add("missing video_id", file: file, index: seen); continue
                }
                // The id names the video's and the clip's files: one that is not a plain file
                // name (`../x`, `a/b`) could write outside the output folders.
                guard VideoIDs.isFileSafe(videoID) else {
                    skip.add(unsafeIDReason, file: file, index: seen); continue
                }
                guard let rawURL = fields["url"]?.string, !rawURL.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    skip.add("missing url", file: file, index: seen); continue
                }
                if let problem = urlProblem(rawURL) { skip.add(problem, file: file, index: seen); continue }
                let fps = fields["fps"]?.number.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? defaultFPS
                guard let span = span(start: fields["frame_start"]?.integer, end: fields["frame_end"]?.integer, fps: fps) else {
                    skip.add("invalid frame_start/frame_end", file: file, index: seen); continue
                }
                var metadata = fields.filter { !consumed.contains($0.key) }.mapValues(\.withoutNonFiniteNumbers)
                metadata["frame_start"] = fields["frame_start"]
                metadata["frame_end"] = fields["frame_end"]
                records.append(ClipRecord(
                    clipID: videoID, videoID: videoID, url: normaliseURL(rawURL), label: gloss, labelIndex: classIndex,
                    startTime: span.start, endTime: span.end, fps: fps, signer: fields["signer_id"]?.integer,
                    split: fields["split"]?.string, bbox: nil, source: "wlasl", metadata: metadata))
            }
        }
        return records
    }

    static func fromNSLT(_ entries: [String: JSONValue], file: URL, classes: [String]?, skip: inout SkipLog) -> [ClipRecord] {
        var records: [ClipRecord] = []
        // Sorted by video id so the output (and seeded sampling) does not depend on hash order.
        for (index, key) in entries.keys.sorted().enumerated() {
            guard let fields = entries[key]?.object, let action = fields["action"]?.array, action.count == 3,
                  let classIndex = action[0].integer, classIndex >= 0 else {
                skip.add("missing or invalid action", file: file, index: index); continue
            }
            if let classes, classIndex >= classes.count {
                skip.add("label outside the class list", file: file, index: index); continue
            }
            guard VideoIDs.isFileSafe(key) else { skip.add(unsafeIDReason, file: file, index: index); continue }
            guard let span = span(start: action[1].integer, end: action[2].integer, fps: defaultFPS) else {
                skip.add("invalid frame_start/frame_end", file: file, index: index); continue
            }
            var metadata = fields.filter { $0.key != "subset" && $0.key != "action" }
            metadata["frame_start"] = action[1]
            metadata["frame_end"] = action[2]
            records.append(ClipRecord(
                clipID: key, videoID: key, url: nil, label: classes?[classIndex] ?? String(classIndex),
                labelIndex: classIndex, startTime: span.start, endTime: span.end, fps: defaultFPS, signer: nil,
                split: fields["subset"]?.string, bbox: nil, source: "wlasl", metadata: metadata))
        }
        return records
    }

    static let unsafeIDReason = "video_id is not a plain file name (only letters, digits, '.', '_', '-'; no leading '.')"

    /// 1-based inclusive frames s…e → the end-exclusive span [(s−1)/fps, e/fps) in seconds on
    /// the file's timeline (the pts of frame e+1 is the exclusive end); nil when inconsistent.
    static func span(start: Int?, end: Int?, fps: Double) -> (start: Double, end: Double?)? {
        guard let start, let end, start >= 1 else { return nil }
        if end == -1 { return ((Double(start) - 1) / fps, nil) }
        guard end >= start else { return nil }
        return ((Double(start) - 1) / fps, Double(end) / fps)
    }

    /// `wlasl_class_list.txt`: `index<TAB>gloss` per line; a UTF-8 BOM, CRLF line ends and blank
    /// lines are tolerated. An index given twice, or missing between 0 and the largest, is an
    /// error naming the line: either would silently give clips another class's name.
    static func classList(_ url: URL) throws -> [String] {
        var text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PipelineError.file(.reading(url.path, error: error))
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var names: [Int: (name: String, line: Int)] = [:]
        for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let parts = trimmed.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2, let index = Int(parts[0]), index >= 0 else {
                throw PipelineError.badLine(file: url.path, line: n + 1,
                                            message: "not a valid class list line (expected `index<TAB>gloss`)")
            }
            if let earlier = names[index] {
                throw PipelineError.badLine(file: url.path, line: n + 1,
                                            message: "index \(index) is already on line \(earlier.line) ('\(earlier.name)')")
            }
            names[index] = (String(parts[1]).trimmingCharacters(in: .whitespaces), n + 1)
        }
        let count = (names.keys.max() ?? -1) + 1
        if let gap = (0..<count).first(where: { names[$0] == nil }) {
            throw PipelineError.unrecognisedLayout(file: url.path, message: "class index \(gap) is missing (indices run 0…\(count - 1))")
        }
        return (0..<count).map { names[$0]!.name }
    }
}

/// Entries skipped during intake, counted by reason (and listed for `--verbose`).
public struct SkipLog: Equatable, Sendable {
    public private(set) var counts: [String: Int] = [:]
    public private(set) var entries: [String] = []
    mutating func add(_ reason: String, file: URL, index: Int) {
        counts[reason, default: 0] += 1
        entries.append("\(file.lastPathComponent) record \(index): \(reason)")
    }
    public var total: Int { counts.values.reduce(0, +) }
}
