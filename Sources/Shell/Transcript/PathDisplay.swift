import Foundation

/// How the paths in a command's printed output look, so that a saved session replays — and
/// `--check`s — the same from any folder: a path the user gave as absolute is printed absolute,
/// one given as relative is printed as written (and keeps resolving against the current
/// folder, like a shell script's), and any other path under the current folder (or beside it,
/// `../shared/…`) relative to it. Commands print absolute URLs from the libraries; the
/// evaluator runs each command inside `withPaths(of:)`, and `display` maps its text.
public enum PathDisplay {
    /// A path the running command was given: `resolved` (absolute, standardised) is printed as
    /// `printed`, or left absolute when `printed` is nil.
    struct Rule: Sendable {
        var resolved: String
        var printed: String?
    }

    @TaskLocal static var rules: [Rule] = []

    /// Runs a command's handler with its path arguments (and flags, defaults included) in force
    /// for `display`; a `ShellError` it throws gets its paths mapped too, since error messages are
    /// recorded in transcripts like any output.
    static func withPaths<T>(of call: Invocation, _ body: () throws -> T) throws -> T {
        var added: [Rule] = []
        for spec in call.definition.arguments.map({ ($0.name, $0.type) }) + call.definition.flags.map({ ($0.name, $0.type) }) {
            guard spec.1 == .path || spec.1 == .any, let value = call.values[spec.0] else { continue }
            for text in texts(value) { added += rules(for: text) }
        }
        return try $rules.withValue(rules + added) {
            do { return try body() } catch var error as ShellError {
                // Only the command's own paths: an error also names places nobody typed (the
                // folders searched for models), which stay absolute so they can be found.
                error.message = display(error.message, relativeToCurrentFolder: false)
                throw error
            }
        }
    }

    private static func texts(_ value: Value) -> [String] {
        switch value {
        case .path(let text), .string(let text): return text.isEmpty || text.contains("\n") ? [] : [text]
        case .list(let items): return items.flatMap(texts)
        default: return []
        }
    }

    /// A given absolute path stays absolute, and so do its siblings (outputs written beside an
    /// input, such as `manifest_downloaded.json`); a relative one (or `~/…`) is printed as written.
    static func rules(for text: String) -> [Rule] {
        let resolved = Invocation.resolvePath(text).path
        guard text.hasPrefix("/") else { return [Rule(resolved: resolved, printed: trimmed(text))] }
        let folder = (resolved as NSString).deletingLastPathComponent
        return [Rule(resolved: resolved, printed: nil)] + (folder.count > 1 ? [Rule(resolved: folder, printed: nil)] : [])
    }

    /// "./data/x/" → "data/x"; "." → "" (the current folder itself).
    private static func trimmed(_ text: String) -> String {
        var t = Substring(text)
        while t.hasSuffix("/") && t.count > 1 { t = t.dropLast() }
        while t.hasPrefix("./") { t = t.dropFirst(2) }
        return t == "." ? "" : String(t)
    }

    private static let pathCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-~/"))

    /// `text` with each absolute path in it printed by the longest rule covering it; unless
    /// `relativeToCurrentFolder` is false, the current folder (→ relative) and its parent (→ `..`)
    /// are rules too, for paths no argument named, losing ties to the command's own.
    public static func display(_ text: String, relativeToCurrentFolder: Bool = true) -> String {
        let scalars = Array(text.unicodeScalars)
        let cwd = FileManager.default.currentDirectoryPath
        let parent = (cwd as NSString).deletingLastPathComponent
        typealias Candidate = (resolved: [Unicode.Scalar], printed: String?, given: Bool)
        var candidates: [Candidate] = rules.map { (Array($0.resolved.unicodeScalars), $0.printed, true) }
        if relativeToCurrentFolder {
            candidates.append((Array(cwd.unicodeScalars), "", false))
            if parent.count > 1 { candidates.append((Array(parent.unicodeScalars), "..", false)) }
        }
        /// Whether `candidate` covers whole path components at `index` ("/tmp/a" does not cover
        /// "/tmp/ab"); the folder rules only when a path continues below them.
        func covers(_ candidate: Candidate, at index: Int) -> Bool {
            let end = index + candidate.resolved.count
            guard end <= scalars.count, scalars[index..<end].elementsEqual(candidate.resolved) else { return false }
            guard end < scalars.count else { return candidate.given }
            return scalars[end] == "/" || (candidate.given && !pathCharacters.contains(scalars[end]))
        }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            // An absolute path starts with "/" not glued to a word ("a/b" holds no absolute path).
            guard scalars[i] == "/", i == 0 || !pathCharacters.contains(scalars[i - 1]),
                  let best = candidates.filter({ covers($0, at: i) })
                    .max(by: { ($0.resolved.count, $0.given ? 1 : 0) < ($1.resolved.count, $1.given ? 1 : 0) }) else {
                out.append(scalars[i]); i += 1; continue
            }
            var end = i + best.resolved.count
            switch best.printed {
            case nil: out.append(contentsOf: scalars[i..<end])
            // The current folder itself: "/cwd/x" → "x", "/cwd" alone → ".".
            case ""?: if end < scalars.count, scalars[end] == "/" { end += 1 } else { out.append(".") }
            case let printed?: out.append(contentsOf: printed.unicodeScalars)
            }
            i = end
        }
        return String(out)
    }
}
