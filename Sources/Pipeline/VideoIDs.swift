import Foundation
import TensorCore

/// Video and clip ids double as file names in every stage (`<raw-root>/<video id>.mp4`,
/// `<trim-root>/<clip id>.mp4`, `landmarks/<clip id>.npy`), so they are built only from
/// [A-Za-z0-9._-] and never start with a dot.
public enum VideoIDs {
    /// The id of the video a URL points at: YouTube's own id for YouTube URLs; for any other
    /// (direct) URL `<stem>-<hash>`, where stem is the last path component without its extension,
    /// made file-safe, and hash is `StableHash.hex8` of the URL's path and query *without* scheme,
    /// host and port — so the same file served from a mirror or another port keeps its id, while
    /// two files that share a name in different folders get different ids.
    ///
    ///     https://www.youtube.com/watch?v=N2mG9ZKjrGA   → N2mG9ZKjrGA
    ///     http://127.0.0.1:8000/videos/J7tP98oDxqE.mp4 → J7tP98oDxqE-<8 hex>
    public static func videoID(forURL url: String) -> String {
        if let id = youTubeID(url), isFileSafe(id) { return id }
        let location = pathAndQuery(url)
        return "\(stem(ofPath: location.path))-\(StableHash.hex8(location.path + location.query))"
    }

    /// A clip of a video: `<video id>__<start>_<end>` (seconds as Swift prints them, e.g.
    /// `J7tP98oDxqE__0.0_2.64`); file-safe whenever the video id is.
    public static func clipID(videoID: String, start: Double, end: Double) -> String {
        "\(videoID)__\(start)_\(end)"
    }

    /// Whether `id` can be used as a file name as it is: non-empty, only [A-Za-z0-9._-], no
    /// leading dot (so neither `.`, `..` nor a hidden file), at most 200 bytes.
    public static func isFileSafe(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 200, !id.hasPrefix(".") else { return false }
        return id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    /// "/videos/J7tP98oDxqE.mp4" and "?x=1" of "http://host:8000/videos/J7tP98oDxqE.mp4?x=1#t=3"
    /// (the fragment never reaches the server, so it is not part of the video's identity).
    static func pathAndQuery(_ url: String) -> (path: String, query: String) {
        var rest = Substring(url.trimmingCharacters(in: .whitespacesAndNewlines))
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if let scheme = rest.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression) {
            rest = rest[scheme.upperBound...]
            // Drop the authority (user:password@host:port): everything up to the path or query.
            let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            rest = rest[end...]
        }
        let question = rest.firstIndex(of: "?") ?? rest.endIndex
        var path = String(rest[..<question])
        if !path.hasPrefix("/") { path = "/" + path }
        return (path, String(rest[question...]))
    }

    /// A readable, file-safe stem of a URL path's last component: percent-escapes decoded,
    /// the extension dropped, runs of other characters turned into one `_`, at most 48 characters.
    static func stem(ofPath path: String) -> String {
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        var name = last.removingPercentEncoding ?? last
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            let ext = name[name.index(after: dot)...]
            if (1...5).contains(ext.count), ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                name = String(name[..<dot])
            }
        }
        var out = ""
        for scalar in name.unicodeScalars {
            let keep = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "-_".unicodeScalars.contains(scalar))
            if keep { out.unicodeScalars.append(scalar) } else if !out.hasSuffix("_") { out += "_" }
        }
        out = String(out.trimmingCharacters(in: CharacterSet(charactersIn: "_-")).prefix(48))
        return out.isEmpty ? "video" : out
    }
}
