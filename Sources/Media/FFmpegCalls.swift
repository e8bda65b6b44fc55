import CFFmpeg

/// Thin checked wrappers around FFmpeg return codes: every negative code becomes a `MediaError`
/// naming the C call, with FFmpeg's own message.
enum FFmpeg {
    static let eof = aslsh_averror_eof()
    static let again = aslsh_averror(EAGAIN)
    static let noPTS = aslsh_av_nopts_value()

    /// FFmpeg's text for an error code (`av_strerror`).
    static func message(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        return String(cString: aslsh_av_strerror(code, &buffer, buffer.count))
    }

    /// Throws when `code` < 0; returns it otherwise (some calls return a count or index).
    @discardableResult
    static func check(_ code: Int32, _ operation: String, _ kind: MediaError.Kind, file: String,
                      stream: Int? = nil, frame: Int? = nil, time: Double? = nil) throws -> Int32 {
        guard code < 0 else { return code }
        throw MediaError(kind, file: file, operation: operation, message: message(code),
                         stream: stream, frame: frame, time: time)
    }

    /// FFmpeg prints warnings (e.g. "moov atom not found") on stderr by default; the library
    /// reports failures through `MediaError` instead, so only fatal messages are let through.
    static let quietLogging: Void = { av_log_set_level(AV_LOG_FATAL) }()
}

extension Rational {
    init(_ r: AVRational) { self.init(Int(r.num), Int(r.den)) }
    var av: AVRational { AVRational(num: Int32(numerator), den: Int32(denominator)) }
}
