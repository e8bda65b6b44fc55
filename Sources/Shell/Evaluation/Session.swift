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
    /// Cells recorded for `:save` (every cell except `:save`/`:quit` themselves).
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
        for piece in text.components(separatedBy: "\n") {
            let line = OutputLine(piece, volatile: volatile)
            capture.append(line)
            outputSink(line)
        }
    }

    // MARK: variables

    public func setVariable(_ name: String, _ value: Value) {
        if variables[name] == nil { variableOrder.append(name) }
        variables[name] = value
    }

    /// Clears variables, history and the recorded transcript (`:reset`).
    public func reset() {
        variables = [:]
        variableOrder = []
        transcript = []
        history = []
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
        if recorded { transcript.append(TranscriptEntry(text: cell.text, output: capture)) }
        return outcome
    }

    /// Splits `text` into cells and runs them in order.
    /// - Returns: the errors, with the cell they happened in; stops at the first unless `keepGoing`.
    @discardableResult
    public func run(script text: String, keepGoing: Bool = false) -> [ShellError] {
        let lines = text.components(separatedBy: "\n")
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
        let own = cell.text.components(separatedBy: "\n")
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

    // MARK: evaluation

    func run(_ statement: Statement) throws -> Value? {
        switch statement {
        case .empty:
            return nil
        case .assignment(let name, let at, let pipeline):
            if registry[name] != nil {
                throw ShellError(.invalidArgument, "cannot assign to '\(name)': it is a command name", at: at,
                                 length: name.count, hint: "choose another variable name")
            }
            let value = try evaluate(pipeline)
            setVariable(name, value)
            return value
        case .pipeline(let pipeline):
            let value = try evaluate(pipeline)
            if echoesValues, case .null = value {} else if echoesValues {
                for line in ValueFormatter.lines(value) { print(line) }
            }
            return value
        case .timed(let inner, _):
            let start = ProgressReporter.monotonicSeconds()
            let value = try run(inner)
            let seconds = ProgressReporter.monotonicSeconds() - start
            print(String(format: "time: %.3f s", seconds), volatile: true)
            return value
        }
    }

    func evaluate(_ pipeline: Pipeline, row: Record? = nil) throws -> Value {
        var value: Value?
        for (position, stage) in pipeline.stages.enumerated() {
            switch stage {
            case .command(let call):
                value = try invoke(call, input: position == 0 ? nil : value, row: row)
            case .expression(let expression):
                if position > 0 {
                    throw ShellError(.syntax, "only a command can follow '|'", at: expression.location)
                }
                value = try evaluate(expression, row: row)
            }
            try Cancellation.check()
        }
        return value ?? .null
    }

    private func invoke(_ call: CommandCall, input: Value?, row: Record?) throws -> Value {
        guard let definition = registry[call.name] else {
            if input == nil, call.arguments.isEmpty {
                if let row, let value = row[call.name] { return value }
                if let value = variables[call.name] { return value }
            }
            if variables[call.name] != nil {
                throw ShellError(.unknownCommand, "'\(call.name)' is a variable, not a command", at: call.location,
                                 length: call.nameLength, hint: "to pass it to a command, write e.g. 'print \(call.name)'")
            }
            let kind = call.name.hasPrefix(":") ? "directive" : "command"
            let candidates = registry.names + (call.arguments.isEmpty ? variableOrder : [])
            throw ShellError(.unknownCommand, "unknown \(kind) '\(call.name)'", at: call.location,
                             length: call.nameLength,
                             hint: Suggestion.hint(for: call.name, in: candidates) ?? "type ':help' for the list of commands")
        }
        let invocation = try Binder(session: self, row: row).bind(call, to: definition, input: input)
        return try definition.handler(invocation)
    }

    /// Evaluates an expression; in `where` predicates `row` supplies the table's columns, which
    /// shadow variables.
    public func evaluate(_ expression: Expression, row: Record? = nil) throws -> Value {
        switch expression {
        case .number(let d, let isInteger, _):
            return isInteger ? .int(Int(d)) : .number(d)
        case .string(let s, _):
            return .string(s)
        case .word(let name, let at, let length):
            if let row, let value = row[name] { return value }
            if let value = variables[name] { return value }
            if row == nil, Self.looksLikePath(name) { return .path(name) }
            if name == "true" { return .bool(true) }
            if name == "false" { return .bool(false) }
            if name == "null" { return .null }
            let candidates = (row?.keys ?? []) + variableOrder
            let what = row == nil ? "variable" : "column or variable"
            throw ShellError(.unknownVariable, "unknown \(what) '\(name)'", at: at, length: length,
                             hint: Suggestion.hint(for: name, in: candidates)
                                ?? (row == nil ? "write text in quotes: \"\(name)\"" : "write text in quotes: \"\(name)\""))
        case .field(let base, let name, let at):
            if row == nil, let text = Self.literalText(expression), let root = Self.rootWord(expression),
               variables[root] == nil {
                // `photo.jpg`, `data.csv`: a dotted word whose first part is no variable is a path.
                return .path(text)
            }
            let value = try evaluate(base, row: row)
            guard let result = value.field(name) else {
                throw ShellError(.unknownField, "\(value.typeName) has no field '\(name)'", at: at, length: name.count,
                                 hint: Suggestion.hint(for: name, in: value.fieldNames)
                                    ?? (value.fieldNames.isEmpty ? nil : "fields: " + value.fieldNames.joined(separator: ", ")))
            }
            return result
        case .index(let base, let indexExpression, let at):
            return try index(try evaluate(base, row: row), by: try evaluate(indexExpression, row: row), at: at)
        case .list(let items, _):
            return .list(try items.map { try evaluate($0, row: row) })
        case .record(let entries, _):
            return .record(Record(try entries.map { (key: $0.key, value: try evaluate($0.value, row: row)) }))
        case .binary(let op, let left, let right, _):
            let a = try evaluate(left, row: row)
            if op == "&&" { return a.isTruthy ? .bool(try evaluate(right, row: row).isTruthy) : .bool(false) }
            if op == "||" { return a.isTruthy ? .bool(true) : .bool(try evaluate(right, row: row).isTruthy) }
            let b = try evaluate(right, row: row)
            let order = ValueOrder.compare(a, b)
            switch op {
            case "==": return .bool(order == 0)
            case "!=": return .bool(order != 0)
            case "<": return .bool(order < 0)
            case "<=": return .bool(order <= 0)
            case ">": return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case .not(let inner, _):
            return .bool(!(try evaluate(inner, row: row)).isTruthy)
        case .subpipeline(let pipeline, _):
            return try evaluate(pipeline, row: row)
        }
    }

    private func index(_ value: Value, by key: Value, at: SourceLocation) throws -> Value {
        func position(_ count: Int) throws -> Int {
            guard case .int(let i) = key else {
                throw ShellError(.invalidArgument, "index must be an int, got \(key.typeName)", at: at)
            }
            let resolved = i < 0 ? count + i : i
            guard resolved >= 0, resolved < count else {
                throw ShellError(.invalidArgument, "index \(i) out of range 0..<\(count)", at: at)
            }
            return resolved
        }
        switch value {
        case .list(let items): return items[try position(items.count)]
        case .table(let t): return .record(t.record(at: try position(t.rows.count)))
        case .array(let a):
            guard let first = a.shape.first else { throw ShellError(.invalidArgument, "cannot index a 0-d array", at: at) }
            return .array(ArraySlicing.slice(a, at: try position(first)))
        case .record, .opaque:
            guard let name = key.textValue else {
                throw ShellError(.invalidArgument, "a \(value.typeName) is indexed by a field name in quotes", at: at)
            }
            guard let field = value.field(name) else {
                throw ShellError(.unknownField, "\(value.typeName) has no field '\(name)'", at: at,
                                 hint: Suggestion.hint(for: name, in: value.fieldNames))
            }
            return field
        default:
            throw ShellError(.invalidArgument, "cannot index a \(value.typeName)", at: at)
        }
    }

    /// `a.b.c` as written, if the expression is a chain of fields on a bare word.
    static func literalText(_ expression: Expression) -> String? {
        switch expression {
        case .word(let w, _, _): return w
        case .field(let base, let name, _): return literalText(base).map { $0 + "." + name }
        default: return nil
        }
    }

    static func rootWord(_ expression: Expression) -> String? {
        switch expression {
        case .word(let w, _, _): return w
        case .field(let base, _, _): return rootWord(base)
        default: return nil
        }
    }

    /// Words with `/`, `.` or `~` read as paths where a value is expected.
    static func looksLikePath(_ word: String) -> Bool {
        word.contains("/") || word.contains(".") || word.hasPrefix("~")
    }
}
