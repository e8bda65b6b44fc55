import Foundation
import TensorCore

/// The one error type of the Media module. Every failing C call (libavformat, libavcodec,
/// libswscale, TurboJPEG, libpng) becomes one of these, carrying where it happened: the file, the
/// stream index, the frame index and/or the time in seconds, and the C call that failed.
public struct MediaError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The file does not exist (or is not readable).
        case fileNotFound
        /// The file is there but is not a valid image of its format (`message` says which and why).
        case malformed
        /// The container could not be opened or probed (corrupt header, truncated `moov`, not media).
        case cannotOpen
        /// The file has no video stream.
        case noVideoStream
        /// No decoder/encoder for this codec in the linked FFmpeg build.
        case codecUnavailable
        /// Decoding failed (corrupt or truncated data).
        case decodeFailed
        /// Encoding or muxing failed.
        case encodeFailed
        /// Pixel-format conversion or scaling failed.
        case conversionFailed
        /// A seek was rejected by the demuxer.
        case seekFailed
        /// The request itself is invalid (empty time range, zero size, unsupported layout…).
        case invalidArgument
        /// Reading or writing the file failed.
        case io
        /// The caller's `isCancelled` returned true.
        case cancelled
        /// An FFmpeg library could not be loaded (not installed, or another version); the message
        /// names it and the package that provides it.
        case libraryUnavailable
    }

    public var kind: Kind
    /// The file concerned.
    public var file: String
    /// The C call that failed (e.g. `avformat_open_input`), or nil for checks done in Swift.
    public var operation: String?
    /// The library's own message (FFmpeg `av_strerror`, `tjGetErrorStr2`, libpng's message).
    public var message: String
    public var stream: Int?
    public var frame: Int?
    public var time: Double?

    public init(_ kind: Kind, file: String, operation: String? = nil, message: String,
                stream: Int? = nil, frame: Int? = nil, time: Double? = nil) {
        self.kind = kind
        self.file = file
        self.operation = operation
        self.message = message
        self.stream = stream
        self.frame = frame
        self.time = time
    }

    /// `FILE[, stream S][, frame F][, t=T s]: WHAT: WHY`. The C call stays in `operation` for
    /// debugging but is not printed: users need the file and what is wrong with it, not
    /// `tjDecompressHeader3`. Missing files, malformed images and file-system failures use the
    /// shared words (`FileProblem`): "no such file", "not a valid JPEG (…)", "cannot write: …".
    public var description: String {
        var location = file
        if let stream { location += ", stream \(stream)" }
        if let frame { location += ", frame \(frame)" }
        if let time { location += String(format: ", t=%.3fs", time) }
        switch kind {
        case .fileNotFound: return "\(location): no such file"
        case .malformed, .io: return "\(location): \(message)"
        default: return "\(location): \(kindText): \(MediaError.lowercasedFirst(message))"
        }
    }

    /// A `FileProblem` as a media error (missing → `.fileNotFound`, the rest `.io`).
    public init(_ problem: FileProblem) {
        self.init(problem.kind == .missing ? .fileNotFound : .io, file: problem.path, message: problem.reason)
    }

    /// Library messages start with a capital ("Invalid data found…"); mid-sentence they should not.
    static func lowercasedFirst(_ text: String) -> String {
        guard let first = text.first, first.isUppercase, !(text.dropFirst().first?.isUppercase ?? false) else { return text }
        return first.lowercased() + text.dropFirst()
    }

    private var kindText: String {
        switch kind {
        case .fileNotFound: return "no such file"
        case .malformed: return "not a valid file"
        case .cannotOpen: return "cannot open media"
        case .noVideoStream: return "no video stream"
        case .codecUnavailable: return "codec unavailable"
        case .decodeFailed: return "decode failed"
        case .encodeFailed: return "encode failed"
        case .conversionFailed: return "conversion failed"
        case .seekFailed: return "seek failed"
        case .invalidArgument: return "invalid argument"
        case .io: return "I/O error"
        case .cancelled: return "cancelled"
        case .libraryUnavailable: return "library unavailable"
        }
    }
}
