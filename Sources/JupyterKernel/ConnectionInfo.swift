import Foundation
import TensorCore

/// The connection file Jupyter writes for a kernel: where to bind its five sockets and the key
/// that signs messages.
struct ConnectionInfo {
    var transport: String
    var ip: String
    var shellPort: Int
    var iopubPort: Int
    var stdinPort: Int
    var controlPort: Int
    var heartbeatPort: Int
    var key: String
    var signatureScheme: String

    /// The ZeroMQ endpoint for a port: `tcp://IP:PORT`, or `ipc://IP-PORT` for the ipc transport.
    func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "\(transport)://\(ip):\(port)"
    }

    /// Reads a connection file; errors name the file and the field.
    static func read(_ path: String) throws -> ConnectionInfo {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw KernelError("cannot read the connection file: \(FileProblem.reading(path, error: error))")
        }
        let object: [String: JSONValue]
        do { object = try KernelMessage.object(data) } catch {
            throw KernelError("\(path): not a connection file (not a JSON object)")
        }
        func port(_ name: String) throws -> Int {
            guard let value = object[name]?.integer, (0...65535).contains(value) else {
                throw KernelError("\(path): '\(name)' must be a port number")
            }
            return value
        }
        let scheme = object["signature_scheme"]?.stringValue ?? "hmac-sha256"
        guard scheme == "hmac-sha256" else {
            throw KernelError("\(path): signature_scheme '\(scheme)' is not supported (only hmac-sha256)")
        }
        return ConnectionInfo(transport: object["transport"]?.stringValue ?? "tcp", ip: object["ip"]?.stringValue ?? "127.0.0.1",
                              shellPort: try port("shell_port"), iopubPort: try port("iopub_port"),
                              stdinPort: try port("stdin_port"), controlPort: try port("control_port"),
                              heartbeatPort: try port("hb_port"), key: object["key"]?.stringValue ?? "", signatureScheme: scheme)
    }
}

/// A kernel that cannot start (bad connection file, libzmq missing, a port taken).
public struct KernelError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
