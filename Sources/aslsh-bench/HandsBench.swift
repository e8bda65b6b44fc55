import Foundation
import Hands
import LandmarkExtraction
import Media

/// `aslsh-bench hands [--videos DIR] [--clips N] [--repeats N] [--models DIR] [--mediapipe-python PY] [--no-extract]`
///
/// 1. Per core: video-mode hand tracking throughput on the real MS-ASL clips (frames / seconds
///    spent inside `process`, decode excluded — the definition of `../shared/oracle/msasl_throughput.json`),
///    full and lite models, with each stage's share (palm model, landmark model, the rest).
/// 2. Whole machine: `extract` (decode + tracking, 2 workers) end to end on the same clips.
///
/// MediaPipe runs on the same frames in the same run when a Python with `mediapipe` 0.10.14 is
/// given (`--mediapipe-python` or `ASLSH_MEDIAPIPE_PYTHON`; set-up in `../shared/oracle/tools/README.md`):
/// one process for (1), two processes started together for (2) — MediaPipe's way of using two cores.
/// Without it, MediaPipe's recorded figure from `msasl_throughput.json` is shown instead.
func runHandsBench(_ arguments: [String]) throws {
    func value(_ flag: String) -> String? {
        arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    }
    let shared = ProcessInfo.processInfo.environment["ASLSH_SHARED"] ?? "../shared"
    let videos = URL(fileURLWithPath: value("--videos") ?? "\(shared)/realdata/msasl_videos")
    let repeats = max(1, Int(value("--repeats") ?? "3") ?? 3)
    let models = URL(fileURLWithPath: value("--models") ?? "models/mediapipe")
    let python = value("--mediapipe-python") ?? ProcessInfo.processInfo.environment["ASLSH_MEDIAPIPE_PYTHON"]
    var files = try FileManager.default.contentsOfDirectory(atPath: videos.path).filter { $0.hasSuffix(".mp4") }.sorted()
    if let n = value("--clips").flatMap(Int.init) { files = Array(files.prefix(n)) }
    guard !files.isEmpty else { throw HandsError.modelOutput("no .mp4 files in \(videos.path)") }
    let urls = files.map { videos.appendingPathComponent($0) }
    // Decode once (at most 3 s per video, like the oracle's clips), outside the timed region.
    var clips: [[RGBImage]] = []
    for url in urls {
        let reader = try VideoReader(url: url)
        var frames: [RGBImage] = []
        try reader.forEachFrame { f in
            if f.time <= 3.0 { frames.append(f.image) }
            return f.time <= 3.0
        }
        clips.append(frames)
    }
    let totalFrames = clips.map(\.count).reduce(0, +)
    // MediaPipe reads the same number of leading frames of each file.
    let clipArguments = zip(urls, clips).map { "\($0.path):\($1.count)" }
    var recorded: [String: Double] = [:]
    if let data = try? Data(contentsOf: URL(fileURLWithPath: "\(shared)/oracle/msasl_throughput.json")),
       let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
       let overall = json["overall"] as? [String: [String: Any]] {
        for (k, v) in overall { recorded[k] = v["fps_wall_median"] as? Double }
    }
    let configs: [(name: String, complexity: HandTrackerOptions.Complexity)] = [("mc1", .full), ("mc0", .lite)]

    print("hand tracking, video mode, \(files.count) real MS-ASL videos, \(totalFrames) frames, median of \(repeats) repeats; "
          + "1 thread on each side; \(BenchHeader.compute)")
    print("(speed-up = aslsh fps / MediaPipe fps, > 1 = aslsh faster)")
    print("MediaPipe: " + (python.map { "\($0), same frames, same run" } ?? "recorded figure (pass --mediapipe-python for a same-run measurement)"))
    print("config  aslsh fps  frame ms   palm ms  landmark ms  other ms   MediaPipe fps  speed-up vs MediaPipe")
    for config in configs {
        var fps: [Double] = [], frameMs: [Double] = []
        var stages = (palm: 0.0, landmark: 0.0, total: 0.0)
        for _ in 0..<repeats {
            var seconds = 0.0
            for frames in clips {
                let runner = TimedRunner(try MediaPipeHandModels(directory: models, complexity: config.complexity))
                let tracker = HandTracker(options: HandTrackerOptions(complexity: config.complexity), models: runner)
                for image in frames {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    _ = try tracker.process(image)
                    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                    seconds += dt
                    frameMs.append(dt * 1000)
                }
                stages.palm += runner.palmSeconds
                stages.landmark += runner.landmarkSeconds
            }
            stages.total += seconds
            fps.append(Double(totalFrames) / seconds)
        }
        let ours = median(fps)
        let peer = try python.map { try mediapipeProcessFPS(python: $0, complexity: config.complexity, repeats: repeats, clips: clipArguments) }
            ?? recorded[config.name]
        let perFrame = 1000 / Double(totalFrames * repeats)
        print(String(format: "%@     %7.1f   %7.1f   %7.2f  %7.2f      %7.2f    %@       %@", config.name, ours, median(frameMs),
                     stages.palm * perFrame, stages.landmark * perFrame, (stages.total - stages.palm - stages.landmark) * perFrame,
                     peer.map { String(format: "%7.1f", $0) } ?? "    n/a",
                     peer.map { String(format: "%.2f×", ours / $0) } ?? "n/a"))
        BenchSummary.record("hands", "video tracking, \(config.name) models, 1 core", ours: ours, unit: "frames/s",
                            peer: python != nil ? peer.map { ("MediaPipe", $0) } : nil, lowerIsBetter: false)
    }

    guard !arguments.contains("--no-extract") else { return }
    print("\nextract end to end (decode + tracking), wall clock, \(totalFrames) frames; MediaPipe: 2 processes started together, each half of the clips")
    print("(speed-ups are frames/s ratios, > 1 = aslsh faster; per core = aslsh 1 worker vs MediaPipe 1 process, "
          + "whole machine = aslsh 2 workers vs MediaPipe 2 processes)")
    print("config  aslsh 1 worker  aslsh 2 workers  MediaPipe 1 process  MediaPipe 2 processes  speed-up per core  speed-up whole machine")
    for config in configs {
        var ours: [Int: Double] = [:]
        for workers in [1, 2] {
            var options = ExtractionOptions()
            options.tracker = HandTrackerOptions(complexity: config.complexity)
            options.modelDirectory = models
            options.workers = workers
            let inputs = urls.enumerated().map { ClipExtraction.Input(clipID: "clip\($0.offset)", label: "bench", video: $0.element, end: 3.0) }
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("aslsh-bench-extract-\(getpid())-\(workers)")
            defer { try? FileManager.default.removeItem(at: out) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try ClipExtraction.run(inputs: inputs, outputDirectory: out, options: options)
            ours[workers] = Double(totalFrames) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        var peer: [Int: Double] = [:]
        if let python {
            for processes in [1, 2] {
                peer[processes] = try mediapipeExtractFPS(python: python, complexity: config.complexity, processes: processes,
                                                          clips: clipArguments, frames: clips.map(\.count))
            }
        }
        func f(_ v: Double?) -> String { v.map { String(format: "%7.1f fps", $0) } ?? "        n/a" }
        func r(_ a: Double?, _ b: Double?) -> String { (a != nil && b != nil) ? String(format: "%.2f×", a! / b!) : "n/a" }
        print("\(config.name)     \(f(ours[1]))     \(f(ours[2]))      \(f(peer[1]))          \(f(peer[2]))            "
              + "\(r(ours[1], peer[1]))              \(r(ours[2], peer[2]))")
    }
}

/// Forwards to the real models, timing each call (the pipeline's stage shares).
private final class TimedRunner: HandModelRunner {
    let models: HandModelRunner
    var palmSeconds = 0.0, landmarkSeconds = 0.0
    init(_ models: HandModelRunner) { self.models = models }

    func detectPalms(_ input: UnsafeBufferPointer<Float>) throws -> (regressors: [Float], logits: [Float]) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { palmSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
        return try models.detectPalms(input)
    }

    func landmarks(_ input: UnsafeBufferPointer<Float>) throws -> LandmarkModelOutput {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { landmarkSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
        return try models.landmarks(input)
    }
}

/// MediaPipe `Hands` (video mode, max 2 hands, confidences 0.5) in Python. `process` mode: the
/// frames decoded first, then frames / summed seconds inside `Hands.process()` per repeat (a new
/// `Hands` per clip, like `oracle_videos.py`). `extract` mode: after "go" on stdin, decode + RGB
/// conversion + tracking of its clips end to end, then prints the frames and wall seconds.
private let mediapipeScript = """
import sys, time
import cv2
import mediapipe as mp
def frames(path, n):
    cap, out = cv2.VideoCapture(path, cv2.CAP_FFMPEG), []
    while len(out) < n:
        ok, bgr = cap.read()
        if not ok: break
        out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return out
mode, mc, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
clips = [(a.rsplit(':', 1)[0], int(a.rsplit(':', 1)[1])) for a in sys.argv[4:]]
cfg = dict(static_image_mode=False, max_num_hands=2, model_complexity=mc,
           min_detection_confidence=0.5, min_tracking_confidence=0.5)
if mode == 'process':
    rgbs = [frames(p, n) for p, n in clips]
    total = sum(map(len, rgbs))
    for _ in range(repeats):
        secs = 0.0
        for clip in rgbs:
            with mp.solutions.hands.Hands(**cfg) as h:
                for f in clip:
                    t0 = time.perf_counter(); h.process(f); secs += time.perf_counter() - t0
        print(f'fps {total / secs:.4f}', flush=True)
else:
    print('ready', flush=True)
    sys.stdin.readline()
    t0, total = time.perf_counter(), 0
    for p, n in clips:
        with mp.solutions.hands.Hands(**cfg) as h:
            for f in frames(p, n):
                h.process(f); total += 1
    print(f'done {total} {time.perf_counter() - t0:.4f}', flush=True)
"""

private func mediapipeProcess(_ python: String, _ arguments: [String]) throws -> (Process, Pipe, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", mediapipeScript] + arguments
    let output = Pipe(), input = Pipe()
    process.standardOutput = output
    process.standardInput = input
    process.standardError = FileHandle.nullDevice
    try process.run()
    return (process, output, input)
}

/// Median frames/s of MediaPipe in one process over `repeats` passes.
private func mediapipeProcessFPS(python: String, complexity: HandTrackerOptions.Complexity, repeats: Int,
                                 clips: [String]) throws -> Double {
    let (process, output, _) = try mediapipeProcess(python, ["process", complexity == .full ? "1" : "0", String(repeats)] + clips)
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let fps = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line -> Double? in
        let parts = line.split(separator: " ")
        return parts.count == 2 && parts[0] == "fps" ? Double(parts[1]) : nil
    }
    guard process.terminationStatus == 0, !fps.isEmpty else { throw HandsError.modelOutput("MediaPipe run failed (\(python))") }
    return median(fps)
}

/// Frames/s of `processes` MediaPipe processes sharing the clips (balanced by frame count),
/// released together once all have loaded: total frames / wall time until the last one ends.
private func mediapipeExtractFPS(python: String, complexity: HandTrackerOptions.Complexity, processes: Int,
                                 clips: [String], frames: [Int]) throws -> Double {
    var shares = [[String]](repeating: [], count: processes), load = [Int](repeating: 0, count: processes)
    for i in frames.indices.sorted(by: { frames[$0] > frames[$1] }) {
        let p = load.indices.min { load[$0] < load[$1] }!
        shares[p].append(clips[i])
        load[p] += frames[i]
    }
    let workers = try shares.map { try mediapipeProcess(python, ["extract", complexity == .full ? "1" : "0", "1"] + $0) }
    for (_, output, _) in workers {
        var line = Data()
        while !String(decoding: line, as: UTF8.self).contains("ready") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw HandsError.modelOutput("MediaPipe worker did not start (\(python))") }
            line += chunk
        }
    }
    let t0 = DispatchTime.now().uptimeNanoseconds
    for (_, _, input) in workers { input.fileHandleForWriting.write(Data("go\n".utf8)) }
    var total = 0
    for (process, output, _) in workers {
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let done = text.split(separator: "\n").last(where: { $0.hasPrefix("done") }),
              let n = Int(done.split(separator: " ")[1]) else { throw HandsError.modelOutput("MediaPipe worker failed (\(python))") }
        total += n
    }
    return Double(total) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
}
