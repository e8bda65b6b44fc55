import JobControl
import TensorCore

/// The evaluator: statements, pipelines and expressions against the session's variables.
extension Session {
    /// Runs a parsed cell; returns its value (nil for an empty cell).
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
                printValue(value)
            }
            return value
        case .background(let inner, let at, let nice):
            try startJob(inner, at: at, nice: nice)
            return nil
        case .timed(let inner, _):
            let start = ProgressReporter.monotonicSeconds()
            let value = try run(inner)
            let seconds = ProgressReporter.monotonicSeconds() - start
            print(String(format: "time: %.3f s", seconds), volatile: true)
            return value
        }
    }

    /// Runs the stages of `pipeline` from `first` on; `input` is the value stage `first` receives.
    func evaluate(_ pipeline: Pipeline, row: Record? = nil, from first: Int = 0, input: Value? = nil) throws -> Value {
        var value = input
        for (position, stage) in pipeline.stages.enumerated() where position >= first {
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
                if let value = variables[call.name] { return try resolve(call.name, value) }
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
        if Self.asksForHelp(call, definition) {
            for line in definition.helpText { print(line) }
            return .null
        }
        let invocation = try Binder(session: self, row: row).bind(call, to: definition, input: input)
        if !jobs.running.isEmpty { _ = try checkOutputsFree(definition, invocation) }
        return try self.call(definition, invocation)
    }

    /// Runs a bound command's handler.
    func call(_ definition: CommandDefinition, _ invocation: Invocation) throws -> Value {
        // Paths in the output and errors print as the user gave them (`PathDisplay`).
        try PathDisplay.withPaths(of: invocation) {
            do {
                if definition.usesBLAS {
                    do { try ComputeEnvironment.loadBLAS() } catch { throw invocation.failure("\(error)") }
                }
                return try definition.handler(invocation)
            } catch let error as ShellError {
                throw error
            } catch is CancelledError {
                throw CancelledError()
            } catch {
                // A library error a handler let through still names the command ("eval: PATH: cannot
                // write: permission denied"), like the ones it catches itself.
                throw invocation.failure("\(error)")
            }
        }
    }

    /// `CMD … --help` prints the command's page (the one `:help CMD` prints) instead of running
    /// it, unless the command has a `--help` flag of its own.
    static func asksForHelp(_ call: CommandCall, _ definition: CommandDefinition) -> Bool {
        guard definition.flag(named: "help") == nil else { return false }
        return call.arguments.contains {
            guard case .flag(let name, let isShort, let inlineValue, _, _) = $0 else { return false }
            return name == "help" && !isShort && inlineValue == nil
        }
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
            if let value = variables[name] { return try resolve(name, value) }
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
        case .binary(let op, let left, let right, let at):
            let a = try evaluate(left, row: row)
            if op == "&&" { return a.isTruthy ? .bool(try evaluate(right, row: row).isTruthy) : .bool(false) }
            if op == "||" { return a.isTruthy ? .bool(true) : .bool(try evaluate(right, row: row).isTruthy) }
            let b = try evaluate(right, row: row)
            if op == "in" { return .bool(try Self.contains(b, a, at: at)) }
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

    /// `item in container`: one of a list's items (or a table's rows), or text inside text.
    static func contains(_ container: Value, _ item: Value, at: SourceLocation) throws -> Bool {
        switch container {
        case .list(let items): return items.contains { ValueOrder.compare($0, item) == 0 }
        case .string(let s), .path(let s):
            guard let text = item.textValue else { throw ShellError(.invalidArgument, "'in' text needs text on its left, got \(item.typeName)", at: at) }
            return s.contains(text)
        default:
            throw ShellError(.invalidArgument, "'in' needs a list or text on its right, got \(container.typeName)", at: at,
                             hint: "a table's column is a list: t.label")
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
