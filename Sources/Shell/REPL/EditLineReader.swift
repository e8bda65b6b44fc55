import CEditLine
import Foundation
import JobControl

/// libedit line editing (Emacs keys, history navigation and ^R search, tab completion) with
/// history persisted in a file. libedit calls back through C function pointers, which cannot
/// capture context: the one active reader is reached through a static.
public final class EditLineReader: LineReader {
    private let editLine: OpaquePointer
    private let history: OpaquePointer
    private var event = HistEvent()
    private let historyPath: String?
    private let completer: Completer
    private var interruptedAtPrompt = false

    nonisolated(unsafe) private static var active: EditLineReader?
    nonisolated(unsafe) private static var promptBuffer: UnsafeMutablePointer<CChar>?

    /// History file: `$ASLSH_HISTORY`, else `~/.aslsh_history`.
    public static var defaultHistoryPath: String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["ASLSH_HISTORY"], !path.isEmpty { return path }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return (home as NSString).appendingPathComponent(".aslsh_history")
    }

    public init?(completer: Completer, historyPath: String? = EditLineReader.defaultHistoryPath, historySize: Int32 = 1000) {
        guard let el = el_init("aslsh", stdin, stdout, stderr), let h = history_init() else { return nil }
        editLine = el
        history = h
        self.historyPath = historyPath
        self.completer = completer
        aslsh_history_set_size(h, &event, historySize)
        aslsh_history_set_unique(h, &event, 1)
        if let historyPath { aslsh_history_load(h, &event, historyPath) }
        aslsh_el_set_editor(el, "emacs")
        aslsh_el_set_hist(el, h)
        aslsh_el_set_signal(el, 1)
        aslsh_el_set_prompt(el) { _ in EditLineReader.promptBuffer }
        aslsh_el_add_function(el, "aslsh-complete", "complete commands, flags, variables and paths") { el, _ in
            EditLineReader.active?.completeAtCursor(el) ?? UInt8(CC_ERROR)
        }
        aslsh_el_bind(el, "^I", "aslsh-complete")
        // Ctrl-C at the prompt: while editing, the terminal delivers ^C as a key (no SIGINT, which
        // would not interrupt libedit's read), bound to discard the line. While a cell runs the
        // terminal is back in its normal mode, so ^C raises SIGINT and cancels the cell.
        Self.parse(el, ["setty", "-d", "-isig"])
        aslsh_el_add_function(el, "aslsh-interrupt", "discard the line (Ctrl-C)") { _, _ in
            EditLineReader.active?.interruptedAtPrompt = true
            return UInt8(CC_NEWLINE)
        }
        aslsh_el_bind(el, "^C", "aslsh-interrupt")
        el_source(el, nil) // the user's ~/.editrc, if any
        aslsh_el_bind(el, "^R", "em-inc-search-prev")
        EditLineReader.active = self
    }

    /// `el_parse` with an editrc-style command (`setty -d -isig`).
    private static func parse(_ el: OpaquePointer, _ words: [String]) {
        let cWords = words.map { UnsafePointer(strdup($0)) }
        defer { cWords.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        var argv: [UnsafePointer<CChar>?] = cWords
        _ = el_parse(el, Int32(words.count), &argv)
    }

    deinit {
        if EditLineReader.active === self { EditLineReader.active = nil }
        el_end(editLine)
        history_end(history)
    }

    public func readLine(prompt: String) -> LineReadResult {
        free(EditLineReader.promptBuffer)
        EditLineReader.promptBuffer = strdup(prompt)
        var count: Int32 = 0
        interruptedAtPrompt = false
        let raw = el_gets(editLine, &count)
        if interruptedAtPrompt {
            fputs("^C\n", stdout)
            fflush(stdout)
            return .interrupted
        }
        guard let raw else {
            // A SIGINT that reached the process while editing (e.g. `kill -INT`), not the ^C key.
            if Cancellation.isRequested {
                Cancellation.reset()
                fputs("\n", stdout)
                return .interrupted
            }
            return .endOfInput
        }
        var line = String(cString: raw)
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    public func addHistory(_ cell: String) {
        aslsh_history_enter(history, &event, cell)
        // Saved after every cell, so a crash or a second terminal loses nothing.
        if let historyPath { aslsh_history_save(history, &event, historyPath) }
    }

    /// The bound completion function: inserts the common extension, or lists the candidates.
    private func completeAtCursor(_ el: OpaquePointer?) -> UInt8 {
        guard let el, let info = el_line(el)?.pointee else { return UInt8(CC_ERROR) }
        let before = info.cursor - info.buffer
        let text = String(decoding: UnsafeBufferPointer(start: UnsafeRawPointer(info.buffer).assumingMemoryBound(to: UInt8.self),
                                                        count: info.lastchar - info.buffer), as: UTF8.self)
        let prefixScalars = String(decoding: UnsafeBufferPointer(start: UnsafeRawPointer(info.buffer).assumingMemoryBound(to: UInt8.self),
                                                                 count: before), as: UTF8.self).unicodeScalars.count
        let (word, candidates) = completer.complete(line: text, cursor: prefixScalars)
        guard !candidates.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
        let insertion = Completer.insertion(word: word, candidates: candidates)
        if !insertion.isEmpty {
            el_insertstr(el, insertion)
            return UInt8(CC_REFRESH)
        }
        // Nothing to add: show the choices under the line, then redraw it.
        fputs("\n" + candidates.prefix(100).joined(separator: "  ") + (candidates.count > 100 ? "  …" : "") + "\n", stdout)
        fflush(stdout)
        return UInt8(CC_REDISPLAY)
    }
}
