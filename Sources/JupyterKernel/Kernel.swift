import Foundation
import JobControl
import Shell
import TensorCore

/// A Jupyter kernel (messaging protocol 5.3) whose cells are aslsh cells, run in one `Session`
/// with the REPL's semantics. Threads: the shell socket is served on the calling thread (it runs
/// cells), the control socket (interrupt, shutdown, kernel_info) and the heartbeat echo each on
/// their own, so an interrupt or a heartbeat is answered while a cell runs; iopub is shared
/// under a lock (ZeroMQ sockets are not thread-safe).
public final class Kernel: @unchecked Sendable {  // state shared across threads is the locked iopub socket and the cancellation flag
    let connection: ConnectionInfo
    let signer: MessageSigner
    let sessionID = UUID().uuidString.lowercased()
    let session: Session
    private let context: ZMQContext
    private let shell: ZMQSocket
    private let control: ZMQSocket
    private let stdin: ZMQSocket
    private let iopub: ZMQSocket
    private let heartbeat: ZMQSocket
    private let iopubLock = NSLock()
    /// Cells executed with store_history (the `In [N]` number).
    var executionCount = 0
    /// Receives the kernel's own log lines (standard error: Jupyter shows them in its log).
    let log: (String) -> Void

    init(connection: ConnectionInfo, seed: UInt64 = 42, log: @escaping (String) -> Void = { fputs("aslsh kernel: \($0)\n", stderr) }) throws {
        self.connection = connection
        self.log = log
        signer = MessageSigner(key: connection.key)
        context = try ZMQContext()
        shell = try ZMQSocket(context, .router, name: "shell")
        control = try ZMQSocket(context, .router, name: "control")
        stdin = try ZMQSocket(context, .router, name: "stdin")
        iopub = try ZMQSocket(context, .publisher, name: "iopub")
        heartbeat = try ZMQSocket(context, .reply, name: "heartbeat")
        for (socket, port) in [(shell, connection.shellPort), (control, connection.controlPort), (stdin, connection.stdinPort),
                               (iopub, connection.iopubPort), (heartbeat, connection.heartbeatPort)] {
            do { try socket.bind(connection.endpoint(port)) } catch { throw KernelError("\(error)") }
        }
        session = Session(seed: seed)
    }

    /// Serves until a shutdown request; returns the exit status.
    func run() -> Int32 {
        Self.installInterruptHandler()
        startThread("heartbeat") { [heartbeat] in
            while let frames = try? heartbeat.receive() { try? heartbeat.send(frames) }
        }
        watchParent()
        startThread("control") { [self] in
            while true { serve(control, handler: handleControl) }
        }
        publish("status", ["execution_state": .string("starting")], parent: nil)
        while true { serve(shell, handler: handleShell) }
    }

    /// Jupyter names the process that started the kernel in JPY_PARENT_PID: when that process
    /// is gone (the kernel was re-parented), no one can shut the kernel down, so it ends itself.
    private func watchParent() {
        guard let text = ProcessInfo.processInfo.environment["JPY_PARENT_PID"], let parent = Int32(text), parent > 1,
              getppid() == parent else { return }
        startThread("parent") { [log] in
            while getppid() == parent { sleep(1) }
            log("the process that started the kernel (\(parent)) ended: exiting")
            _exit(0)
        }
    }

