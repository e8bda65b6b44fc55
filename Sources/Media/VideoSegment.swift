import CFFmpeg
import Foundation
import TensorCore

/// Cutting a time span out of a video file into a new MP4 (video only).
public enum VideoSegment {
    /// Slack on the span's ends for float noise in pts and in times read from metadata: a frame
    /// whose pts equals a bound up to 1 µs counts as *at* that bound — kept at `start`, dropped at
    /// `end` (spans are end-exclusive).
    public static let boundarySlack = 1e-6

    /// Whether a frame at `time` (its own pts, seconds) lies in the end-exclusive span
    /// [start, end): start − slack ≤ t < end − slack. This is `ffmpeg -ss S -to E`'s rule, and
    /// makes consecutive spans [a, b), [b, c) share no frame; a clip of a constant-rate file whose
    /// ends fall on frames holds (end − start)·fps frames. `end` nil = to the end of the video.
    public static func contains(_ time: Double, start: Double, end: Double?) -> Bool {
        time >= start - boundarySlack && time < (end ?? .infinity) - boundarySlack
    }

    /// Frame-accurate cut: decodes from the keyframe before `start`, keeps exactly the frames whose
    /// own pts lie in [start, end) (`contains`), and re-encodes them to H.264 with their source
    /// timestamps shifted so the first kept frame is at 0 (variable frame rate survives).
    /// `end` nil = to the end of the video.
    public static func encode(from input: URL, to output: URL, start: Double, end: Double?,
                              options: EncoderOptions = EncoderOptions(),
                              isCancelled: () -> Bool = { false }) throws -> VideoFileFacts {
        try validate(start: start, end: end ?? .greatestFiniteMagnitude, file: input.path)
        var attempt = try encodeSpan(from: input, to: output, start: start, end: end, options: options,
                                     seek: start > 0, isCancelled: isCancelled)
        if case .nothingDecoded = attempt, start > 0 {
            // A file without an index (Flash, some streams) can seek to its end: decode from the start.
            attempt = try encodeSpan(from: input, to: output, start: start, end: end, options: options,
                                     seek: false, isCancelled: isCancelled)
        }
        switch attempt {
        case let .written(facts): return facts
        case let .noFrameInSpan(duration), let .nothingDecoded(duration):
            let span = end.map { String(format: "%.3f–%.3f s", start, $0) } ?? String(format: "%.3f s to the end", start)
            let length = duration.map { String(format: "the video lasts %.3f s", $0) } ?? "the video's length is unknown"
            throw MediaError(.invalidArgument, file: input.path, message: "no frame in \(span) (\(length))", time: start)
        }
    }

    private enum Attempt {
        case written(VideoFileFacts)
        /// Frames were decoded, none in the span.
        case noFrameInSpan(duration: Double?)
        /// Not one frame was decoded (after a seek: it may have gone to the end).
        case nothingDecoded(duration: Double?)
    }

    private static func encodeSpan(from input: URL, to output: URL, start: Double, end: Double?, options: EncoderOptions,
                                   seek: Bool, isCancelled: () -> Bool) throws -> Attempt {
        let end = end ?? .greatestFiniteMagnitude
        let reader = try VideoReader(url: input)
        let info = reader.info
        if seek {
            // A file without a usable index refuses to seek: decode from the start instead
            // (the loop below drops the frames before `start` either way).
            do { try reader.seek(to: start - boundarySlack) } catch let error as MediaError where error.kind == .seekFailed {}
        }
        // Even dimensions for 4:2:0: odd sources lose their last row/column (as ffmpeg would
        // refuse them), and a 1-pixel side is stretched to 2. Raw decoded pictures are written at
        // their coded orientation with the source's display matrix, so the clip turns like its source.
        let writer = try VideoWriter(url: output, width: max(2, info.codedWidth & ~1), height: max(2, info.codedHeight & ~1),
                                     frameRate: info.frameRate, timeBase: info.timeBase, options: options,
                                     displayMatrixFrom: info.rotation == .none ? nil : reader.videoStream)
        var firstTicks: Int64? = nil
        var decoded = false
        while let frame = try reader.decodeNextFrame() {
            decoded = true
            if isCancelled() {
                throw MediaError(.cancelled, file: input.path, message: "cancelled by the caller", time: reader.timestamp(of: frame))
            }
            let time = reader.timestamp(of: frame)
            if time < start - boundarySlack { continue }
            // Frames come out of the decoder in pts order: the first one at or past `end` ends the span.
            if time >= end - boundarySlack { break }
            let ticks = Int64((time / info.timeBase.value).rounded())
            if firstTicks == nil { firstTicks = ticks }
            try writer.write(rawFrame: frame, pts: ticks - firstTicks!)
        }
        guard firstTicks != nil else {
            return decoded ? .noFrameInSpan(duration: info.duration) : .nothingDecoded(duration: info.duration)
        }
        return .written(try writer.finish())
    }

