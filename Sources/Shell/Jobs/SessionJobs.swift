import Foundation
import JobControl
#if canImport(Glibc)
import Glibc
#endif

/// How a cell waits for a job, which decides what Ctrl-C does while it waits.
enum JobWait {
    /// `wait`: Ctrl-C stops waiting; the job runs on.
    case wait
    /// `fg`: the job is the foreground cell; Ctrl-C cancels it.
    case foreground
    /// A cell used the job's variable: waits like `wait`, saying so.
    case implicit
}

/// Background jobs (`cell &`): starting, waiting for, cancelling and ending them.
extension Session {
    // MARK: starting

    /// Runs `inner` on a thread of its own and returns at once. What can start now is checked now:
    /// the command exists and may run in the background, its arguments bind, and no running job
    /// writes where it would write. What it prints waits in the job for `wait`.
    func startJob(_ inner: Statement, at: SourceLocation, nice: Int) throws {
        guard JobContext.current == nil else {
            throw ShellError(.invalidArgument, "a background job cannot start another one", at: at)
        }
        var variable: String?
        var timed = false
        var statement = inner
        var pipeline: Pipeline?
        while pipeline == nil {
            switch statement {
            case .assignment(let name, let nameAt, let value):
                if registry[name] != nil {
                    throw ShellError(.invalidArgument, "cannot assign to '\(name)': it is a command name", at: nameAt,
                                     length: name.count, hint: "choose another variable name")
                }
                variable = name
                pipeline = value
            case .pipeline(let value):
                pipeline = value
            case .timed(let wrapped, _):
                timed = true
                statement = wrapped
            case .background, .empty:
                throw ShellError(.syntax, "'&' needs a command to run in the background", at: at)
            }
        }
        guard let pipeline, case .command(let call) = pipeline.stages[0], let definition = registry[call.name] else {
            throw ShellError(.invalidArgument, "only a command runs in the background ('&'); this cell starts with a value",
                             at: at, hint: "e.g. 'dl = download m.json --resume &'")
        }
        guard definition.runsInBackground else {
            throw ShellError(.invalidArgument, "'\(call.name)' cannot run in the background", at: call.location,
                             length: call.nameLength, hint: call.name.hasPrefix(":") ? "directives act on the session at once: drop the '&'"
                                : "'\(call.name)' acts on the shell's jobs at once: drop the '&'")
        }
        if Self.asksForHelp(call, definition) {
            for line in definition.helpText { print(line) }
            return
        }
        // The job runs against a copy of the variables, so later cells cannot change its inputs.
        let child = Session(registry: registry, seed: seed, outputSink: { _ in }, errorSink: { _ in })
        child.origin = origin
        child.echoesValues = echoesValues
        for name in variableOrder { child.setVariable(name, variables[name]!) }
        let invocation = try Binder(session: child, row: nil).bind(call, to: definition, input: nil)
        let outputs = try checkOutputsFree(definition, invocation)

        let job = jobs.add(command: backgroundCellText, variable: variable,
                           previousValue: variable.flatMap { variables[$0] }, outputs: outputs,
                           shard: invocation.string("shard"))
        child.outputSink = { [job] line in job.append(line) }
        let context = JobContext(cancellation: job.cancellation,
                                 progress: ProgressReporter.Output(write: { _ in }, isTerminal: true,
                                                                   observe: { [job] in job.update($0) }))
        let isTimed = timed
        let thread = Thread { [job, child] in
            // Linux keeps niceness per thread: who = 0 is this thread, and threads and programs it
            // starts inherit it.
            if nice > 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Int32(nice)) }
            Thread.current.name = "aslsh job \(job.id)"   // set from the thread itself: what top -H and /proc show
            JobContext.$current.withValue(context) {
                let start = ProgressReporter.monotonicSeconds()
                do {
                    var value = try child.call(definition, invocation)
                    try Cancellation.check()
                    value = try child.evaluate(pipeline, from: 1, input: value)
                    if isTimed {
                        child.print(String(format: "time: %.3f s", ProgressReporter.monotonicSeconds() - start), volatile: true)
                    }
                    job.finish(value: value, error: nil)
                } catch let error as ShellError {
                    job.finish(value: nil, error: error)
                } catch is CancelledError {
                    job.finish(value: nil, error: ShellError(.cancelled, "cancelled"))
                } catch {
                    job.finish(value: nil, error: ShellError(.failed, "\(error)"))
                }
            }
        }
        thread.stackSize = 16 << 20   // model code recurses over layers and graphs
        if let variable { setVariable(variable, .opaque(PendingJob(job, owner: self))) }
        print("[\(job.id)] started: " + job.title.dropFirst("[\(job.id)] ".count))
        thread.start()
    }

    /// The cell being run, without its `&` (what `jobs` shows).
    var backgroundCellText: String {
        var text = currentCellText.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasSuffix("&") { text.removeLast() }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// What `invocation` would write (its output flags, defaults included), after checking that no
    /// running job writes the same file or folder, or one inside the other.
    func checkOutputsFree(_ definition: CommandDefinition, _ invocation: Invocation) throws -> [(flag: String, url: URL)] {
        let outputs = definition.flags.filter(\.writes).compactMap { flag in
            invocation.url(flag.name).map { (flag: "--" + flag.name, url: $0) }
        }
        let shard = invocation.string("shard")
        // Two different slices (`--shard 0/2`, `--shard 1/2`) write different files under one `--out`.
        for job in jobs.running where shard == nil || job.shard == nil || shard == job.shard {
            for mine in outputs {
                for theirs in job.outputs where Self.overlaps(mine.url, theirs.url) {
                    throw ShellError(.invalidArgument,
                                     "\(definition.name) \(mine.flag) \(PathDisplay.display(mine.url.path)) would write where "
                                        + "job \(job.title) writes (its \(theirs.flag) \(PathDisplay.display(theirs.url.path)))",
                                     at: invocation.location, length: definition.name.count,
                                     hint: "wait \(job.id) first, or choose another \(mine.flag)")
                }
            }
        }
        return outputs
    }

    /// The same path, or one inside the other.
    static func overlaps(_ a: URL, _ b: URL) -> Bool {
        let p = a.standardizedFileURL.path, q = b.standardizedFileURL.path
        return p == q || p.hasPrefix(q.hasSuffix("/") ? q : q + "/") || q.hasPrefix(p.hasSuffix("/") ? p : p + "/")
    }

    // MARK: waiting

    /// The value of variable `name`: a job's result once it ended (waiting for it if needed).
    func resolve(_ name: String, _ value: Value) throws -> Value {
        guard case .opaque(let opaque) = value, let pending = opaque as? PendingJob else { return value }
        let job = pending.job
        if job.collected {
            // Waited for already (by the shell, while this copy of the variables still held the job).
            guard job.state == .done else { throw ShellError(.failed, "job \(job.title) \(job.state == .cancelled ? "was cancelled" : "failed")") }
            return job.value ?? .null
        }
        // The shell's session waits, so the output lands in the cell being run and `name` is bound there.
        return try (pending.owner ?? self).collect(job, .implicit) ?? .null
    }

    /// Waits for `job` (its progress on standard error), shows what it printed as this cell's
    /// output and binds its variable, as if the cell had run here. A failed or cancelled job is
    /// this cell's error, and its variable keeps its earlier value.
    @discardableResult
    func collect(_ job: BackgroundJob, _ mode: JobWait) throws -> Value? {
        guard JobContext.current == nil else {
            throw ShellError(.failed, "a background job cannot wait for job \(job.title)",
                             hint: "wait for it before starting this job")
        }
        if mode == .implicit, job.isRunning { print("waiting for job \(job.title)", volatile: true) }
        try waitForEnd(job, mode)
        jobs.remove(job)
        job.collected = true
        let state = job.state
        // A cancelled job's partial output depends on when it stopped.
        for line in job.lines { print(line.text, volatile: line.isVolatile || state == .cancelled) }
        switch state {
        case .done, .running:
            let value = job.value ?? .null
            if let name = job.variable {
                setVariable(name, value)
            } else if echoesValues, mode != .implicit {
                if case .null = value {} else { for line in ValueFormatter.lines(value) { print(line) } }
            }
            return value
        case .failed, .cancelled:
            if let name = job.variable {
                if let previous = job.previousValue { setVariable(name, previous) } else { removeVariable(name) }
            }
            let cause = job.error ?? ShellError(.failed, "failed")
            throw ShellError(.failed, "job \(job.title) " + (state == .cancelled ? "was cancelled" : "failed: \(cause.message)"),
                             hint: cause.hint ?? (state == .cancelled ? "rerun it with --resume to go on where it stopped" : nil))
        }
    }

    /// Blocks until `job` ends, drawing its progress. Ctrl-C stops waiting (`.wait`, `.implicit`)
    /// or cancels the job and waits for it to stop (`.foreground`).
    func waitForEnd(_ job: BackgroundJob, _ mode: JobWait) throws {
        guard job.isRunning else { return }
        let display = JobProgressLine(job)
        defer { display.end() }
        while !job.waitForEnd(seconds: 0.1) {
            display.draw()
            guard Cancellation.interactive.isRequested else { continue }
            Cancellation.interactive.reset()
            switch mode {
            case .foreground:
                job.cancellation.request()
            case .wait, .implicit:
                throw ShellError(.cancelled, "stopped waiting for job \(job.title); it is still running",
                                 hint: "'cancel \(job.id)' stops it")
            }
        }
    }

    /// `wait JOB` / `fg JOB` / `cancel JOB`: `1`, `%1` or the job's variable.
    func job(named reference: String, at: SourceLocation) throws -> BackgroundJob {
        let number = Int(reference.hasPrefix("%") ? String(reference.dropFirst()) : reference)
        if let number {
            if let job = jobs[number] { return job }
        } else if let value = variables[reference], case .opaque(let opaque) = value, let pending = opaque as? PendingJob {
            return pending.job
        }
        let known = jobs.jobs.map { "\($0.id)" + ($0.variable.map { " (\($0))" } ?? "") }
        throw ShellError(.invalidArgument, number != nil ? "no job \(reference)" : "'\(reference)' is not a job",
                         at: at, length: reference.count,
                         hint: known.isEmpty ? "no jobs are running or waiting to be waited for" : "jobs: " + known.joined(separator: ", "))
    }

    // MARK: ending

    /// Asks every running job to stop at its next boundary and waits until they have; returns
    /// them. Used when a script ends or a confirmed quit leaves jobs behind: what they wrote is
    /// whole files (every output is written atomically), and `--resume` goes on from there.
    @discardableResult
    public func cancelRunningJobs() -> [BackgroundJob] {
        let running = jobs.running
        for job in running { job.cancellation.request() }
        for job in running { while !job.waitForEnd(seconds: 1) {} }
        return running
    }

    /// Lines announcing jobs that ended since the last call (a failed job's error included), for
    /// an interactive shell to print between cells.
    public func jobAnnouncements() -> [String] {
        jobs.takeUnannounced().map { job in
            let time = ProgressReporter.clockText(job.elapsed)
            let next = "'wait \(job.id)'" + (job.variable.map { " binds \($0)" } ?? " shows its output")
            switch job.state {
            case .done, .running: return "\(job.title): done in \(time); \(next)"
            case .cancelled: return "\(job.title): cancelled after \(time)"
            case .failed: return "\(job.title): failed after \(time): \(job.error?.message ?? "?"); \(next.replacingOccurrences(of: " binds", with: " reports it;"))"
            }
        }
    }
}

