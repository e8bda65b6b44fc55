import Foundation
@testable import Shell

/// A session whose output and error reports are captured instead of printed.
final class ShellHarness {
    let session: Session
    private(set) var errorReports: [String] = []

    init(registry: CommandRegistry = .standard) {
        var reports: [String] = []
        session = Session(registry: registry, outputSink: { _ in }, errorSink: { reports.append($0) })
        session.errorSink = { [unowned self] in self.errorReports.append($0) }
        _ = reports
    }

    /// Runs one cell and returns its printed lines (error lines included).
    @discardableResult
    func lines(_ cell: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        session.execute(CellSource(text: cell)).output.map(\.text)
    }

    /// Runs the cells of `text` (`;`-separated) that must succeed and returns their output as one string.
    func output(_ text: String) throws -> String {
        var lines: [String] = []
        for cell in CellSplitter.split(text) {
            let outcome = session.execute(cell)
            if let error = outcome.error { throw error }
            lines += outcome.output.map(\.text)
        }
        return lines.joined(separator: "\n")
    }

    /// Runs one cell that must fail and returns the error (nil if it succeeded).
    func error(_ cell: String) -> ShellError? {
        session.execute(CellSource(text: cell)).error
    }

    /// The printed lines of the last `run`, and its error (as "error: …") when it failed.
    private(set) var printed: [String] = []

    /// Runs one cell, keeping what it printed in `printed`; its value, or its error thrown.
    @discardableResult
    func run(_ cell: String) throws -> Value? {
        let outcome = session.execute(CellSource(text: cell))
        printed = outcome.output.map(\.text) + (outcome.error.map { ["error: \($0)"] } ?? [])
        if let error = outcome.error { throw error }
        return outcome.value
    }

    func value(_ cell: String) throws -> Value? {
        let outcome = session.execute(CellSource(text: cell))
        if let error = outcome.error { throw error }
        return outcome.value
    }
}

extension Value {
    /// The one-line form, for compact assertions.
    var inlineText: String { ValueFormatter.inline(self, quoted: true) }
}
