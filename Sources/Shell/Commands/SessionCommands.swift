import Foundation
import TensorCore

/// Shell directives (`:name`): help, variables, history, transcripts, session control.
public enum SessionCommands {
    public static var all: [CommandDefinition] { [help, vars, history, time, nice, save, run, reset, seed, quit] }

    static let help = CommandDefinition(
        ":help", summary: "list commands, or show one command's arguments and flags",
        discussion: """
        'CMD --help' in a cell, 'aslsh help CMD' and 'aslsh CMD --help' print the same page.
        example: :help train
        """,
        arguments: [ArgumentSpec("command", .word, "a command name", optional: true)]
    ) { call in
        let registry = call.session.registry
        if let name = call.string("command") {
            guard let definition = CommandHelp.definition(name, in: registry) else {
                let unknown = CommandHelp.unknown(name, in: registry)
                throw ShellError(.unknownCommand, unknown.message, at: call.location,
                                 length: call.definition.name.count, hint: unknown.suggestion ?? "type ':help' for the list")
            }
            for line in definition.helpText { call.session.print(line) }
            return .null
        }
        call.session.print("commands by pipeline stage (':help NAME' or 'NAME --help' for arguments, flags and an example):")
        for line in CommandHelp.commandList(registry) { call.session.print(line) }
        call.session.print("syntax: name = command args --flag value | command …   (# comment, \\ continues a line)")
        return .null
    }

    static let vars = CommandDefinition(":vars", summary: "list variables with their type and a short summary",
                                        discussion: "example: :vars") { call in
        let session = call.session
        guard !session.variableOrder.isEmpty else {
            session.print("(no variables)")
            return .null
        }
        let table = Table(columns: ["name", "type", "summary"], rows: session.variableOrder.map { name in
            let value = session.variables[name]!
            return [.string(name), .string(value.typeName), .string(ValueFormatter.summary(value))]
        })
        for line in ValueFormatter.tableLines(table, maxRows: .max, maxCellWidth: 72) { session.print(line) }
        return .null
    }

    static let history = CommandDefinition(":history", summary: "list the cells entered in this session",
                                           discussion: "example: :history") { call in
        let entries = call.session.history
        let width = String(entries.count).count
        for (i, text) in entries.enumerated() {
            let number = String(i + 1)
            call.session.print(String(repeating: " ", count: width - number.count) + number + "  " + text)
        }
        return .null
    }

    /// `:time` is parsed as a prefix of the cell it times; this entry gives it help and completion.
    static let time = CommandDefinition(
        ":time", summary: "run a cell and print its wall time (a volatile line)",
        discussion: "example: :time m | count by label",
        arguments: [ArgumentSpec("cell", .expression, "the cell to run")]
    ) { call in
        throw call.failure("put the cell to time after ':time'")
    }

    /// `:nice N cell &` is parsed as a prefix of a background cell; this entry gives it help.
    static let nice = CommandDefinition(
        ":nice", summary: "run a background job at a lower CPU priority (niceness 0-19)",
        discussion: """
        The job's thread, the threads it starts and the programs it runs (yt-dlp) get the
        niceness, so a foreground 'train' keeps its speed; work a command spreads over a shared
        thread pool does not. A job's own size is its flags: extract --workers, download
        --concurrency, train --threads.
        example: :nice 10 lm = extract m.json &
        """,
        arguments: [ArgumentSpec("niceness", .int, "0 (the shell's priority) to 19 (lowest)"),
                    ArgumentSpec("cell", .expression, "the cell to run, ending in '&'")]
    ) { call in
        throw call.failure("put the niceness and a cell ending in '&' after ':nice'")
    }

    static let save = CommandDefinition(
        ":save", summary: "write the session's cells and their output as a replayable script",
        discussion: """
        The file runs with 'aslsh FILE' and checks with 'aslsh --check FILE'; a path ending in .ipynb writes a Jupyter notebook (plots embedded). Written atomically; saving over a transcript keeps its header comments (a description, a '# check:' tolerance).
        example: :save sessions/mine.aslsh
        """,
        arguments: [ArgumentSpec("path", .path, "where to write (e.g. sessions/mine.aslsh)")]
    ) { call in
        let url = call.url("path")!
        // Saving over a transcript keeps its description and `# check:` tolerance.
        let notes = (try? String(contentsOf: url, encoding: .utf8)).map(Transcript.headerNotes(in:)) ?? []
        let data: Data
        if url.pathExtension.lowercased() == "ipynb" {
            let notebook = NotebookConversion.notebook(from: call.session.transcript, seed: call.session.seed)
            do { data = try notebook.encoded() } catch { throw call.failure("\(error)") }
        } else {
            data = Data(Transcript.render(call.session.transcript, seed: call.session.seed, notes: notes).utf8)
        }
        do { try OutputFile.write(data, to: url) } catch {
            throw call.failure(FileProblem.writing(url.path, error: error).description)
        }
        call.session.print("saved \(call.session.transcript.count) cells to \(call.string("path")!)")
        return .null
    }

    static let run = CommandDefinition(
        ":run", summary: "run a script's cells in this session",
        discussion: "example: :run sessions/quickstart.aslsh",
        arguments: [ArgumentSpec("path", .path, "the script to run")]
    ) { call in
        let url = call.url("path")!
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw call.failure(FileProblem.reading(url.path, error: error).description)
        }
        guard call.session.executionDepth < 16 else { throw call.failure(":run nested more than 16 deep") }
        let origin = call.session.origin
        call.session.origin = call.string("path")!
        defer { call.session.origin = origin }
        let errors = call.session.run(script: text)
        if let first = errors.first {
            if first.kind == .cancelled { throw first }
            throw call.failure("stopped at an error in \(call.string("path")!)" + (first.location.map { " line \($0.line)" } ?? ""))
        }
        return .null
    }

    static let reset = CommandDefinition(":reset", summary: "forget all variables, history and recorded cells",
                                         discussion: "example: :reset") { call in
        if let job = call.session.jobs.running.first {
            throw call.failure("job \(job.title) is running", hint: "wait for it or cancel it first")
        }
        call.session.reset()
        return .null
    }

    static let seed = CommandDefinition(
        ":seed", summary: "show or set the session seed (saved in transcript headers)",
        discussion: "example: :seed 7",
        arguments: [ArgumentSpec("value", .int, "the new seed", optional: true)]
    ) { call in
        if let value = call.int("value") {
            guard value >= 0 else { throw call.failure("the seed must be 0 or more") }
            call.session.seed = UInt64(value)
        } else {
            call.session.print("seed \(call.session.seed)")
        }
        return .null
    }

    static let quit = CommandDefinition(":quit", summary: "end the session (Ctrl-D also does)", discussion: "example: :quit") { call in
        call.session.quitRequested = true
        return .null
    }
}
