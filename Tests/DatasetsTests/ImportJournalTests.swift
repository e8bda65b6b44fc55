import XCTest
import TensorCore
import TestSupport
@testable import Datasets

/// The journal a long run keeps beside its manifest: lines survive a reopen with `--resume`, a
/// line cut short by a kill is dropped (and does not swallow the next one), a run without
/// `--resume` starts empty, each manifest has its own, and a record counts only with whole files.
final class ImportJournalTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestEnvironment.temporaryDirectory("aslsh-journal") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func record(_ id: String, frames: Int = 3) -> LandmarkRecord {
        LandmarkRecord(clipID: id, label: "A", sourceFile: "/v/\(id).mp4", frameCount: frames, detectedFrames: frames - 1,
                       landmarks: "landmarks/\(id).npy", mask: "landmarks/\(id).mask.npy", hasZ: true, fps: 29.97,
                       metadata: ["frames_read": .int(frames), "frames_detected": .int(frames - 1)])
    }

    func testTornLastLineIsDroppedAndTheJournalGoesOn() throws {
        let manifest = dir.appendingPathComponent("m.json")
        let first = [JournalEntry(clipID: "a", record: record("a")),
                     JournalEntry(clipID: "b", skipped: "no frames in span", log: "b: no decoded frame within [0.0, 1.0]")]
        do {
            let (journal, entries) = try ImportJournal.open(for: manifest, resume: true)
            XCTAssertEqual(entries, [], "no journal yet")
            for entry in first { try journal.append(entry) }
        }
        let url = ImportJournal.url(for: manifest)
        XCTAssertEqual(url.lastPathComponent, ".m.json.journal.jsonl")
        let whole = try Data(contentsOf: url)
        // A kill in the middle of the third line.
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        handle.write(Data(#"{"clip_id":"c","rec"#.utf8))
        try handle.close()

        let (journal, entries) = try ImportJournal.open(for: manifest, resume: true)
        XCTAssertEqual(entries, first)
        XCTAssertEqual(try Data(contentsOf: url), whole, "the torn line is cut off")
        try journal.append(JournalEntry(clipID: "c", record: record("c")))
        XCTAssertEqual(ImportJournal.parse(try Data(contentsOf: url)).entries.map(\.clipID), ["a", "b", "c"])

        _ = try ImportJournal.open(for: manifest, resume: false)
        XCTAssertEqual(try Data(contentsOf: url).count, 0, "a run without --resume starts anew")
        journal.remove()
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    func testEachManifestHasItsOwnJournal() {
        let names = ["m.json", "m.shard-1-of-2.json", "m.shard-2-of-2.json"].map {
            ImportJournal.url(for: dir.appendingPathComponent($0)).lastPathComponent
        }
        XCTAssertEqual(Set(names).count, 3, "\(names)")
    }

    func testRecordCountsOnlyWithWholeFiles() throws {
        let manifest = LandmarkManifest(records: [], baseDirectory: dir)
        let r = record("a")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("landmarks"), withIntermediateDirectories: true)
        XCTAssertFalse(manifest.hasCompleteFiles(r), "no files")
        let clip = LandmarkClip(values: [Float](repeating: 0.5, count: 3 * 63), mask: [true, true, false])
        try clip.write(landmarks: manifest.resolve(r.landmarks), mask: manifest.resolve(r.mask))
        XCTAssertTrue(manifest.hasCompleteFiles(r))
        XCTAssertFalse(manifest.hasCompleteFiles(record("a", frames: 4)), "another frame count")
        let data = try Data(contentsOf: manifest.resolve(r.landmarks))
        try data.prefix(data.count - 10).write(to: manifest.resolve(r.landmarks))
        XCTAssertFalse(manifest.hasCompleteFiles(r), "a truncated landmark file")
    }
}
