import Foundation
import TensorCore
import TestSupport
import XCTest

/// Crash consistency of the long stages: the real `aslsh` executable is killed with SIGKILL —
/// at exact places through the `ASLSH_CRASH_AT` test hook (`before-rename:N`: the N-th output's
/// temporary file is complete but not yet renamed; `after-rename:N`: just after that rename) and
/// after a fraction of an uninterrupted run's time — and rerun with `--resume`. At each kill,
/// every file under its final name must be complete (equal to what the uninterrupted run wrote
/// under that name, or, for files a run rewrites as it goes, readable); after the rerun the
/// outputs must equal the uninterrupted run's and no temporary file may be left.
///
/// Fields that are honest information about one run, and so differ after a resume, are left out
/// of the comparison (and only those): `download.message`/`download.attempts` ("already
/// downloaded (--resume)", 0) and `trim.message` ("kept existing clip (--resume)") in the
/// manifests; each epoch's `seconds` in `train`'s metrics log; for checkpoints the tensors are
/// compared (their metadata holds the epochs' durations and the run's start time).
final class CrashConsistencyTests: XCTestCase {
    enum Kill: CustomStringConvertible {
        case at(String)          // ASLSH_CRASH_AT value
        case after(Double)       // fraction of the uninterrupted run's time
        var description: String {
            switch self {
            case .at(let point): return "ASLSH_CRASH_AT=\(point)"
            case .after(let fraction): return "SIGKILL after \(Int(fraction * 100))% of the run"
            }
        }
    }

    struct Stage {
        var name: String
        var arguments: [String]
        /// The folders (relative to the work folder) the stage writes; they are emptied before each run.
        var outputs: [String]
        var kills: [Kill]
        /// The rerun after a kill (default: the arguments + `--resume`).
        var resume: ((URL) -> [String])? = nil
        /// Comparable bytes of an output (volatile fields removed).
        var comparable: (String, Data) throws -> Data = { _, data in data }
        /// Files a run rewrites as it goes (a checkpoint): at a kill they must only be readable.
        var evolving: (String) -> Bool = { _ in false }
        /// Run before each trial (e.g. an older build whose files the new one replaces).
        var before: [[String]] = []
        /// At a kill, files under their final names must all come from one run: the older one
        /// (`before`) or the new one.
        var oneGeneration = false
        /// Stages that journal each finished clip (extract, prepare-alphabet): by `ASLSH_CRASH_AT`
        /// value, how many clips the rerun must keep as the killed run left them — their two
        /// `.npy` files untouched (same inode and modification time), and its summary saying so.
        var kept: [String: Int] = [:]
    }

    var work: URL!

    override func setUpWithError() throws {
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        work = try TestEnvironment.temporaryDirectory("aslsh-crash")
    }

    override func tearDownWithError() throws { if let work { try? FileManager.default.removeItem(at: work) } }

    // MARK: the stages

    func testBuildIsCrashConsistent() throws {
        try aslsh(["synth", "--classes", "A", "B", "C", "--per-class", "12", "--seed", "4", "--out", "synth"])
        let build = ["build", "synth/synth_manifest.json", "--static", "--out", "ds"]
        try assertCrashConsistent(Stage(
            name: "build", arguments: build, outputs: ["ds"],
            kills: [.at("before-rename:1"), .at("before-rename:3"), .at("after-rename:1"), .at("after-rename:2")],
            before: [build + ["--seed", "7"]], oneGeneration: true))
    }

