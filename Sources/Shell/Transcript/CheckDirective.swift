import Foundation

/// A transcript line that `aslsh --check` cannot use: a malformed or misplaced check directive.
/// `--check` reports it as `FILE:LINE: error: MESSAGE` and exits 2 before replaying anything.
public struct TranscriptFormatError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public var description: String { "line \(line): \(message)" }

    public func report(file: String) -> String { "\(file):\(line): error: \(message)" }
}

/// A tolerance setting in a transcript, read only by `--check` (to the shell they are comments):
///
///     # check: rtol=1e-2 atol=1e-4     in the header (the comment lines before the first cell):
///                                      the whole file's tolerance
///     #! check rtol=0.05               on the line just before a cell: that cell's tolerance
///     #! check exact                   that cell's output compared character for character
///
/// Settings are `rtol=X`, `atol=X` (non-negative numbers) or `exact`, separated by spaces or
/// commas; one left out keeps the header's value, or the default (`Tolerance.standard`).
struct CheckDirective: Equatable {
    var exact = false
    var rtol: Double?
    var atol: Double?

    static let cellPrefix = "#!"
    static let settings = ["rtol", "atol", "exact"]

    /// The tolerance this directive makes of `base` (the header's, or the default).
    func applied(to base: Tolerance) -> Tolerance {
        if exact { return .exact }
        return .numeric(rtol: rtol ?? base.rtol ?? Tolerance.standardRTol, atol: atol ?? base.atol ?? Tolerance.standardATol)
    }

    /// Parses the settings after `# check:` or `#! check`.
    static func parse(_ settingsText: Substring, line: Int) throws -> CheckDirective {
        func fail(_ message: String) -> TranscriptFormatError { TranscriptFormatError(line: line, message: message) }
        let items = settingsText.split(whereSeparator: { $0.isWhitespace || $0 == "," })
        guard !items.isEmpty else { throw fail("check directive needs rtol=X, atol=X or exact") }
        var directive = CheckDirective()
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            switch key {
            case "exact":
                guard parts.count == 1 else { throw fail("'exact' takes no value") }
                directive.exact = true
            case "rtol", "atol":
                guard parts.count == 2 else { throw fail("\(key) needs a value (\(key)=1e-3)") }
                let text = String(parts[1])
                guard let value = Double(text), value.isFinite, value >= 0 else {
                    throw fail("\(key) expects a non-negative number, got '\(text)'")
                }
                guard (key == "rtol" ? directive.rtol : directive.atol) == nil else { throw fail("\(key) given twice") }
                if key == "rtol" { directive.rtol = value } else { directive.atol = value }
            default:
                let hint = Suggestion.nearest(to: key, in: settings).map { " (did you mean '\($0)'?)" } ?? ""
                throw fail("unknown check setting '\(key)'\(hint); expected rtol=X, atol=X or exact")
            }
        }
        if directive.exact, directive.rtol != nil || directive.atol != nil {
            throw fail("'exact' cannot be combined with rtol or atol")
        }
        return directive
    }

    /// The settings text of a header `# check:` line, or nil for any other line.
    static func headerSettings(_ line: String) -> Substring? {
        let body = line.drop { $0 == " " || $0 == "\t" }
        guard body.hasPrefix("#") else { return nil }
        let rest = body.dropFirst().drop { $0 == " " || $0 == "\t" }
        guard rest.hasPrefix("check:") else { return nil }
        return rest.dropFirst("check:".count)
    }

    /// The settings text of a `#! check …` line; nil for other lines and a first-line shebang
    /// (`#!/usr/bin/env aslsh`). Any other `#!` line is reserved for directives, so a misspelt
    /// one is an error rather than a comment that silently does nothing.
    static func cellSettings(_ line: String, lineNumber: Int) throws -> Substring? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.hasPrefix(cellPrefix) else { return nil }
        let rest = trimmed.dropFirst(cellPrefix.count)
        if lineNumber == 1, rest.hasPrefix("/") { return nil }
        let body = rest.drop { $0 == " " || $0 == "\t" }
        let word = String(body.prefix { !$0.isWhitespace })
        guard word == "check" else {
            let hint = Suggestion.nearest(to: word, in: ["check"]).map { " (did you mean '\($0)'?)" } ?? ""
            throw TranscriptFormatError(line: lineNumber,
                                        message: "unknown directive '#! \(word)'\(hint); '#!' lines before a cell are '#! check …'")
        }
        return body.dropFirst(word.count)
    }
}
