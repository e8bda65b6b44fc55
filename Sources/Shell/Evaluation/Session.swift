import Foundation
import JobControl
import TensorCore

/// One printed line of a cell. Volatile lines (timings, dates) are saved as `#~` in transcripts
/// and ignored by `--check`.
public struct OutputLine: Equatable {
    public var text: String
    public var isVolatile: Bool
    public init(_ text: String, volatile: Bool = false) {
        self.text = text
        isVolatile = volatile
    }
}

/// A cell that ran, as `:save` writes it.
public struct TranscriptEntry: Equatable {
    public var text: String
    public var output: [OutputLine]
}

/// What running one cell produced.
public struct CellOutcome {
    public var output: [OutputLine]
    public var error: ShellError?
    public var value: Value?
}

/// The state of one shell session — variables, seed, history, recorded cells — and the
/// evaluator that runs cells against it. It knows nothing about terminals: front ends (REPL,
/// script runner, `--check`) feed it cells and choose where its output goes.
public final class Session {
    public let registry: CommandRegistry
    public private(set) var variables: [String: Value] = [:]
    /// Variable names in definition order (for `:vars`).
    public private(set) var variableOrder: [String] = []
    /// The session seed: commands that need randomness derive theirs from it; saved in transcript headers.
    public var seed: UInt64
    /// Cell texts in the order entered (`:history`).
    public private(set) var history: [String] = []
    /// Cells recorded for `:save` (all but `:save`, `:quit`, `:history` and cancelled cells).
    public private(set) var transcript: [TranscriptEntry] = []
    /// Receives every printed line as it is printed (the front end writes it to stdout).
    public var outputSink: (OutputLine) -> Void
    /// Receives error reports (stderr).
    public var errorSink: (String) -> Void
    /// Set by `:quit`.
    public var quitRequested = false
    /// Number of the next cell (the REPL prompt shows it).
    public private(set) var cellNumber = 1
    /// Origin shown in error reports (a script path, `-c`, `<stdin>`; empty at the prompt).
    public var origin = ""
    /// Whether to print the value of a cell that is not an assignment (notebook style).
    public var echoesValues = true
    /// A front end that shows values itself (the Jupyter kernel: tables as HTML, plots inline; a
    /// terminal that draws images) receives each echoed value with its text lines, before they
    /// print. When it returns true it has shown them: the lines are recorded for the transcript
    /// but not sent to `outputSink`.
    public var valueDisplay: ((Value, [String]) -> Bool)?

    /// Background jobs started with `&`: running, and ended but not yet waited for.
    public let jobs = JobTable()
    /// The text of the top-level cell being run (a background job's title).
    var currentCellText = ""

    private var capture: [OutputLine] = []
    /// Nesting of `execute` (cells run by `:run` are nested).
    private(set) var executionDepth = 0

    public init(registry: CommandRegistry = .standard, seed: UInt64 = 42,
                outputSink: @escaping (OutputLine) -> Void = Session.standardOutput,
                errorSink: @escaping (String) -> Void = Session.standardError) {
        self.registry = registry
        self.seed = seed
        self.outputSink = outputSink
        self.errorSink = errorSink
    }

    public static func standardOutput(_ line: OutputLine) {
        fputs(line.text + "\n", stdout)
        fflush(stdout)
    }

    public static func standardError(_ text: String) {
        fputs(text + "\n", stderr)
        fflush(stderr)
    }

    // MARK: output

    /// Prints a line as part of the current cell's output.
    public func print(_ text: String, volatile: Bool = false) {
        for piece in text.splitLines() {
            let line = OutputLine(piece, volatile: volatile)
            capture.append(line)
            outputSink(line)
        }
    }

    /// Prints a cell's value, or hands it to `valueDisplay`.
    func printValue(_ value: Value) {
        let lines = ValueFormatter.lines(value).flatMap { $0.splitLines() }
        if let valueDisplay, valueDisplay(value, lines) {
            capture += lines.map { OutputLine($0) }
        } else {
            for line in lines { print(line) }
        }
    }

