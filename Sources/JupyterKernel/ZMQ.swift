import CZMQ
import Foundation
import JupyterLoader

/// A ZeroMQ failure, with the operation and libzmq's reason.
public struct ZMQError: Error, CustomStringConvertible {
    public var operation: String
    public var reason: String
    public var description: String { "\(operation): \(reason)" }

    static func last(_ operation: String) -> ZMQError {
        ZMQError(operation: operation, reason: String(cString: zmq_strerror(zmq_errno())))
    }
}

/// A ZeroMQ context (loads libzmq and libcrypto on first use; see JupyterLoader).
final class ZMQContext {
    let handle: UnsafeMutableRawPointer

    init() throws {
        var message = [CChar](repeating: 0, count: 512)
        guard aslsh_jupyter_load(&message, message.count) == 0 else {
            throw ZMQError(operation: "loading libzmq", reason: String(cString: message))
        }
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }
}

/// One ZeroMQ socket. Not thread-safe (ZeroMQ's rule): each is used by one thread, or under a
/// lock, which the kernel guarantees; hence unchecked.
final class ZMQSocket: @unchecked Sendable {
    enum Kind {
        case router, publisher, reply
        var value: Int32 {
            switch self {
            case .router: ZMQ_ROUTER
            case .publisher: ZMQ_PUB
            case .reply: ZMQ_REP
            }
        }
    }

    let handle: UnsafeMutableRawPointer
    let name: String

    init(_ context: ZMQContext, _ kind: Kind, name: String) throws {
        guard let handle = zmq_socket(context.handle, kind.value) else { throw ZMQError.last("zmq_socket(\(name))") }
        self.handle = handle
        self.name = name
        // Pending messages get a second to leave when the socket closes at shutdown.
        var linger: Int32 = 1000
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    }

    func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("binding the \(name) socket to \(endpoint)") }
    }

    /// Sends the frames of one multipart message. Retries when a signal interrupts the call.
    func send(_ frames: [Data]) throws {
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            while true {
                let sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, frame.count, flags) }
                if sent >= 0 { break }
                if zmq_errno() != EINTR { throw ZMQError.last("sending on \(name)") }
            }
        }
    }

    /// Receives all frames of the next message (blocks).
    func receive() throws -> [Data] {
        var frames: [Data] = []
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            if zmq_msg_recv(&message, handle, 0) < 0 {
                if zmq_errno() == EINTR { continue }
                throw ZMQError.last("receiving on \(name)")
            }
            let size = zmq_msg_size(&message)
            frames.append(size == 0 ? Data() : Data(bytes: zmq_msg_data(&message), count: size))
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    /// Waits up to `milliseconds` (-1: forever) for a message; true when one is ready.
    func waitForMessage(milliseconds: Int) -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let ready = zmq_poll(&item, 1, milliseconds)
        return ready > 0 && item.revents & Int16(ZMQ_POLLIN) != 0
    }

    deinit { zmq_close(handle) }
}
