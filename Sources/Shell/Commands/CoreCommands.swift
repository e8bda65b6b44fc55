import Foundation
import JobControl
import TensorCore

/// Generic commands: loading files, printing, and two long-running commands that exercise
/// JobControl (progress + Ctrl-C).
public enum CoreCommands {
    public static var all: [CommandDefinition] { [load, print, show, echo, env, sleep, countTo] }

    static let load = CommandDefinition(
        "load", summary: "read a .npy, .npz, .json, .jsonl or .csv file into a value",
        discussion: """
        .npy → array; .npz → record of arrays (one field per member);
        .json → table when it is an array of objects, else the JSON value; .jsonl (JSON lines, e.g.
        train's metrics log) → table of its objects; .csv → table (header row).
        example: m = load data/processed/manifest.json
        """,
        arguments: [ArgumentSpec("path", .path, "the file to read")],
        flags: [FlagSpec("format", .choice(ValueLoading.Format.allCases.map(\.rawValue)),
                         "read as this format instead of guessing from the extension")]
    ) { call in
        guard let url = call.url("path") else { throw call.failure("no path") }
        let format: ValueLoading.Format
        if let name = call.string("format"), let chosen = ValueLoading.Format(rawValue: name) {
            format = chosen
        } else if let guessed = ValueLoading.format(of: url) {
            format = guessed
        } else {
            throw call.failure("cannot tell the format of '\(url.lastPathComponent)'",
                               hint: "use --format \(ValueLoading.Format.allCases.map(\.rawValue).joined(separator: "|"))")
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw call.failure(FileProblem.missing(call.string("path")!).description)
        }
        do {
            return try ValueLoading.load(url, format: format)
        } catch {
            throw call.failure("\(error)")
        }
    }

    static let print = CommandDefinition(
        "print", summary: "print a value (tables show their first rows)",
        discussion: """
        With no argument prints the piped-in value.
        example: m | where label == "book" | print --rows 5
        """,
        arguments: [ArgumentSpec("value", .any, "what to print", optional: true)],
        flags: [FlagSpec("rows", short: "n", .int, "table rows to show", default: .int(ValueFormatter.defaultMaxRows),
                         validate: FlagSpec.nonNegative)],
        input: .any
    ) { call in
        guard let value = call["value"] ?? call.input else { throw call.failure("nothing to print", hint: "usage: print VALUE") }
        for line in ValueFormatter.lines(value, maxRows: call.int("rows")!) { call.session.print(line) }
        return .null
    }

    static let show = CommandDefinition(
        "show", summary: "print a value in full (every table row)",
        discussion: "example: m | count by label | show",
        arguments: [ArgumentSpec("value", .any, "what to show", optional: true)],
        input: .any
    ) { call in
        guard let value = call["value"] ?? call.input else { throw call.failure("nothing to show", hint: "usage: show VALUE") }
        for line in ValueFormatter.lines(value, maxRows: .max) { call.session.print(line) }
        return .null
    }

    static let echo = CommandDefinition(
        "echo", summary: "print words and values on one line",
        discussion: """
        Bare words print as written unless a variable has the name.
        example: echo accuracy r.accuracy
        """,
        arguments: [ArgumentSpec("words", .string, "text to print", variadic: true)]
    ) { call in
        call.session.print(call.list("words").map { ValueFormatter.inline($0) }.joined(separator: " "))
        return .null
    }

    static let sleep = CommandDefinition(
        "sleep", summary: "wait SECONDS (cancellable with Ctrl-C; shows progress)",
        discussion: "example: sleep 2",
        arguments: [ArgumentSpec("seconds", .number, "how long to wait")],
        flags: [FlagSpec("quiet", short: "q", .bool, "no progress display")]
    ) { call in
        let seconds = call.number("seconds")!
        guard seconds >= 0 else { throw call.failure("SECONDS must be 0 or more") }
        let tick = 0.05
        let ticks = Int((seconds / tick).rounded(.up))
        let progress = ProgressReporter(label: "sleep", total: ticks, unit: "ticks",
                                        output: .display(quiet: call.bool("quiet")))
        do {
            for _ in 0..<ticks {
                usleep(useconds_t(tick * 1e6))
                try progress.advance()
            }
        } catch {
            progress.abandon(reason: "cancelled")
            throw error
        }
        progress.finish()
        return .null
    }

    static let env = CommandDefinition(
        "env", summary: "the value of an environment variable (as text)",
        discussion: """
        A missing variable is an error unless --default gives a value; an empty one is "".
        example: mirror = env MSASL_MIRROR --default ../videos
        """,
        arguments: [ArgumentSpec("name", .word, "the variable's name")],
        flags: [FlagSpec("default", .string, "the value when the variable is not set")]
    ) { call in
        let name = call.string("name")!
        if let value = ProcessInfo.processInfo.environment[name] { return .string(value) }
        if let fallback = call.string("default") { return .string(fallback) }
        throw call.failure("environment variable \(name) is not set", hint: "set it, or give --default VALUE")
    }

    static let countTo = CommandDefinition(
        "count-to", summary: "count from 1 to N, one unit of work per number (a cancellable long job)",
        discussion: "example: count-to 1000 --delay 2",
        arguments: [ArgumentSpec("n", .int, "the last number")],
        flags: [FlagSpec("delay", .number, "milliseconds per number", default: .number(0), validate: FlagSpec.nonNegative),
                FlagSpec("quiet", short: "q", .bool, "no progress display")]
    ) { call in
        let n = call.int("n")!
        guard n >= 0 else { throw call.failure("N must be 0 or more") }
        let delay = call.number("delay")!
        let progress = ProgressReporter(label: "count-to", total: n, unit: "numbers",
                                        output: .display(quiet: call.bool("quiet")))
        var sum = 0
        do {
            for i in 1...max(1, n) where n > 0 {
                if delay > 0 { usleep(useconds_t(delay * 1000)) }
                sum &+= i
                try progress.advance()
            }
        } catch {
            progress.abandon(reason: "cancelled")
            throw error
        }
        progress.finish()
        return .record(Record([(key: "counted", value: .int(n)), (key: "sum", value: .int(sum))]))
    }
}