    func testTrainResumesToTheSameWeights() throws {
        try aslsh(["synth", "--classes", "A", "B", "C", "--per-class", "12", "--seed", "4", "--out", "synth"])
        try aslsh(["build", "synth/synth_manifest.json", "--static", "--out", "ds"])
        let train = ["train", "ds/train.npz", "--val", "ds/val.npz", "--architecture", "mlp", "--hidden-dim", "32",
                     "--epochs", "12", "--batch-size", "8", "--dropout", "0.2", "--augment-jitter", "0.02", "--augment-mirror", "--seed", "3", "--out", "net"]
        // Each epoch writes the best checkpoint when it improves, the last checkpoint and the
        // metrics log: the run's final write is the log after the N-th output.
        try aslsh(train.dropLast() + ["probe"])
        let epochs = try String(contentsOf: work.appendingPathComponent("probe/mlp_metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        var best = -1.0, outputs = 0
        for epoch in epochs {
            let score = (epoch["val_acc"] as! NSNumber).doubleValue
            outputs += score > best ? 3 : 2
            best = max(best, score)
        }
        try assertCrashConsistent(Stage(
            name: "train", arguments: train, outputs: ["net"],
            kills: [.at("before-rename:2"), .at("after-rename:9"), .at("before-rename:\(outputs)"), .after(0.5)],
            resume: { work in
                let last = work.appendingPathComponent("net/mlp_last.safetensors")
                return FileManager.default.fileExists(atPath: last.path) ? train + ["--resume", "net/mlp_last.safetensors"] : train
            },
            comparable: { path, data in
                if path.hasSuffix(".safetensors") { return try Self.tensorBytes(data, path) }
                if path.hasSuffix(".jsonl") { return try Self.jsonLines(data, removing: ["seconds"]) }
                return data
            },
            evolving: { _ in true }))
    }

    func testPrepareAlphabetIsCrashConsistent() throws {
        let photos = try sharedFolder("realdata/asl_alphabet_photos_224/test")
        for letter in ["A", "B"] {
            let folder = work.appendingPathComponent("photos/\(letter)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for i in 0..<2 {
                try FileManager.default.copyItem(at: photos.appendingPathComponent("\(letter)/\(letter)\(i).jpg"),
                                                 to: folder.appendingPathComponent("\(letter)\(i).jpg"))
            }
        }
        // Two files a photo (landmarks, mask), then the manifest. A photo is noted in the journal
        // once both are in place: killed just after the second photo's mask is renamed, the
        // rerun keeps the first photo and tracks the other three.
        try assertCrashConsistent(Stage(
            name: "prepare-alphabet",
            arguments: ["prepare-alphabet", "photos", "--out", "alpha", "--hands", "1", "--model-complexity", "lite",
                        "--models", try models()],
            outputs: ["alpha"], kills: [.at("before-rename:1"), .at("after-rename:4"), .at("after-rename:5"), .at("before-rename:9"), .after(0.6)],
            kept: ["before-rename:1": 0, "after-rename:4": 1, "after-rename:5": 2, "before-rename:9": 4]))
    }

    func testExtractIsCrashConsistent() throws {
        let videos = try sharedFolder("realdata/msasl_videos")
        // Two clips, each with frames where no hand is found, so the log has a line for each.
        try writeManifest(clips([("7G6B6kaMjb4", 0, 0.98), ("7G6B6kaMjb4", 0.98, 1.96)], downloadedFrom: videos), to: "clips.json")
        // Each clip's landmarks and mask, then the log and the manifest. A clip is noted in the
        // journal once both files are in place: killed just after the first clip's mask is
        // renamed, the rerun tracks both clips; just after the second clip's landmarks, it keeps
        // the first; before the manifest, it keeps both and writes their log lines again.
        try assertCrashConsistent(Stage(
            name: "extract",
            arguments: ["extract", "clips.json", "--out", "lm", "--sequence-length", "16", "--frame-skip", "2", "--hands", "1",
                        "--model-complexity", "lite", "--workers", "1", "--models", try models()],
            outputs: ["lm"], kills: [.at("before-rename:1"), .at("after-rename:2"), .at("after-rename:3"), .at("before-rename:6"), .after(0.5)],
            kept: ["before-rename:1": 0, "after-rename:2": 0, "after-rename:3": 1, "before-rename:6": 2]))
    }

    func testTrimIsCrashConsistent() throws {
        let videos = try sharedFolder("realdata/msasl_videos")
        try writeManifest(clips([("HPz_C5XM4o4", 2.462, 4.148), ("7G6B6kaMjb4", 0, 1.96)]), to: "clips.json")
        try assertCrashConsistent(Stage(
            name: "trim", arguments: ["trim", "clips.json", "--out", "trimmed/manifest_trimmed.json", "--clips", "clips",
                                      "--videos", videos.path],
            outputs: ["trimmed", "clips"], kills: [.at("before-rename:1"), .at("after-rename:1"), .at("before-rename:3"), .after(0.5)],
            comparable: { path, data in path.hasSuffix(".json") ? try Self.json(data, removing: ["trim": ["message"]]) : data }))
    }

    func testDownloadIsCrashConsistent() throws {
        guard (try? ExternalTool.run(["yt-dlp", "--version"])) != nil else {
            throw XCTSkip("yt-dlp is not installed: run scripts/setup.sh")
        }
        let videos = try sharedFolder("realdata/msasl_videos")
        let server = try ExternalTool.serveFolderOverHTTP(videos)
        defer { server.process.terminate() }
        // One video with two clips: yt-dlp's start-up (~1.7 s of CPU) is most of a run.
        var records = clips([("J7tP98oDxqE", 0, 1.2), ("J7tP98oDxqE", 1.2, 2.64)])
        for i in records.indices {
            records[i]["url"] = "http://127.0.0.1:\(server.port)/\(records[i]["video_id"]!).mp4"
        }
        try writeManifest(records, to: "clips.json")
        // The video's rename, then the manifest.
        try assertCrashConsistent(Stage(
            name: "download", arguments: ["download", "clips.json", "--out", "dl/manifest_downloaded.json", "--videos", "videos",
                                          "--concurrency", "1", "--retries", "0"],
            outputs: ["dl", "videos"], kills: [.at("before-rename:1"), .at("after-rename:1"), .after(0.5)],
            comparable: { path, data in
                path.hasSuffix(".json") ? try Self.json(data, removing: ["download": ["message", "attempts"]]) : data
            }))
    }

    // MARK: the check

    func assertCrashConsistent(_ stage: Stage, file: StaticString = #filePath, line: UInt = #line) throws {
        try clearOutputs(stage)
        let started = Date()
        try aslsh(stage.arguments)
        let seconds = Date().timeIntervalSince(started)
        let reference = try files(stage)
        XCTAssertFalse(reference.isEmpty, "\(stage.name) wrote nothing", file: file, line: line)
        XCTAssertEqual(reference.keys.filter(Self.isHidden), [], "\(stage.name): hidden files after a clean run", file: file, line: line)
        var older: [String: Data] = [:]
        if !stage.before.isEmpty {
            try clearOutputs(stage)
            for command in stage.before { try aslsh(command) }
            older = try files(stage)
        }

        for kill in stage.kills {
            try clearOutputs(stage)
            for command in stage.before { try aslsh(command) }
            let killed = try runKilled(stage.arguments, kill, seconds: seconds)
            let context = "\(stage.name), \(kill)"
            if kill.isHook { XCTAssertTrue(killed, "\(context): the run was not killed (fewer outputs than planned?)", file: file, line: line) }
            try assertNoProcessLeft(context)

            // Killed with a complete temporary file not yet renamed: the debris the rerun must clear.
            let atKill = try files(stage)
            let stampsAtKill = try stamps(stage)
            if case .at(let point) = kill, point.hasPrefix("before-rename") {
                XCTAssertTrue(atKill.keys.contains(where: Self.isHidden), "\(context): no temporary file at the kill", file: file, line: line)
            }
            // Every file under its final name is complete.
            let visible = atKill.filter { !Self.isHidden($0.key) }
            for (path, data) in visible.sorted(by: { $0.key < $1.key }) {
                if stage.evolving(path) {
                    XCTAssertNoThrow(try Self.parse(path, data), "\(context): \(path) is not a complete file", file: file, line: line)
                } else if stage.oneGeneration {
                    continue   // below
                } else if let expected = reference[path] {
                    XCTAssertEqual(try stage.comparable(path, data), try stage.comparable(path, expected),
                                   "\(context): \(path) differs from the uninterrupted run's", file: file, line: line)
                } else {
                    XCTFail("\(context): \(path) is not an output of the uninterrupted run", file: file, line: line)
                }
            }
            if stage.oneGeneration {
                let new = visible.allSatisfy { reference[$0.key] == $0.value }, old = visible.allSatisfy { older[$0.key] == $0.value }
                XCTAssertTrue(new || old, "\(context): old and new files side by side: \(visible.keys.sorted())", file: file, line: line)
            }

            // The rerun finishes the work: the same outputs, nothing temporary left.
            let report = try aslsh(stage.resume?(work) ?? stage.arguments + ["--resume"])
            if case .at(let point) = kill, let kept = stage.kept[point] {
                let stampsAfter = try stamps(stage)
                let untouched = stampsAtKill.filter { $0.key.hasSuffix(".npy") && !Self.isHidden($0.key) && stampsAfter[$0.key] == $0.value }
                XCTAssertEqual(untouched.count, 2 * kept, "\(context): clip files kept by the rerun: \(untouched.keys.sorted())", file: file, line: line)
                let said = report.contains("kept \(kept) clip\(kept == 1 ? "" : "s") an earlier run had finished")
                XCTAssertTrue(kept == 0 ? !report.contains("an earlier run had finished") : said, "\(context): rerun's report:\n\(report)", file: file, line: line)
            }
            let after = try files(stage)
            XCTAssertEqual(after.keys.sorted(), reference.keys.sorted(), "\(context): files after the rerun", file: file, line: line)
            for (path, data) in after.sorted(by: { $0.key < $1.key }) {
                guard let expected = reference[path] else { continue }
                XCTAssertEqual(try stage.comparable(path, data), try stage.comparable(path, expected),
                               "\(context): \(path) after the rerun differs from the uninterrupted run's", file: file, line: line)
            }
        }
    }

    // MARK: running aslsh

    /// Runs aslsh in the work folder; it must succeed.
    @discardableResult
    func aslsh(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try AslshBinary.run(arguments, in: work)
        guard result.status == 0 else {
            throw NSError(domain: "CrashConsistencyTests", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "aslsh \(arguments.joined(separator: " ")) exited \(result.status):\n\(result.stderr)"])
        }
        return result.stdout
    }

    /// Runs aslsh and kills it as `kill` says; true when it was killed (not finished first).
    func runKilled(_ arguments: [String], _ kill: Kill, seconds: Double) throws -> Bool {
        let process = Process()
        process.executableURL = AslshBinary.url!
        process.arguments = arguments
        process.currentDirectoryURL = work
        var environment = ProcessInfo.processInfo.environment
        if case .at(let point) = kill { environment["ASLSH_CRASH_AT"] = point }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        if case .after(let fraction) = kill {
            Thread.sleep(forTimeInterval: seconds * fraction)
            Foundation.kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
    }

    /// No process started by the killed run (yt-dlp, which works in the run's folder) goes on
    /// writing there.
    func assertNoProcessLeft(_ context: String) throws {
        let folder = work.resolvingSymlinksInPath().path
        let deadline = Date().addingTimeInterval(3)
        var left: [String] = []
        repeat {
            let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }
            left = pids.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/cwd")) == folder }.map { pid in
                let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0.map { $0 == 0 ? 32 : $0 }, as: UTF8.self) }
                return "\(pid): \(line ?? "?")"
            }
            if left.isEmpty { return }
            usleep(50_000)
        } while Date() < deadline
        XCTFail("\(context): processes of the killed run still running: \(left)")
    }

    // MARK: files

    static func isHidden(_ path: String) -> Bool { path.split(separator: "/").contains { $0.hasPrefix(".") } }

    func clearOutputs(_ stage: Stage) throws {
        for folder in stage.outputs { try? FileManager.default.removeItem(at: work.appendingPathComponent(folder)) }
    }

    /// The inode and modification time of every file under the stage's output folders, by path.
    func stamps(_ stage: Stage) throws -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for folder in stage.outputs {
            let root = work.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(atPath: root.path) else { continue }
            while let relative = walker.nextObject() as? String {
                var info = stat()
                guard lstat(root.appendingPathComponent(relative).path, &info) == 0 else { continue }
                result["\(folder)/\(relative)"] = [Int(info.st_ino), info.st_mtim.tv_sec, info.st_mtim.tv_nsec]
            }
        }
        return result
    }

    /// Every regular file under the stage's output folders (hidden ones too), by path.
    func files(_ stage: Stage) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for folder in stage.outputs {
            let root = work.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(atPath: root.path) else { continue }
            while let relative = walker.nextObject() as? String {
                let url = root.appendingPathComponent(relative)
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
                result["\(folder)/\(relative)"] = try Data(contentsOf: url)
            }
        }
        return result
    }

    func models() throws -> String {
        guard let model = TestEnvironment.mediapipeModel("hand_landmark_lite") else {
            throw XCTSkip("MediaPipe's model files are missing: run scripts/setup.sh")
        }
        return model.deletingLastPathComponent().path
    }

    func sharedFolder(_ relative: String) throws -> URL {
        guard let url = TestEnvironment.sharedPath(relative) else { throw XCTSkip(TestEnvironment.sharedMissingMessage) }
        return url
    }

    /// Manifest records of MS-ASL clips (video id, start, end); with `downloadedFrom`, each has
    /// its video's file there as a finished download.
    func clips(_ spans: [(String, Double, Double)], downloadedFrom folder: URL? = nil) -> [[String: Any]] {
        spans.enumerated().map { i, span in
            var record: [String: Any] = ["clip_id": "\(span.0)__\(span.1)_\(span.2)", "video_id": span.0,
                                         "url": "https://www.youtube.com/watch?v=\(span.0)", "label": i % 2 == 0 ? "book" : "give",
                                         "label_index": i % 2, "start_time": span.1, "end_time": span.2, "source": "msasl",
                                         "metadata": [String: Any]()]
            if let folder {
                record["download"] = ["status": "ok", "path": folder.appendingPathComponent("\(span.0).mp4").path, "attempts": 1]
            }
            return record
        }
    }

    func writeManifest(_ records: [[String: Any]], to name: String) throws {
        try JSONSerialization.data(withJSONObject: records, options: [.sortedKeys]).write(to: work.appendingPathComponent(name))
    }

    /// Reads a file by its kind; throws when it is not complete.
    static func parse(_ path: String, _ data: Data) throws {
        switch (path as NSString).pathExtension {
        case "safetensors": _ = try Safetensors.decode(data, file: path)
        case "npy": _ = try NPY.decode(data, file: path)
        case "json": _ = try JSONSerialization.jsonObject(with: data)
        case "jsonl": _ = try jsonLines(data, removing: [])
        default: break
        }
    }

    /// A checkpoint's tensors (names, shapes, values), without its metadata.
    static func tensorBytes(_ data: Data, _ path: String) throws -> Data {
        var bytes = Data()
        for (name, array) in try Safetensors.decode(data, file: path).tensors.sorted(by: { $0.name < $1.name }) {
            bytes += Data(name.utf8) + NPY.encode(array)
        }
        return bytes
    }

    /// JSON lines with `keys` removed from each object.
    static func jsonLines(_ data: Data, removing keys: [String]) throws -> Data {
        var out = Data()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw NSError(domain: "jsonl", code: 1)
            }
            for key in keys { object[key] = nil }
            out += try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) + Data("\n".utf8)
        }
        return out
    }

    /// A manifest (JSON array of records) with `fields[object]` removed from each record's object.
    static func json(_ data: Data, removing fields: [String: [String]]) throws -> Data {
        guard var records = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return data }
        for i in records.indices {
            for (key, names) in fields {
                guard var inner = records[i][key] as? [String: Any] else { continue }
                for name in names { inner[name] = nil }
                records[i][key] = inner
            }
        }
        return try JSONSerialization.data(withJSONObject: records, options: [.sortedKeys, .prettyPrinted])
    }
}

extension CrashConsistencyTests.Kill {
    var isHook: Bool { if case .at = self { return true } else { return false } }
}
