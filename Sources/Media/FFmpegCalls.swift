import CFFmpeg
import FFmpegLoader
import Foundation

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

    /// Loads FFmpeg's libraries on first use (`FFmpegLoader`: a command that never touches video
    /// does not pay for them at start-up) and silences FFmpeg's own logging: it prints warnings
    /// (e.g. "moov atom not found") on stderr, and the library reports failures through
    /// `MediaError` instead, so only fatal messages are let through. `file` names the media the
    /// caller was about to open, for the error when a library is missing.
    static func prepare(file: String) throws {
        try load(devices: false, file: file)
        _ = quietLogging
    }

    /// `prepare`, plus libavdevice's capture inputs (v4l2 cameras, …), registered once.
    static func prepareDevices(file: String) throws {
        try prepare(file: file)
        try load(devices: true, file: file)
        _ = devicesRegistered
    }

    private static func load(devices: Bool, file: String) throws {
        var buffer = [CChar](repeating: 0, count: 512)
        guard aslsh_ffmpeg_load(devices ? 1 : 0, &buffer, buffer.count) == 0 else {
            throw MediaError(.libraryUnavailable, file: file, message: String(cString: buffer))
        }
    }

    private static let quietLogging: Void = { av_log_set_level(AV_LOG_FATAL) }()
    /// Network protocols (http, rtsp, …) need their libraries set up once before the first open.
    static let networkInitialised: Void = { _ = avformat_network_init() }()
    private static let devicesRegistered: Void = { avdevice_register_all() }()
}

extension Rational {
    init(_ r: AVRational) { self.init(Int(r.num), Int(r.den)) }
    var av: AVRational { AVRational(num: Int32(numerator), den: Int32(denominator)) }
}

/// An opened container and its best video stream, for packet-level work (probing, stream copy).
/// Owns the format context; closes it on deinit.
final class DemuxedInput {
    let path: String
    private(set) var context: UnsafeMutablePointer<AVFormatContext>?
    let streamIndex: Int32
    let stream: UnsafeMutablePointer<AVStream>

    init(path: String) throws {
        try FFmpeg.prepare(file: path)
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw MediaError(.fileNotFound, file: path, message: "no such file")
        }
        var opened: UnsafeMutablePointer<AVFormatContext>? = nil
        try FFmpeg.check(avformat_open_input(&opened, path, nil, nil), "avformat_open_input", .cannotOpen, file: path)
        do {
            try FFmpeg.check(avformat_find_stream_info(opened, nil), "avformat_find_stream_info", .cannotOpen, file: path)
            let index = av_find_best_stream(opened, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
            guard index >= 0, let found = opened!.pointee.streams[Int(index)] else {
                throw MediaError(.noVideoStream, file: path, operation: "av_find_best_stream", message: FFmpeg.message(index))
            }
            streamIndex = index
            stream = found
        } catch {
            avformat_close_input(&opened)
            throw error
        }
        context = opened
    }

    deinit { avformat_close_input(&context) }
}
