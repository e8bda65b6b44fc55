import Foundation

/// Tab completion from the command registry and the session: command and directive names in
/// command position, `--flags` of the command being typed, variable names, and file paths.
/// Pure (no terminal), so tests call it directly.
public struct Completer {
    public let session: Session

    public init(session: Session) { self.session = session }

    /// What to complete at `cursor` (a Unicode-scalar offset into `line`): the partial word and
    /// the sorted candidates that extend it.
    public func complete(line: String, cursor: Int) -> (word: String, candidates: [String]) {
        let scalars = Array(line.unicodeScalars.prefix(cursor))
        var start = scalars.count
        while start > 0, !Self.isBoundary(scalars[start - 1]) { start -= 1 }
        let word = String(String.UnicodeScalarView(scalars[start...]))
        let before = String(String.UnicodeScalarView(scalars[..<start]))
        let stage = Self.currentStage(before)
        var candidates: [String]
        if stage.words.isEmpty || stage.words == [":time"] {
            // Command position.
            candidates = session.registry.names + session.variableOrder
        } else if word.hasPrefix("-") {
            let command = session.registry[stage.words[0]]
            candidates = (command?.flags ?? []).map { "--" + $0.name }
        } else if stage.words == [":help"] {
            candidates = session.registry.names
        } else if word.contains("/") || word.hasPrefix(".") || word.hasPrefix("~") {
            candidates = Self.paths(matching: word)
        } else {
            candidates = session.variableOrder + Self.paths(matching: word)
        }
        let matches = Array(Set(candidates.filter { $0.hasPrefix(word) })).sorted()
        return (word, matches)
    }

    /// The text to insert after the partial word: the candidates' common extension, plus a space
    /// when exactly one candidate matched (no space after a directory's `/`).
    public static func insertion(word: String, candidates: [String]) -> String {
        guard let first = candidates.first else { return "" }
        if candidates.count == 1 {
            return String(first.dropFirst(word.count)) + (first.hasSuffix("/") ? "" : " ")
        }
        var common = first
        for candidate in candidates.dropFirst() {
            while !candidate.hasPrefix(common) { common.removeLast() }
        }
        return String(common.dropFirst(word.count))
    }

    static func isBoundary(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "|" || c == "(" || c == ";" || c == "=" || c == "[" || c == "{" || c == ","
    }

    /// The words of the pipeline stage the cursor is in (after the last `|`, `(` or `;`, and
    /// after `name =`).
    static func currentStage(_ text: String) -> (words: [String], Void) {
        var stage = Substring(text)
        if let cut = text.lastIndex(where: { $0 == "|" || $0 == "(" || $0 == ";" }) {
            stage = text[text.index(after: cut)...]
        }
        var words = stage.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if words.count >= 2, words[1] == "=" { words.removeFirst(2) }
        if words.count == 1, words[0].hasSuffix("="), !words[0].hasPrefix("-") { words.removeFirst() }
        return (words, ())
    }

    /// Directory entries completing `word` (directories end with `/`; hidden entries only when
    /// the typed name starts with `.`).
    static func paths(matching word: String) -> [String] {
        let slash = word.lastIndex(of: "/")
        let directoryPart = slash.map { String(word[...$0]) } ?? ""
        let namePart = slash.map { String(word[word.index(after: $0)...]) } ?? word
        let directory = directoryPart.isEmpty ? "." : (directoryPart as NSString).expandingTildeInPath
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return entries.filter { $0.hasPrefix(namePart) && (namePart.hasPrefix(".") || !$0.hasPrefix(".")) }.map { name in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(name), isDirectory: &isDirectory)
            return directoryPart + name + (isDirectory.boolValue ? "/" : "")
        }
    }
}