    // MARK: variables

    public func setVariable(_ name: String, _ value: Value) {
        if variables[name] == nil { variableOrder.append(name) }
        variables[name] = value
    }

    func removeVariable(_ name: String) {
        variables[name] = nil
        variableOrder.removeAll { $0 == name }
    }

    /// Clears variables, history and the recorded transcript (`:reset`).
    public func reset() {
        variables = [:]
        variableOrder = []
        transcript = []
        history = []
        jobs.restartNumbering()
    }

    // MARK: running cells

    /// Runs one cell: parses, evaluates, prints the value (unless assigned) and records it.
    /// Errors are reported to `errorSink` and returned, never thrown: a bad cell ends the cell,
    /// not the session.
    ///
    /// - Parameters:
    ///   - sourceLines: the lines of the file the cell came from (for the caret display); nil
    ///     uses the cell's own text.
    ///   - record: whether `:save` should include the cell.
    @discardableResult
    public func execute(_ cell: CellSource, sourceLines: [String]? = nil) -> CellOutcome {
        let number = cellNumber
        cellNumber += 1
        let outer = capture
        capture = []
        executionDepth += 1
        defer {
            executionDepth -= 1
            // A cell run by `:run` prints into the `:run` cell's output.
            capture = executionDepth > 0 ? outer + capture : []
        }
        let isTopLevel = executionDepth == 1
        if isTopLevel {
            Cancellation.reset()
            history.append(cell.text)
            currentCellText = cell.text
        }
        var outcome = CellOutcome(output: [], error: nil, value: nil)
        var recorded = isTopLevel
        do {
            let statement = try Parser.parse(cell)
            recorded = isTopLevel && !Self.isUnrecorded(statement)
            outcome.value = try run(statement)
        } catch let error as ShellError {
            outcome.error = error
        } catch is CancelledError {
            outcome.error = ShellError(.cancelled, "cancelled (Ctrl-C)")
        } catch {
            outcome.error = ShellError(.failed, "\(error)")
        }
        if isTopLevel { Cancellation.reset() }
        if let error = outcome.error {
            let lines = sourceLines ?? Self.lines(of: cell)
            errorSink(error.report(origin: origin, cellNumber: number) { line in
                let i = line - 1
                return i >= 0 && i < lines.count ? lines[i] : nil
            })
            capture.append(OutputLine("error: " + error.message + (error.hint.map { " (\($0))" } ?? "")))
        }
        outcome.output = capture
        // A cancelled cell is not saved: its partial output could never replay the same.
        if recorded, outcome.error?.kind != .cancelled {
            transcript.append(TranscriptEntry(text: cell.text, output: capture))
        }
        return outcome
    }

    /// Splits `text` into cells and runs them in order.
    /// - Returns: the errors, with the cell they happened in; stops at the first unless `keepGoing`.
    @discardableResult
    public func run(script text: String, keepGoing: Bool = false) -> [ShellError] {
        let lines = text.splitLines()
        var errors: [ShellError] = []
        for cell in CellSplitter.split(text) {
            let outcome = execute(cell, sourceLines: lines)
            if let error = outcome.error {
                errors.append(error)
                if !keepGoing || error.kind == .cancelled { break }
            }
            if quitRequested { break }
        }
        return errors
    }

    /// The session's own line numbering for a cell's text (line `cell.line` is its first line).
    static func lines(of cell: CellSource) -> [String] {
        var lines = [String](repeating: "", count: max(0, cell.line - 1))
        let own = cell.text.splitLines()
        for (i, text) in own.enumerated() {
            lines.append(i == 0 ? String(repeating: " ", count: max(0, cell.column - 1)) + text : text)
        }
        return lines
    }

    static func isUnrecorded(_ statement: Statement) -> Bool {
        if case .pipeline(let p) = statement, p.stages.count == 1, case .command(let call) = p.stages[0] {
            return [":save", ":quit", ":history"].contains(call.name)
        }
        return false
    }
}
