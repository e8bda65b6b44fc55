import Foundation
import TensorCore

/// A saved session: a plain script in which each cell is followed by its printed output as
/// `#> ` comment lines (`#~ ` for volatile lines such as timings), under a header naming the
/// aslsh version, date and seed. It runs as a script (`aslsh FILE`) and replays as a
/// regression test (`aslsh --check FILE`).
public enum Transcript {
    public static let outputPrefix = "#> "
    public static let volatilePrefix = "#~ "

    /// A cell read back from a transcript with the output it printed when saved.
    public struct Cell: Equatable {
        public var source: CellSource
        public var expected: [OutputLine]
    }

    /// The text `:save` writes.
    public static func render(_ entries: [TranscriptEntry], seed: UInt64, date: Date = Date()) -> String {
        var lines = [header(seed: seed, date: date), "# replay: aslsh FILE    check: aslsh --check FILE", ""]
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
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(5) where line.hasPrefix("# aslsh ") {
            if let range = line.range(of: "seed ") {
                return UInt64(line[range.upperBound...].prefix { $0.isNumber })
            }
        }
        return nil
    }

    /// Cells with their expected output. Output lines belong to the last cell that starts
    /// before them; cells with no output lines expect none.
    public static func parse(_ text: String) -> [Cell] {
        var cells = CellSplitter.split(text).map { Cell(source: $0, expected: []) }
        var target = -1
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            let lineNumber = index + 1
            while target + 1 < cells.count, cells[target + 1].source.line <= lineNumber { target += 1 }
            guard target >= 0 else { continue }
            if let output = outputLine(line) { cells[target].expected.append(output) }
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

    /// One cell whose replayed output differs from the saved output.
    public struct Difference: Equatable {
        public var cellNumber: Int
        public var source: CellSource
        public var expected: [String]
        public var actual: [String]
    }

    /// Replays `text` in a fresh session (seeded from the header) and returns every cell whose
    /// non-volatile output differs from what was saved.
    public static func check(_ text: String, registry: CommandRegistry = .standard) -> (cells: Int, differences: [Difference]) {
        let session = Session(registry: registry, seed: seed(in: text) ?? 42, outputSink: { _ in }, errorSink: { _ in })
        let cells = parse(text)
        var differences: [Difference] = []
        for (index, cell) in cells.enumerated() {
            let outcome = session.execute(cell.source)
            let expected = cell.expected.filter { !$0.isVolatile }.map(\.text)
            let actual = outcome.output.filter { !$0.isVolatile }.map(\.text)
            if expected != actual {
                differences.append(Difference(cellNumber: index + 1, source: cell.source, expected: expected, actual: actual))
            }
            if session.quitRequested { break }
        }
        return (cells.count, differences)
    }

    /// The `--check` report for one difference.
    public static func report(_ difference: Difference, file: String) -> String {
        var lines = ["\(file):\(difference.source.line): cell \(difference.cellNumber) output differs: \(difference.source.text)"]
        lines.append("  expected:")
        lines += difference.expected.isEmpty ? ["    (no output)"] : difference.expected.map { "    #> " + $0 }
        lines.append("  actual:")
        lines += difference.actual.isEmpty ? ["    (no output)"] : difference.actual.map { "    #> " + $0 }
        return lines.joined(separator: "\n")
    }
}
