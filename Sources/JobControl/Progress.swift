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
    public struct Output: @unchecked Sendable {
        /// Receives raw text (no newline added).
        public var write: (String) -> Void
        /// Redraw one line in place with `\r` (a terminal) or print plain lines.
        public var isTerminal: Bool

        /// Receives each drawn state as numbers (a background job's status for `jobs`).
        public var observe: ((Snapshot) -> Void)?
        public init(write: @escaping (String) -> Void, isTerminal: Bool,
                    observe: ((Snapshot) -> Void)? = nil) {
            self.write = write
            self.isTerminal = isTerminal
            self.observe = observe
        }

        /// Where progress that would draw on standard error goes instead, when a front end shows
        /// it itself (the Jupyter kernel's display that updates in place). Set before cells run.
        nonisolated(unsafe) public static var frontEnd: Output?

        /// Standard error, drawn as a bar when it is a terminal — or, in a background job, the
        /// job's status, which `jobs` lists and `fg` draws; or the front end's display when one is
        /// set. Progress never goes to standard output: that stream carries results and transcripts.
        public static var standardError: Output {
            if let job = JobContext.current { return job.progress }
            if let frontEnd { return frontEnd }
            return Output(write: { text in
                fputs(text, stderr)
                fflush(stderr)
            }, isTerminal: isatty(2) == 1)
        }

        /// Discards everything (tests).
        public static let silent = Output(write: { _ in }, isTerminal: false)

        /// Where a command's progress goes: `.quiet` with `--quiet`, else `.standardError`.
        public static func display(quiet: Bool) -> Output { quiet ? .quiet : .standardError }

        /// A command's `--quiet`: nothing drawn, but a background job still reports its state.
        public static var quiet: Output {
            guard let job = JobContext.current else { return .silent }
            return Output(write: { _ in }, isTerminal: true, observe: job.progress.observe)
        }
    }

    /// One drawn state: what a background job's status shows.
    public struct Snapshot: Sendable, Equatable {
        public var label: String
        public var completed: Int
        public var total: Int?
        public var unit: String
        /// Units per second since the start.
        public var rate: Double
        /// Seconds left at the current rate, when the total is known and the rate positive.
        public var remaining: Double?
        public var finished: Bool

        public init(label: String, completed: Int, total: Int?, unit: String, rate: Double, remaining: Double?,
                    finished: Bool) {
            self.label = label
            self.completed = completed
            self.total = total
            self.unit = unit
            self.rate = rate
            self.remaining = remaining
            self.finished = finished
        }

        /// `45/100 clips (45%)` or `45 clips`.
        public var countText: String {
            guard let total else { return "\(completed) \(unit)" }
            let percent = total > 0 ? 100 * Double(completed) / Double(total) : 100
            return "\(completed)/\(total) \(unit) (\(Int(percent.rounded(.down)))%)"
        }
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
    public func statusText(now: Double) -> String { statusText(snapshot(now: now), now: now) }

    private func statusText(_ state: Snapshot, now: Double) -> String {
        var parts = [label, state.countText, String(format: "%.1f %@/s", state.rate, unit)]
        if let remaining = state.remaining {
            parts.append("ETA " + Self.clockText(remaining))
        } else {
            parts.append("elapsed " + Self.clockText(now - startTime))
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

    /// The state at `now`.
    public func snapshot(now: Double) -> Snapshot {
        let elapsed = max(now - startTime, 1e-9)
        let rate = Double(completed) / elapsed
        let remaining = total.flatMap { total in completed < total && rate > 0 ? Double(total - completed) / rate : nil }
        return Snapshot(label: label, completed: completed, total: total, unit: unit, rate: rate, remaining: remaining,
                        finished: finished)
    }

    private func draw(now: Double) {
        let state = snapshot(now: now)
        output.observe?(state)
        let status = statusText(state, now: now)
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
