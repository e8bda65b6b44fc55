import Foundation
import LandmarkExtraction
import Pipeline
import TestSupport
import XCTest

/// `--shard I/N` and `merge`: the slicing (by video, balanced, deterministic), the batch engines'
/// environment, and every refusal of `merge`. Trim runs here over videos that do not exist, so
/// each clip fails at once: the manifests and shard states are real, no decoding is needed.
final class ShardingTests: XCTestCase {
    func testShardParsesIndicesAndTheBatchEnginesEnvironment() throws {
        XCTAssertEqual(try Shard.parse("2/4", environment: [:]), try Shard(index: 2, count: 4))
        XCTAssertEqual(try Shard.parse("auto", environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"]),
                       try Shard(index: 3, count: 4))
        // A resubmitted index (`sbatch --array=2`) has a task count of 1: the explicit count wins.
        XCTAssertEqual(try Shard.parse("auto", environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "1",
                                                              "ASLSH_SHARD_COUNT": "4"]), try Shard(index: 2, count: 4))
        XCTAssertEqual(try Shard.parse("auto/8", environment: ["JOB_COMPLETION_INDEX": "5"]), try Shard(index: 5, count: 8))
        func message(_ text: String, _ environment: [String: String] = [:]) -> String {
            do { _ = try Shard.parse(text, environment: environment); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("auto", ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "1"]).contains("ASLSH_SHARD_COUNT"))
        XCTAssertTrue(message("auto", ["JOB_COMPLETION_INDEX": "1"]).contains("ASLSH_SHARD_COUNT"))
        XCTAssertTrue(message("auto").contains("SLURM_ARRAY_TASK_ID"))
        XCTAssertTrue(message("4/4").contains("outside 0…3"))
        XCTAssertTrue(message("x/4").contains("'x' is not a whole number"))
        XCTAssertTrue(message("3").contains("expected I/N"))
        XCTAssertEqual(try Shard(index: 2, count: 4).fileName("manifest_trimmed.json"), "manifest_trimmed.shard-2-of-4.json")
        XCTAssertEqual(try Shard(index: 0, count: 2).filePath("sub/m.json"), "sub/m.shard-0-of-2.json")
    }

    /// 60 videos of 1–3 clips with spans of 0.5–9.5 s: each video in one shard, the loads within
    /// the heaviest video of each other (the greedy rule's bound), the same for any record order.
    func testAssignmentKeepsVideosTogetherAndBalancesTheirLength() throws {
        var generator = SplitMix(seed: 7)
        var records: [ClipRecord] = []
        for v in 0..<60 {
            for c in 0..<(1 + Int(generator.next() % 3)) {
                let span = 0.5 + Double(generator.next() % 90) / 10
                records.append(record("v\(v)__\(c)", video: "v\(v)", label: "L\(v % 5)", start: 0, end: span))
            }
        }
        let owner = ShardAssignment.assign(records, count: 4)
        var load = [Double](repeating: 0, count: 4), perVideo: [String: Double] = [:]
        for r in records { load[owner[r.videoID]!] += r.endTime! - r.startTime; perVideo[r.videoID, default: 0] += r.endTime! - r.startTime }
        XCTAssertLessThanOrEqual(load.max()! - load.min()!, perVideo.values.max()! + 1e-9, "loads \(load)")
        XCTAssertEqual(Set(owner.values), [0, 1, 2, 3])
        XCTAssertEqual(ShardAssignment.assign(records.reversed(), count: 4), owner, "independent of record order")
        // By count alone the shards would differ far more than by length.
        XCTAssertLessThan(load.max()! / load.min()!, 1.1)
    }

