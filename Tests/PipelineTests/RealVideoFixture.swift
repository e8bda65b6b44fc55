import Foundation
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

    /// Frames the oracle selected for the clip (OpenCV decode, pts within the span).
    static func oracleFrameCount(_ clipID: String) throws -> Int {
        guard let url = TestEnvironment.sharedPath("oracle/msasl_clips/\(clipID).json") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (root["frames"] as! [Any]).count
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
