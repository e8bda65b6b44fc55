import Foundation
import TestSupport
import XCTest

/// Readers for the oracle files in `../shared/oracle` (never copied into the repository).
enum Oracle {
    struct ClipFrame { var fileFrameIndex: Int; var timeMs: Double; var rgbSHA256: String }
    struct Clip { var name: String; var video: String; var start: Double; var end: Double; var frames: [ClipFrame] }

    static func json(_ relative: String) throws -> [String: Any] {
        guard let url = TestEnvironment.sharedPath(relative) else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        return try XCTUnwrap(object as? [String: Any], "\(relative) is not a JSON object")
    }

    static func clip(_ name: String) throws -> Clip {
        let root = try json("oracle/msasl_clips/\(name).json")
        let clip = try XCTUnwrap(root["clip"] as? [String: Any])
        let frames = try XCTUnwrap(root["frames"] as? [[String: Any]]).map { f in
            ClipFrame(fileFrameIndex: f["file_frame_index"] as! Int, timeMs: f["timestamp_ms"] as! Double,
                      rgbSHA256: f["rgb_sha256"] as! String)
        }
        return Clip(name: name, video: clip["video"] as! String, start: clip["start_time_s"] as! Double,
                    end: clip["end_time_s"] as! Double, frames: frames)
    }

    static func video(_ file: String) throws -> URL {
        guard let url = TestEnvironment.sharedPath("realdata/msasl_videos/\(file)") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        return url
    }
}
