import Foundation
import JobControl
import TensorCore

/// The read–run loop: reads cells (joining continuation lines), runs them in the session, and
/// keeps going after errors. Ctrl-C at the prompt discards the partial cell; Ctrl-C during a
/// cell cancels it; Ctrl-D or `:quit` ends the loop.
public final class REPL {
    public let session: Session
    private let reader: LineReader
    private let interactive: Bool

    public init(session: Session, reader: LineReader, interactive: Bool) {
        self.session = session
        self.reader = reader
        self.interactive = interactive
    }

    /// `aslsh [3]> ` for the first line, `   ...> ` (aligned) for continuations.
    public static func prompt(cell: Int, continuation: Bool) -> String {
        let head = "aslsh [\(cell)]> "
        return continuation ? String(repeating: " ", count: head.count - 5) + "...> " : head
    }

    /// Runs until end of input or `:quit`. Returns the number of cells that failed.
    @discardableResult
    public func run(keepGoing: Bool = true) -> Int {
        if interactive {
            print("aslsh \(ASLSHVersion.string): ':help' lists commands, Tab completes, Ctrl-C cancels, Ctrl-D quits")
        }
        var failures = 0
        var buffer: [String] = []
        var firstLine = 1
        var lineNumber = 0
        while true {
            if session.quitRequested {
                if confirmQuit() { break }
                session.quitRequested = false
            }
            // Jobs that ended since the last prompt, between cells: never inside a cell's output
            // or the line being typed.
            if interactive, buffer.isEmpty {
                for line in session.jobAnnouncements() { Session.standardError(line) }
            }
            let prompt = interactive ? Self.prompt(cell: session.cellNumber, continuation: !buffer.isEmpty) : ""
            switch reader.readLine(prompt: prompt) {
            case .endOfInput:
                if interactive { print("") } // leave the user's shell prompt on a fresh line
                if !buffer.isEmpty { failures += runCell(buffer, firstLine: firstLine) ? 0 : 1 }
                if !confirmQuit() { continue }
                return failures
            case .interrupted:
                buffer = []
                continue
            case .line(let line):
                lineNumber += 1
                if buffer.isEmpty { firstLine = lineNumber }
                buffer.append(line)
                let text = buffer.joined(separator: "\n")
                if Lexer.needsMoreInput(text) { continue }
                buffer = []
                if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                if interactive { reader.addHistory(text) }
                let ok = runCell([text], firstLine: interactive ? 1 : firstLine)
                if !ok {
                    failures += 1
                    if !interactive && !keepGoing { return failures }
                }
            }
        }
        return failures
    }

    /// With jobs running: at a terminal, asks whether to cancel them and quit; otherwise (piped
    /// input) cancels them. Cancelled jobs stop at their next boundary and leave whole files only.
    private func confirmQuit() -> Bool {
        let running = session.jobs.running
        guard !running.isEmpty else { return true }
        if interactive {
            let names = running.map(\.title).joined(separator: ", ")
            let plural = running.count == 1 ? "job is" : "jobs are"
            guard case .line(let answer) = reader.readLine(prompt: "\(running.count) \(plural) running (\(names)); cancel and quit? [y/N] "),
                  ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else {
                return false
            }
        }
        for job in session.cancelRunningJobs() {
            Session.standardError("aslsh: cancelled job \(job.title) (the session ended before 'wait'); --resume goes on from where it stopped")
        }
        return true
    }

    /// Runs every cell in `lines` (one text may hold several `;`-separated cells).
    private func runCell(_ lines: [String], firstLine: Int) -> Bool {
        let text = lines.joined(separator: "\n")
        var ok = true
        for cell in CellSplitter.split(text, firstLine: firstLine) {
            let outcome = session.execute(cell, sourceLines: interactive ? nil : Self.numbered(text, from: firstLine))
            if outcome.error != nil { ok = false; if !interactive { break } }
            if session.quitRequested { break }
        }
        return ok
    }

    private static func numbered(_ text: String, from line: Int) -> [String] {
        [String](repeating: "", count: max(0, line - 1)) + text.splitLines()
    }
}
