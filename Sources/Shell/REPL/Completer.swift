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
        } else if !word.hasPrefix("-"), let choices = Self.choices(at: stage.words, in: session.registry[stage.words[0]]) {
            // A choice flag's value (`train --architecture ml`) or a choice argument (`export o`):
            // its words, not files.
            candidates = choices
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

    /// The values the word being typed can take when it is a choice: the value of a choice flag
    /// (`--architecture ` or `--architecture=`), or a positional argument of choice type, counted
    /// past flags and their values. Nil elsewhere (then files, variables and flags complete).
    static func choices(at words: [String], in command: CommandDefinition?) -> [String]? {
        guard let command, let last = words.last else { return nil }
        func flag(_ word: String) -> FlagSpec? {
            if word.hasPrefix("--") { return command.flag(spelled: String(word.dropFirst(2).prefix { $0 != "=" })) }
            if word.count == 2, word.hasPrefix("-") { return command.flag(short: word.last!) }
            return nil
        }
        // `--architecture=` (the word being typed starts after the `=`).
        if last.hasPrefix("--"), last.hasSuffix("="), let spec = flag(last) { return spec.choices }
        // The word before the cursor is a flag that takes a value.
        if let spec = flag(last), spec.type != .bool, !last.contains("=") { return spec.choices }
        // Otherwise a positional: count the positionals typed so far.
        var positional = 0
        var i = 1
        while i < words.count {
            let word = words[i]
            if let spec = flag(word) {
                if spec.type != .bool, !word.contains("=") { i += 1 }
            } else if !word.hasPrefix("-") {
                positional += 1
            }
            i += 1
        }
        guard positional < command.arguments.count, case .choice(let options) = command.arguments[positional].type else { return nil }
        return options
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
