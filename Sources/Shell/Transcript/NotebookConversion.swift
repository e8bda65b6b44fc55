import Foundation
import TensorCore

/// Saved sessions ↔ notebooks (`aslsh convert`, `:save x.ipynb`) and `aslsh --check x.ipynb`.
public enum NotebookConversion {
    /// A conversion's result: the text or notebook, and what it could not carry over as such.
    public struct Result<Output> {
        public var output: Output
        public var warnings: [String]
    }

    /// The PNG bytes of a printed path that names an existing `.png` file (relative paths against
    /// the current folder, as a session resolves them), else nil.
    public static func pngFile(_ line: String) -> Data? {
        let path = line.trimmingCharacters(in: .whitespaces)
        guard path.lowercased().hasSuffix(".png"), !path.contains("\n") else { return nil }
        guard let data = FileManager.default.contents(atPath: (path as NSString).expandingTildeInPath),
              data.starts(with: [0x89, 0x50, 0x4E, 0x47]) else { return nil }
        return data
    }

    /// A saved session (transcript text) as a notebook: one code cell per cell, with its saved
    /// output; plots whose PNG exists are embedded. The header's seed and notes go in the
    /// notebook's metadata, a cell's `#! check` line in the cell's.
    public static func notebook(fromTranscript text: String, file: String,
                                image: (String) -> Data? = pngFile) throws -> Result<Notebook> {
        let cells: [Transcript.Cell]
        do { cells = try Transcript.parse(text) } catch let error as TranscriptFormatError {
            throw NotebookError(file: file, message: "line \(error.line): \(error.message)")
        }
        let lines = text.splitLines()
        var warnings: [String] = []
        var notebookCells: [Notebook.Cell] = []
        for (index, cell) in cells.enumerated() {
            var metadata: [String: JSONValue] = [:]
            let before = cell.source.line - 2
            if before >= 0, before < lines.count, lines[before].hasPrefix(CheckDirective.cellPrefix) {
                metadata["aslsh"] = .object(["check": .string(lines[before])])
            }
            let outputs = Notebook.outputs(for: cell.expected, image: image)
            if let last = cell.expected.last, !last.isVolatile, last.text.lowercased().hasSuffix(".png"), image(last.text) == nil {
                warnings.append("\(file):\(cell.source.line): \(last.text) not found: kept as text (run the session first to embed it)")
            }
            notebookCells.append(Notebook.Cell(kind: .code, id: "cell-\(index + 1)", source: cell.source.text, outputs: outputs,
                                               executionCount: index + 1,
                                               metadata: metadata))
        }
        let notebook = Notebook(cells: notebookCells,
                                metadata: Notebook.aslshMetadata(seed: Transcript.seed(in: text) ?? 42,
                                                                 notes: Transcript.headerNotes(in: text)))
        return Result(output: notebook, warnings: warnings)
    }

    /// The session's recorded cells as a notebook (`:save x.ipynb`).
    public static func notebook(from entries: [TranscriptEntry], seed: UInt64, notes: [String] = [],
                                image: (String) -> Data? = pngFile) -> Notebook {
        let cells = entries.enumerated().map { index, entry in
            Notebook.Cell(kind: .code, id: "cell-\(index + 1)", source: entry.text,
                          outputs: Notebook.outputs(for: entry.output, image: image), executionCount: index + 1)
        }
        return Notebook(cells: cells, metadata: Notebook.aslshMetadata(seed: seed, notes: notes))
    }

