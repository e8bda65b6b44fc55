import Foundation
import JobControl
import Shell
import TensorCore

/// execute_request: runs the cell's statements in the session, streaming what they print to
/// iopub as it is printed, and shows values richly.
extension Kernel {
    func execute(_ request: KernelMessage) -> [String: JSONValue] {
        let code = request.content["code"]?.stringValue ?? ""
        let silent = request.content["silent"] == .bool(true)
        let storeHistory = request.content["store_history"].map { $0 == .bool(true) } ?? !silent
        if storeHistory { executionCount += 1 }
        let count = JSONValue.int(executionCount)
        if !silent { publish("execute_input", ["code": .string(code), "execution_count": count], parent: request) }

        let display = CellDisplay(kernel: self, parent: request, silent: silent)
        session.outputSink = display.line
        session.errorSink = display.errorReport
        session.valueDisplay = display.value
        session.origin = "In[\(executionCount)]"
        ProgressReporter.Output.frontEnd = display.progress
        defer {
            ProgressReporter.Output.frontEnd = nil
            session.outputSink = { _ in }
            session.errorSink = { [log] in log($0) }
        }
        var failure: ShellError?
        for cell in CellSplitter.split(code) {
            let outcome = session.execute(cell)
            if let error = outcome.error { failure = error; break }
        }
        if session.quitRequested {
            // A notebook ends its kernel from the notebook, not from a cell.
            session.quitRequested = false
            display.line(OutputLine("(:quit does nothing in a notebook: use Kernel > Shut Down)"))
        }
        display.finish()
        Cancellation.reset()  // an interrupt that arrived as the cell ended must not cancel the next one
        guard let failure else {
            return ["status": .string("ok"), "execution_count": count, "user_expressions": .object([:]), "payload": .array([])]
        }
        let error: [String: JSONValue] = [
            "ename": .string(failure.kind == .cancelled ? "Interrupted" : "error"),
            "evalue": .string(failure.message + (failure.hint.map { " (\($0))" } ?? "")),
            "traceback": .array(display.reports.flatMap { $0.splitLines() }.map { .string($0) }),
        ]
        if !silent { publish("error", error, parent: request) }
        return error.merging(["status": .string("error"), "execution_count": count]) { $1 }
    }
}

/// Where one cell's output goes: printed lines as a stdout stream; runs of volatile lines (train's
/// epoch table, timings) as one display each, updated in place as lines arrive; plots as PNG
/// displays; tables as HTML results; progress as a display that updates in place.
final class CellDisplay {
    private unowned let kernel: Kernel
    private let parent: KernelMessage
    private let silent: Bool
    private var volatileID: String?
    private var volatileLines: [String] = []
    private var progressID: String?
    /// The error reports the session wrote (the located message with its caret), for `traceback`.
    private(set) var reports: [String] = []

    init(kernel: Kernel, parent: KernelMessage, silent: Bool) {
        self.kernel = kernel
        self.parent = parent
        self.silent = silent
    }

    private func publish(_ type: String, _ content: [String: JSONValue]) {
        if !silent { kernel.publish(type, content, parent: parent) }
    }

    /// Shows `content` in the display `id` names, updating it in place; a new display (and id) when nil.
    private func show(_ content: [String: JSONValue], in id: inout String?) {
        var content = content
        let isUpdate = id != nil
        let displayID = id ?? UUID().uuidString.lowercased()
        id = displayID
        content["transient"] = .object(["display_id": .string(displayID)])
        publish(isUpdate ? "update_display_data" : "display_data", content)
    }

    func line(_ line: OutputLine) {
        if line.isVolatile {
            volatileLines.append(line.text)
            show(["data": .object(["text/plain": .string(volatileLines.joined(separator: "\n"))]),
                  "metadata": .object(["aslsh": .object(["volatile": .bool(true)])])], in: &volatileID)
            return
        }
        endVolatileRun()
        publish("stream", ["name": .string("stdout"), "text": .string(line.text + "\n")])
    }

    private func endVolatileRun() {
        volatileID = nil
        volatileLines = []
    }

    func errorReport(_ text: String) { reports.append(text) }

    /// A plot's PNG inline; a table as HTML (with its text); anything else prints as text.
    func value(_ value: Value, _ lines: [String]) -> Bool {
        let plain = JSONValue.string(lines.joined(separator: "\n"))
        if let path = value.textValue, let png = NotebookConversion.pngFile(path) {
            endVolatileRun()
            publish("display_data", ["data": .object(["image/png": .string(png.base64EncodedString()), "text/plain": plain]),
                                     "metadata": .object([:])])
            return true
        }
        if let table = value.tableValue {
            endVolatileRun()
            publish("execute_result", ["execution_count": .int(kernel.executionCount), "metadata": .object([:]),
                                       "data": .object(["text/html": .string(TableHTML.render(table)), "text/plain": plain])])
            return true
        }
        return false
    }

    /// Progress of long jobs: one display per job, updated in place (the terminal's bar, drawn
    /// as text). A job's final `\n` ends its display.
    var progress: ProgressReporter.Output {
        ProgressReporter.Output(write: { [weak self] text in self?.progressText(text) }, isTerminal: true)
    }

    private func progressText(_ text: String) {
        let status = text.replacingOccurrences(of: "\u{1B}[K", with: "").replacingOccurrences(of: "\r", with: "")
        let ends = status.hasSuffix("\n")
        let shown = status.trimmingCharacters(in: .newlines)
        if !shown.isEmpty {
            show(["data": .object(["text/plain": .string(shown)]),
                  "metadata": .object(["aslsh": .object(["progress": .bool(true)])])], in: &progressID)
        }
        if ends { progressID = nil }
    }

    func finish() { endVolatileRun() }
}

/// A table value as an HTML table: the rows the text shows (20, then "… N more rows").
enum TableHTML {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func render(_ table: Table, maxRows: Int = ValueFormatter.defaultMaxRows) -> String {
        var html = "<table class=\"aslsh-table\">\n<thead><tr>"
        html += table.columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in table.rows.prefix(maxRows) {
            html += "<tr>" + row.map { cell -> String in
                let numeric = cell.numberValue != nil
                return "<td\(numeric ? " style=\"text-align:right\"" : "")>\(escape(ValueFormatter.inline(cell)))</td>"
            }.joined() + "</tr>\n"
        }
        html += "</tbody>\n</table>"
        if table.rows.count > maxRows { html += "\n<p>… \(table.rows.count - maxRows) more rows</p>" }
        return html
    }
}
