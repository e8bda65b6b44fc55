import Foundation
import Media

/// `aslsh-bench media [--videos DIR] [--reps N] [--preset P] [--crf C]`
///
/// Trim throughput on the 15 real MS-ASL clips (`labels.csv` in `../shared/realdata/msasl_videos`):
/// aslsh's frame-accurate `VideoSegment.encode` against the `ffmpeg` CLI doing the same accurate
/// cut (`-ss S -i IN -t D`, input seeking + decode-and-drop, libx264 with the same preset/crf,
/// video only), each timed over the whole batch, interleaved in the same run, medians after one
/// warm-up. Also VideoReader RGB decode vs `ffmpeg -f rawvideo -pix_fmt rgb24` (bicubic).
func runMediaBench(_ arguments: [String]) throws {
    func value(_ flag: String) -> String? {
        guard let i = arguments.firstIndex(of: flag), i + 1 < arguments.count else { return nil }
        return arguments[i + 1]
    }
    let shared = ProcessInfo.processInfo.environment["ASLSH_SHARED"] ?? "../shared"
    let videos = URL(fileURLWithPath: value("--videos") ?? "\(shared)/realdata/msasl_videos")
    let reps = Int(value("--reps") ?? "5") ?? 5
    let encoder = EncoderOptions(crf: Int(value("--crf") ?? "18") ?? 18, preset: value("--preset") ?? "veryfast")
    let clips = try benchClips(videos)
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("aslsh-media-bench-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }

    print("media bench: \(clips.count) real MS-ASL clips from \(videos.path); libx264 preset \(encoder.preset) crf \(encoder.crf); "
          + "\(reps) reps after 1 warm-up, interleaved")
    var ours: [Double] = [], peer: [Double] = [], oursFrames = 0, peerFrames = 0
    var decodeOurs: [Double] = [], decodePeer: [Double] = [], decodeFrames = 0
    for rep in 0...reps {
        var frames = 0
        let t0 = Date()
        for (i, clip) in clips.enumerated() {
            let facts = try VideoSegment.encode(from: clip.video, to: work.appendingPathComponent("a\(i).mp4"),
                                                start: clip.start, end: clip.end, options: encoder)
            frames += facts.frameCount
        }
        let oursTime = Date().timeIntervalSince(t0)

        let t1 = Date()
        for (i, clip) in clips.enumerated() {
            var args = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
            if clip.start > 0 { args += ["-ss", String(clip.start)] }
            args += ["-i", clip.video.path, "-t", String(clip.end - clip.start), "-an", "-c:v", "libx264",
                     "-preset", encoder.preset, "-crf", String(encoder.crf), work.appendingPathComponent("b\(i).mp4").path]
            try runTool(args)
        }
        let peerTime = Date().timeIntervalSince(t1)

        // Decode to RGB24 at native size (bicubic, like OpenCV): whole files.
        var decoded = 0
        let t2 = Date()
        for video in Set(clips.map(\.video)).sorted(by: { $0.path < $1.path }) {
            let reader = try VideoReader(url: video)
            var it = reader.frames()
            while try it.next() != nil { decoded += 1 }
        }
        let decodeTime = Date().timeIntervalSince(t2)
        let t3 = Date()
        for video in Set(clips.map(\.video)).sorted(by: { $0.path < $1.path }) {
            try runTool(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", video.path, "-an",
                         "-sws_flags", "bicubic", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", "/dev/null"])
        }
        let decodePeerTime = Date().timeIntervalSince(t3)

        if rep == 0 {
            // Warm-up: page cache, libraries; also check both cut the same number of frames.
            peerFrames = try clips.indices.map { try VideoFileFacts(probing: work.appendingPathComponent("b\($0).mp4")).frameCount }.reduce(0, +)
            oursFrames = frames
            decodeFrames = decoded
            continue
        }
        ours.append(oursTime); peer.append(peerTime)
        decodeOurs.append(decodeTime); decodePeer.append(decodePeerTime)
        print(String(format: "  rep %d: trim aslsh %.2f s, ffmpeg CLI %.2f s; decode aslsh %.2f s, ffmpeg CLI %.2f s",
                     rep, oursTime, peerTime, decodeTime, decodePeerTime))
    }
    let m = (median(ours), median(peer), median(decodeOurs), median(decodePeer))
    print(String(format: "trim (accurate, re-encode): aslsh %.0f frames/s (%d frames, median %.2f s) | ffmpeg CLI %.0f frames/s (%d frames, median %.2f s) | speed-up %.2f× (> 1 = aslsh faster)",
                 Double(oursFrames) / m.0, oursFrames, m.0, Double(peerFrames) / m.1, peerFrames, m.1, m.1 / m.0))
    print(String(format: "decode RGB24 native size: aslsh %.0f frames/s | ffmpeg CLI %.0f frames/s (%d frames, medians %.2f / %.2f s) | speed-up %.2f× (> 1 = aslsh faster)",
                 Double(decodeFrames) / m.2, Double(decodeFrames) / m.3, decodeFrames, m.2, m.3, m.3 / m.2))
    BenchSummary.record("media", "trim 15 real clips (re-encode)", ours: Double(oursFrames) / m.0, unit: "frames/s",
                        peer: ("ffmpeg CLI", Double(peerFrames) / m.1), lowerIsBetter: false)
    BenchSummary.record("media", "decode to RGB24", ours: Double(decodeFrames) / m.2, unit: "frames/s",
                        peer: ("ffmpeg CLI", Double(decodeFrames) / m.3), lowerIsBetter: false)
}

private struct BenchClip { var video: URL; var start: Double; var end: Double }

private func benchClips(_ videos: URL) throws -> [BenchClip] {
    let csv = try String(contentsOf: videos.appendingPathComponent("labels.csv"), encoding: .utf8)
    let lines = csv.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    guard let header = lines.first, let file = header.firstIndex(of: "file"),
          let start = header.firstIndex(of: "start_time"), let end = header.firstIndex(of: "end_time") else {
        throw MediaError(.invalidArgument, file: videos.path, message: "labels.csv lacks file/start_time/end_time")
    }
    return lines.dropFirst().map { BenchClip(video: videos.appendingPathComponent($0[file]), start: Double($0[start])!, end: Double($0[end])!) }
}

private func runTool(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw MediaError(.encodeFailed, file: arguments.last ?? "", message: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
}

