/// Progress and cancellation hooks for long loops (trim, download): the shell wires them to its
/// progress bar and Ctrl-C. `progress` is called after each item with (done, total, item id);
/// download calls it from its worker threads, but never two calls at once. `isCancelled` is polled
/// between items and during long items (per decoded frame in trim, every 50 ms while yt-dlp runs).
public struct LoopHooks: Sendable {
    public var progress: @Sendable (_ done: Int, _ total: Int, _ item: String) -> Void
    public var isCancelled: @Sendable () -> Bool

    public init(progress: @escaping @Sendable (_ done: Int, _ total: Int, _ item: String) -> Void = { _, _, _ in },
                isCancelled: @escaping @Sendable () -> Bool = { false }) {
        self.progress = progress
        self.isCancelled = isCancelled
    }

    public static let none = LoopHooks()
}

/// File names derived from ids (YouTube ids, clip ids with `#2` suffixes, ids of manifests
/// written by hand or by older versions) keep only [A-Za-z0-9._-], so a name never holds a `/`
/// and stays inside its folder; a leading dot becomes `_` too, because `..` (or `.`) would name
/// the folder's parent (or the folder itself: download removes its work folder `.partial/<id>`).
func safeFileName(_ id: String) -> String {
    var name = String(id.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    if name.hasPrefix(".") { name = "_" + name.dropFirst() }
    return name.isEmpty ? "_" : name
}