    /// Three trim shards merged equal the unsharded trim's manifest byte for byte; then each way
    /// a merge can go wrong is refused with the shard named.
    func testMergedShardsEqualTheUnshardedRunAndBadShardsAreRefused() throws {
        let dir = try TestEnvironment.temporaryDirectory("aslsh-shards")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("manifest.json")
        var records: [ClipRecord] = []
        for v in 0..<7 {
            for c in 0..<(v % 3 + 1) { records.append(record("vid\(v)__\(c)", video: "vid\(v)", label: "L\(v % 3)", start: Double(c), end: Double(c) + 1.5)) }
        }
        try Manifest.write(records, to: input)
        func trim(_ shard: Shard?, manifest: URL = input, out: String = "manifest_trimmed.json") throws -> TrimResult {
            var options = TrimOptions(manifest: manifest, trimRoot: dir.appendingPathComponent("clips"),
                                      rawRoot: dir.appendingPathComponent("no-videos"),
                                      outputManifest: dir.appendingPathComponent(out))
            options.shard = shard
            return try Trim.run(options)
        }
        _ = try trim(nil, out: "reference.json")
        for i in 0..<3 { _ = try trim(try Shard(index: i, count: 3)) }
        let merged = dir.appendingPathComponent("manifest_trimmed.json")
        let result = try ShardMerge.run(manifest: merged)
        XCTAssertEqual(result.records, records.count)
        XCTAssertEqual(try Data(contentsOf: merged), try Data(contentsOf: dir.appendingPathComponent("reference.json")))
        XCTAssertTrue(result.description.contains("failed \(records.count)"), result.description)
        // Each video's clips in one shard.
        for i in 0..<3 {
            let shard = try Manifest.read(dir.appendingPathComponent("manifest_trimmed.shard-\(i)-of-3.json"))
            for r in shard { XCTAssertTrue(shard.filter { $0.videoID == r.videoID }.count == records.filter { $0.videoID == r.videoID }.count) }
        }

        func refusal() -> String {
            do { _ = try ShardMerge.run(manifest: merged); return "merged" } catch { return "\(error)" }
        }
        let state1 = dir.appendingPathComponent("manifest_trimmed.shard-1-of-3.state.json")
        let shard1 = dir.appendingPathComponent("manifest_trimmed.shard-1-of-3.json")
        let saved = (try Data(contentsOf: state1), try Data(contentsOf: shard1))
        func restore() throws { try saved.0.write(to: state1); try saved.1.write(to: shard1) }

        // A shard still running (or killed): its state says so.
        var state = try ShardState.read(state1)
        state.status = "running"
        try state.write(to: state1)
        XCTAssertTrue(refusal().contains("shard 1/3 has not finished"), refusal())
        try restore()

        // A missing shard.
        try FileManager.default.removeItem(at: state1)
        try FileManager.default.removeItem(at: shard1)
        XCTAssertTrue(refusal().contains("missing shard 1 of 3"), refusal())
        try restore()

        // A shard manifest edited after its shard finished.
        var edited = try Manifest.read(shard1)
        edited.removeLast()
        try Manifest.write(edited, to: shard1)
        XCTAssertTrue(refusal().contains("edited after shard 1/3 finished"), refusal())
        try restore()

        // Leftovers of a run with another count.
        _ = try trim(try Shard(index: 0, count: 2))
        XCTAssertTrue(refusal().contains("shards of different counts"), refusal())
        for name in ["manifest_trimmed.shard-0-of-2.json", "manifest_trimmed.shard-0-of-2.state.json"] {
            try FileManager.default.removeItem(at: dir.appendingPathComponent(name))
        }
        XCTAssertEqual(refusal(), "merged")

        // The input edited between shards: shard 2 reran on the new one.
        try Manifest.write(records + [record("vid9__0", video: "vid9", label: "L0", start: 0, end: 1)], to: input)
        _ = try trim(try Shard(index: 2, count: 3))
        XCTAssertTrue(refusal().contains("shard 2/3 read a different input than shards 0, 1"), refusal())
        // … and after every shard ran on the new input, the old input is gone: all agree again.
        for i in 0..<2 { _ = try trim(try Shard(index: i, count: 3)) }
        XCTAssertEqual(refusal(), "merged")
        // The input edited after all shards ran.
        try Manifest.write(records, to: input)
        XCTAssertTrue(refusal().contains("changed after the shards ran"), refusal())
    }

    func testAShardOfAnEarlierStageChainsOnlyIntoTheSameShard() throws {
        let dir = try TestEnvironment.temporaryDirectory("aslsh-shards")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("manifest.json")
        try Manifest.write((0..<6).map { record("v\($0)__0", video: "v\($0)", label: "L", start: 0, end: Double($0 + 1)) }, to: input)
        func trim(_ manifest: URL, _ shard: Shard?, out: String, sample: Int? = nil) throws -> TrimResult {
            var options = TrimOptions(manifest: manifest, trimRoot: dir.appendingPathComponent("clips"),
                                      rawRoot: dir, sample: sample, outputManifest: dir.appendingPathComponent(out))
            options.shard = shard
            return try Trim.run(options)
        }
        let first = try trim(input, try Shard(index: 1, count: 2), out: "a.json")
        let shardManifest = dir.appendingPathComponent("a.shard-1-of-2.json")
        // The same shard of the next stage takes the shard manifest whole, keeping the first input.
        let second = try trim(dir.appendingPathComponent("a.json"), try Shard(index: 1, count: 2), out: "b.json")
        XCTAssertEqual(second.records.map(\.clipID), first.records.map(\.clipID))
        let state = try ShardState.read(dir.appendingPathComponent("b.shard-1-of-2.state.json"))
        XCTAssertEqual(state.input, input.path)
        XCTAssertEqual(state.inputRecords, 6)
        func message(_ body: () throws -> Any) -> String { do { _ = try body(); return "accepted" } catch { return "\(error)" } }
        XCTAssertTrue(message { try trim(shardManifest, try Shard(index: 0, count: 2), out: "c.json") }.contains("is shard 1/2 of trim, not 0/2"))
        XCTAssertTrue(message { try trim(shardManifest, nil, out: "c.json") }.contains("give --shard 1/2, or merge its shards first"))
        XCTAssertTrue(message { try trim(input, try Shard(index: 0, count: 2), out: "c.json", sample: 2) }.contains("--sample/--shard"))
    }

    private func record(_ id: String, video: String, label: String, start: Double, end: Double) -> ClipRecord {
        ClipRecord(clipID: id, videoID: video, url: "https://example.invalid/\(video)", label: label, labelIndex: 0,
                   startTime: start, endTime: end, fps: nil, signer: nil, split: "train", bbox: nil, source: "msasl", metadata: [:])
    }
}

/// A tiny seeded generator, so the test's "random" manifest is the same in every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
