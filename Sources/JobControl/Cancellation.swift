#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thrown by `Cancellation.check()` when the user pressed Ctrl-C (or `request()` was called):
/// long jobs let it propagate so the shell returns to its prompt.
public struct CancelledError: Error, CustomStringConvertible, Equatable, Sendable {
    public init() {}
    public var description: String { "cancelled" }
}

/// A cancellation flag that long work polls between units (`try token.check()`). The shell's
/// foreground has one (`Cancellation.interactive`, set by Ctrl-C); each background job has its own,
/// set by `cancel JOB`, so cancelling one never stops another.
///
/// The flag is a heap word written by a signal handler or another thread and read by the job: a
/// single aligned 32-bit store/load, which is all an async-signal handler may do (no locks, no
/// allocation). A late read only delays the stop to the next poll.
public final class CancellationToken: @unchecked Sendable {
    fileprivate let flag: UnsafeMutablePointer<Int32>

    public init() {
        flag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        flag.initialize(to: 0)
    }

    deinit { flag.deallocate() }

    /// True once cancellation was requested and not yet reset.
    public var isRequested: Bool { flag.pointee != 0 }

    /// Requests cancellation (as Ctrl-C does for the foreground).
    public func request() { flag.pointee = max(flag.pointee, 1) }

    /// Clears the request.
    public func reset() { flag.pointee = 0 }

    /// Throws `CancelledError` when cancellation was requested. Call between units of work.
    public func check() throws {
        if isRequested { throw CancelledError() }
    }
}

/// The job a thread works for: its cancellation flag and where its progress goes. The shell binds
/// one around a background job's body (`JobContext.$current.withValue`); code that starts worker
/// threads captures `Cancellation.current` and `ProgressReporter.Output.standardError` first,
/// because a new thread does not inherit the binding.
public final class JobContext: Sendable {
    public let cancellation: CancellationToken
    public let progress: ProgressReporter.Output

    public init(cancellation: CancellationToken, progress: ProgressReporter.Output) {
        self.cancellation = cancellation
        self.progress = progress
    }

    /// The job the calling thread runs for; nil in the foreground.
    @TaskLocal public static var current: JobContext?
}

/// Cancellation of the running work: the calling thread's job's token in a background job, the
/// interactive one otherwise. A SIGINT handler sets the interactive flag; the shell resets it
/// before every cell.
public enum Cancellation {
    /// The foreground's flag, set by Ctrl-C. Three unanswered presses end the process, so a job
    /// that never polls cannot trap the user.
    public static let interactive = CancellationToken()
    nonisolated(unsafe) private static var installed = false
    nonisolated(unsafe) private static let pending: UnsafeMutablePointer<Int32> = interactive.flag

    /// Presses after which the handler exits the process with status 130 (128 + SIGINT).
    public static let forcedExitPresses: Int32 = 3

    /// Installs the SIGINT handler (idempotent). Without SA_RESTART, so a blocking read returns
    /// EINTR and the reader can notice the interrupt.
    public static func installSIGINTHandler() {
        if installed { return }
        installed = true
        _ = pending // allocate before any signal can arrive
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in Cancellation.signalArrived() }
        #else
        action.__sigaction_u.__sa_handler = { _ in Cancellation.signalArrived() }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// Async-signal-safe: one store, and `_exit` on the third unanswered press.
    private static func signalArrived() {
        let presses = pending.pointee &+ 1
        pending.pointee = presses
        if presses >= forcedExitPresses { _exit(130) }
    }

    /// The token of the calling thread's job, or the interactive one. Capture it before handing
    /// work to other threads (`let token = Cancellation.current; … { token.isRequested }`).
    public static var current: CancellationToken { JobContext.current?.cancellation ?? interactive }

    /// True once cancellation of the current work was requested and not yet reset.
    public static var isRequested: Bool { current.isRequested }

    /// Requests cancellation of the current work as if Ctrl-C had been pressed (tests, timeouts).
    public static func request() { current.request() }

    /// Clears the request; the shell calls this before each cell and after handling a cancel.
    public static func reset() { current.reset() }

    /// Throws `CancelledError` when cancellation was requested. Call between units of work.
    public static func check() throws { try current.check() }
}
