/// A short hash that is the same on every machine and in every run (Swift's `Hasher` is seeded
/// per process), for names derived from text: file names of videos and clips whose ids would not
/// be file names on their own. Not for security: FNV-1a is fast and well spread, not keyed.
public enum StableHash {
    /// 64-bit FNV-1a of the UTF-8 bytes.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
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
