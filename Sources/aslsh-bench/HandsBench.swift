import Foundation
import Hands
import Media

/// `aslsh-bench hands [--videos DIR] [--repeats N] [--models DIR]`: video-mode hand tracking
/// throughput on the real MS-ASL clips (frames / seconds spent inside `process`, decode excluded
/// — the definition of `../shared/oracle/msasl_throughput.json`), full and lite models, next to
/// MediaPipe's figure recorded there (MediaPipe itself cannot be installed by this project's
/// set-up; its recorded run was on the same kind of 2-core machine).
func runHandsBench(_ arguments: [String]) throws {
    func value(_ flag: String) -> String? { arguments.firstIndex(of: flag).map { arguments[$0 + 1] } }
    let shared = ProcessInfo.processInfo.environment["ASLSH_SHARED"] ?? "../shared"
    let videos = URL(fileURLWithPath: value("--videos") ?? "\(shared)/realdata/msasl_videos")
    let repeats = Int(value("--repeats") ?? "3") ?? 3
    let models = URL(fileURLWithPath: value("--models") ?? "models/mediapipe")
    let files = try FileManager.default.contentsOfDirectory(atPath: videos.path).filter { $0.hasSuffix(".mp4") }.sorted()
    guard !files.isEmpty else { throw HandsError.modelOutput("no .mp4 files in \(videos.path)") }
    // Decode once (at most 3 s per video, like the oracle's clips), outside the timed region.
    var clips: [[RGBImage]] = []
    for file in files {
        let reader = try VideoReader(url: videos.appendingPathComponent(file))
        var frames: [RGBImage] = []
        try reader.forEachFrame { f in
            if f.time <= 3.0 { frames.append(f.image) }
            return f.time <= 3.0
        }
        clips.append(frames)
    }
    let totalFrames = clips.map(\.count).reduce(0, +)
    var recorded: [String: Double] = [:]
    if let data = try? Data(contentsOf: URL(fileURLWithPath: "\(shared)/oracle/msasl_throughput.json")),
       let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
       let overall = json["overall"] as? [String: [String: Any]] {
        for (k, v) in overall { recorded[k] = v["fps_wall_median"] as? Double }
    }
    print("hand tracking, video mode, \(files.count) real MS-ASL videos, \(totalFrames) frames, \(repeats) repeats, 1 thread")
    print("config  aslsh fps (median)  frame ms (median)  MediaPipe fps (recorded median)  ratio")
    for (name, complexity) in [("mc1", HandTrackerOptions.Complexity.full), ("mc0", .lite)] {
        var fps: [Double] = [], frameMs: [Double] = []
        for _ in 0..<repeats {
            var seconds = 0.0
            for frames in clips {
                let tracker = try HandTracker(options: HandTrackerOptions(complexity: complexity), modelDirectory: models)
                for image in frames {
                    let t0 = Date()
                    _ = try tracker.process(image)
                    let dt = Date().timeIntervalSince(t0)
                    seconds += dt
                    frameMs.append(dt * 1000)
                }
            }
            fps.append(Double(totalFrames) / seconds)
        }
        let ours = median(fps)
        let peer = recorded[name]
        print(String(format: "%@     %8.1f            %8.1f            %@              %@", name, ours, median(frameMs),
                     peer.map { String(format: "%8.1f", $0) } ?? "     n/a",
                     peer.map { String(format: "%.2f×", ours / $0) } ?? "n/a"))
    }
}
