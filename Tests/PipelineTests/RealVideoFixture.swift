import Foundation
import Media
import Pipeline
import TestSupport
import XCTest

/// The 15 real MS-ASL clips of `../shared/realdata/msasl_videos/labels.csv` as manifest records,
/// and ffprobe (the `ffmpeg` package) as the outside judge of what a file holds.
enum RealVideos {
    struct Row { var videoID: String; var start: String; var end: String; var label: Int; var text: String; var fileFPS: String }

    static func root() throws -> URL { try realData("msasl_videos") }

    static func rows() throws -> [Row] {
        let csv = try String(contentsOf: try root().appendingPathComponent("labels.csv"), encoding: .utf8)
        let lines = csv.split(whereSeparator: \.isNewline).map(String.init) // CRLF file
        let header = lines[0].split(separator: ",").map(String.init)
        func column(_ name: String) -> Int { header.firstIndex(of: name)! }
        // No field of this file contains a quoted comma.
        return lines.dropFirst().map { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Row(videoID: f[column("video_id")], start: f[column("start_time")], end: f[column("end_time")],
                       label: Int(f[column("label")])!, text: f[column("text")], fileFPS: f[column("file_fps")])
        }
    }

    static func records() throws -> [ClipRecord] {
        let rows = try rows()
        XCTAssertEqual(rows.count, 15, "labels.csv rows")
        return rows.map { row in
            ClipRecord(clipID: "\(row.videoID)__\(row.start)_\(row.end)", videoID: row.videoID,
                       url: "https://www.youtube.com/watch?v=\(row.videoID)", label: row.text, labelIndex: row.label,
                       startTime: Double(row.start)!, endTime: Double(row.end)!, fps: nil, signer: nil, split: "train",
                       bbox: nil, source: "msasl", metadata: [:])
        }
    }

    /// Frames the oracle selected for the clip (OpenCV decode, pts within the span) that lie
    /// before its end: the oracle's span is closed (it keeps a frame exactly at the end), trim's
    /// is end-exclusive like `ffmpeg -ss S -to E`.
    static func oracleFrameCount(_ clipID: String) throws -> Int {
        guard let url = TestEnvironment.sharedPath("oracle/msasl_clips/\(clipID).json") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let clip = root["clip"] as! [String: Any]
        let start = (clip["start_time_s"] as! NSNumber).doubleValue, end = (clip["end_time_s"] as! NSNumber).doubleValue
        return (root["frames"] as! [[String: Any]]).filter {
            inSpan(($0["timestamp_ms"] as! NSNumber).doubleValue / 1000, start: start, end: end)
        }.count
    }

    /// The convention, written out here rather than taken from the code under test: a frame at
    /// pts t belongs to [start, end) when start ≤ t < end, up to 1 µs of float noise in the bounds.
    static func inSpan(_ t: Double, start: Double, end: Double?) -> Bool {
        t >= start - 1e-6 && t < (end ?? .infinity) - 1e-6
    }

    /// The source frames trim must keep for [start, end): every frame of the real file, decoded
    /// by the Media module (at a tiny size: only the timestamps matter), whose pts lies in the span.
    static func sourceFrameCount(_ video: URL, start: Double, end: Double?) throws -> Int {
        let reader = try VideoReader(url: video)
        var count = 0
        try reader.forEachFrame(size: ImageSize(width: 16, height: 16)) { frame in
            if inSpan(frame.time, start: start, end: end) { count += 1 }
            return true
        }
        return count
    }

    struct Probe { var frames: Int; var duration: Double; var width: Int; var height: Int; var rate: String }

    static func ffprobe(_ url: URL) throws -> Probe {
        let out = try ExternalTool.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
                                        "-show_entries", "stream=width,height,nb_read_frames,duration,avg_frame_rate",
                                        "-of", "json", url.path])
        let root = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
        let s = (root["streams"] as! [[String: Any]])[0]
        return Probe(frames: Int(s["nb_read_frames"] as! String)!, duration: Double(s["duration"] as! String)!,
                     width: s["width"] as! Int, height: s["height"] as! Int, rate: s["avg_frame_rate"] as! String)
    }

    static func rational(_ text: String) -> Double {
        let p = text.split(separator: "/").compactMap { Double($0) }
        return p.count == 2 ? p[0] / p[1] : (p.first ?? 0)
    }
}
