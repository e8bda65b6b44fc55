import COpenSSL
import Foundation

/// Signs and verifies Jupyter messages: HMAC-SHA256 (OpenSSL's) over the header, parent header,
/// metadata and content frames, as lowercase hex. An empty key means unsigned messages (the
/// connection file's choice).
struct MessageSigner {
    let key: [UInt8]

    init(key: String) { self.key = Array(key.utf8) }

    var isSigning: Bool { !key.isEmpty }

    func signature(_ frames: [Data]) -> String {
        guard isSigning else { return "" }
        var joined = Data()
        for frame in frames { joined.append(frame) }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        joined.withUnsafeBytes { bytes in
            _ = HMAC(EVP_sha256(), key, Int32(key.count), bytes.bindMemory(to: UInt8.self).baseAddress, joined.count, &digest, &length)
        }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `signature` signs `frames`; compared in constant time.
    func verify(_ signature: String, _ frames: [Data]) -> Bool {
        guard isSigning else { return true }
        let expected = Array(self.signature(frames).utf8)
        let given = Array(signature.utf8)
        return given.count == expected.count && CRYPTO_memcmp(given, expected, given.count) == 0
    }
}
