/// Matches a command call's arguments to its definition: flags by name (or one-letter alias or
/// keyword form), positionals in order; converts and validates every value against its declared
/// type; applies defaults. All errors point at the offending argument.
struct Binder {
    let session: Session
    let row: Record?

    func bind(_ call: CommandCall, to definition: CommandDefinition, input: Value?) throws -> Invocation {
        var values: [String: Value] = [:]
        var expressions: [String: Expression] = [:]
        var given = Set<String>()
        var positionals: [Expression] = []
        let arguments = call.arguments
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case .flag(let name, let isShort, let inlineValue, let at, let length):
                let spelled = isShort ? "-\(name)" : "--\(name)"
                guard let spec = isShort ? definition.flag(short: Character(name)) : definition.flag(named: name) else {
                    let candidates = definition.flags.map(\.name)
                    let hint = isShort ? nil : Suggestion.hint(for: name, in: candidates, prefix: "--")
                    throw ShellError(.unknownFlag, "unknown flag '\(spelled)' for '\(definition.name)'", at: at,
                                     length: length, hint: hint ?? Self.flagList(definition))
                }
                if given.contains(spec.name) {
                    throw ShellError(.invalidArgument, "flag '--\(spec.name)' given twice", at: at, length: length)
                }
                let expression: Expression
                if let inlineValue {
                    expression = inlineValue
                } else if spec.type == .bool {
                    values[spec.name] = .bool(true)
                    given.insert(spec.name)
                    i += 1
                    continue
                } else if i + 1 < arguments.count, case .value(let next) = arguments[i + 1] {
                    expression = next
                    i += 1
                } else {
                    throw ShellError(.missingArgument, "flag '\(spelled)' needs a value (\(spec.type.display))",
                                     at: at, length: length)
                }
                try store(expression, type: spec.type, name: spec.name, what: "'--\(spec.name)'",
                          validate: spec.validate, into: &values, &expressions)
                given.insert(spec.name)
            case .value(let expression):
                if case .word(let word, _, _) = expression, let spec = definition.flag(named: word), spec.isKeyword,
                   !given.contains(spec.name), i + 1 < arguments.count, case .value(let next) = arguments[i + 1] {
                    try store(next, type: spec.type, name: spec.name, what: "'\(spec.name)'",
                              validate: spec.validate, into: &values, &expressions)
                    given.insert(spec.name)
                    i += 1
                } else {
                    positionals.append(expression)
                }
            }
            i += 1
        }

        var next = 0
        for spec in definition.arguments {
            if spec.isVariadic {
                var items: [Value] = []
                for expression in positionals[next...] {
                    var single: [String: Value] = [:]
                    try store(expression, type: spec.type, name: spec.name, what: spec.name.uppercased(),
                              validate: nil, into: &single, &expressions)
                    items.append(single[spec.name] ?? .null)
                }
                if !positionals[next...].isEmpty { given.insert(spec.name) }
                values[spec.name] = .list(items)
                next = positionals.count
            } else if next < positionals.count {
                try store(positionals[next], type: spec.type, name: spec.name, what: spec.name.uppercased(),
                          validate: nil, into: &values, &expressions)
                given.insert(spec.name)
                next += 1
            } else if values[spec.name] != nil {
                // Given as a flag of the same name (`eval --dataset X --checkpoint Y`, the original CLI's spelling).
                given.insert(spec.name)
            } else if let value = spec.defaultValue {
                values[spec.name] = value
            } else if !spec.isOptional {
                throw ShellError(.missingArgument,
                                 "'\(definition.name)' needs \(spec.name.uppercased()) (\(spec.type.display)): \(spec.help)",
                                 at: call.location, length: call.nameLength, hint: "usage: \(definition.usage)")
            }
        }
        if next < positionals.count {
            let extra = positionals[next]
            let takes = definition.arguments.count
            throw ShellError(.extraArgument,
                             "'\(definition.name)' takes \(takes == 0 ? "no" : "at most \(takes)") argument\(takes == 1 ? "" : "s")"
                                + (Self.literal(extra).map { "; unexpected '\($0)'" } ?? ""),
                             at: extra.location, length: Self.literal(extra)?.count ?? 1,
                             hint: "usage: \(definition.usage)")
        }
        for flag in definition.flags where values[flag.name] == nil {
            if let value = flag.defaultValue { values[flag.name] = value }
        }

        switch definition.input {
        case .none where input != nil:
            throw ShellError(.invalidArgument, "'\(definition.name)' does not read piped input", at: call.location,
                             length: call.nameLength, hint: "start a new pipeline with it")
        case .table where input != nil && input?.tableValue == nil:
            throw ShellError(.invalidArgument, "'\(definition.name)' needs a table from '|', got \(input!.typeName)",
                             at: call.location, length: call.nameLength)
        case .table where input == nil:
            throw ShellError(.missingArgument, "'\(definition.name)' reads a table from '|'", at: call.location,
                             length: call.nameLength, hint: "e.g. 't | \(definition.name) …'")
        default:
            break
        }
        return Invocation(definition: definition, input: input, values: values, expressions: expressions,
                          given: given, session: session, location: call.location)
    }

    private func store(_ expression: Expression, type: ArgumentType, name: String, what: String,
                       validate: ((Value) -> String?)?, into values: inout [String: Value],
                       _ expressions: inout [String: Expression]) throws {
        if type == .expression {
            expressions[name] = expression
            return
        }
        let value = try convert(expression, to: type, what: what)
        if let validate, let problem = validate(value) {
            throw ShellError(.invalidArgument, "\(what) \(problem), got \(ValueFormatter.inline(value))",
                             at: expression.location, length: Self.literal(expression)?.count ?? 1)
        }
        values[name] = value
    }

    /// Reads an argument as `type`: bare words are literal for names, text and paths (unless a
    /// variable has the name), variables elsewhere.
    func convert(_ expression: Expression, to type: ArgumentType, what: String) throws -> Value {
        let literal = Self.literal(expression)
        let length = literal?.count ?? 1
        func mismatch(_ value: Value) -> ShellError {
            ShellError(.invalidArgument,
                       "\(what) expects \(Self.article(type.display)), got \(value.typeName)"
                        + (literal.map { " '\($0)'" } ?? ""),
                       at: expression.location, length: length)
        }
        switch type {
        case .word:
            if let literal { return .string(literal) }
            if case .string(let s, _) = expression { return .string(s) }
            throw ShellError(.invalidArgument, "\(what) expects a name", at: expression.location)
        case .string, .path:
            let value: Value
            if let literal, let root = Session.rootWord(expression), session.variables[root] == nil, row?[root] == nil {
                value = .string(literal)
            } else if let literal, literal.contains(".") {
                // `m.json` where `m` is a table: a field if there is one, else the file name.
                do {
                    value = try session.evaluate(expression, row: row)
                } catch let error as ShellError where error.kind == .unknownField {
                    value = .string(literal)
                }
            } else {
                value = try session.evaluate(expression, row: row)
            }
            switch value {
            case .string(let s), .path(let s): return type == .path ? .path(s) : .string(s)
            case .int, .number, .bool: return type == .path ? .path(ValueFormatter.inline(value)) : .string(ValueFormatter.inline(value))
            case .list, .record, .null:
                guard type == .string else { throw mismatch(value) }
                return .string(ValueFormatter.inline(value))
            default: throw mismatch(value)
            }
        case .choice(let options):
            let value = try convert(expression, to: .string, what: what)
            guard let text = value.textValue, options.contains(text) else {
                let text = value.textValue ?? ValueFormatter.inline(value)
                throw ShellError(.invalidArgument, "\(what) must be one of \(options.joined(separator: ", ")); got '\(text)'",
                                 at: expression.location, length: length,
                                 hint: Suggestion.hint(for: text, in: options))
            }
            return value
        case .int:
            let value = try evaluateTyped(expression, type: type, what: what)
            switch value {
            case .int: return value
            case .number(let d) where d.rounded() == d && abs(d) < 1e15: return .int(Int(d))
            default: throw mismatch(value)
            }
        case .number:
            let value = try evaluateTyped(expression, type: type, what: what)
            guard let d = value.numberValue else { throw mismatch(value) }
            return .number(d)
        case .bool:
            let value = try evaluateTyped(expression, type: type, what: what)
            guard case .bool = value else { throw mismatch(value) }
            return value
        case .table:
            let value = try evaluateTyped(expression, type: type, what: what)
            guard let table = value.tableValue else { throw mismatch(value) }
            return .table(table)
        case .opaque(let typeName):
            let value = try evaluateTyped(expression, type: type, what: what)
            guard value.typeName == typeName else { throw mismatch(value) }
            return value
        case .any, .expression:
            return try session.evaluate(expression, row: row)
        }
    }

    /// Evaluates a typed argument; a bare word that names nothing is reported as a wrong-typed
    /// argument ("SECONDS expects a number, got 'abc'"), keeping any did-you-mean.
    private func evaluateTyped(_ expression: Expression, type: ArgumentType, what: String) throws -> Value {
        do {
            return try session.evaluate(expression, row: row)
        } catch var error as ShellError where error.kind == .unknownVariable {
            if case .word(let word, _, _) = expression {
                error.kind = .invalidArgument
                error.message = "\(what) expects \(Self.article(type.display)), got '\(word)'"
                if error.hint?.hasPrefix("did you mean") != true { error.hint = nil }
            }
            throw error
        }
    }

    /// The text of a bare word or dotted word, as written.
    static func literal(_ expression: Expression) -> String? {
        Session.literalText(expression)
    }

    static func article(_ noun: String) -> String {
        (["a", "e", "i", "o", "u"].contains(noun.first.map { String($0) } ?? "") ? "an " : "a ") + noun
    }

    static func flagList(_ definition: CommandDefinition) -> String {
        definition.flags.isEmpty ? "'\(definition.name)' takes no flags"
            : "flags: " + definition.flags.map { "--\($0.name)" }.joined(separator: ", ")
    }
}
