import Foundation

/// Progress of one long job: a redrawn bar with rate and ETA on a terminal, plain periodic lines
/// otherwise (logs, CI, pipes). Every `advance` also polls `Cancellation`, so a job that reports
/// progress is cancellable for free.
///
///     let progress = ProgressReporter(label: "extract", total: clips.count, unit: "clips")
///     for clip in clips { try work(clip); try progress.advance() }
///     progress.finish()
public final class ProgressReporter {
    /// Where progress text goes and how it is drawn.
    public struct Output {
        /// Receives raw text (no newline added).
        public var write: (String) -> Void
        /// Redraw one line in place with `\r` (a terminal) or print plain lines.
        public var isTerminal: Bool
        public init(write: @escaping (String) -> Void, isTerminal: Bool) {
            self.write = write
            self.isTerminal = isTerminal
        }

        /// Where jobs that would draw on standard error report instead, when a front end shows
        /// progress itself (the Jupyter kernel's display that updates in place). Set before cells run.
        nonisolated(unsafe) public static var frontEnd: Output?

        /// Standard error, drawn as a bar when it is a terminal (or the front end's display when
        /// one is set). Progress never goes to standard output: that stream carries results and
        /// transcripts.
        public static var standardError: Output {
            if let frontEnd { return frontEnd }
            return Output(write: { text in
                fputs(text, stderr)
                fflush(stderr)
            }, isTerminal: isatty(2) == 1)
        }

        /// Discards everything (quiet mode, tests).
        public static let silent = Output(write: { _ in }, isTerminal: false)
    }

    public let label: String
    public let total: Int?
    public let unit: String
    public private(set) var completed = 0
    private let output: Output
    private let clock: () -> Double
    private let startTime: Double
    private var lastDraw: Double
    private let redrawInterval: Double
    private let lineInterval: Double
    private var finished = false

    /// - Parameters:
    ///   - total: units of work, or nil when unknown (then no bar or ETA, only count and rate).
    ///   - redrawInterval: seconds between terminal redraws (bars flicker and cost time otherwise).
    ///   - lineInterval: seconds between plain lines when not on a terminal.
    ///   - clock: seconds, monotonic; injectable for tests.
    public init(label: String, total: Int?, unit: String = "items", output: Output = .standardError,
                redrawInterval: Double = 0.1, lineInterval: Double = 5,
                clock: @escaping () -> Double = ProgressReporter.monotonicSeconds) {
        self.label = label
        self.total = total
        self.unit = unit
        self.output = output
        self.clock = clock
        self.redrawInterval = redrawInterval
        self.lineInterval = lineInterval
        startTime = clock()
        lastDraw = startTime
        if output.isTerminal { draw(now: startTime) }
    }

    /// Records `units` more units done, redraws when due, and throws `CancelledError` if the
    /// user pressed Ctrl-C.
    public func advance(by units: Int = 1) throws {
        completed += units
        let now = clock()
        let interval = output.isTerminal ? redrawInterval : lineInterval
        if now - lastDraw >= interval {
            lastDraw = now
            draw(now: now)
        }
        try Cancellation.check()
    }

    /// Draws the final state and ends the line. Idempotent.
    public func finish() {
        guard !finished else { return }
        finished = true
        draw(now: clock())
        if output.isTerminal { output.write("\n") }
    }

    /// Ends the bar after a failure or cancellation, keeping what was shown.
    public func abandon(reason: String) {
        guard !finished else { return }
        finished = true
        let line = "\(label): \(reason) after \(completed)\(total.map { "/\($0)" } ?? "") \(unit)"
        output.write(output.isTerminal ? "\r\u{1B}[K" + line + "\n" : line + "\n")
    }

    /// The text of one status line (without bar), e.g. `extract 45/100 clips 12.3 clips/s ETA 0:04`.
    public func statusText(now: Double) -> String {
        let elapsed = max(now - startTime, 1e-9)
        let rate = Double(completed) / elapsed
        var parts = [label]
        if let total {
            let percent = total > 0 ? 100 * Double(completed) / Double(total) : 100
            parts.append("\(completed)/\(total) \(unit) (\(Int(percent.rounded(.down)))%)")
        } else {
            parts.append("\(completed) \(unit)")
        }
        parts.append(String(format: "%.1f %@/s", rate, unit))
        if let total, completed < total, rate > 0 {
            parts.append("ETA " + Self.clockText(Double(total - completed) / rate))
        } else {
            parts.append("elapsed " + Self.clockText(elapsed))
        }
        return parts.joined(separator: " ")
    }

    /// `[#########...........]` for the fraction done.
    public static func bar(fraction: Double, width: Int = 24) -> String {
        let clamped = min(max(fraction, 0), 1)
        let filled = Int((clamped * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    /// `m:ss` or `h:mm:ss`.
    public static func clockText(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) }
        return String(format: "%d:%02d", s / 60, s % 60)
    }

    private func draw(now: Double) {
        let status = statusText(now: now)
        if output.isTerminal {
            let bar = total.map { Self.bar(fraction: $0 > 0 ? Double(completed) / Double($0) : 1) + " " } ?? ""
            output.write("\r\u{1B}[K" + bar + status)
        } else {
            output.write(status + "\n")
        }
    }

    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
