import Foundation

/// A short hash that is the same on every machine and in every run (Swift's `Hasher` is seeded
/// per process), for names derived from text: file names of videos and clips whose ids would not
/// be file names on their own. Not for security: FNV-1a is fast and well spread, not keyed.
public enum StableHash {
    /// 64-bit FNV-1a of the UTF-8 bytes.
    public static func fnv1a64(_ text: String) -> UInt64 { fnv1a64(bytes: text.utf8) }

    /// 64-bit FNV-1a of any bytes (a file's contents).
    public static func fnv1a64<Bytes: Sequence>(bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// 16 lowercase hex digits of FNV-1a 64 over `data`: a fingerprint that notices a changed file.
    public static func hex16(_ data: Data) -> String {
        let digits = String(fnv1a64(bytes: data), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// 8 lowercase hex digits (the two 32-bit halves of FNV-1a 64 folded together): short enough
    /// for a file name. Names pair it with readable text (a file's stem), so two different inputs
    /// clash only if both their text and these 32 bits agree.
    public static func hex8(_ text: String) -> String {
        let hash = fnv1a64(text)
        let folded = UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
        let digits = String(folded, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
