import Foundation
import TensorCore

/// One Jupyter message (protocol 5.3) and its wire form:
/// `[routing ids…, "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers…]`.
struct KernelMessage {
    static let delimiter = Data("<IDS|MSG>".utf8)
    static let protocolVersion = "5.3"

    var identities: [Data] = []
    var header: [String: JSONValue]
    var parentHeader: [String: JSONValue] = [:]
    var metadata: [String: JSONValue] = [:]
    var content: [String: JSONValue]

    var type: String { header["msg_type"]?.stringValue ?? "" }
    var id: String { header["msg_id"]?.stringValue ?? "" }

    /// A new message of `type` in `session`, replying to (or caused by) `parent`.
    init(type: String, session: String, content: [String: JSONValue], parent: KernelMessage?) {
        header = [
            "msg_id": .string(UUID().uuidString.lowercased()), "session": .string(session), "username": .string("aslsh"),
            "date": .string(Self.timestamp()), "msg_type": .string(type), "version": .string(Self.protocolVersion),
        ]
        parentHeader = parent?.header ?? [:]
        identities = parent?.identities ?? []
        self.content = content
    }

    init(identities: [Data], header: [String: JSONValue], parentHeader: [String: JSONValue],
         metadata: [String: JSONValue], content: [String: JSONValue]) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        self.metadata = metadata
        self.content = content
    }

    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Why a received message was rejected; `header` is what could be read of it (for the error reply).
    struct Rejection: Error, CustomStringConvertible {
        var reason: String
        var identities: [Data]
        var header: [String: JSONValue]?
        var description: String { reason }
    }

    /// Parses and verifies frames as received from a ROUTER socket.
    static func decode(_ frames: [Data], signer: MessageSigner) throws -> KernelMessage {
        guard let split = frames.firstIndex(of: delimiter) else {
            throw Rejection(reason: "no '<IDS|MSG>' delimiter among \(frames.count) frames", identities: frames.prefix(1).map { $0 }, header: nil)
        }
        let identities = Array(frames[..<split])
        let parts = Array(frames[(split + 1)...])
        guard parts.count >= 5 else {
            throw Rejection(reason: "\(parts.count) frames after the delimiter, expected at least 5 (signature, header, parent, metadata, content)",
                            identities: identities, header: nil)
        }
        let header = try? object(parts[1])
        guard signer.verify(String(decoding: parts[0], as: UTF8.self), Array(parts[1...4])) else {
            throw Rejection(reason: parts[0].isEmpty ? "unsigned message (the connection file has a key)" : "invalid signature",
                            identities: identities, header: header)
        }
        do {
            let header = try object(parts[1])
            guard header["msg_type"]?.stringValue != nil else {
                throw Rejection(reason: "the header has no msg_type", identities: identities, header: header)
            }
            return KernelMessage(identities: identities, header: header, parentHeader: try object(parts[2]),
                                 metadata: try object(parts[3]), content: try object(parts[4]))
        } catch let error as Rejection {
            throw error
        } catch {
            throw Rejection(reason: "a frame is not a JSON object: \(error)", identities: identities, header: header)
        }
    }

    static func object(_ data: Data) throws -> [String: JSONValue] {
        let value = try JSONDecoder().decode(JSONValue.self, from: data)
        guard let object = value.object else {
            throw DecodingError.typeMismatch([String: JSONValue].self, .init(codingPath: [], debugDescription: "not a JSON object"))
        }
        return object
    }

    static func encode(_ object: [String: JSONValue]) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(JSONValue.object(object))) ?? Data("{}".utf8)
    }

    /// The frames to send, signed.
    func frames(signer: MessageSigner) -> [Data] {
        let body = [Self.encode(header), Self.encode(parentHeader), Self.encode(metadata), Self.encode(content)]
        return identities + [Self.delimiter, Data(signer.signature(body).utf8)] + body
    }
}
