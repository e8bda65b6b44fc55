import Datasets
import Foundation
import Pipeline
import TensorCore

/// `merge`: the shard manifests of one stage (`<name>.shard-I-of-N.<ext>` with their state files,
/// written by `download`/`trim`/`extract`/`prepare-alphabet --shard I/N`) → the one manifest
/// the unsharded run would have written, records in input order. Refuses, naming the shard and
/// what to do, when a shard is missing, still running, from another input or another shard count,
/// edited after it finished, or when a record is missing or appears twice.
public enum ShardMerge {
    public struct Result: CustomStringConvertible, Sendable {
        public var stage: String
        public var shards: Int
        public var inputRecords: Int
        public var records: Int
        public var output: URL
        /// Report lines: per-status and per-class counts summed over the shards.
        public var report: [String]
        public var description: String {
            (["merged \(shards) shard\(shards == 1 ? "" : "s") of \(stage): \(records) record\(records == 1 ? "" : "s") from \(inputRecords) input\(inputRecords == 1 ? "" : "s")"]
             + report + ["wrote \(output.path)"]).joined(separator: "\n")
        }
    }

    struct Found { var shard: Int; var count: Int; var state: ShardState; var stateURL: URL; var manifestURL: URL }

    public static func run(manifest: URL, output: URL? = nil) throws -> Result {
        let output = output ?? manifest
        let shards = try findShards(of: manifest)
        let first = shards[0].state
        try checkConsistent(shards, manifest: manifest)
        let owner = try checkPartition(shards, manifest: manifest)
        for s in shards where ShardState.fingerprint(of: s.manifestURL) != s.state.outputFingerprint {
            throw failure(s.manifestURL, "edited after shard \(s.shard)/\(s.count) finished (its fingerprint differs from the one in \(s.stateURL.lastPathComponent)); rerun that shard with --overwrite, or --resume after removing its manifest")
        }
        let report: [String], count: Int
        switch first.stage {
        case "download", "trim":
            (count, report) = try mergeClipManifests(shards, owner: owner, manifest: manifest, output: output)
        case "predict":
            (count, report) = try mergeResultLines(shards, owner: owner, output: output)
        default:
            (count, report) = try mergeLandmarkManifests(shards, owner: owner, manifest: manifest, output: output)
        }
        return Result(stage: first.stage, shards: first.shards, inputRecords: first.inputRecords, records: count,
                      output: output, report: report)
    }

    /// The state files beside `manifest` (`<stem>.shard-I-of-N.state.json`), one count only.
    static func findShards(of manifest: URL) throws -> [Found] {
        let folder = manifest.deletingLastPathComponent()
        let name = manifest.lastPathComponent
        let stem = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let prefix = stem + ".shard-"
        var found: [Found] = []
        var orphans: [String] = []
        for entry in entries.sorted() where entry.hasPrefix(prefix) {
            let rest = entry.dropFirst(prefix.count)
            let isState = rest.hasSuffix(".state.json")
            let body = isState ? rest.dropLast(".state.json".count) : (ext.isEmpty ? rest : rest.dropLast(ext.count + 1))
            let numbers = body.split(separator: "-").map(String.init)
            guard numbers.count == 3, numbers[1] == "of", let i = Int(numbers[0]), let n = Int(numbers[2]) else { continue }
            let shard = try Shard(index: i, count: n)
            let manifestURL = folder.appendingPathComponent(shard.fileName(name))
            if isState {
                let stateURL = folder.appendingPathComponent(entry)
                found.append(Found(shard: i, count: n, state: try ShardState.read(stateURL), stateURL: stateURL, manifestURL: manifestURL))
            } else if !FileManager.default.fileExists(atPath: Shard.stateURL(forShardManifest: manifestURL).path) {
                orphans.append(entry)
            }
        }
        if let orphan = orphans.first {
            throw failure(folder.appendingPathComponent(orphan), "a shard manifest without its state file (\(Shard.stateURL(forShardManifest: URL(fileURLWithPath: orphan)).lastPathComponent)): it was not written by a sharded run of this version; rerun that shard")
        }
        guard !found.isEmpty else {
            throw failure(manifest, "no shards found beside it (expected \(stem).shard-I-of-N.\(ext) with a .state.json, written by a stage run with --shard I/N and --out/--manifest naming this file)")
        }
        let counts = Set(found.map(\.count))
        if counts.count > 1 {
            let groups = counts.sorted().map { n in "of \(n): shards \(found.filter { $0.count == n }.map { String($0.shard) }.joined(separator: ", "))" }
            throw failure(manifest, "shards of different counts beside it (\(groups.joined(separator: "; "))): the shard count changed between runs; remove the files of the old count (\(stem).shard-*-of-M.*) or rerun every shard with one count")
        }
        let n = found[0].count
        let present = Set(found.map(\.shard))
        let missing = (0..<n).filter { !present.contains($0) }
        if !missing.isEmpty {
            throw failure(manifest, "missing shard\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", ")) of \(n): run \(missing.count == 1 ? "it" : "them") (--shard \(missing[0])/\(n); in a Slurm array: sbatch --array=\(missing.map(String.init).joined(separator: ",")) …) and merge again")
        }
        return found.sorted { $0.shard < $1.shard }
    }