/// A waited-for job's progress on standard error: a redrawn bar on a terminal, a plain line every
/// 5 s otherwise; erased when the wait ends, so the cell's own output follows on a clean line.
final class JobProgressLine {
    let job: BackgroundJob
    let isTerminal = isatty(2) == 1
    private var lastLine = ProgressReporter.monotonicSeconds()
    private var drawn = false
    private var lastStatus = ""

    init(_ job: BackgroundJob) { self.job = job }

    func draw() {
        let now = ProgressReporter.monotonicSeconds()
        if isTerminal {
            fputs("\r\u{1B}[K" + Self.status(job), stderr)
            drawn = true
        } else if now - lastLine >= 5 {
            lastLine = now
            let status = Self.status(job)
            if status != lastStatus { fputs(status + "\n", stderr) }
            lastStatus = status
        }
        fflush(stderr)
    }

    func end() {
        if drawn { fputs("\r\u{1B}[K", stderr); fflush(stderr) }
    }

    /// `[#####.....] [1] extract 45/100 clips (45%) ETA 0:12`, or `[1] running 0:05` before the
    /// job reports progress.
    static func status(_ job: BackgroundJob) -> String {
        guard let p = job.progress else { return "[\(job.id)] running \(ProgressReporter.clockText(job.elapsed))" }
        let bar = p.total.map { ProgressReporter.bar(fraction: $0 > 0 ? Double(p.completed) / Double($0) : 1) + " " } ?? ""
        return bar + "[\(job.id)] \(p.label) \(p.countText)" + (p.remaining.map { " ETA " + ProgressReporter.clockText($0) } ?? "")
    }
}
