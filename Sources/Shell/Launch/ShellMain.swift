import Foundation
import JobControl
import TensorCore

/// The `aslsh` command line: `aslsh [FILE] [-c CELLS] [--check FILE] [--keep-going] [--seed N]
/// [--help] [--version]`, `aslsh COMMAND [ARGS…]` and `aslsh help [COMMAND]`. Parsed by hand:
/// start-up time is part of the product (< 50 ms).
public enum ShellMain {
    public struct Options: Equatable {
        public var script: String?
        public var cells: [String] = []
        public var check: String?
        public var keepGoing = false
        public var seed: UInt64?
        public var help: HelpRequest?
        public var version = false
        /// `aslsh COMMAND ARGS…`: the command's name and arguments, run as one cell.
        public var command: [String]?
    }

    /// What `--help`, `aslsh help [COMMAND]` or `aslsh COMMAND --help` asked for.
    public enum HelpRequest: Equatable {
        /// The usage, the commands by pipeline stage and first steps.
        case overview
        /// One command's page, the one `:help COMMAND` prints.
        case command(String)
    }

    public struct UsageError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static let usage = """
    usage: aslsh [FILE.aslsh] [-c CELLS] [--check FILE] [--keep-going] [--seed N]
           aslsh COMMAND [ARGS…]     run one command, e.g. aslsh synth --classes letters --out data/synth/letters
           aslsh help [COMMAND]      this page, or one command's arguments, flags and example
           aslsh kernel [-f FILE] | aslsh kernel install [--user|--prefix DIR]   the Jupyter kernel
      (no arguments)   interactive shell (libedit when stdin is a terminal, plain lines otherwise)
      FILE             run a script; stops at the first error (exit 1) naming the cell and line,
                       except an error the file recorded (a saved session's '#> error: …') that
                       happens again as recorded: that cell passes, as it does for --check
      COMMAND          a first argument naming a command (or 'help') runs it, unless a file of
                       that name exists (then it is a script); 'aslsh COMMAND --help', 'aslsh help
                       COMMAND', 'COMMAND --help' and ':help COMMAND' in the shell print its page
      -c CELLS         run cells separated by ';' or newlines (may be repeated)
      --check FILE     replay a saved session (or a notebook, FILE.ipynb); report cells whose output differs (exit 1;
                       decimals within the file's tolerance match; a bad directive exits 2).
                       Paths print as written: absolute ones replay from any folder, relative
                       ones resolve against the current folder (run it where the session was
                       saved), as in a shell script
      --keep-going     run every cell even after errors (exit status still 1)
      --seed N         session seed (default 42; --check uses the file's)
      --help, --version
    """

    /// `aslsh --help`: the usage, every command by pipeline stage, and where to start.
    public static func overview(_ registry: CommandRegistry = .standard) -> String {
        var lines = [usage, "", "commands by pipeline stage ('aslsh help COMMAND' for one):"]
        lines += CommandHelp.commandList(registry)
        lines += ["", """
        first steps:
          make demo                          set up (packages, MediaPipe models), build, run the demo session
          aslsh sessions/quickstart.aslsh    the demo: synthetic letters and signs → datasets → MLP, TCN → reports, plots
          aslsh                              then ':help', ':help train', Tab completes, Ctrl-D quits
          make install [PREFIX=/usr/local]   install aslsh and the MediaPipe models (make uninstall removes them)
        """]
        return lines.joined(separator: "\n")
    }

    static let optionNames = ["-c", "--check", "--keep-going", "--seed", "--help", "--version"]

