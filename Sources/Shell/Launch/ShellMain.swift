import Foundation
import JobControl
import TensorCore

/// The `aslsh` command line: `aslsh [FILE] [-c CELLS] [--check FILE] [--keep-going] [--seed N]
/// [--help] [--version]`. Parsed by hand: start-up time is part of the product (< 50 ms).
public enum ShellMain {
    public struct Options: Equatable {
        public var script: String?
        public var cells: [String] = []
        public var check: String?
        public var keepGoing = false
        public var seed: UInt64?
        public var help = false
        public var version = false
    }

    public struct UsageError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static let usage = """
    usage: aslsh [FILE.aslsh] [-c CELLS] [--check FILE] [--keep-going] [--seed N]
      (no arguments)   interactive shell (libedit when stdin is a terminal, plain lines otherwise)
      FILE             run a script; stops at the first error (exit 1) naming the cell and line
      -c CELLS         run cells separated by ';' or newlines (may be repeated)
      --check FILE     replay a saved session; report cells whose output differs (exit 1;
                       decimals within the file's tolerance match; a bad directive exits 2)
      --keep-going     run every cell even after errors (exit status still 1)
      --seed N         session seed (default 42; --check uses the file's)
      --help, --version
    """

    static let optionNames = ["-c", "--check", "--keep-going", "--seed", "--help", "--version"]

    public static func parse(_ arguments: [String]) throws -> Options {
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
            case "--help", "-h": options.help = true
            case "--version": options.version = true
            default:
                if argument.hasPrefix("-"), argument != "-" {
                    let hint = Suggestion.nearest(to: argument, in: optionNames).map { " (did you mean '\($0)'?)" } ?? ""
                    throw UsageError(message: "unknown option '\(argument)'\(hint)")
                }
                guard options.script == nil else { throw UsageError(message: "one script at a time (got '\(options.script!)' and '\(argument)')") }
                options.script = argument
            }
            i += 1
        }
        if options.check != nil, options.script != nil || !options.cells.isEmpty {
            throw UsageError(message: "--check runs alone (no FILE or -c)")
        }
        return options
    }

    /// Runs the command line and returns the exit status: 0 success, 1 a cell failed or
    /// `--check` found differences, 2 usage error or a malformed check directive, 130 cancelled
    /// by Ctrl-C.
    public static func run(_ arguments: [String]) -> Int32 {
        let options: Options
        do {
            options = try parse(arguments)
        } catch {
            fputs("aslsh: \(error)\n\(usage)\n", stderr)
            return 2
        }
        if options.help { print(usage); return 0 }
        if options.version { print("aslsh \(ASLSHVersion.string)\n\(ComputeEnvironment.summary)"); return 0 }
        Cancellation.installSIGINTHandler()

        if let path = options.check { return check(path) }
        let session = Session(seed: options.seed ?? 42)
        if !options.cells.isEmpty || options.script != nil {
            var errors: [ShellError] = []
            if let path = options.script {
                guard let text = read(path) else { return 1 }
                session.origin = path
                errors += session.run(script: text, keepGoing: options.keepGoing)
            }
            for cells in options.cells where errors.isEmpty || options.keepGoing {
                if session.quitRequested { break }
                session.origin = "-c"
                errors += session.run(script: cells, keepGoing: options.keepGoing)
            }
            return status(errors)
        }

        let interactive = isatty(0) == 1 && isatty(1) == 1
        var reader: LineReader = PlainLineReader()
        if interactive, let editor = EditLineReader(completer: Completer(session: session)) { reader = editor }
        session.origin = interactive ? "" : "<stdin>"
        let repl = REPL(session: session, reader: reader, interactive: interactive)
        let failures = repl.run(keepGoing: options.keepGoing)
        return interactive || failures == 0 ? 0 : 1
    }

    static func status(_ errors: [ShellError]) -> Int32 {
        if errors.contains(where: { $0.kind == .cancelled }) { return 130 }
        return errors.isEmpty ? 0 : 1
    }

    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            fputs("aslsh: cannot read '\(path)'\n", stderr)
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func check(_ path: String) -> Int32 {
        guard let text = read(path) else { return 1 }
        let result: (cells: Int, differences: [Transcript.Difference])
        do {
            result = try Transcript.check(text)
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
