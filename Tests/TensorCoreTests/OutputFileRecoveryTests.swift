import Foundation
import TensorCore
import TestSupport
import XCTest

/// What a killed run leaves (temporary siblings) and how the next run clears it; files written
/// together. The kill -9 runs themselves are in ShellTests' CrashConsistencyTests.
final class OutputFileRecoveryTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try TestEnvironment.temporaryDirectory("output-recovery") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func touch(_ name: String) throws { try Data("x".utf8).write(to: folder.appendingPathComponent(name)) }

    func testOnlyTemporaryFilesOfDeadProcessesAreRemoved() throws {
        let finished = Process(), running = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        running.executableURL = URL(fileURLWithPath: "/bin/sleep")
        running.arguments = ["30"]
        try finished.run()
        finished.waitUntilExit()
        try running.run()
        defer { running.terminate() }
        let dead = finished.processIdentifier, alive = running.processIdentifier
        // The real names of a dead writer, of a live one (a background job, a shard) and of this process.
        let stale = OutputFile.temporarySibling(of: folder.appendingPathComponent("train.npz")).lastPathComponent
            .replacingOccurrences(of: ".\(getpid()).", with: ".\(dead).")
        let names = [stale, ".clip.mp4.\(alive).k3x9.tmp", ".m.json.\(getpid()).abc.tmp",
                     ".hidden", "data.tmp", ".x.\(dead).tmp", ".a.b.notapid.tok.tmp", "kept.npy"]
        for name in names { try touch(name) }

        XCTAssertEqual(OutputFile.removeStaleTemporaries(in: folder), [stale])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
                       names.filter { $0 != stale }.sorted())
        XCTAssertEqual(OutputFile.removeStaleTemporaries(in: folder.appendingPathComponent("none")), [], "a missing folder is no error")
    }

    func testFilesWrittenTogetherReplaceTheOldSetOrNothing() throws {
        let urls = ["train", "val", "test"].map { folder.appendingPathComponent("\($0).npz") }
        for url in urls { try Data("old".utf8).write(to: url) }
        struct Refused: Error {}
        // The third file fails: the old set stays whole and no temporary file is left.
        XCTAssertThrowsError(try OutputFile.writeTogether(urls.enumerated().map { i, url in
            (url, { temp in if i == 2 { throw Refused() }; try Data("new".utf8).write(to: temp) })
        }))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["test.npz", "train.npz", "val.npz"])
        for url in urls { XCTAssertEqual(try Data(contentsOf: url), Data("old".utf8)) }

        try OutputFile.writeTogether(urls.map { url in (url, { temp in try Data("new \(url.lastPathComponent)".utf8).write(to: temp) }) })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["test.npz", "train.npz", "val.npz"])
        for url in urls { XCTAssertEqual(try Data(contentsOf: url), Data("new \(url.lastPathComponent)".utf8)) }
    }
}
