import Foundation
import TensorCore

/// One slice of a stage's input: shard `index` of `count` (0-based, as Slurm array indices and
/// Kubernetes completion indices are). `--shard I/N` names it; `--shard auto` reads it from the
/// batch engine's environment.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw PipelineError.invalidOption(flag: "--shard", message: "the shard count must be at least 1, got \(count)") }
        guard (0..<count).contains(index) else {
            throw PipelineError.invalidOption(flag: "--shard", message: "shard index \(index) is outside 0…\(count - 1) (indices count from 0)")
        }
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// `I/N`, `auto` or `auto/N`. `auto` takes the index from `SLURM_ARRAY_TASK_ID` or
    /// `JOB_COMPLETION_INDEX`, and the count from `N`, else `ASLSH_SHARD_COUNT`, else
    /// `SLURM_ARRAY_TASK_COUNT` — which is 1 when a single failed index is resubmitted
    /// (`sbatch --array=2`), hence the explicit count takes precedence.
    public static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        func number(_ s: String, _ what: String) throws -> Int {
            guard let n = Int(s.trimmingCharacters(in: .whitespaces)) else {
                throw PipelineError.invalidOption(flag: "--shard", message: "\(what) '\(s)' is not a whole number (give I/N, e.g. 0/4, or auto)")
            }
            return n
        }
        guard parts.count <= 2, !parts[0].isEmpty else {
            throw PipelineError.invalidOption(flag: "--shard", message: "expected I/N (e.g. 0/4), auto or auto/N; got '\(text)'")
        }
        guard parts[0] == "auto" else {
            guard parts.count == 2 else {
                throw PipelineError.invalidOption(flag: "--shard", message: "expected I/N (e.g. 0/4), auto or auto/N; got '\(text)'")
            }
            return try Shard(index: number(parts[0], "index"), count: number(parts[1], "count"))
        }
        let indexVariable = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"].first { environment[$0] != nil }
        guard let indexVariable else {
            throw PipelineError.invalidOption(flag: "--shard", message: "auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard I/N")
        }
        let index = try number(environment[indexVariable]!, indexVariable)
        let count: Int
        if parts.count == 2 {
            count = try number(parts[1], "count")
        } else if let n = environment["ASLSH_SHARD_COUNT"] {
            count = try number(n, "ASLSH_SHARD_COUNT")
        } else if indexVariable == "SLURM_ARRAY_TASK_ID", let n = environment["SLURM_ARRAY_TASK_COUNT"] {
            count = try number(n, "SLURM_ARRAY_TASK_COUNT")
            if index >= count {
                throw PipelineError.invalidOption(flag: "--shard", message: "auto: SLURM_ARRAY_TASK_ID is \(index) but SLURM_ARRAY_TASK_COUNT is \(count) — a resubmitted index? set ASLSH_SHARD_COUNT to the full count or give --shard auto/N")
            }
        } else {
            throw PipelineError.invalidOption(flag: "--shard", message: "auto: \(indexVariable) is set but not the shard count: set ASLSH_SHARD_COUNT or give --shard auto/N")
        }
        return try Shard(index: index, count: count)
    }

    /// The shard's own name for an output file: `manifest_trimmed.json` → `manifest_trimmed.shard-2-of-4.json`.
    public func fileURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(fileName(url.lastPathComponent))
    }

    /// The same for a path as given (`sub/m.json` → `sub/m.shard-2-of-4.json`).
    public func filePath(_ path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? fileName(path) : (folder as NSString).appendingPathComponent(fileName((path as NSString).lastPathComponent))
    }

    public func fileName(_ name: String) -> String {
        let ext = (name as NSString).pathExtension, stem = (name as NSString).deletingPathExtension
        return "\(stem).shard-\(index)-of-\(count)" + (ext.isEmpty ? "" : ".\(ext)")
    }

    /// The manifest a sharded stage reads: this shard's own manifest of the previous stage
    /// (`NAME.shard-I-of-N.json`) when it exists beside `url`, so every stage of one array task
    /// names the same files (`trim … --out m_trimmed.json`, then `extract m_trimmed.json`);
    /// otherwise `url` itself.
    public func input(_ url: URL) -> URL {
        let own = fileURL(for: url)
        return FileManager.default.fileExists(atPath: own.path) ? own : url
    }

    /// The state file beside a shard's manifest: `manifest_trimmed.shard-2-of-4.state.json`.
    public static func stateURL(forShardManifest url: URL) -> URL {
        let name = url.lastPathComponent, stem = (name as NSString).deletingPathExtension
        return url.deletingLastPathComponent().appendingPathComponent("\(stem).state.json")
    }
}

