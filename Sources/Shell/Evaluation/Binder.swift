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
        /// How each flag given so far was written (by flag name), to catch two spellings of one flag.
        var spellings: [String: String] = [:]
        var positionals: [Expression] = []
        let arguments = call.arguments
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case .flag(let name, let isShort, let inlineValue, let at, let length):
                let spelled = isShort ? "-\(name)" : "--\(name)"
                guard let spec = isShort ? definition.flag(short: Character(name)) : definition.flag(spelled: name) else {
                    // Suggestions come from every accepted spelling, old names included.
                    let candidates = definition.flags.flatMap(\.spellings)
                    let hint = isShort ? nil : Suggestion.hint(for: name, in: candidates, prefix: "--")
                    throw ShellError(.unknownFlag, "unknown flag '\(spelled)' for '\(definition.name)'", at: at,
                                     length: length, hint: hint ?? Self.flagList(definition))
                }
                if let earlier = spellings[spec.name] {
                    // The same spelling again, or a one-letter form with its long name (`-n 1 --rows 2`).
                    guard earlier != spelled, !isShort, earlier.hasPrefix("--") else {
                        throw ShellError(.invalidArgument, "flag '\(isShort ? "--\(spec.name)" : spelled)' given twice", at: at, length: length)
                    }
                    // `--out a --output b`: one flag under two names; which one wins would be a guess.
                    throw ShellError(.invalidArgument,
                                     "'\(definition.name)': '\(earlier)' and '\(spelled)' are two spellings of the same flag; give it once",
                                     at: at, length: length, hint: Self.spellingNote(spec))
                }
                spellings[spec.name] = spelled
                if spec.isList {
                    try bindList(spec, spelled: spelled, inline: inlineValue, arguments: arguments, index: &i,
                                 definition: definition, at: at, length: length, into: &values)
                    given.insert(spec.name)
                    i += 1
                    continue
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
                    spellings[spec.name] = spec.name
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

    /// Binds a list flag: an inline value or the bare words after the flag — exactly N for
    /// `.exactly(N)` (plus any further number literals of a numeric list, so a fourth fraction is
    /// reported as a wrong count rather than a stray argument), all of them up to the next flag
    /// for `.oneOrMore`. A quoted string or text variable counts as its space/comma-separated
    /// words, a list value as its items.
    private func bindList(_ spec: FlagSpec, spelled: String, inline: Expression?, arguments: [Argument], index i: inout Int,
                          definition: CommandDefinition, at: SourceLocation, length: Int,
                          into values: inout [String: Value]) throws {
        let what = "'--\(spec.name)'"
        var items: [Value] = []
        if let inline { items += try listItems(inline, of: spec.type, what: what) }
        let numeric = spec.type == .number || spec.type == .int
        func wantsMore(_ next: Expression) -> Bool {
            switch spec.valueCount {
            case .exactly(let n):
                // A numeric list takes numbers, quoted strings and variables — not a following
                // path (`--splits 0.7 0.3 m.json` is two fractions, not a fraction named m.json).
                var takesIt = !numeric
                switch next {
                case .number, .string, .list: takesIt = true
                case .word, .field: takesIt = takesIt || Session.rootWord(next).map { session.variables[$0] != nil } == true
                default: break
                }
                guard takesIt else { return false }
                if items.count < n { return true }
                if case .number = next { return numeric }
                return false
            case .oneOrMore: return inline == nil
            case .one: return false
            }
        }
        while i + 1 < arguments.count, case .value(let next) = arguments[i + 1], wantsMore(next) {
            items += try listItems(next, of: spec.type, what: what)
            i += 1
        }
        guard !items.isEmpty else {
            throw ShellError(.missingArgument, "'\(definition.name)': flag '\(spelled)' needs a value (\(spec.type.display))",
                             at: at, length: length, hint: Self.listExample(spec))
        }
        if case .exactly(let n) = spec.valueCount, items.count != n {
            throw ShellError(.invalidArgument,
                             "'\(definition.name)': \(spelled) takes exactly \(n) values, got \(items.count): "
                                + items.map { ValueFormatter.inline($0) }.joined(separator: " "),
                             at: at, length: length, hint: Self.listExample(spec))
        }
        let value = Value.list(items)
        if let validate = spec.validate, let problem = validate(value) {
            throw ShellError(.invalidArgument, "'\(definition.name)': \(spelled) \(problem)", at: at, length: length,
                             hint: Self.listExample(spec))
        }
        values[spec.name] = value
    }

    /// One argument of a list flag as items of `type`.
    private func listItems(_ expression: Expression, of type: ArgumentType, what: String) throws -> [Value] {
        let raw: Value
        switch type {
        case .int, .number:
            raw = try evaluateTyped(expression, type: type, what: what)
        default:
            // A list value (literal, variable or field) gives its items, keeping spaces inside names.
            var evaluated: Value?
            switch expression {
            case .list, .subpipeline, .index: evaluated = try session.evaluate(expression, row: row)
            case .word, .field:
                if let root = Session.rootWord(expression), session.variables[root] != nil || row?[root] != nil {
                    evaluated = try? session.evaluate(expression, row: row)
                }
            default: break
            }
            if case .list? = evaluated { raw = evaluated! } else { raw = try convert(expression, to: .string, what: what) }
        }
        let pieces: [Value]
        switch raw {
        case .list(let items): pieces = items
        case .string(let text), .path(let text):
            pieces = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" }).map { .string(String($0)) }
        default: pieces = [raw]
        }
        return try pieces.map { piece in
            let text = piece.textValue ?? ValueFormatter.inline(piece)
            func bad(_ expected: String) -> ShellError {
                ShellError(.invalidArgument, "\(what) expects \(expected), got '\(text)'", at: expression.location,
                           length: Self.literal(expression)?.count ?? 1)
            }
            switch type {
            case .number:
                guard let d = piece.numberValue ?? Double(text) else { throw bad("numbers") }
                return .number(d)
            case .int:
                guard let n = Int(text) ?? piece.numberValue.flatMap({ $0.rounded() == $0 ? Int($0) : nil }) else { throw bad("whole numbers") }
                return .int(n)
            case .path: return .path(text)
            case .choice(let options):
                guard options.contains(text) else {
                    throw ShellError(.invalidArgument, "\(what) values must be among \(options.joined(separator: ", ")); got '\(text)'",
                                     at: expression.location, length: Self.literal(expression)?.count ?? 1,
                                     hint: Suggestion.hint(for: text, in: options))
                }
                return .string(text)
            default: return .string(text)
            }
        }
    }

    static func listExample(_ spec: FlagSpec) -> String {
        let words: String
        if case .list(let items)? = spec.defaultValue, !items.isEmpty {
            words = items.map { ValueFormatter.inline($0) }.joined(separator: " ")
        } else {
            words = "A B C"
        }
        switch spec.valueCount {
        case .exactly(let n): return "give \(n) values: --\(spec.name) \(words)  or  --\(spec.name) \"\(words)\""
        default: return "e.g. --\(spec.name) \(words)  or  --\(spec.name) \"\(words)\""
        }
    }

    /// "'--output' is the old spelling of '--out'" for a flag with aliases.
    static func spellingNote(_ spec: FlagSpec) -> String {
        spec.aliases.isEmpty ? "give --\(spec.name) once"
            : spec.aliases.map { "'--\($0)'" }.joined(separator: ", ") + " \(spec.aliases.count == 1 ? "is an old spelling" : "are old spellings") of '--\(spec.name)'"
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
            case .record(let record) where type == .path:
                // A command's result stands for the file it made (`predict x --model e` after
                // `e = export onnx …`): its `path` field, else its first path-valued field
                // (train → checkpoint, intake/trim/synth/extract → manifest).
                guard let path = Self.pathField(of: record) else {
                    throw ShellError(.invalidArgument,
                                     "\(what) expects a path; the record has no path field (fields: \(record.keys.joined(separator: ", ")))",
                                     at: expression.location, length: length)
                }
                return .path(path)
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

    /// The file a result record stands for: its `path` field, else its first field holding a path.
    static func pathField(of record: Record) -> String? {
        if let path = record["path"]?.textValue { return path }
        for (_, value) in record.entries { if case .path(let path) = value { return path } }
        return nil
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