    /// Same stage, same input, finished, and the input unchanged since.
    static func checkConsistent(_ shards: [Found], manifest: URL) throws {
        for s in shards where s.state.shard != s.shard || s.state.shards != s.count {
            throw failure(s.stateURL, "says shard \(s.state.shard)/\(s.state.shards), its name says \(s.shard)/\(s.count): the file was renamed; rerun that shard")
        }
        for s in shards where s.state.status != "done" {
            throw failure(manifest, "shard \(s.shard)/\(s.count) has not finished (\(s.state.status) since \(s.state.started) on \(s.state.host), pid \(s.state.pid)): wait for it, or if it was killed rerun it with --resume (Slurm: sbatch --array=\(s.shard) …), then merge again")
        }
        let stages = Set(shards.map(\.state.stage))
        if stages.count > 1 {
            throw failure(manifest, "shards of different stages beside it (\(stages.sorted().joined(separator: ", "))): each stage's manifest needs its own name")
        }
        // The fingerprint most shards agree on is the input; the others read another one.
        let byFingerprint = Dictionary(grouping: shards, by: { $0.state.inputFingerprint + " " + String($0.state.inputRecords) })
        if byFingerprint.count > 1 {
            let majority = byFingerprint.max { $0.value.count != $1.value.count ? $0.value.count < $1.value.count : $0.key > $1.key }!
            let odd = shards.filter { $0.state.inputFingerprint + " " + String($0.state.inputRecords) != majority.key }
            throw failure(manifest, "shard\(odd.count == 1 ? "" : "s") \(odd.map { "\($0.shard)/\($0.count)" }.joined(separator: ", ")) read a different input than shard\(majority.value.count == 1 ? "" : "s") \(majority.value.map { String($0.shard) }.joined(separator: ", ")) (\(odd[0].state.input), fingerprint \(odd[0].state.inputFingerprint) vs \(majority.value[0].state.inputFingerprint)): the input changed between shards; rerun every shard on the one input")
        }
        let input = shards[0].state
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: input.input, isDirectory: &isFolder), !isFolder.boolValue,
           ShardState.fingerprint(of: URL(fileURLWithPath: input.input)) != input.inputFingerprint {
            throw failure(manifest, "the input \(input.input) changed after the shards ran (fingerprint \(ShardState.fingerprint(of: URL(fileURLWithPath: input.input))), the shards read \(input.inputFingerprint)): rerun every shard on the current input, or restore it")
        }
    }

    /// Every input record in exactly one shard: the owner shard of each record id.
    static func checkPartition(_ shards: [Found], manifest: URL) throws -> [String: (shard: Int, index: Int)] {
        var owner: [String: (shard: Int, index: Int)] = [:]
        var byIndex: [Int: Int] = [:]
        for s in shards {
            for item in s.state.items {
                if let other = byIndex[item.index] {
                    throw failure(manifest, "input record \(item.index) (\(item.id)) is in shard \(other)/\(s.count) and in shard \(s.shard)/\(s.count): the shards were cut differently; rerun every shard with this version")
                }
                byIndex[item.index] = s.shard
                if let other = owner[item.id] {
                    throw failure(manifest, "clip \(item.id) is in shard \(other.shard)/\(s.count) and in shard \(s.shard)/\(s.count) (input records \(other.index) and \(item.index)): the input has a duplicate clip id; fix the input and rerun")
                }
                owner[item.id] = (s.shard, item.index)
            }
        }
        let total = shards[0].state.inputRecords
        if let missing = (0..<total).first(where: { byIndex[$0] == nil }) {
            let count = (0..<total).filter { byIndex[$0] == nil }.count
            throw failure(manifest, "\(count) input record\(count == 1 ? " is" : "s are") in no shard (first: record \(missing)): the shards were cut from different slicings; rerun every shard with one --shard count")
        }
        if let stray = byIndex.keys.first(where: { $0 >= total || $0 < 0 }) {
            throw failure(manifest, "a shard lists input record \(stray), but the input has \(total)")
        }
        return owner
    }

    /// download / trim: every input clip once, in input order.
    static func mergeClipManifests(_ shards: [Found], owner: [String: (shard: Int, index: Int)], manifest: URL,
                                   output: URL) throws -> (Int, [String]) {
        var merged: [(Int, ClipRecord)] = []
        var seen: [String: Int] = [:]
        for s in shards {
            let records = try Manifest.read(s.manifestURL)
            try checkRecords(records.map(\.clipID), of: s, owner: owner, seen: &seen, exact: true)
            merged += records.map { (owner[$0.clipID]!.index, $0) }
        }
        let records = merged.sorted { $0.0 < $1.0 }.map(\.1)
        // Two clips whose ids map to one file name in different shards would share a file.
        var paths: [String: String] = [:]
        for r in records {
            guard let path = r.trim?.path ?? nil, r.trim?.status == "ok" else { continue }
            if let other = paths[path] {
                throw failure(manifest, "clips \(other) and \(r.clipID) (shards \(owner[other]!.shard) and \(owner[r.clipID]!.shard)) were written to one file \(path): rename one clip id in the input")
            }
            paths[path] = r.clipID
        }
        try Manifest.write(records, to: output)
        let stage = shards[0].state.stage
        func status(_ r: ClipRecord) -> String {
            stage == "download" ? (r.download?.status.rawValue ?? "not attempted") : (r.trim?.status ?? "not attempted")
        }
        return (records.count, coverage(records.map { (status($0), $0.label) }))
    }

    /// extract / prepare-alphabet: every written record once, in input order; every input either
    /// written or counted as skipped in its shard.
    static func mergeLandmarkManifests(_ shards: [Found], owner: [String: (shard: Int, index: Int)], manifest: URL,
                                       output: URL) throws -> (Int, [String]) {
        guard output.deletingLastPathComponent().standardizedFileURL.path == manifest.deletingLastPathComponent().standardizedFileURL.path else {
            throw failure(output, "a merged landmark manifest is written beside its shards (\(manifest.deletingLastPathComponent().path)): its landmark paths are relative to that folder")
        }
        var merged: [(Int, LandmarkRecord)] = []
        var seen: [String: Int] = [:]
        var skipped: [String: Int] = [:]
        var logs: [String] = []
        for s in shards {
            let landmarks: LandmarkManifest
            do { landmarks = try LandmarkManifest.read(contentsOf: s.manifestURL) } catch { throw failure(s.manifestURL, "\(error)") }
            try checkRecords(landmarks.records.map(\.clipID), of: s, owner: owner, seen: &seen, exact: false)
            let shardSkips = s.state.skipped ?? [:]
            let accounted = landmarks.records.count + shardSkips.values.reduce(0, +)
            guard accounted == s.state.items.count else {
                throw failure(s.manifestURL, "shard \(s.shard)/\(s.count) had \(s.state.items.count) inputs but wrote \(landmarks.records.count) and skipped \(accounted - landmarks.records.count): inputs unaccounted for; rerun that shard")
            }
            skipped.merge(shardSkips, uniquingKeysWith: +)
            merged += landmarks.records.map { (owner[$0.clipID]!.index, $0) }
            if let log = s.state.log, let text = try? String(contentsOfFile: log, encoding: .utf8) {
                logs += text.split(separator: "\n").map(String.init)
            }
        }
        let records = merged.sorted { $0.0 < $1.0 }.map(\.1)
        try LandmarkManifest(records: records, baseDirectory: output.deletingLastPathComponent()).write(to: output)
        if let log = shards[0].state.log {
            // One log in input order, as the unsharded run writes it: lines start "<clip id>: ".
            func index(_ line: String) -> Int {
                line.range(of: ": ").flatMap { owner[String(line[..<$0.lowerBound])]?.index } ?? Int.max
            }
            let sorted = logs.enumerated().sorted { (index($0.element), $0.offset) < (index($1.element), $1.offset) }.map(\.element)
            let name = (log as NSString).lastPathComponent.replacingOccurrences(of: ".shard-0-of-\(shards.count)", with: "")
            let url = URL(fileURLWithPath: (log as NSString).deletingLastPathComponent).appendingPathComponent(name)
            do { try OutputFile.write(Data((sorted.joined(separator: "\n") + (sorted.isEmpty ? "" : "\n")).utf8), to: url) } catch let problem as FileProblem {
                throw PipelineError.file(problem)
            }
        }
        var perClass: [String: Int] = [:], order: [String] = []
        for r in records { if perClass[r.label] == nil { order.append(r.label) }; perClass[r.label, default: 0] += 1 }
        var lines = ["written: \(records.count) in \(order.count) class\(order.count == 1 ? "" : "es")"]
        lines += skipped.keys.sorted().filter { skipped[$0]! > 0 }.map { "skipped \(skipped[$0]!): \($0)" }
        lines += order.map { "  \($0): \(perClass[$0]!)" }
        return (records.count, lines)
    }

    /// predict: the shards' result lines (JSON objects with an `item`), items in input order, each
    /// item's lines (one per video window) in the order its shard wrote them.
    static func mergeResultLines(_ shards: [Found], owner: [String: (shard: Int, index: Int)], output: URL) throws -> (Int, [String]) {
        var lines: [(index: Int, order: Int, line: Substring)] = []
        var seen: [String: Int] = [:], errors = 0
        for s in shards {
            let text: String
            do { text = try String(contentsOf: s.manifestURL, encoding: .utf8) } catch {
                throw PipelineError.file(.reading(s.manifestURL.path, error: error))
            }
            var itemsHere: Set<String> = []
            for (n, line) in text.split(separator: "\n").enumerated() {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let item = object["item"] as? String else {
                    throw failure(s.manifestURL, "line \(n + 1): not a result line (a JSON object with an \"item\")")
                }
                if let error = object["error"], !(error is NSNull) { errors += 1 }
                if itemsHere.insert(item).inserted { try checkRecords([item], of: s, owner: owner, seen: &seen, exact: false) }
                lines.append((owner[item]!.index, lines.count, line))
            }
        }
        let sorted = lines.sorted { ($0.index, $0.order) < ($1.index, $1.order) }
        do { try OutputFile.write(Data(sorted.map { $0.line + "\n" }.joined().utf8), to: output) } catch let problem as FileProblem {
            throw PipelineError.file(problem)
        }
        return (sorted.count, ["items with results: \(seen.count) of \(shards[0].state.inputRecords)" + (errors > 0 ? ", \(errors) failed lines" : "")])
    }

    /// A shard's records are its own inputs, each once across all shards (`exact`: all of them).
    static func checkRecords(_ ids: [String], of s: Found, owner: [String: (shard: Int, index: Int)],
                             seen: inout [String: Int], exact: Bool) throws {
        for id in ids {
            guard let own = owner[id] else {
                throw failure(s.manifestURL, "clip \(id) is not a record of the input the shards were cut from: a record from another input; rerun shard \(s.shard)/\(s.count)")
            }
            guard own.shard == s.shard else {
                throw failure(s.manifestURL, "clip \(id) belongs to shard \(own.shard)/\(s.count), not \(s.shard)/\(s.count): the manifest was edited or copied; rerun shard \(s.shard)/\(s.count)")
            }
            if let other = seen[id] {
                throw failure(s.manifestURL, "clip \(id) appears twice (shard \(other)/\(s.count) and \(s.shard)/\(s.count)); rerun shard \(s.shard)/\(s.count)")
            }
            seen[id] = s.shard
        }
        if exact, ids.count != s.state.items.count {
            let missing = Set(s.state.items.map(\.id)).subtracting(ids)
            throw failure(s.manifestURL, "shard \(s.shard)/\(s.count) lacks \(missing.count) of its clips (first: \(missing.sorted().first ?? "?")): rerun it with --resume")
        }
    }

    /// Per-status totals, then per class (lowest coverage first) how many clips are `ok`.
    static func coverage(_ items: [(status: String, label: String)]) -> [String] {
        var statuses: [String: Int] = [:], ok: [String: Int] = [:], all: [String: Int] = [:]
        for item in items {
            statuses[item.status, default: 0] += 1
            all[item.label, default: 0] += 1
            if item.status == "ok" { ok[item.label, default: 0] += 1 }
        }
        var lines = [statuses.keys.sorted().map { "\($0) \(statuses[$0]!)" }.joined(separator: ", ")]
        let classes = all.keys.sorted {
            let a = Double(ok[$0, default: 0]) / Double(all[$0]!), b = Double(ok[$1, default: 0]) / Double(all[$1]!)
            return a != b ? a < b : $0 < $1
        }
        lines.append("per class (lowest coverage first):")
        lines += classes.prefix(15).map { "  \($0): \(ok[$0, default: 0])/\(all[$0]!)" }
        if classes.count > 15 { lines.append("  … \(classes.count - 15) more classes") }
        return lines
    }

    static func failure(_ url: URL, _ message: String) -> PipelineError { .shards(file: url.path, message: message) }
}