/// Deterministic, balanced assignment of work units (videos, photos) to shards: units sorted by
/// expected work, heaviest first (ties by id), each to the least-loaded shard so far (ties to the
/// lowest index) — the longest-processing-time rule, within 4/3 of the best balance. Depends only
/// on the ids and weights, so every machine computes the same slices.
public enum ShardAssignment {
    public static func assign(_ units: [(id: String, weight: Double)], count: Int) -> [String: Int] {
        let order = units.sorted { $0.weight != $1.weight ? $0.weight > $1.weight : $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        var load = [Double](repeating: 0, count: count)
        var result: [String: Int] = [:]
        for unit in order {
            var best = 0
            for s in 1..<max(1, count) where load[s] < load[best] { best = s }
            load[best] += unit.weight
            result[unit.id] = best
        }
        return result
    }

    /// Clips grouped by video (a video's download, trim and clips stay in one shard), weighted by
    /// their spans' total length: `end_time − start_time` from the manifest — the same numbers in
    /// every stage's manifest, so download, trim and extract slice alike. A clip without an end
    /// counts as the mean known span (1 s when none is known).
    /// Spans are counted in whole milliseconds, so the sums are exact and do not depend on the
    /// order of the records (float sums would, in their last bit, and so could the slices).
    public static func assign(_ records: [ClipRecord], count: Int) -> [String: Int] {
        func milliseconds(_ seconds: Double) -> Int64 { Int64((max(0, seconds) * 1000).rounded()) }
        let spans = records.compactMap { r in r.endTime.map { milliseconds($0 - r.startTime) } }
        let unknown = spans.isEmpty ? 1000 : spans.reduce(0, +) / Int64(spans.count)
        var weight: [String: Int64] = [:], order: [String] = []
        for r in records {
            if weight[r.videoID] == nil { order.append(r.videoID) }
            weight[r.videoID, default: 0] += r.endTime.map { milliseconds($0 - r.startTime) } ?? unknown
        }
        return assign(order.map { ($0, Double(weight[$0]!)) }, count: count)
    }
}

/// A shard's record of its run, beside its manifest (`….shard-I-of-N.state.json`): what it read
/// (the input's path and fingerprint), which input records are its own (index + id), whether it
/// finished, and its counts. `merge` checks the shards against each other with it.
public struct ShardState: Codable, Equatable, Sendable {
    public struct Item: Codable, Equatable, Sendable {
        public var index: Int
        public var id: String
        public init(index: Int, id: String) { self.index = index; self.id = id }
    }

    public var stage: String
    public var shard: Int
    public var shards: Int
    /// `running` from the start of the run until its manifest is written, then `done`.
    public var status: String
    /// The input the slices were cut from (for a chained stage, the first stage's input).
    public var input: String
    public var inputFingerprint: String
    public var inputRecords: Int
    public var items: [Item]
    public var host: String
    public var pid: Int32
    public var started: String
    public var finished: String?
    /// Fingerprint of the shard's manifest as written, so a later edit is noticed.
    public var outputFingerprint: String?
    /// Inputs of this shard not written as records (extract, prepare-alphabet): reason → count.
    public var skipped: [String: Int]?
    /// extract: the shard's log of failures (`extract_log.shard-I-of-N.txt`), merged line by line.
    public var log: String?

    enum CodingKeys: String, CodingKey {
        case stage, shard, shards, status, input, inputFingerprint = "input_fingerprint", inputRecords = "input_records"
        case items, host, pid, started, finished, outputFingerprint = "output_fingerprint", skipped, log
    }

    public static func read(_ url: URL) throws -> ShardState {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw PipelineError.file(.reading(url.path, error: error)) }
        do { return try JSONDecoder().decode(ShardState.self, from: data) } catch let error as DecodingError {
            throw PipelineError.unrecognisedLayout(file: url.path, message: "not a shard state file (\(Manifest.decodingProblem(error)))")
        }
    }

    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { try OutputFile.write(try encoder.encode(self) + Data("\n".utf8), to: url) } catch let problem as FileProblem {
            throw PipelineError.file(problem)
        }
    }

    /// 16 hex digits of FNV-1a 64 over a file's bytes ("missing" when it cannot be read).
    public static func fingerprint(of url: URL) -> String {
        guard let data = try? Data(contentsOf: url) else { return "missing" }
        return fingerprint(data)
    }

    public static func fingerprint(_ data: Data) -> String { StableHash.hex16(data) }

    static var now: String { ISO8601DateFormatter().string(from: Date()) }
}

