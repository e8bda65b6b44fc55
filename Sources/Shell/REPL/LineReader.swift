import Foundation

/// Where the REPL gets lines: libedit on a terminal, plain `readLine` otherwise (scripts,
/// pipes, CI — no escape codes).
public protocol LineReader: AnyObject {
    func readLine(prompt: String) -> LineReadResult
    /// Adds a complete cell to the persistent history.
    func addHistory(_ cell: String)
}

public enum LineReadResult: Equatable {
    case line(String)
    /// Ctrl-D / end of input.
    case endOfInput
    /// Ctrl-C at the prompt: discard the partial cell.
    case interrupted
}

/// Reads plain lines from standard input; prints no prompt.
public final class PlainLineReader: LineReader {
    public init() {}

    public func readLine(prompt: String) -> LineReadResult {
        guard let line = Swift.readLine(strippingNewline: true) else { return .endOfInput }
        return .line(line.hasSuffix("\r") ? String(line.dropLast()) : line)
    }

    public func addHistory(_ cell: String) {}
}
