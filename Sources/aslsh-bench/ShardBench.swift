import Foundation
import Pipeline

/// `aslsh-bench shard [--videos DIR] [--model-complexity full|lite] [--shards 1,2,4]`: `extract`
/// over the real MS-ASL clips (their spans in the downloaded videos) as 1, 2 and 4 concurrent
/// `aslsh extract --shard I/N --workers 1` processes — how a job array uses one machine — with
/// the wall time, the throughput, the speed-up over one shard, and the cost of `merge`. Also one
/// unsharded `--workers 2` run for comparison, and the per-frame cost the cluster model in
/// docs/cluster.md scales from (core-seconds per frame of the one-shard run).
func runShardBench(_ arguments: [String]) throws {
    func value(_ flag: String) -> String? {
        arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    }
    let shared = ProcessInfo.processInfo.environment["ASLSH_SHARED"] ?? "../shared"
    let videos = URL(fileURLWithPath: value("--videos") ?? "\(shared)/realdata/msasl_videos").standardizedFileURL
    let complexity = value("--model-complexity") ?? "full"
    let counts = (value("--shards") ?? "1,2,4").split(separator: ",").compactMap { Int($0) }
    let aslsh = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("aslsh")
    guard FileManager.default.isExecutableFile(atPath: aslsh.path) else {
        throw BenchError("no aslsh beside aslsh-bench (\(aslsh.path)): swift build -c release builds both")
    }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("aslsh-bench-shard-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let manifest = work.appendingPathComponent("manifest_downloaded.json")
    try writeDownloadedManifest(videos: videos, to: manifest)

    /// Runs `aslsh extract` as the given processes at once; the wall time of the slowest.
    func extract(_ runs: [[String]], out: URL) throws -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let processes = try runs.map { extra -> Process in
            let p = Process()
            p.executableURL = aslsh
            p.arguments = ["extract", manifest.path, "--out", out.path, "--model-complexity", complexity, "-q"] + extra
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            return p
        }
        for p in processes {
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw BenchError("aslsh extract \(p.arguments!.joined(separator: " ")) exited \(p.terminationStatus)") }
        }
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }
    func frames(_ out: URL) throws -> Int {
        let records = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("landmarks_manifest.json"))) as! [[String: Any]]
        return records.reduce(0) { $0 + (($1["frame_count"] as? Int) ?? 0) }
    }

    let cores = ProcessInfo.processInfo.activeProcessorCount
    print("extract (\(complexity) models) over the real MS-ASL clips, \(cores) cores; N shards = N concurrent processes, 1 worker each")
    let reference = work.appendingPathComponent("unsharded")
    let unshardedSeconds = try extract([["--workers", "2"]], out: reference)
    let total = try frames(reference)
    let referenceBytes = try Data(contentsOf: reference.appendingPathComponent("landmarks_manifest.json"))
    print(String(format: "unsharded, --workers 2:   %6.2f s  %6.1f frames/s", unshardedSeconds, Double(total) / unshardedSeconds))
    print("shards  wall (s)  frames/s  speed-up  merge (ms)  merged = unsharded")
    var single: Double?, best = (fps: 0.0, processes: 1)
    for n in counts {
        let out = work.appendingPathComponent("shards-\(n)")
        let seconds = try extract((0..<n).map { ["--shard", "\($0)/\(n)", "--workers", "1"] }, out: out)
        let t0 = DispatchTime.now().uptimeNanoseconds
        let merge = Process()
        merge.executableURL = aslsh
        merge.arguments = ["merge", out.appendingPathComponent("landmarks_manifest.json").path]
        merge.standardOutput = FileHandle.nullDevice
        try merge.run()
        merge.waitUntilExit()
        let mergeMs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        guard merge.terminationStatus == 0 else { throw BenchError("merge of \(n) shards exited \(merge.terminationStatus)") }
        let same = try Data(contentsOf: out.appendingPathComponent("landmarks_manifest.json")) == referenceBytes
        let fps = Double(total) / seconds
        if single == nil { single = fps }
        if fps > best.fps { best = (fps, min(n, cores)) }
        print(String(format: "%6d  %8.2f  %8.1f  %7.2f×  %10.1f  %@", n, seconds, fps, fps / single!, mergeMs, same ? "yes" : "NO"))
        BenchSummary.record("shard", "extract, \(n) shard\(n == 1 ? "" : "s") (processes) on \(cores) cores, \(complexity) models",
                            ours: fps, unit: "frames/s", lowerIsBetter: false)
    }
    // The cluster model's input: core-seconds per frame, from one shard (one process on one
    // core) — other work on a shared machine slows the runs of several processes first.
    let perFrame = single.map { 1 / $0 } ?? Double(best.processes) / best.fps
    print(String(format: "per-frame cost: %.1f ms of one core (decode + tracking, %d frames)", perFrame * 1000, total))
    for (name, clipFrames) in [("MS-ASL (25,000 clips, ~1.9 M frames)", 1.9e6), ("WLASL (21,000 videos, ~1.5 M frames)", 1.5e6)] {
        let hours = [1, 4, 16, 64].map { nodes in String(format: "%d×32 cores %.1f min", nodes, clipFrames * perFrame / Double(nodes * 32) / 60) }
        print("extract, \(name): " + hours.joined(separator: ", "))
    }
}

/// The real clips of labels.csv as a download manifest: each clip's span in its downloaded video.
private func writeDownloadedManifest(videos: URL, to url: URL) throws {
    let csv = try String(contentsOf: videos.appendingPathComponent("labels.csv"), encoding: .utf8)
    let lines = csv.split(whereSeparator: \.isNewline).map(String.init)
    let header = lines[0].split(separator: ",").map(String.init)
    func column(_ name: String) -> Int { header.firstIndex(of: name)! }
    let records = lines.dropFirst().map { line -> ClipRecord in
        let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let id = f[column("video_id")], start = f[column("start_time")], end = f[column("end_time")]
        var record = ClipRecord(clipID: "\(id)__\(start)_\(end)", videoID: id, url: nil, label: f[column("text")],
                                labelIndex: Int(f[column("label")]) ?? 0, startTime: Double(start)!, endTime: Double(end)!,
                                fps: nil, signer: nil, split: "train", bbox: nil, source: "msasl", metadata: [:])
        record.download = DownloadOutcome(status: .ok, path: videos.appendingPathComponent(f[column("file")]).path, message: nil, attempts: 0)
        return record
    }
    try Manifest.write(records, to: url)
}