    /// `fileExists` decides whether a first word is a script or a command (a file wins).
    public static func parse(_ arguments: [String],
                             fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) throws -> Options {
        var options = Options()
        var i = 0
        func value(_ name: String) throws -> String {
            i += 1
            guard i < arguments.count else { throw UsageError(message: "\(name) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            let argument = arguments[i]
            switch argument {
            case "-c": options.cells.append(try value("-c"))
            case "--check": options.check = try value("--check")
            case "--keep-going", "-k": options.keepGoing = true
            case "--seed":
                let text = try value("--seed")
                guard let seed = UInt64(text) else { throw UsageError(message: "--seed expects a non-negative integer, got '\(text)'") }
                options.seed = seed
            case "--help", "-h": options.help = .overview
            case "--version": options.version = true
            default:
                if argument.hasPrefix("-"), argument != "-" {
                    let hint = Suggestion.nearest(to: argument, in: optionNames).map { " (did you mean '\($0)'?)" } ?? ""
                    throw UsageError(message: "unknown option '\(argument)'\(hint)")
                }
                guard options.script == nil else { throw UsageError(message: "one script at a time (got '\(options.script!)' and '\(argument)')") }
                if !fileExists(argument), try commandWords(Array(arguments[i...]), into: &options) {
                    i = arguments.count
                    continue
                }
                options.script = argument
            }
            i += 1
        }
        if options.check != nil, options.script != nil || !options.cells.isEmpty {
            throw UsageError(message: "--check runs alone (no FILE or -c)")
        }
        if let command = options.command?.first, !options.cells.isEmpty || options.check != nil {
            throw UsageError(message: "'\(command)' runs alone (no -c or --check)")
        }
        return options
    }

    /// Reads `help [COMMAND]` or `COMMAND ARGS…` (`words` starts at the first positional, which
    /// names no file); false when the first word is neither, so it is taken as a script's path.
    static func commandWords(_ words: [String], into options: inout Options) throws -> Bool {
        let name = words[0]
        if name == "help" {
            guard words.count <= 2 else {
                throw UsageError(message: "help takes one command name (got \(words.dropFirst().joined(separator: " ")))")
            }
            options.help = words.count == 2 ? .command(words[1]) : .overview
            return true
        }
        let registry = CommandRegistry.standard
        guard registry[name] != nil else {
            // A word that looks like no path but like a command is a typo, not a missing script.
            if !name.contains("/"), !name.contains("."), let nearest = Suggestion.nearest(to: name, in: registry.names) {
                throw UsageError(message: "no command or file '\(name)' (did you mean '\(nearest)'?)")
            }
            return false
        }
        if words.dropFirst().contains("--help") {
            options.help = .command(name)
        } else {
            options.command = words
        }
        return true
    }

    /// `aslsh COMMAND ARGS…` as one cell: plain words stay bare (flags, numbers, paths), anything
    /// else is quoted so the shell reads it as one text value.
    static func cell(_ words: [String]) -> String {
        words.map { word in
            let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || "_-./:=,+@%".unicodeScalars.contains($0)
            }
            if plain { return word }
            if !word.contains("'") { return "'" + word + "'" }
            return "\"" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }.joined(separator: " ")
    }

    /// Runs the command line and returns the exit status: 0 success, 1 a cell failed or
    /// `--check` found differences, 2 usage error or a malformed check directive, 130 cancelled
    /// by Ctrl-C. A batch command (predict, download, trim, extract, prepare-alphabet, import)
    /// whose every item failed is a failed cell (1); one where only some failed succeeds (0) and
    /// its summary counts the failures (docs/errors-draft.md).
    public static func run(_ arguments: [String]) -> Int32 {
        // Past a file-size limit (`ulimit -f`, a quota) the kernel's default is to kill the
        // process with SIGXFSZ, mid-write and without a word. Ignored, the write fails with EFBIG
        // instead: the writer names the file, removes its temporary copy and the previous version
        // stays, as on a full disk.
        signal(SIGXFSZ, SIG_IGN)
        let options: Options
        do {
            options = try parse(arguments)
        } catch {
            fputs("aslsh: \(error)\n\(usage)\n", stderr)
            return 2
        }
        if let help = options.help { return printHelp(help) }
        if options.version { print("aslsh \(ASLSHVersion.string)\n\(ComputeEnvironment.summary)"); return 0 }
        Cancellation.installSIGINTHandler()

        if let path = options.check { return check(path) }
        let session = Session(seed: options.seed ?? 42)
        if let command = options.command {
            session.origin = "<command line>"
            let errors = session.run(script: cell(command), keepGoing: options.keepGoing)
            endJobs(of: session)
            return status(errors)
        }
        if !options.cells.isEmpty || options.script != nil {
            var errors: [ShellError] = []
            if let path = options.script {
                guard let text = read(path) else { return 1 }
                session.origin = path
                errors += Transcript.replay(text, in: session, keepGoing: options.keepGoing).errors
            }
            for cells in options.cells where errors.isEmpty || options.keepGoing {
                if session.quitRequested { break }
                session.origin = "-c"
                errors += session.run(script: cells, keepGoing: options.keepGoing)
            }
            endJobs(of: session)
            return status(errors)
        }

        let interactive = isatty(0) == 1 && isatty(1) == 1
        var reader: LineReader = PlainLineReader()
        if interactive, let editor = EditLineReader(completer: Completer(session: session)) { reader = editor }
        session.origin = interactive ? "" : "<stdin>"
        if interactive, let images = TerminalImages.detect() { session.valueDisplay = TerminalImages.display(using: images) }
        let repl = REPL(session: session, reader: reader, interactive: interactive)
        let failures = repl.run(keepGoing: options.keepGoing)
        return interactive || failures == 0 ? 0 : 1
    }

    /// Prints the overview or one command's page (exit 0); an unknown command exits 2 with the
    /// nearest name.
    static func printHelp(_ request: HelpRequest) -> Int32 {
        switch helpText(request) {
        case .success(let text):
            print(text)
            return 0
        case .failure(let error):
            fputs("aslsh: \(error)\n", stderr)
            return 2
        }
    }

    /// The text `request` prints, or why there is none.
    static func helpText(_ request: HelpRequest, registry: CommandRegistry = .standard) -> Result<String, UsageError> {
        switch request {
        case .overview:
            return .success(overview(registry))
        case .command(let name):
            guard let definition = CommandHelp.definition(name, in: registry) else {
                let unknown = CommandHelp.unknown(name, in: registry)
                let suggestion = unknown.suggestion.map { " (\($0))" } ?? ""
                return .failure(UsageError(message: "help: \(unknown.message)\(suggestion); 'aslsh --help' lists every command"))
            }
            return .success(definition.helpText.joined(separator: "\n"))
        }
    }

    /// A script that ends with jobs running cancels them (they stop at their next boundary, with
    /// whole files only) and says so; a script waits for what it needs with `wait`.
    static func endJobs(of session: Session) {
        for job in session.cancelRunningJobs() {
            fputs("aslsh: cancelled job \(job.title): the script ended before 'wait'\n", stderr)
        }
    }

    static func status(_ errors: [ShellError]) -> Int32 {
        if errors.contains(where: { $0.kind == .cancelled }) { return 130 }
        return errors.isEmpty ? 0 : 1
    }

    static func read(_ path: String) -> String? {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            fputs("aslsh: \(FileProblem.reading(path, error: error))\n", stderr)
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func check(_ path: String) -> Int32 {
        guard let text = read(path) else { return 1 }
        let result: (cells: Int, differences: [Transcript.Difference])
        do {
            if path.lowercased().hasSuffix(".ipynb") {
                result = try NotebookConversion.check(Notebook.read(Data(text.utf8), file: path), file: path)
            } else {
                result = try Transcript.check(text)
            }
        } catch let error as NotebookError {
            fputs("aslsh: \(error)\n", stderr)
            return 2
        } catch let error as TranscriptFormatError {
            fputs(error.report(file: path) + "\n", stderr)
            return 2
        } catch {
            fputs("aslsh: \(path): \(error)\n", stderr)
            return 2
        }
        for difference in result.differences { print(Transcript.report(difference, file: path)) }
        if result.differences.isEmpty {
            print("check: \(path): \(result.cells) cells, all match")
            return 0
        }
        print("check: \(path): \(result.differences.count) of \(result.cells) cells differ")
        return 1
    }
}
