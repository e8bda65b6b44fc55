import Foundation
import JobControl

/// Background jobs: a cell ending in `&` starts one; these list, wait for, foreground and cancel
/// them (see docs/jobs.md).
public enum JobCommands {
    public static var all: [CommandDefinition] { [jobs, wait, fg, cancel] }

    static let jobArgument = ArgumentSpec("job", .expression, "the job: its number (1 or %1) or its variable", optional: true)

    static let jobs = CommandDefinition(
        "jobs", summary: "list background jobs: number, state, progress, elapsed time, ETA",
        discussion: """
        Lists the running jobs and the ended ones not yet waited for. Its lines depend on timing,
        so a saved session marks them volatile (#~) and --check ignores them.
        example: jobs
        """,
        runsInBackground: false
    ) { call in
        let session = call.session
        guard !session.jobs.jobs.isEmpty else {
            session.print("(no jobs)", volatile: true)
            return .null
        }
        let rows: [[Value]] = session.jobs.jobs.map { job in
            let progress = job.progress
            return [.string("[\(job.id)]"), .string(job.state.rawValue),
                    .string(progress.map { "\($0.label) \($0.countText)" } ?? "-"),
                    .string(ProgressReporter.clockText(job.elapsed)),
                    .string(job.isRunning ? progress?.remaining.map(ProgressReporter.clockText) ?? "-" : "-"),
                    .string(job.command)]
        }
        let table = Table(columns: ["job", "state", "progress", "elapsed", "eta", "command"], rows: rows)
        for line in ValueFormatter.tableLines(table, maxRows: .max, maxCellWidth: 60) { session.print(line, volatile: true) }
        return .null
    }

    static let wait = CommandDefinition(
        "wait", summary: "wait for a background job (or all), show its output and bind its result",
        discussion: """
        Shows the job's progress while it runs, then prints what the job printed and binds its
        variable, as if the cell had run in the foreground. A failed or cancelled job is this
        cell's error. Ctrl-C stops waiting; the job runs on ('cancel JOB' stops it). Using a job's
        variable in another cell waits the same way.
        example: wait dl
        """,
        arguments: [jobArgument],
        runsInBackground: false
    ) { call in
        let session = call.session
        guard let reference = jobReference(call) else {
            // Every job, in the order started; the first failure is the cell's error after all ended.
            var firstError: ShellError?
            for job in session.jobs.jobs {
                do { try session.collect(job, .wait) } catch let error as ShellError {
                    if error.kind == .cancelled { throw error }
                    firstError = firstError ?? error
                }
            }
            if let firstError { throw firstError }
            return .null
        }
        try session.collect(try session.job(named: reference.name, at: reference.at), .wait)
        return .null
    }

    static let fg = CommandDefinition(
        "fg", summary: "bring a background job to the foreground: its progress bar, and Ctrl-C cancels it",
        discussion: """
        Like 'wait', but the job becomes the foreground cell: Ctrl-C cancels it (at its next
        boundary; what it wrote stays, and --resume goes on from there).
        example: fg 1
        """,
        arguments: [jobArgument],
        runsInBackground: false
    ) { call in
        let session = call.session
        let job: BackgroundJob
        if let reference = jobReference(call) {
            job = try session.job(named: reference.name, at: reference.at)
        } else {
            guard let last = session.jobs.jobs.last else { throw call.failure("no jobs") }
            job = last
        }
        try session.collect(job, .foreground)
        return .null
    }

    static let cancel = CommandDefinition(
        "cancel", summary: "stop a background job at its next boundary",
        discussion: """
        The job stops as Ctrl-C stops a foreground cell: files it finished stay (every output is
        written whole, by rename), and rerunning the cell with --resume goes on from there. Its
        variable keeps the value it had before the job.
        example: cancel dl
        """,
        arguments: [jobArgument],
        runsInBackground: false
    ) { call in
        let session = call.session
        guard let reference = jobReference(call) else { throw call.failure("name the job to cancel", hint: "cancel 1") }
        let job = try session.job(named: reference.name, at: reference.at)
        guard job.isRunning else {
            throw call.failure("job \(job.title) already ended (\(job.state.rawValue))",
                               hint: "'wait \(job.id)' shows its output" + (job.variable.map { " and binds \($0)" } ?? ""))
        }
        job.cancellation.request()
        do { try session.collect(job, .foreground) } catch let error as ShellError where job.state == .cancelled {
            _ = error  // the expected end: say it plainly instead of as an error
            session.print("job \(job.title) cancelled after \(ProgressReporter.clockText(job.elapsed))", volatile: true)
            return .null
        }
        // It ended on its own before it reached a boundary: its output and result are shown as by 'wait'.
        session.print("job \(job.title) had already finished", volatile: true)
        return .null
    }

    /// The job argument as written: a number, `%N` or a variable name (never evaluated, so a job's
    /// variable is not waited for by naming it).
    static func jobReference(_ call: Invocation) -> (name: String, at: SourceLocation)? {
        guard let expression = call.expressions["job"] else { return nil }
        switch expression {
        case .number(let n, _, let at): return ("\(Int(n))", at)
        case .word(let name, let at, _): return (name, at)
        case .string(let name, let at): return (name, at)
        default: return ("\(expression)", expression.location)
        }
    }
}
