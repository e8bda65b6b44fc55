import CFFmpeg
import Foundation
import TensorCore

/// H.264 encoder settings (libx264). `crf` 0…51 (lower = better; x264's default is 23),
/// `preset` one of x264's presets (`ultrafast` … `veryslow`), `threads` libx264's frame threads
/// (0 = `machineIndependentThreads(height:)`).
public struct EncoderOptions: Equatable, Sendable {
    public var crf: Int
    public var preset: String
    public var threads: Int
    public init(crf: Int = 18, preset: String = "veryfast", threads: Int = 0) {
        self.crf = crf
        self.preset = preset
        self.threads = threads
    }

    /// The encoder threads for a frame `height` pixels tall when none are asked for: what
    /// libx264's automatic choice is on a 2-core machine — 1.5 threads per core, at most one per
    /// two rows of 16-pixel macroblocks (x264 `x264_validate_parameters`, X264_THREADS_AUTO) — but
    /// fixed. x264's bitstream depends on its thread count, so leaving the choice to libx264 gave
    /// the same trim other bytes, and then other landmarks, on a machine, Slurm node, container or
    /// `taskset` with another number of cores. Fixed this way a clip is the same everywhere, and
    /// the same as clips trimmed on 2 cores before.
    public static func machineIndependentThreads(height: Int) -> Int {
        min(3, max(1, (height + 15) / 16 / 2))
    }
}

/// Writes an MP4 (H.264 video only, yuv420p) through libavformat + libavcodec/libx264. Output
/// goes to a hidden temporary sibling and is renamed over `url` by `finish()`; a writer dropped
/// without `finish()` removes its temporary file, so a failed encode never leaves a partial MP4.
///
///     let writer = try VideoWriter(url: out, width: 640, height: 360, frameRate: Rational(30, 1))
///     try writer.write(image, time: 0.0)   // seconds from the start of the output
///     let facts = try writer.finish()
public final class VideoWriter {
    public let url: URL
    public let width: Int
    public let height: Int
    public let frameRate: Rational
    /// Time base of `pts` passed to `write(rawFrame:pts:)` (and of the encoder).
    public let timeBase: Rational

    private let temporary: URL
    private var output: UnsafeMutablePointer<AVFormatContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var converted: UnsafeMutablePointer<AVFrame>?
    private var scaler: OpaquePointer?
    private var framesWritten = 0
    private var lastPTS: Int64 = Int64.min
    private var finished = false

    var path: String { url.path }

    public convenience init(url: URL, width: Int, height: Int, frameRate: Rational, timeBase: Rational? = nil,
                            options: EncoderOptions = EncoderOptions()) throws {
        try self.init(url: url, width: width, height: height, frameRate: frameRate, timeBase: timeBase, options: options,
                      displayMatrixFrom: nil)
    }

