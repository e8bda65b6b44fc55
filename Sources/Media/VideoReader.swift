import CFFmpeg
import Foundation

/// Facts about a file's video stream, as the container and decoder report them.
public struct VideoStreamInfo: Equatable, Sendable {
    /// Index of the video stream in the container.
    public var streamIndex: Int
    /// Codec short name (`h264`, `vp9`, …).
    public var codec: String
    /// The frame size as shown (after `rotation`): the size of the frames the reader returns.
    public var width: Int
    public var height: Int
    /// The turn the display matrix asks for; frames are returned turned (upright).
    public var rotation: DisplayRotation = .none
    /// The size of the decoded pictures before the turn (differs from width × height at 90°/270°).
    public var codedWidth: Int = 0
    public var codedHeight: Int = 0
    /// Average frame rate (`avg_frame_rate`, falling back to `r_frame_rate`), e.g. 30000/1001.
    public var frameRate: Rational
    /// Time base of the stream's timestamps.
    public var timeBase: Rational
    /// Stream duration in seconds (container duration when the stream has none), or nil.
    public var duration: Double?
    /// Frame count from the container index (`nb_frames`), or nil when it is not recorded.
    public var frameCount: Int?
    /// Decoded pixel format name (`yuv420p`, …).
    public var pixelFormat: String
}

/// One decoded frame: RGB8 pixels, its presentation time in seconds (relative to the stream's
/// start time, as OpenCV's `CAP_PROP_POS_MSEC` reports it), and its index in decode order.
public struct VideoFrame: Sendable {
    public var image: RGBImage
    public var time: Double
    public var index: Int
}

/// Decodes a video file's first video stream, turning frames upright when the stream carries a
/// display matrix (`DisplayRotation`). Owns its FFmpeg handles (format context, decoder,
/// packet, frame, scaler) and frees them on deinit. Not thread-safe: one reader per thread.
///
///     let reader = try VideoReader(url: clip)
///     var frames = reader.frames()              // a throwing iterator
///     while let frame = try frames.next() { … frame.image, frame.time … }
public final class VideoReader {
    public let url: URL
    public let info: VideoStreamInfo

    var formatContext: UnsafeMutablePointer<AVFormatContext>?
    var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    var frame: UnsafeMutablePointer<AVFrame>?
    private var scaler: OpaquePointer?
    private var draining = false
    private var finished = false
    /// Decode-order index of the next frame `decodeNextFrame` returns.
    private(set) var nextIndex = 0
    /// After a seek, frames earlier than this time are decoded and dropped (accurate seek).
    private var skipBefore: Double?
    /// Stream start time in time-base units (subtracted so times start near 0, as OpenCV does).
    private var startTicks: Int64 = 0

    var path: String { url.isFileURL ? url.path : url.absoluteString }

    /// The container's video stream (valid while the reader lives).
    var videoStream: UnsafeMutablePointer<AVStream>? { formatContext?.pointee.streams[info.streamIndex] }

    /// libavdevice's input format for a capture device path (`/dev/videoN` → v4l2), nil for
    /// ordinary files and streams.
    static func captureFormat(for path: String) throws -> UnsafePointer<AVInputFormat>? {
        guard path.hasPrefix("/dev/video") else { return nil }
        try FFmpeg.prepareDevices(file: path)
        return av_find_input_format("v4l2")
    }

    /// The name of the capture input a path is opened with ("video4linux2,v4l2" for `/dev/videoN`),
    /// nil for files.
    public static func captureInputName(for path: String) throws -> String? {
        try captureFormat(for: path).map { String(cString: $0.pointee.name) }
    }

