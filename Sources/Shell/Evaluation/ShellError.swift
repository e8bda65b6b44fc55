/// Every error the shell reports: what went wrong, where in the cell (line:column and how many
/// columns to underline), and a "did you mean" suggestion when a name was misspelt.
/// Errors end the cell, never the interactive session.
public struct ShellError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The cell does not parse.
        case syntax
        case unknownCommand
        case unknownFlag
        case unknownVariable
        case unknownField
        /// A required positional argument or a flag's value is missing.
        case missingArgument
        /// More positional arguments than the command takes.
        case extraArgument
        /// A value has the wrong type, or a flag value fails validation.
        case invalidArgument
        /// A command failed while running (file not found, bad data, …).
        case failed
        /// Ctrl-C.
        case cancelled
    }

    public var kind: Kind
    public var message: String
    public var location: SourceLocation?
    /// Columns to underline from `location`.
    public var length: Int
    /// E.g. `did you mean 'load'?`
    public var hint: String?

    public init(_ kind: Kind, _ message: String, at location: SourceLocation? = nil, length: Int = 1,
                hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.length = max(1, length)
        self.hint = hint
    }

    public var description: String {
        (location.map { "\($0): " } ?? "") + "error: " + message + (hint.map { " (\($0))" } ?? "")
    }

    /// The full report: `ORIGIN:LINE:COL: error: MESSAGE`, the offending line with a caret under
    /// the location, then the hint.
    ///
    ///     session.aslsh:3:1: error (cell 2): unknown command 'lod'
    ///         lod data/x.npz
    ///         ^~~
    ///       did you mean 'load'?
    public func report(origin: String, cellNumber: Int?, sourceLine: (Int) -> String?) -> String {
        var head = origin
        if let location { head += (head.isEmpty ? "" : ":") + "\(location.line):\(location.column)" }
        head += head.isEmpty ? "error" : ": error"
        if let cellNumber { head += " (cell \(cellNumber))" }
        var lines = [head + ": " + message]
        if let location, let text = sourceLine(location.line) {
            lines.append("    " + text)
            let pad = String(repeating: " ", count: max(0, location.column - 1))
            lines.append("    " + pad + "^" + String(repeating: "~", count: max(0, length - 1)))
        }
        if let hint { lines.append("  " + hint) }
        return lines.joined(separator: "\n")
    }
}

/// Nearest-name suggestions for misspelt commands, flags, variables and fields.
public enum Suggestion {
    /// The candidate closest to `name` by edit distance, if close enough to be a likely typo
    /// (at most a third of the name's length, minimum 1, maximum 3 edits), or one that starts with it.
    public static func nearest(to name: String, in candidates: [String]) -> String? {
        let limit = min(3, max(1, name.count / 3))
        var best: (String, Int)?
        for candidate in candidates where candidate != name {
            let d = editDistance(name, candidate)
            if d <= limit, best.map({ d < $0.1 }) ?? true { best = (candidate, d) }
        }
        if let best { return best.0 }
        return candidates.filter { $0.hasPrefix(name) && name.count >= 2 }.min { $0.count < $1.count }
    }

    /// `did you mean 'x'?` or nil.
    public static func hint(for name: String, in candidates: [String], prefix: String = "") -> String? {
        nearest(to: name, in: candidates).map { "did you mean '\(prefix)\($0)'?" }
    }

    /// Levenshtein distance with transpositions counted as one edit (optimal string alignment).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