    /// A notebook as a saved session. Markdown cells become comments; so do the code cells of a
    /// notebook whose language is not aslsh, and raw cells, each with a warning.
    public static func transcript(from notebook: Notebook, file: String, date: Date = Date()) -> Result<String> {
        var warnings: [String] = []
        let language = notebook.language ?? "aslsh"
        var entries: [TranscriptEntry] = []
        var foreign = 0
        for (index, cell) in notebook.cells.enumerated() {
            let source = cell.source.hasSuffix("\n") ? String(cell.source.dropLast()) : cell.source
            switch cell.kind {
            case .code where language == "aslsh":
                let check = cell.metadata["aslsh"]?.object?["check"]?.stringValue
                entries.append(TranscriptEntry(text: (check.map { $0 + "\n" } ?? "") + source,
                                               output: Notebook.transcriptLines(cell.outputs)))
            case .markdown:
                entries.append(TranscriptEntry(text: commented(source), output: []))
            case .code, .raw:
                foreign += 1
                warnings.append("\(file): cell \(index + 1) is a \(cell.kind == .raw ? "raw" : language) cell, not aslsh: kept as a comment")
                entries.append(TranscriptEntry(text: commented(source), output: []))
            }
        }
        if foreign > 0 { warnings.append("\(file): \(foreign) non-aslsh cell\(foreign == 1 ? "" : "s") kept as comments") }
        let text = Transcript.render(entries, seed: notebook.seed ?? 42, date: date, notes: notebook.headerNotes)
        return Result(output: text, warnings: warnings)
    }

    static func commented(_ text: String) -> String {
        text.splitLines().map { $0.isEmpty ? "#" : "# " + $0 }.joined(separator: "\n")
    }

    /// `aslsh --check x.ipynb`: replays the notebook's code cells in a fresh session seeded from
    /// its metadata and compares each cell's output with the transcript lines its outputs show,
    /// by the rules of `--check` on a session (volatile lines ignored, decimals within the
    /// tolerance of the `# check:` note and the cell's `#! check`). A difference's `source.line`
    /// is the notebook cell's number; its line numbers count the cell's output lines.
    public static func check(_ notebook: Notebook, file: String, registry: CommandRegistry = .standard) throws
        -> (cells: Int, differences: [Transcript.Difference]) {
        guard (notebook.language ?? "aslsh") == "aslsh" else {
            throw NotebookError(file: file, message: "a \(notebook.language!) notebook, not aslsh: nothing to check "
                + "('aslsh convert \(file) --to aslsh' keeps its cells as comments)")
        }
        func directive(_ line: String) throws -> CheckDirective? {
            do {
                if let settings = CheckDirective.headerSettings(line) { return try CheckDirective.parse(settings, line: 0) }
                if let settings = try CheckDirective.cellSettings(line, lineNumber: 0) { return try CheckDirective.parse(settings, line: 0) }
            } catch let error as TranscriptFormatError {
                throw NotebookError(file: file, message: "'\(line)': \(error.message)")
            }
            return nil
        }
        var base = Tolerance.standard
        for note in notebook.headerNotes { if let header = try directive(note) { base = header.applied(to: .standard) } }
        let session = Session(registry: registry, seed: notebook.seed ?? 42, outputSink: { _ in }, errorSink: { _ in })
        session.origin = file
        var differences: [Transcript.Difference] = []
        var checked = 0
        for (index, cell) in notebook.cells.enumerated() where cell.kind == .code {
            checked += 1
            let tolerance = try cell.metadata["aslsh"]?.object?["check"]?.stringValue.flatMap(directive)?.applied(to: base) ?? base
            var actual: [String] = []
            for part in CellSplitter.split(cell.source) {
                let outcome = session.execute(part)
                actual += outcome.output.filter { !$0.isVolatile }.map(\.text)
                if outcome.error != nil || session.quitRequested { break }
            }
            let expected = Notebook.transcriptLines(cell.outputs).filter { !$0.isVolatile }.enumerated().map { (text: $1.text, line: $0 + 1) }
            let mismatches = Transcript.compare(expected: expected, actual: actual, tolerance: tolerance, cellEnd: 0)
            if !mismatches.isEmpty {
                differences.append(Transcript.Difference(cellNumber: checked, source: CellSource(text: cell.source, line: index + 1),
                                                         expected: expected.map(\.text), actual: actual, mismatches: mismatches))
            }
            if session.quitRequested { break }
        }
        return (checked, differences)
    }
}