    public init(url: URL, threads: Int = 0) throws {
        self.url = url
        // A file, or any input FFmpeg's protocols open (http://, rtsp://, udp://, pipe:…) given as a
        // URL with a scheme; only files are checked for existence up front.
        let path = url.isFileURL ? url.path : url.absoluteString
        try FFmpeg.prepare(file: path)
        if url.isFileURL {
            guard FileManager.default.fileExists(atPath: path) else {
                throw MediaError(.fileNotFound, file: path, message: "no such file")
            }
        } else {
            _ = FFmpeg.networkInitialised
        }
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        // A camera (/dev/videoN) is read through libavdevice's v4l2 input, which probing a path
        // would not pick.
        let device = try VideoReader.captureFormat(for: path)
        try FFmpeg.check(avformat_open_input(&context, path, device, nil), "avformat_open_input", .cannotOpen, file: path)
        // Handles live in locals until every step succeeded; on failure they are freed here.
        var codecContextLocal: UnsafeMutablePointer<AVCodecContext>? = nil
        var packetLocal: UnsafeMutablePointer<AVPacket>? = nil
        var frameLocal: UnsafeMutablePointer<AVFrame>? = nil
        var startTicksLocal: Int64 = 0
        do {
            try FFmpeg.check(avformat_find_stream_info(context, nil), "avformat_find_stream_info", .cannotOpen, file: path)
            var codecPointer: UnsafePointer<AVCodec>? = nil
            let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &codecPointer, 0)
            if index == aslsh_averror(ENOENT) || index == -1381258232 /* AVERROR_STREAM_NOT_FOUND */ {
                throw MediaError(.noVideoStream, file: path, operation: "av_find_best_stream", message: FFmpeg.message(index))
            }
            try FFmpeg.check(index, "av_find_best_stream", .codecUnavailable, file: path)
            guard let codecPointer, let stream = context!.pointee.streams[Int(index)] else {
                throw MediaError(.codecUnavailable, file: path, operation: "av_find_best_stream",
                                 message: "no decoder for the video stream", stream: Int(index))
            }
            guard let codecContext = avcodec_alloc_context3(codecPointer) else {
                throw MediaError(.codecUnavailable, file: path, operation: "avcodec_alloc_context3",
                                 message: "out of memory", stream: Int(index))
            }
            codecContextLocal = codecContext
            try FFmpeg.check(avcodec_parameters_to_context(codecContext, stream.pointee.codecpar),
                             "avcodec_parameters_to_context", .codecUnavailable, file: path, stream: Int(index))
            codecContext.pointee.thread_count = Int32(threads)
            codecContext.pointee.pkt_timebase = stream.pointee.time_base
            try FFmpeg.check(avcodec_open2(codecContext, codecPointer, nil), "avcodec_open2", .codecUnavailable,
                             file: path, stream: Int(index))
            packetLocal = av_packet_alloc()
            frameLocal = av_frame_alloc()
            guard packetLocal != nil, frameLocal != nil else {
                throw MediaError(.decodeFailed, file: path, operation: "av_frame_alloc", message: "out of memory")
            }

            let timeBase = Rational(stream.pointee.time_base)
            var rate = Rational(stream.pointee.avg_frame_rate)
            if rate.numerator <= 0 || rate.denominator <= 0 { rate = Rational(stream.pointee.r_frame_rate) }
            if stream.pointee.start_time != FFmpeg.noPTS { startTicksLocal = stream.pointee.start_time }
            var duration: Double? = nil
            if stream.pointee.duration != FFmpeg.noPTS && stream.pointee.duration > 0 {
                duration = Double(stream.pointee.duration) * timeBase.value
            } else if context!.pointee.duration != FFmpeg.noPTS && context!.pointee.duration > 0 {
                duration = Double(context!.pointee.duration) / Double(AV_TIME_BASE)
            }
            let count = Int(stream.pointee.nb_frames)
            let format = AVPixelFormat(rawValue: codecContext.pointee.pix_fmt.rawValue)
            let rotation = DisplayRotation.of(stream)
            let codedWidth = Int(codecContext.pointee.width), codedHeight = Int(codecContext.pointee.height)
            info = VideoStreamInfo(
                streamIndex: Int(index),
                codec: String(cString: avcodec_get_name(stream.pointee.codecpar.pointee.codec_id)),
                width: rotation.swapsSides ? codedHeight : codedWidth, height: rotation.swapsSides ? codedWidth : codedHeight,
                rotation: rotation, codedWidth: codedWidth, codedHeight: codedHeight,
                frameRate: rate, timeBase: timeBase, duration: duration,
                frameCount: count > 0 ? count : nil,
                pixelFormat: av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "unknown")
            guard info.width > 0, info.height > 0 else {
                throw MediaError(.cannotOpen, file: path, message: "video stream has no frame size", stream: Int(index))
            }
        } catch {
            if frameLocal != nil { av_frame_free(&frameLocal) }
            if packetLocal != nil { av_packet_free(&packetLocal) }
            if codecContextLocal != nil { avcodec_free_context(&codecContextLocal) }
            avformat_close_input(&context)
            throw error
        }
        formatContext = context
        decoder = codecContextLocal
        packet = packetLocal
        frame = frameLocal
        startTicks = startTicksLocal
    }

    deinit { release() }

    private func release() {
        if scaler != nil { sws_freeContext(scaler); scaler = nil }
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if decoder != nil { avcodec_free_context(&decoder) }
        if formatContext != nil { avformat_close_input(&formatContext) }
    }

    /// A throwing iterator over the remaining frames as RGB8, at the native size or `size`.
    public func frames(size: ImageSize? = nil) -> Frames { Frames(reader: self, size: size) }

    public struct Frames {
        let reader: VideoReader
        let size: ImageSize?
        /// The next frame, or nil at the end of the stream.
        public mutating func next() throws -> VideoFrame? { try reader.nextFrame(size: size) }
    }

    /// Decodes every remaining frame, calling `body` for each until it returns false.
    public func forEachFrame(size: ImageSize? = nil, _ body: (VideoFrame) throws -> Bool) throws {
        while let frame = try nextFrame(size: size) {
            if try !body(frame) { break }
        }
    }

    /// The next frame converted to RGB8, or nil at the end of the stream.
    public func nextFrame(size: ImageSize? = nil) throws -> VideoFrame? {
        guard let decoded = try decodeNextFrame() else { return nil }
        let index = nextIndex - 1
        let time = timestamp(of: decoded)
        // Scaled at the coded orientation, then turned upright: `size` is the upright size.
        let shown = size ?? ImageSize(width: info.width, height: info.height)
        let coded = info.rotation.swapsSides ? ImageSize(width: shown.height, height: shown.width) : shown
        let image = info.rotation.apply(to: try convert(decoded, to: coded, index: index, time: time))
        return VideoFrame(image: image, time: time, index: index)
    }

    /// Positions the reader so the next frame returned is the first with time ≥ `seconds`:
    /// seeks to the keyframe at or before it, then decodes and drops the frames in between.
    public func seek(to seconds: Double) throws {
        let ticks = startTicks + Int64((seconds / info.timeBase.value).rounded(.down))
        try FFmpeg.check(av_seek_frame(formatContext, Int32(info.streamIndex), ticks, AVSEEK_FLAG_BACKWARD),
                         "av_seek_frame", .seekFailed, file: path, stream: info.streamIndex, time: seconds)
        avcodec_flush_buffers(decoder)
        draining = false
        finished = false
        // The decode index is unknown after a seek; it counts from the keyframe reached, so
        // only `time` is meaningful for frames returned after a seek.
        nextIndex = 0
        skipBefore = seconds
    }

    /// Time in seconds of a decoded frame: best-effort pts minus the stream start time.
    func timestamp(of decoded: UnsafeMutablePointer<AVFrame>) -> Double {
        var pts = decoded.pointee.best_effort_timestamp
        if pts == FFmpeg.noPTS { pts = decoded.pointee.pts }
        if pts == FFmpeg.noPTS { return Double(nextIndex - 1) / max(info.frameRate.value, 1e-9) }
        return Double(pts - startTicks) * info.timeBase.value
    }

    /// Decodes the next frame into `frame` (owned by the reader, valid until the next call).
    func decodeNextFrame() throws -> UnsafeMutablePointer<AVFrame>? {
        while let decoded = try decodeRaw() {
            if let limit = skipBefore {
                // Half a tick of slack so a frame exactly at the seek target is kept.
                if timestamp(of: decoded) < limit - 0.5 * info.timeBase.value { continue }
                skipBefore = nil
            }
            return decoded
        }
        return nil
    }

    private func decodeRaw() throws -> UnsafeMutablePointer<AVFrame>? {
        if finished { return nil }
        while true {
            let received = avcodec_receive_frame(decoder, frame)
            if received == 0 {
                nextIndex += 1
                return frame
            }
            if received == FFmpeg.eof { finished = true; return nil }
            if received != FFmpeg.again {
                try FFmpeg.check(received, "avcodec_receive_frame", .decodeFailed, file: path,
                                 stream: info.streamIndex, frame: nextIndex)
            }
            if draining { finished = true; return nil }
            let read = av_read_frame(formatContext, packet)
            if read == FFmpeg.eof {
                // Flush: a nil packet tells the decoder to emit its delayed frames.
                draining = true
                try FFmpeg.check(avcodec_send_packet(decoder, nil), "avcodec_send_packet", .decodeFailed,
                                 file: path, stream: info.streamIndex, frame: nextIndex)
                continue
            }
            try FFmpeg.check(read, "av_read_frame", .decodeFailed, file: path, stream: info.streamIndex, frame: nextIndex)
            defer { av_packet_unref(packet) }
            guard packet!.pointee.stream_index == Int32(info.streamIndex) else { continue }
            let sent = avcodec_send_packet(decoder, packet)
            if sent < 0 && sent != FFmpeg.again {
                try FFmpeg.check(sent, "avcodec_send_packet", .decodeFailed, file: path,
                                 stream: info.streamIndex, frame: nextIndex)
            }
        }
    }

    /// Converts a decoded frame to packed RGB24 at `size` with swscale's bicubic filter — the
    /// flags OpenCV's FFmpeg backend uses (`SWS_BICUBIC`), so native-size frames match OpenCV's.
    private func convert(_ decoded: UnsafeMutablePointer<AVFrame>, to size: ImageSize, index: Int,
                         time: Double) throws -> RGBImage {
        guard size.width > 0, size.height > 0 else {
            throw MediaError(.invalidArgument, file: path, message: "requested frame size \(size)", frame: index)
        }
        let source = decoded.pointee
        scaler = sws_getCachedContext(scaler, source.width, source.height, AVPixelFormat(rawValue: source.format),
                                      Int32(size.width), Int32(size.height), AV_PIX_FMT_RGB24,
                                      Int32(SWS_BICUBIC), nil, nil, nil)
        guard scaler != nil else {
            throw MediaError(.conversionFailed, file: path, operation: "sws_getCachedContext",
                             message: "unsupported conversion from pixel format \(source.format)",
                             stream: info.streamIndex, frame: index, time: time)
        }
        var pixels = [UInt8](repeating: 0, count: size.width * size.height * 3)
        let rows = try pixels.withUnsafeMutableBufferPointer { out -> Int32 in
            var destination: [UnsafeMutablePointer<UInt8>?] = [out.baseAddress, nil, nil, nil]
            var strides: [Int32] = [Int32(size.width * 3), 0, 0, 0]
            return try withUnsafePointer(to: decoded.pointee.data) { dataTuple in
                try withUnsafePointer(to: decoded.pointee.linesize) { lineTuple in
                    try dataTuple.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { data in
                        try lineTuple.withMemoryRebound(to: Int32.self, capacity: 8) { lines in
                            let data = UnsafeRawPointer(data).assumingMemoryBound(to: UnsafePointer<UInt8>?.self)
                            return try FFmpeg.check(
                                sws_scale(scaler, data, lines, 0, source.height, &destination, &strides),
                                "sws_scale", .conversionFailed, file: path, stream: info.streamIndex,
                                frame: index, time: time)
                        }
                    }
                }
            }
        }
        guard rows == Int32(size.height) else {
            throw MediaError(.conversionFailed, file: path, operation: "sws_scale",
                             message: "wrote \(rows) of \(size.height) rows", frame: index, time: time)
        }
        return RGBImage(width: size.width, height: size.height, pixels: pixels)
    }
}