/// A stage's run over one shard: the slice of its input, and the state file that says so.
/// `begin` marks the shard running (refusing a second live run of the same shard), `finish`
/// marks it done once the stage's manifest is written.
public final class ShardRun: @unchecked Sendable {
    public let shard: Shard
    public private(set) var state: ShardState
    public let stateURL: URL
    /// The shard's manifest (the stage's output name with `.shard-I-of-N`).
    public let manifestURL: URL
    /// Inputs of the slice dropped before the stage proper ran (extract: clips with no video),
    /// added to the skips `finish` records.
    public var inputSkips: [String: Int] = [:]

    init(shard: Shard, state: ShardState, manifestURL: URL) {
        self.shard = shard
        self.state = state
        self.manifestURL = manifestURL
        self.stateURL = Shard.stateURL(forShardManifest: manifestURL)
    }

    /// The slice of a clip manifest for `shard`. A manifest that is itself shard I/N of an earlier
    /// stage (its state file beside it) is taken whole, keeping the first input's fingerprint and
    /// record indices, so `trim --shard 2/4` → `extract --shard 2/4` chains without a merge between.
    public static func select(_ records: [ClipRecord], from input: URL, shard: Shard, stage: String,
                              output: URL) throws -> (run: ShardRun, records: [ClipRecord]) {
        if let upstream = try upstreamState(of: input, shard: shard) {
            let ids = records.map(\.clipID)
            guard ids == upstream.items.map(\.id) else {
                throw PipelineError.unrecognisedLayout(file: input.path, message: "its records differ from those its shard state lists (\(Shard.stateURL(forShardManifest: input).lastPathComponent)): the manifest was edited after the shard ran; rerun that stage's shard")
            }
            return (ShardRun(shard: shard, state: newState(stage: stage, shard: shard, input: upstream.input,
                                                           fingerprint: upstream.inputFingerprint, total: upstream.inputRecords,
                                                           items: upstream.items), manifestURL: shard.fileURL(for: output)),
                    records)
        }
        let owner = ShardAssignment.assign(records, count: shard.count)
        var items: [ShardState.Item] = [], selected: [ClipRecord] = []
        for (i, r) in records.enumerated() where owner[r.videoID] == shard.index {
            items.append(.init(index: i, id: r.clipID))
            selected.append(r)
        }
        return (ShardRun(shard: shard, state: newState(stage: stage, shard: shard, input: input.path,
                                                       fingerprint: ShardState.fingerprint(of: input), total: records.count,
                                                       items: items), manifestURL: shard.fileURL(for: output)),
                selected)
    }

    /// The slice of a list of units that are not clips of a manifest (photos): `ids` in input
    /// order with their expected work; `fingerprint` identifies the input as a whole.
    public static func select(ids: [(id: String, weight: Double)], input: String, fingerprint: String,
                              shard: Shard, stage: String, output: URL) -> (run: ShardRun, indices: [Int]) {
        let owner = ShardAssignment.assign(ids, count: shard.count)
        let indices = ids.indices.filter { owner[ids[$0].id] == shard.index }
        let items = indices.map { ShardState.Item(index: $0, id: ids[$0].id) }
        return (ShardRun(shard: shard, state: newState(stage: stage, shard: shard, input: input, fingerprint: fingerprint,
                                                       total: ids.count, items: items), manifestURL: shard.fileURL(for: output)),
                indices)
    }

    /// For a stage reading a clip manifest: with a shard, narrows `records` to its slice and
    /// renames `output` to the shard's manifest; without one, checks the input is not a shard.
    public static func selectIfSharded(_ records: inout [ClipRecord], from input: URL, shard: Shard?, stage: String,
                                       output: inout URL) throws -> ShardRun? {
        guard let shard else { _ = try upstreamState(of: input, shard: nil); return nil }
        let (run, selected) = try select(records, from: input, shard: shard, stage: stage, output: output)
        records = selected
        output = run.manifestURL
        return run
    }

    /// `--sample` takes the first N records of the whole input; with a shard the merge would
    /// then miss the rest, so the two are not combined.
    public static func checkNoSample(_ shard: Shard?, _ sample: Int?) throws {
        if shard != nil, sample != nil {
            throw PipelineError.invalidOption(flag: "--sample/--shard", message: "choose one: a sample is not a slice the shards can be merged from")
        }
    }