    /// Fast cut without re-encoding: copies the video packets from the keyframe at or before `start`
    /// up to (not including) `end`. The clip therefore starts at that keyframe (up to a GOP early) —
    /// use `encode` when the span must be exact.
    public static func copy(from input: URL, to output: URL, start: Double, end: Double?) throws -> VideoFileFacts {
        try validate(start: start, end: end ?? .greatestFiniteMagnitude, file: input.path)
        let end = end ?? 1e12
        let path = input.path
        let demuxed = try DemuxedInput(path: path)
        // The raw pointers below are valid only while the owner lives: keep it to the end of scope.
        defer { withExtendedLifetime(demuxed) {} }
        let source = demuxed.context, inStream = demuxed.stream, index = demuxed.streamIndex
        let timeBase = Rational(inStream.pointee.time_base)
        let startTicks = inStream.pointee.start_time == FFmpeg.noPTS ? 0 : inStream.pointee.start_time
        if start > 0 {
            let target = startTicks + Int64(((start - boundarySlack) / timeBase.value).rounded(.down))
            try FFmpeg.check(av_seek_frame(source, index, target, AVSEEK_FLAG_BACKWARD), "av_seek_frame",
                             .seekFailed, file: path, stream: Int(index), time: start)
        }

        let temporary = OutputFile.temporarySibling(of: output)
        var sink: UnsafeMutablePointer<AVFormatContext>? = nil
        var committed = false
        defer {
            if let sink {
                if sink.pointee.pb != nil { avio_closep(&sink.pointee.pb) }
                avformat_free_context(sink)
            }
            if !committed { try? FileManager.default.removeItem(at: temporary) }
        }
        let out = output.path
        try prepareOutput(output, temporary: temporary)
        try FFmpeg.check(avformat_alloc_output_context2(&sink, nil, "mp4", temporary.path),
                         "avformat_alloc_output_context2", .encodeFailed, file: out)
        guard let outStream = avformat_new_stream(sink, nil) else {
            throw MediaError(.encodeFailed, file: out, operation: "avformat_new_stream", message: "out of memory")
        }
        try FFmpeg.check(avcodec_parameters_copy(outStream.pointee.codecpar, inStream.pointee.codecpar),
                         "avcodec_parameters_copy", .encodeFailed, file: out)
        outStream.pointee.codecpar.pointee.codec_tag = 0
        outStream.pointee.time_base = inStream.pointee.time_base
        outStream.pointee.avg_frame_rate = inStream.pointee.avg_frame_rate
        DisplayRotation.copyMatrix(from: inStream, to: outStream)
        try FFmpeg.check(avio_open(&sink!.pointee.pb, temporary.path, AVIO_FLAG_WRITE), "avio_open", .io, file: out)
        try FFmpeg.check(avformat_write_header(sink, nil), "avformat_write_header", .encodeFailed, file: out)

        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        var offset: Int64? = nil
        var written = 0
        // End-exclusive like `encode`: a packet whose pts is at `end` (up to the slack) is past it.
        let endTicks = startTicks + Int64(((end - boundarySlack) / timeBase.value).rounded(.up))
        while true {
            let read = av_read_frame(source, packet)
            if read == FFmpeg.eof { break }
            try FFmpeg.check(read, "av_read_frame", .decodeFailed, file: path, stream: Int(index), frame: written)
            defer { av_packet_unref(packet) }
            guard packet!.pointee.stream_index == index else { continue }
            let pts = packet!.pointee.pts == FFmpeg.noPTS ? packet!.pointee.dts : packet!.pointee.pts
            // Packets come in decode order: B-frames after `end` may still precede a later
            // reference, so skip rather than stop until a keyframe past the end is reached.
            if pts >= endTicks {
                if (packet!.pointee.flags & AV_PKT_FLAG_KEY) != 0 { break }
                continue
            }
            if offset == nil {
                guard (packet!.pointee.flags & AV_PKT_FLAG_KEY) != 0 else { continue }
                offset = min(pts, packet!.pointee.dts == FFmpeg.noPTS ? pts : packet!.pointee.dts)
            }
            packet!.pointee.pts = pts - offset!
            if packet!.pointee.dts != FFmpeg.noPTS { packet!.pointee.dts -= offset! }
            packet!.pointee.stream_index = outStream.pointee.index
            av_packet_rescale_ts(packet, inStream.pointee.time_base, outStream.pointee.time_base)
            packet!.pointee.pos = -1
            try FFmpeg.check(av_interleaved_write_frame(sink, packet), "av_interleaved_write_frame", .encodeFailed,
                             file: out, frame: written)
            written += 1
        }
        guard written > 0 else {
            throw MediaError(.invalidArgument, file: path, message: String(format: "no frame in %.3f–%.3f s", start, end))
        }
        try FFmpeg.check(av_write_trailer(sink), "av_write_trailer", .encodeFailed, file: out)
        avio_closep(&sink!.pointee.pb)
        try commitTemporary(temporary, to: output)
        committed = true
        return try VideoFileFacts(probing: output)
    }

    private static func validate(start: Double, end: Double, file: String) throws {
        guard start.isFinite, end.isFinite, start >= 0, end > start else {
            throw MediaError(.invalidArgument, file: file, message: "bad time span \(start)–\(end) s", time: start)
        }
    }
}
