import TensorCore
import Foundation

/// MS-ASL records (`MSASL_{train,val,test}.json`): an array of objects with `url`, `label`,
/// `start_time`, `end_time`, `box` = [y0, x0, y1, x1] normalised, `fps`, `signer_id`, … and the
/// class names in `MSASL_classes.json` (index = `label`).
enum MSASLIntake {
    /// Fields turned into manifest fields; everything else goes under `metadata`.
    static let consumed: Set<String> = ["url", "label", "start_time", "end_time", "box", "fps", "signer_id"]

    static func records(_ entries: [JSONValue], file: URL, classes: [String]?, skip: inout SkipLog) -> [ClipRecord] {
        let split = splitName(file)
        var records: [ClipRecord] = []
        for (index, entry) in entries.enumerated() {
            guard let fields = entry.object else { skip.add("not an object", file: file, index: index); continue }
            guard let rawURL = fields["url"]?.string, !rawURL.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                skip.add("missing url", file: file, index: index); continue
            }
            if let problem = urlProblem(rawURL) { skip.add(problem, file: file, index: index); continue }
            guard let labelIndex = fields["label"]?.integer, labelIndex >= 0 else {
                skip.add("missing or invalid label", file: file, index: index); continue
            }
            if let classes, labelIndex >= classes.count {
                skip.add("label outside the class list", file: file, index: index); continue
            }
            guard let start = fields["start_time"]?.number, let end = fields["end_time"]?.number else {
                skip.add("missing start_time/end_time", file: file, index: index); continue
            }
            // Python's json module writes NaN and Infinity for missing times; they are read, then refused here.
            guard start.isFinite, end.isFinite else {
                skip.add("start_time/end_time not a finite number", file: file, index: index); continue
            }
            guard start >= 0 else { skip.add("negative start_time", file: file, index: index); continue }
            guard end > start else { skip.add("end_time not after start_time", file: file, index: index); continue }
            let url = normaliseURL(rawURL)
            // Direct (non-YouTube) URLs get `<file stem>-<hash>`: the URL itself, with its host
            // and port, made neither a stable nor a usable file name.
            let videoID = VideoIDs.videoID(forURL: url)
            let label = classes?[labelIndex] ?? fields["clean_text"]?.string ?? fields["text"]?.string ?? String(labelIndex)
            var bbox: [Double]? = nil
            if let box = fields["box"]?.array?.compactMap({ $0.number }), box.count == 4, box.allSatisfy(\.isFinite) {
                // MS-ASL's box is [y0, x0, y1, x1] (official README); the manifest uses x0, y0, x1, y1.
                bbox = [box[1], box[0], box[3], box[2]]
            }
            var metadata = fields.filter { !consumed.contains($0.key) }.mapValues(\.withoutNonFiniteNumbers)
            if fields["box"] != nil && bbox == nil { metadata["box"] = fields["box"]?.withoutNonFiniteNumbers }
            records.append(ClipRecord(
                clipID: VideoIDs.clipID(videoID: videoID, start: start, end: end), videoID: videoID, url: url, label: label,
                labelIndex: labelIndex, startTime: start, endTime: end, fps: fields["fps"]?.number.flatMap { $0.isFinite && $0 > 0 ? $0 : nil },
                signer: fields["signer_id"]?.integer, split: split, bbox: bbox, source: "msasl", metadata: metadata))
        }
        return records
    }

    /// `train`, `val` or `test` from a file name such as `MSASL_val.json`.
    static func splitName(_ file: URL) -> String? {
        let name = file.deletingPathExtension().lastPathComponent.lowercased()
        for split in ["train", "val", "test"] where name.contains(split) { return split }
        return nil
    }
}

/// Adds the `https://` that about 20% of MS-ASL URLs lack (`www.youtube.com/watch?v=…`).
func normaliseURL(_ raw: String) -> String {
    let url = raw.trimmingCharacters(in: .whitespacesAndNewlines)
    if url.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression) != nil { return url }
    if url.hasPrefix("//") { return "https:" + url }
    return "https://" + url
}

/// Why a metadata URL is not one `download` can fetch, as a skip reason; nil when it is usable.
/// URLs without a scheme are fine (`normaliseURL` adds `https://`); the rest would either be
/// misread by yt-dlp (`-…` is an option, a playlist is many videos) or reach outside the web.
func urlProblem(_ raw: String) -> String? {
    let url = raw.trimmingCharacters(in: .whitespacesAndNewlines)
    if url.hasPrefix("-") { return "url starts with '-'" }
    if let scheme = url.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression),
       !["http://", "https://"].contains(url[scheme].lowercased()) {
        return "url scheme is not http(s)"
    }
    if url.rangeOfCharacter(from: .whitespacesAndNewlines) != nil { return "url contains spaces" }
    if isPlaylistURL(normaliseURL(url)) { return "playlist url, not a video" }
    return nil
}

/// A YouTube playlist or channel page (`/playlist?list=…`, `/channel/…`, `/c/…`, `/user/…`,
/// `/@name`): many videos, not one. `watch?v=ID&list=…` is a video (yt-dlp runs with `--no-playlist`).
func isPlaylistURL(_ url: String) -> Bool {
    guard let components = URLComponents(string: url), let host = components.host?.lowercased(),
          host.hasSuffix("youtube.com") else { return false }
    if youTubeID(url) != nil { return false }
    let first = components.path.split(separator: "/").first.map(String.init) ?? ""
    return ["playlist", "channel", "c", "user"].contains(first) || first.hasPrefix("@")
        || components.queryItems?.contains { $0.name == "list" } == true
}

/// The video id of a YouTube URL (`watch?v=ID`, `youtu.be/ID`, `/embed/ID`, `/shorts/ID`), or nil.
func youTubeID(_ url: String) -> String? {
    guard let components = URLComponents(string: url), let host = components.host?.lowercased() else { return nil }
    if host.hasSuffix("youtu.be") {
        let id = components.path.split(separator: "/").first.map(String.init)
        return id?.isEmpty == false ? id : nil
    }
    guard host.hasSuffix("youtube.com") else { return nil }
    if let v = components.queryItems?.first(where: { $0.name == "v" })?.value, !v.isEmpty { return v }
    let parts = components.path.split(separator: "/")
    if parts.count >= 2, ["embed", "shorts", "v"].contains(parts[0]) { return String(parts[1]) }
    return nil
}
