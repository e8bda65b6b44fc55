import CFFmpeg
import Foundation

/// What a video file really holds, measured by demuxing its packets (no decoding): the facts each
/// trimmed clip records in the manifest.
public struct VideoFileFacts: Equatable, Sendable, Codable {
    public var width: Int
    public var height: Int
    public var codec: String
    public var frameRate: Rational
    /// Number of video packets = frames (one frame per packet for H.264 in MP4).
    public var frameCount: Int
    /// The stream's duration as the container records it (what ffprobe reports), else from the
    /// first frame's pts to the last frame's pts + its duration, in seconds.
    public var duration: Double
    public var fileSize: Int

    /// Demuxes `url`'s video packets and measures them.
    public init(probing url: URL) throws {
        let path = url.path
        let input = try DemuxedInput(path: path)
        // The raw pointers below are valid only while the owner lives: keep it to the end of scope.
        defer { withExtendedLifetime(input) {} }
        let context = input.context, stream = input.stream, index = input.streamIndex
        let parameters = stream.pointee.codecpar.pointee
        width = Int(parameters.width)
        height = Int(parameters.height)
        codec = String(cString: avcodec_get_name(parameters.codec_id))
        var rate = Rational(stream.pointee.avg_frame_rate)
        if rate.numerator <= 0 || rate.denominator <= 0 { rate = Rational(stream.pointee.r_frame_rate) }
        frameRate = rate
        let timeBase = Rational(stream.pointee.time_base).value

        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        var count = 0
        var first = Int64.max, last = Int64.min
        while true {
            let read = av_read_frame(context, packet)
            if read == FFmpeg.eof { break }
            try FFmpeg.check(read, "av_read_frame", .decodeFailed, file: path, stream: Int(index), frame: count)
            defer { av_packet_unref(packet) }
            guard packet!.pointee.stream_index == index else { continue }
            count += 1
            let pts = packet!.pointee.pts != FFmpeg.noPTS ? packet!.pointee.pts : packet!.pointee.dts
            first = min(first, pts)
            last = max(last, pts + max(packet!.pointee.duration, 0))
        }
        frameCount = count
        if stream.pointee.duration != FFmpeg.noPTS && stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * timeBase
        } else {
            duration = count > 0 ? Double(last - first) * timeBase : 0
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        fileSize = (attributes?[.size] as? NSNumber)?.intValue ?? 0
    }
}