    /// `displayMatrixFrom`: a source stream whose display matrix the output stream gets.
    init(url: URL, width: Int, height: Int, frameRate: Rational, timeBase: Rational? = nil,
         options: EncoderOptions = EncoderOptions(), displayMatrixFrom source: UnsafeMutablePointer<AVStream>?) throws {
        try FFmpeg.prepare(file: url.path)
        self.url = url
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.timeBase = timeBase ?? Rational(frameRate.denominator, frameRate.numerator)
        temporary = OutputFile.temporarySibling(of: url)
        let path = url.path
        // x264 needs even dimensions for 4:2:0.
        guard width > 0, height > 0, width % 2 == 0, height % 2 == 0, frameRate.value > 0 else {
            throw MediaError(.invalidArgument, file: path,
                             message: "H.264 4:2:0 needs positive even size and a frame rate, got \(width)x\(height) @ \(frameRate)")
        }
        try prepareOutput(url, temporary: temporary)
        do {
            try open(options: options, displayMatrixFrom: source)
        } catch {
            release()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    private func open(options: EncoderOptions, displayMatrixFrom source: UnsafeMutablePointer<AVStream>?) throws {
        let path = url.path
        try FFmpeg.check(avformat_alloc_output_context2(&output, nil, "mp4", temporary.path),
                         "avformat_alloc_output_context2", .encodeFailed, file: path)
        guard let codec = avcodec_find_encoder_by_name("libx264") ?? avcodec_find_encoder(AV_CODEC_ID_H264) else {
            throw MediaError(.codecUnavailable, file: path, operation: "avcodec_find_encoder_by_name",
                             message: "this FFmpeg build has no H.264 encoder (libx264)")
        }
        guard let newStream = avformat_new_stream(output, nil) else {
            throw MediaError(.encodeFailed, file: path, operation: "avformat_new_stream", message: "out of memory")
        }
        stream = newStream
        guard let context = avcodec_alloc_context3(codec) else {
            throw MediaError(.encodeFailed, file: path, operation: "avcodec_alloc_context3", message: "out of memory")
        }
        encoder = context
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        context.pointee.time_base = timeBase.av
        context.pointee.framerate = frameRate.av
        context.pointee.thread_count = Int32(options.threads > 0 ? options.threads : EncoderOptions.machineIndependentThreads(height: height))
        if (output!.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 {
            context.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)
        }
        var dictionary: OpaquePointer? = nil
        av_dict_set(&dictionary, "preset", options.preset, 0)
        av_dict_set(&dictionary, "crf", String(options.crf), 0)
        defer { av_dict_free(&dictionary) }
        try FFmpeg.check(avcodec_open2(context, codec, &dictionary), "avcodec_open2", .encodeFailed, file: path)
        try FFmpeg.check(avcodec_parameters_from_context(newStream.pointee.codecpar, context),
                         "avcodec_parameters_from_context", .encodeFailed, file: path)
        newStream.pointee.time_base = timeBase.av
        newStream.pointee.avg_frame_rate = frameRate.av
        if let source { DisplayRotation.copyMatrix(from: source, to: newStream) }
        try FFmpeg.check(avio_open(&output!.pointee.pb, temporary.path, AVIO_FLAG_WRITE), "avio_open", .io, file: path)
        try FFmpeg.check(avformat_write_header(output, nil), "avformat_write_header", .encodeFailed, file: path)
        packet = av_packet_alloc()
        guard packet != nil else {
            throw MediaError(.encodeFailed, file: path, operation: "av_packet_alloc", message: "out of memory")
        }
    }

    deinit {
        release()
        if !finished { try? FileManager.default.removeItem(at: temporary) }
    }

    private func release() {
        if scaler != nil { sws_freeContext(scaler); scaler = nil }
        if converted != nil { av_frame_free(&converted) }
        if packet != nil { av_packet_free(&packet) }
        if encoder != nil { avcodec_free_context(&encoder) }
        if let output {
            if output.pointee.pb != nil { avio_closep(&output.pointee.pb) }
            avformat_free_context(output)
            self.output = nil
        }
    }

    /// Appends an RGB8 image shown at `time` seconds from the start of the output.
    public func write(_ image: RGBImage, time: Double) throws {
        guard image.channels == 3 else {
            throw MediaError(.invalidArgument, file: path, message: "VideoWriter takes RGB images", frame: framesWritten)
        }
        let pts = Int64((time / timeBase.value).rounded())
        try image.pixels.withUnsafeBufferPointer { buffer in
            var planes: [UnsafePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
            var strides: [Int32] = [Int32(image.width * 3), 0, 0, 0]
            let target = try convertedFrame()
            scaler = sws_getCachedContext(scaler, Int32(image.width), Int32(image.height), AV_PIX_FMT_RGB24,
                                          Int32(width), Int32(height), AV_PIX_FMT_YUV420P, Int32(SWS_BICUBIC), nil, nil, nil)
            try scale(from: &planes, strides: &strides, height: image.height, into: target)
            try send(target, pts: pts)
        }
    }

    /// Appends a decoded frame (any pixel format/size: converted to yuv420p at the output size when
    /// needed) with `pts` in `timeBase` units. Used by the trimmer so frames never round-trip via RGB.
    func write(rawFrame: UnsafeMutablePointer<AVFrame>, pts: Int64) throws {
        let frame = rawFrame.pointee
        if frame.format == AV_PIX_FMT_YUV420P.rawValue && Int(frame.width) == width && Int(frame.height) == height {
            // Clear the decoder's picture type so x264 chooses its own keyframes (as ffmpeg does).
            rawFrame.pointee.pict_type = AV_PICTURE_TYPE_NONE
            try send(rawFrame, pts: pts)
            return
        }
        let target = try convertedFrame()
        scaler = sws_getCachedContext(scaler, frame.width, frame.height, AVPixelFormat(rawValue: frame.format),
                                      Int32(width), Int32(height), AV_PIX_FMT_YUV420P, Int32(SWS_BICUBIC), nil, nil, nil)
        try withUnsafePointer(to: rawFrame.pointee.data) { dataTuple in
            try withUnsafePointer(to: rawFrame.pointee.linesize) { lineTuple in
                var planes = (0..<4).map { i in
                    UnsafeRawPointer(dataTuple).assumingMemoryBound(to: UnsafePointer<UInt8>?.self)[i]
                }
                var strides = (0..<4).map { UnsafeRawPointer(lineTuple).assumingMemoryBound(to: Int32.self)[$0] }
                try scale(from: &planes, strides: &strides, height: Int(frame.height), into: target)
            }
        }
        try send(target, pts: pts)
    }

    private func convertedFrame() throws -> UnsafeMutablePointer<AVFrame> {
        if let converted { 
            try FFmpeg.check(av_frame_make_writable(converted), "av_frame_make_writable", .encodeFailed, file: path)
            return converted
        }
        guard let frame = av_frame_alloc() else {
            throw MediaError(.encodeFailed, file: path, operation: "av_frame_alloc", message: "out of memory")
        }
        converted = frame
        frame.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        try FFmpeg.check(av_frame_get_buffer(frame, 0), "av_frame_get_buffer", .encodeFailed, file: path)
        return frame
    }

    private func scale(from planes: inout [UnsafePointer<UInt8>?], strides: inout [Int32], height sourceHeight: Int,
                       into target: UnsafeMutablePointer<AVFrame>) throws {
        guard scaler != nil else {
            throw MediaError(.conversionFailed, file: path, operation: "sws_getCachedContext",
                             message: "unsupported conversion to yuv420p", frame: framesWritten)
        }
        try withUnsafeMutablePointer(to: &target.pointee.data) { dataTuple in
            try withUnsafeMutablePointer(to: &target.pointee.linesize) { lineTuple in
                let data = UnsafeMutableRawPointer(dataTuple).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
                let lines = UnsafeMutableRawPointer(lineTuple).assumingMemoryBound(to: Int32.self)
                try FFmpeg.check(sws_scale(scaler, planes, strides, 0, Int32(sourceHeight), data, lines),
                                 "sws_scale", .conversionFailed, file: path, frame: framesWritten)
            }
        }
    }

    private func send(_ frame: UnsafeMutablePointer<AVFrame>, pts: Int64) throws {
        guard pts > lastPTS else {
            throw MediaError(.invalidArgument, file: path, message: "timestamps must increase (pts \(pts) after \(lastPTS))",
                             frame: framesWritten)
        }
        lastPTS = pts
        frame.pointee.pts = pts
        try FFmpeg.check(avcodec_send_frame(encoder, frame), "avcodec_send_frame", .encodeFailed,
                         file: path, frame: framesWritten)
        framesWritten += 1
        try drainPackets()
    }

    private func drainPackets() throws {
        // One frame interval in encoder ticks: the duration given to packets the encoder leaves at
        // 0, so the MP4's last sample (and the file's duration) covers the last frame.
        let interval = Int64((1.0 / frameRate.value / timeBase.value).rounded())
        while true {
            let received = avcodec_receive_packet(encoder, packet)
            if received == FFmpeg.again || received == FFmpeg.eof { return }
            try FFmpeg.check(received, "avcodec_receive_packet", .encodeFailed, file: path, frame: framesWritten)
            if packet!.pointee.duration <= 0 { packet!.pointee.duration = max(interval, 1) }
            av_packet_rescale_ts(packet, encoder!.pointee.time_base, stream!.pointee.time_base)
            packet!.pointee.stream_index = stream!.pointee.index
            // av_interleaved_write_frame takes ownership of the packet's data and resets it.
            try FFmpeg.check(av_interleaved_write_frame(output, packet), "av_interleaved_write_frame", .encodeFailed,
                             file: path, frame: framesWritten)
        }
    }

    /// Flushes the encoder, writes the MP4 trailer, and renames the file into place.
    @discardableResult
    public func finish() throws -> VideoFileFacts {
        guard !finished else { throw MediaError(.invalidArgument, file: path, message: "finish() called twice") }
        guard framesWritten > 0 else {
            throw MediaError(.invalidArgument, file: path, message: "no frames were written")
        }
        try FFmpeg.check(avcodec_send_frame(encoder, nil), "avcodec_send_frame", .encodeFailed, file: path)
        try drainPackets()
        try FFmpeg.check(av_write_trailer(output), "av_write_trailer", .encodeFailed, file: path)
        release()
        try commitTemporary(temporary, to: url)
        finished = true
        return try VideoFileFacts(probing: url)
    }
}
