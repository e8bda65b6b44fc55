import Foundation
import TensorCore

/// A saved session: a plain script in which each cell is followed by its printed output as
/// `#> ` comment lines (`#~ ` for volatile lines such as timings), under a header naming the
/// aslsh version, date and seed. It runs as a script (`aslsh FILE`) and replays as a
/// regression test (`aslsh --check FILE`), which compares decimals with a tolerance
/// (`OutputComparison`) set by `# check:` / `#! check` lines (`CheckDirective`).
public enum Transcript {
    public static let outputPrefix = "#> "
    public static let volatilePrefix = "#~ "

    /// A cell read back from a transcript with the output it printed when saved.
    public struct Cell: Equatable {
        public var source: CellSource
        public var expected: [OutputLine]
        /// The file line of each of `expected`, for reports.
        public var expectedLines: [Int] = []
        public var tolerance: Tolerance = .standard
    }

    static let replayLine = "# replay: aslsh FILE    check: aslsh --check FILE"

    /// The text `:save` writes. `notes` are header comment lines kept from the file being
    /// overwritten (a description, a `# check:` tolerance).
    public static func render(_ entries: [TranscriptEntry], seed: UInt64, date: Date = Date(), notes: [String] = []) -> String {
        var lines = [header(seed: seed, date: date), replayLine] + notes + [""]
        for entry in entries {
            lines.append(entry.text)
            for line in entry.output {
                let prefix = line.isVolatile ? volatilePrefix : outputPrefix
                lines.append(line.text.isEmpty ? String(prefix.dropLast()) : prefix + line.text)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func header(seed: UInt64, date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return "# aslsh \(ASLSHVersion.string) session, saved \(formatter.string(from: date)), seed \(seed)"
    }

    /// The seed recorded in the header, if any.
    public static func seed(in text: String) -> UInt64? {
        for line in text.splitLines().prefix(5) where line.hasPrefix("# aslsh ") {
            if let range = line.range(of: "seed ") {
                return UInt64(line[range.upperBound...].prefix { $0.isNumber })
            }
        }
        return nil
    }

    /// The comment lines a saved transcript's header carries besides the two `:save` writes
    /// (a description, a `# check:` line), so that saving over it keeps them. Empty when `text`
    /// is not a transcript.
    public static func headerNotes(in text: String) -> [String] {
        let lines = text.splitLines()
        guard let first = lines.first, first.hasPrefix("# aslsh "), first.contains(" session") else { return [] }
        let comments = lines.dropFirst().prefix { $0.hasPrefix("#") && outputLine($0) == nil && !$0.hasPrefix(CheckDirective.cellPrefix) }
        return comments.filter { $0 != replayLine }
    }

    /// Cells with their expected output and tolerance. Output lines belong to the last cell that
    /// starts before them; cells with no output lines expect none. Throws on a malformed or
    /// misplaced check directive, naming its line.
    public static func parse(_ text: String) throws -> [Cell] {
        var cells = CellSplitter.split(text).map { Cell(source: $0, expected: []) }
        let cellStarts = Set(cells.map(\.source.line))
        var header: (directive: CheckDirective, line: Int)?
        var cellDirectives: [Int: CheckDirective] = [:]  // by the line the cell starts on
        var target = -1
        for (index, line) in text.splitLines().enumerated() {
            let lineNumber = index + 1
            while target + 1 < cells.count, cells[target + 1].source.line <= lineNumber { target += 1 }
            if let output = outputLine(line) {
                if target >= 0 {
                    cells[target].expected.append(output)
                    cells[target].expectedLines.append(lineNumber)
                }
            } else if let settings = CheckDirective.headerSettings(line) {
                guard target < 0 else {
                    throw TranscriptFormatError(line: lineNumber, message: "'# check:' belongs in the header, before the first cell "
                        + "(line \(cells[0].source.line)); for one cell write '#! check …' on the line before it")
                }
                if let header {
                    throw TranscriptFormatError(line: lineNumber, message: "a second '# check:' line (the first is line \(header.line))")
                }
                header = (try CheckDirective.parse(settings, line: lineNumber), lineNumber)
            } else if let settings = try CheckDirective.cellSettings(line, lineNumber: lineNumber) {
                guard cellStarts.contains(lineNumber + 1) else {
                    throw TranscriptFormatError(line: lineNumber, message: "'#! check' must be on the line just before a cell")
                }
                cellDirectives[lineNumber + 1] = try CheckDirective.parse(settings, line: lineNumber)
            }
        }
        let base = header?.directive.applied(to: .standard) ?? .standard
        for index in cells.indices {
            cells[index].tolerance = cellDirectives[cells[index].source.line]?.applied(to: base) ?? base
        }
        return cells
    }

    /// `#> x` → "x"; `#~ x` → volatile "x"; anything else → nil.
    static func outputLine(_ line: String) -> OutputLine? {
        let trimmed = line.hasSuffix("\r") ? String(line.dropLast()) : line
        for (prefix, volatile) in [(outputPrefix, false), (volatilePrefix, true)] {
            if trimmed == String(prefix.dropLast()) { return OutputLine("", volatile: volatile) }
            if trimmed.hasPrefix(prefix) { return OutputLine(String(trimmed.dropFirst(prefix.count)), volatile: volatile) }
        }
        return nil
    }

    /// One output line that does not match, at the file line of the expected `#>` line (or
    /// after the cell's last line, for output the transcript does not have).
    public struct LineMismatch: Equatable, CustomStringConvertible {
        public var line: Int
        public var isAfter = false
        public var detail: String

        public var description: String { (isAfter ? "after line \(line)" : "line \(line)") + ": " + detail }
    }

    /// One cell whose replayed output differs from the saved output.
    public struct Difference: Equatable {
        public var cellNumber: Int
        public var source: CellSource
        public var expected: [String]
        public var actual: [String]
        public var mismatches: [LineMismatch] = []
    }

    /// Replays `text` in a fresh session (seeded from the header) and returns every cell whose
    /// non-volatile output differs from what was saved, beyond the cell's tolerance. Directives
    /// are read before anything runs: a malformed one throws `TranscriptFormatError`.
    public static func check(_ text: String, registry: CommandRegistry = .standard) throws -> (cells: Int, differences: [Difference]) {
        let cells = try parse(text)
        let session = Session(registry: registry, seed: seed(in: text) ?? 42, outputSink: { _ in }, errorSink: { _ in })
        var differences: [Difference] = []
        for (index, cell) in cells.enumerated() {
            let outcome = session.execute(cell.source)
            let expected = zip(cell.expected, cell.expectedLines).filter { !$0.0.isVolatile }.map { (text: $0.0.text, line: $0.1) }
            let actual = outcome.output.filter { !$0.isVolatile }.map(\.text)
            let lastLine = cell.source.line + cell.source.text.filter { $0 == "\n" }.count
            let mismatches = compare(expected: expected, actual: actual, tolerance: cell.tolerance, cellEnd: lastLine)
            if !mismatches.isEmpty {
                differences.append(Difference(cellNumber: index + 1, source: cell.source, expected: expected.map(\.text),
                                              actual: actual, mismatches: mismatches))
            }
            if session.quitRequested { break }
        }
        session.cancelRunningJobs()   // a transcript that never waits for a job: nothing to compare
        return (cells.count, differences)
    }

    /// `aslsh FILE`: runs a script cell by cell as `Session.run(script:keepGoing:)` does, except
    /// that a cell which fails *as the file recorded* — its saved `#>` output holds an error and
    /// the replayed output matches it, as `--check` would accept — is not a failure: the run goes
    /// on, so replay and `--check` agree on a transcript with error cells. Any other error stops
    /// the run (or, with `keepGoing`, is returned). A file whose check directives do not parse
    /// runs as a plain script (to a replay, directives are comments).
    /// - Returns: the unexpected errors, and how many recorded errors reproduced.
    public static func replay(_ text: String, in session: Session, keepGoing: Bool = false)
        -> (errors: [ShellError], reproduced: Int) {
        guard let cells = try? parse(text) else { return (session.run(script: text, keepGoing: keepGoing), 0) }
        let lines = text.splitLines()
        var errors: [ShellError] = []
        var reproduced = 0
        for cell in cells {
            let outcome = session.execute(cell.source, sourceLines: lines)
            if let error = outcome.error {
                if error.kind != .cancelled, recordedError(cell, reproducedBy: outcome) {
                    reproduced += 1
                    session.errorSink("  (the session recorded this error; replay goes on)")
                } else {
                    errors.append(error)
                    if !keepGoing || error.kind == .cancelled { break }
                }
            }
            if session.quitRequested { break }
        }
        return (errors, reproduced)
    }

    /// Whether the cell's saved output is an error and the replayed output matches it within the
    /// cell's tolerance (the test `--check` applies).
    static func recordedError(_ cell: Cell, reproducedBy outcome: CellOutcome) -> Bool {
        let expected = zip(cell.expected, cell.expectedLines).filter { !$0.0.isVolatile }.map { (text: $0.0.text, line: $0.1) }
        guard expected.contains(where: { $0.text.hasPrefix("error: ") }) else { return false }
        let actual = outcome.output.filter { !$0.isVolatile }.map(\.text)
        return compare(expected: expected, actual: actual, tolerance: cell.tolerance, cellEnd: cell.source.line).isEmpty
    }

    /// Line by line: the nth printed line against the nth expected one.
    static func compare(expected: [(text: String, line: Int)], actual: [String], tolerance: Tolerance, cellEnd: Int) -> [LineMismatch] {
        var mismatches: [LineMismatch] = []
        for index in 0..<max(expected.count, actual.count) {
            switch (index < expected.count ? expected[index] : nil, index < actual.count ? actual[index] : nil) {
            case (let saved?, let printed?):
                if let detail = OutputComparison.mismatch(expected: saved.text, actual: printed, tolerance: tolerance) {
                    mismatches.append(LineMismatch(line: saved.line, detail: detail))
                }
            case (let saved?, nil):
                mismatches.append(LineMismatch(line: saved.line, detail: "'\(saved.text)' expected, the cell printed \(actual.count) line\(actual.count == 1 ? "" : "s")"))
            case (nil, let printed?):
                mismatches.append(LineMismatch(line: expected.last?.line ?? cellEnd, isAfter: true,
                                               detail: "'\(printed)' printed, not in the transcript"))
            case (nil, nil):
                break
            }
        }
        return mismatches
    }

    /// How many line mismatches a report lists before summarising the rest.
    static let reportedMismatches = 5

    /// The `--check` report for one difference: which lines differ and why, then both outputs.
    public static func report(_ difference: Difference, file: String) -> String {
        var lines = ["\(file):\(difference.source.line): cell \(difference.cellNumber) output differs: \(difference.source.text)"]
        lines += difference.mismatches.prefix(reportedMismatches).map { "  \($0)" }
        if difference.mismatches.count > reportedMismatches {
            lines.append("  … and \(difference.mismatches.count - reportedMismatches) more lines differ")
        }
        lines.append("  expected:")
        lines += difference.expected.isEmpty ? ["    (no output)"] : difference.expected.map { "    #> " + $0 }
        lines.append("  actual:")
        lines += difference.actual.isEmpty ? ["    (no output)"] : difference.actual.map { "    #> " + $0 }
        return lines.joined(separator: "\n")
    }
}
