import Foundation
import JobControl

/// One background job: a cell that ended in `&`, running on its own thread against a copy of the
/// session's variables. Its printed lines wait in the job until `wait` (or the first use of its
/// variable) shows them in that cell, so they never interleave with the prompt and a saved
/// session replays them in the same place.
///
/// The job thread writes (lines, progress, the end); the shell's thread reads. Every field the
/// two share is behind `condition`.
public final class BackgroundJob: @unchecked Sendable {
    public enum State: String, Sendable {
        case running, done, failed, cancelled
    }

    /// 1, 2, … in the order started (`wait 1`, `%1`).
    public let id: Int
    /// The cell as typed, without its `&`.
    public let command: String
    /// The variable the cell assigns (`dl = download … &`), bound when the job is waited for.
    public let variable: String?
    /// The variable's value before the cell, put back if the job fails or is cancelled.
    let previousValue: Value?
    /// What the job writes (the command's output flags), resolved: `--out` → file or folder.
    public let outputs: [(flag: String, url: URL)]
    /// Its `--shard I/N`, if any: slices of one stage write different files under the same `--out`.
    public let shard: String?
    /// The job's own Ctrl-C: `cancel`, `fg` + Ctrl-C, or the end of the session.
    public let cancellation = CancellationToken()
    public let startTime: Double

    private let condition = NSCondition()
    private var state_ = State.running
    private var lines_: [OutputLine] = []
    private var value_: Value?
    private var error_: ShellError?
    private var progress_: ProgressReporter.Snapshot?
    private var endTime_: Double?
    /// Its end was announced between cells (interactive shells).
    var announced = false
    /// Waited for: its output was shown and its variable bound.
    var collected = false

    init(id: Int, command: String, variable: String?, previousValue: Value?, outputs: [(flag: String, url: URL)],
         shard: String?) {
        self.shard = shard
        self.id = id
        self.command = command
        self.variable = variable
        self.previousValue = previousValue
        self.outputs = outputs
        startTime = ProgressReporter.monotonicSeconds()
    }

    /// `[1] dl = download m.json …` (the first line of the cell).
    public var title: String {
        let first = command.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? command
        return "[\(id)] " + first + (first.count < command.count ? " …" : "")
    }

    // MARK: written by the job thread

    func append(_ line: OutputLine) { locked { lines_.append(line) } }

    func update(_ snapshot: ProgressReporter.Snapshot) { locked { progress_ = snapshot } }

    func finish(value: Value?, error: ShellError?) {
        condition.lock()
        value_ = value
        error_ = error
        state_ = error == nil ? .done : (error?.kind == .cancelled ? .cancelled : .failed)
        endTime_ = ProgressReporter.monotonicSeconds()
        condition.broadcast()
        condition.unlock()
    }

    // MARK: read by the shell

    public var state: State { locked { state_ } }
    public var isRunning: Bool { state == .running }
    public var progress: ProgressReporter.Snapshot? { locked { progress_ } }
    public var lines: [OutputLine] { locked { lines_ } }
    public var value: Value? { locked { value_ } }
    public var error: ShellError? { locked { error_ } }

    /// Seconds since it started, or that it ran.
    public var elapsed: Double {
        locked { (endTime_ ?? ProgressReporter.monotonicSeconds()) - startTime }
    }

    /// Blocks until the job ends or `seconds` pass; true if it ended.
    @discardableResult
    public func waitForEnd(seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while state_ == .running {
            if !condition.wait(until: deadline) { return state_ != .running }
        }
        return true
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}

/// A variable bound to a job that has not been waited for: `:vars` shows it as a job; any other
/// use waits for the job and reads its result.
final class PendingJob: OpaqueValue {
    let job: BackgroundJob
    /// The session whose cells show the job's output and bind its variable (a job's own copy of
    /// the variables holds the same placeholder).
    weak var owner: Session?
    init(_ job: BackgroundJob, owner: Session) {
        self.job = job
        self.owner = owner
    }
    var typeName: String { "job" }
    var summary: String { "\(job.title) (\(job.state.rawValue))" }
}

/// The session's jobs: running ones and ended ones not yet waited for.
public final class JobTable {
    public private(set) var jobs: [BackgroundJob] = []
    private var lastID = 0

    func add(command: String, variable: String?, previousValue: Value?, outputs: [(flag: String, url: URL)],
             shard: String?) -> BackgroundJob {
        lastID += 1
        let job = BackgroundJob(id: lastID, command: command, variable: variable, previousValue: previousValue,
                                outputs: outputs, shard: shard)
        jobs.append(job)
        return job
    }

    func remove(_ job: BackgroundJob) { jobs.removeAll { $0 === job } }

    public var running: [BackgroundJob] { jobs.filter(\.isRunning) }

    public subscript(id: Int) -> BackgroundJob? { jobs.first { $0.id == id } }

    /// Numbers start again from 1 (`:reset` with no job left).
    func restartNumbering() { if jobs.isEmpty { lastID = 0 } }

    /// Ended jobs whose end was not announced yet; marks them announced.
    func takeUnannounced() -> [BackgroundJob] {
        let ended = jobs.filter { !$0.isRunning && !$0.announced }
        for job in ended { job.announced = true }
        return ended
    }
}
