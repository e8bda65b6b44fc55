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

/// Process-wide cancellation: a SIGINT handler sets a flag that long jobs poll between units of
/// work (`try Cancellation.check()`). The shell resets it before every cell.
///
/// The flag is a heap word written by the signal handler and read by the job: a single aligned
/// 32-bit store/load, which is all an async-signal handler may do (no locks, no allocation).
public enum Cancellation {
    /// How many SIGINTs arrived since the last `reset()`. Three unanswered presses end the
    /// process, so a job that never polls cannot trap the user.
    nonisolated(unsafe) private static let pending: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    nonisolated(unsafe) private static var installed = false

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

    /// True once cancellation was requested and not yet reset.
    public static var isRequested: Bool { pending.pointee != 0 }

    /// Requests cancellation as if Ctrl-C had been pressed (tests, timeouts).
    public static func request() { pending.pointee = max(pending.pointee, 1) }

    /// Clears the request; the shell calls this before each cell and after handling a cancel.
    public static func reset() { pending.pointee = 0 }

    /// Throws `CancelledError` when cancellation was requested. Call between units of work.
    public static func check() throws {
        if isRequested { throw CancelledError() }
    }
}