    /// The slice of a list of files (photos, predict's items), each weighted by its size; the
    /// input's fingerprint is the list of paths with their sizes (a file added, removed or
    /// replaced changes it).
    public static func select(files: [(id: String, url: URL)], input: String, shard: Shard, stage: String,
                              output: URL) -> (run: ShardRun, indices: [Int]) {
        let sizes = files.map { file in
            Double((try? FileManager.default.attributesOfItem(atPath: file.url.path)[.size] as? Int) ?? 0)
        }
        let listing = zip(files, sizes).map { "\($0.url.path)\t\(Int($1))\n" }.joined()
        return select(ids: zip(files, sizes).map { ($0.id, max(1, $1)) }, input: input,
                      fingerprint: ShardState.fingerprint(Data(listing.utf8)), shard: shard, stage: stage, output: output)
    }

    /// The state of `input` when it is a finished shard manifest; an error when it is a shard of
    /// another slicing or still running; nil for an ordinary manifest.
    static func upstreamState(of input: URL, shard: Shard?) throws -> ShardState? {
        let stateURL = Shard.stateURL(forShardManifest: input)
        guard input.lastPathComponent.contains(".shard-"), FileManager.default.fileExists(atPath: stateURL.path) else { return nil }
        let upstream = try ShardState.read(stateURL)
        guard let shard else {
            throw PipelineError.invalidOption(flag: "--shard", message: "\(input.path) is shard \(upstream.shard)/\(upstream.shards) of \(upstream.stage): give --shard \(upstream.shard)/\(upstream.shards), or merge its shards first (merge)")
        }
        guard upstream.shard == shard.index, upstream.shards == shard.count else {
            throw PipelineError.invalidOption(flag: "--shard", message: "\(input.path) is shard \(upstream.shard)/\(upstream.shards) of \(upstream.stage), not \(shard): give --shard \(upstream.shard)/\(upstream.shards), or merge its shards first (merge)")
        }
        guard upstream.status == "done" else {
            throw PipelineError.invalidOption(flag: "--shard", message: "\(input.path): shard \(shard) of \(upstream.stage) has not finished (status \(upstream.status)); rerun it with --resume first")
        }
        return upstream
    }

    static func newState(stage: String, shard: Shard, input: String, fingerprint: String, total: Int,
                         items: [ShardState.Item]) -> ShardState {
        ShardState(stage: stage, shard: shard.index, shards: shard.count, status: "running", input: input,
                   inputFingerprint: fingerprint, inputRecords: total, items: items,
                   host: ProcessInfo.processInfo.hostName, pid: getpid(), started: ShardState.now)
    }

    /// With `--resume`: true when this shard already finished on the same input with the same
    /// slice and its manifest is as it wrote it — a resubmitted array task then keeps it as it is
    /// (rerunning would turn "cut" into "kept" in the manifest and empty extract's log).
    public func finishedEarlier(resume: Bool) -> Bool {
        guard resume, let previous = try? ShardState.read(stateURL), previous.status == "done",
              previous.inputFingerprint == state.inputFingerprint, previous.items == state.items,
              previous.outputFingerprint == ShardState.fingerprint(of: manifestURL) else { return false }
        state = previous
        return true
    }

    /// Marks the shard running. Refuses when the state file says the same shard is running in a
    /// live process on this host (two runs of one shard would write the same files).
    public func begin() throws {
        if let previous = try? ShardState.read(stateURL), previous.status == "running",
           previous.host == state.host, previous.pid != getpid(), kill(previous.pid, 0) == 0, isAslsh(previous.pid) {
            throw PipelineError.invalidOption(flag: "--shard", message: "shard \(shard) is already running (pid \(previous.pid), started \(previous.started)); wait for it or stop it, then rerun with --resume")
        }
        try state.write(to: stateURL)
    }

    /// Marks the shard done, recording its manifest's fingerprint and (for landmark stages) skips.
    public func finish(skipped: [String: Int]? = nil, log: URL? = nil) throws {
        state.log = log?.path
        state.status = "done"
        state.finished = ShardState.now
        state.outputFingerprint = ShardState.fingerprint(of: manifestURL)
        if let skipped { state.skipped = skipped.merging(inputSkips, uniquingKeysWith: +) }
        try state.write(to: stateURL)
    }

    /// A pid may have been reused by another program: the live process counts only if it is an
    /// aslsh (`/proc/PID/comm`; true where that cannot be read).
    private func isAslsh(_ pid: Int32) -> Bool {
        guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return true }
        return comm.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("aslsh")
    }
}