    /// interrupt_mode "signal": SIGINT cancels the running cell, like Ctrl-C in the shell, but
    /// never ends the kernel (the shell's third-press exit is for a terminal user, not a notebook).
    static func installInterruptHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Cancellation.request() }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
    }

    private func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = "aslsh-kernel-" + name
        thread.start()
    }

    /// Receives one message on `socket` and handles it; a malformed or unsigned one is logged
    /// and answered with an error reply, never fatal.
    private func serve(_ socket: ZMQSocket, handler: (KernelMessage, ZMQSocket) -> Void) {
        let frames: [Data]
        do { frames = try socket.receive() } catch {
            log("\(error)")
            return
        }
        do {
            handler(try KernelMessage.decode(frames, signer: signer), socket)
        } catch let rejection as KernelMessage.Rejection {
            log("rejected a message on \(socket.name): \(rejection.reason)")
            let type = rejection.header?["msg_type"]?.stringValue
            let replyType = type.map { $0.hasSuffix("_request") ? String($0.dropLast("_request".count)) + "_reply" : $0 + "_reply" } ?? "error"
            var reply = KernelMessage(type: replyType, session: sessionID,
                                      content: ["status": .string("error"), "ename": .string("InvalidMessage"),
                                                "evalue": .string(rejection.reason), "traceback": .array([])],
                                      parent: nil)
            reply.identities = rejection.identities
            reply.parentHeader = rejection.header ?? [:]
            try? socket.send(reply.frames(signer: signer))
        } catch {
            log("\(error)")
        }
    }

    // MARK: sending

    func reply(_ request: KernelMessage, on socket: ZMQSocket, _ content: [String: JSONValue]) {
        let type = request.type.hasSuffix("_request") ? String(request.type.dropLast("_request".count)) + "_reply" : request.type + "_reply"
        let message = KernelMessage(type: type, session: sessionID, content: content, parent: request)
        do { try socket.send(message.frames(signer: signer)) } catch { log("\(error)") }
    }

    /// Publishes on iopub (from any thread).
    func publish(_ type: String, _ content: [String: JSONValue], parent: KernelMessage?) {
        var message = KernelMessage(type: type, session: sessionID, content: content, parent: parent)
        message.identities = [Data("kernel.\(sessionID).\(type)".utf8)]
        iopubLock.lock()
        defer { iopubLock.unlock() }
        do { try iopub.send(message.frames(signer: signer)) } catch { log("\(error)") }
    }

    // MARK: handling

    private func handleShell(_ request: KernelMessage, on socket: ZMQSocket) {
        publish("status", ["execution_state": .string("busy")], parent: request)
        defer { publish("status", ["execution_state": .string("idle")], parent: request) }
        switch request.type {
        case "execute_request": reply(request, on: socket, execute(request))
        case "complete_request": reply(request, on: socket, KernelRequests.complete(request.content, session: session))
        case "inspect_request": reply(request, on: socket, KernelRequests.inspect(request.content, session: session))
        case "is_complete_request": reply(request, on: socket, KernelRequests.isComplete(request.content))
        case "history_request": reply(request, on: socket, ["status": .string("ok"), "history": .array([])])
        case "comm_info_request": reply(request, on: socket, ["status": .string("ok"), "comms": .object([:])])
        case "kernel_info_request", "shutdown_request", "interrupt_request": handleControl(request, on: socket)
        default:
            log("unknown message type '\(request.type)' on shell")
            reply(request, on: socket, ["status": .string("error"), "ename": .string("UnknownMessageType"),
                                        "evalue": .string("aslsh's kernel does not handle '\(request.type)'"), "traceback": .array([])])
        }
    }

    private func handleControl(_ request: KernelMessage, on socket: ZMQSocket) {
        switch request.type {
        case "kernel_info_request":
            reply(request, on: socket, KernelRequests.kernelInfo)
        case "interrupt_request":
            Cancellation.request()
            reply(request, on: socket, ["status": .string("ok")])
        case "shutdown_request":
            let restart = request.content["restart"] ?? .bool(false)
            reply(request, on: socket, ["status": .string("ok"), "restart": restart])
            publish("status", ["execution_state": .string("dead")], parent: request)
            // ZeroMQ's IO thread sends the reply in the background: give it time, then end without
            // running exit handlers under the threads still inside libzmq.
            usleep(200_000)
            fflush(stdout)
            fflush(stderr)
            _exit(0)
        default:
            log("unknown message type '\(request.type)' on control")
            reply(request, on: socket, ["status": .string("error"), "ename": .string("UnknownMessageType"),
                                        "evalue": .string("the control channel does not handle '\(request.type)'"), "traceback": .array([])])
        }
    }
}
