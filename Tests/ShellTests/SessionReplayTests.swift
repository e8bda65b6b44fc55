import Foundation
import TestSupport
import XCTest
@testable import Shell

/// Saved sessions replay anywhere: paths print as the user gave them (absolute stays absolute,
/// relative stays relative), and `aslsh FILE` treats a recorded error cell as `--check` does.
final class SessionReplayTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        directory = try TestEnvironment.temporaryDirectory("aslsh-replay")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// A tiny MS-ASL metadata file: intake prints the manifest path it wrote.
    private func metadata(in folder: URL) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("MSASL_train.json")
        try """
        [{"url": "https://www.youtube.com/watch?v=J7tP98oDxqE", "label": 38, "text": "book", "start_time": 0.0, "end_time": 2.64},
         {"url": "https://www.youtube.com/watch?v=7G6B6kaMjb4", "label": 288, "text": "give", "start_time": 0.0, "end_time": 1.96}]
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    func testSessionWithAbsolutePathsChecksFromAnotherFolder() throws {
        let saved = directory.appendingPathComponent("saved"), elsewhere = directory.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let input = try metadata(in: saved)
        let output = saved.appendingPathComponent("out/manifest.json")
        let session = saved.appendingPathComponent("absolute.aslsh")
        // Saved while the current folder is the one holding every path: they used to print
        // relative to it ("wrote out/manifest.json"), which no other folder could replay.
        let run = try AslshBinary.run(["-c", "intake \(input.path) --out \(output.path); :save \(session.path)"], in: saved)
        XCTAssertEqual(run.status, 0, run.stderr)
        let text = try String(contentsOf: session, encoding: .utf8)
        XCTAssertTrue(text.contains("\n#> wrote \(output.path)\n"), text)

        let check = try AslshBinary.run(["--check", session.path], in: elsewhere)
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertEqual(check.stdout, "check: \(session.path): 1 cells, all match\n")
        let replay = try AslshBinary.run([session.path], in: elsewhere)
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertTrue(replay.stdout.contains("wrote \(output.path)\n"), replay.stdout)
    }

    /// Relative paths print as written and resolve against the current folder, like a shell
    /// script's: the session checks where it was saved (or from a folder where its relative
    /// paths lead to the same files), and fails elsewhere naming the missing file.
    func testRelativePathsStayRelativeAndResolveAgainstTheCurrentFolder() throws {
        let saved = directory.appendingPathComponent("saved"), sibling = directory.appendingPathComponent("sibling")
        try FileManager.default.createDirectory(at: sibling, withIntermediateDirectories: true)
        _ = try metadata(in: saved)
        let session = saved.appendingPathComponent("relative.aslsh")
        let run = try AslshBinary.run(["-c", "intake MSASL_train.json --out out/m.json; "
                                       + "intake ../saved/MSASL_train.json --out ../saved/out/n.json; :save relative.aslsh"], in: saved)
        XCTAssertEqual(run.status, 0, run.stderr)
        let text = try String(contentsOf: session, encoding: .utf8)
        XCTAssertTrue(text.contains("\n#> wrote out/m.json\n"), text)
        XCTAssertTrue(text.contains("\n#> wrote ../saved/out/n.json\n"), "as written, not shortened to out/n.json: \(text)")
        XCTAssertEqual(try AslshBinary.run(["--check", "relative.aslsh"], in: saved).status, 0)

        let other = try AslshBinary.run(["--check", session.path], in: sibling)
        XCTAssertEqual(other.status, 1, other.stdout)
        XCTAssertTrue(other.stdout.contains("cell 1 output differs"), other.stdout)
        XCTAssertTrue(other.stdout.contains("#> error: intake: MSASL_train.json: no such file"), "as written: \(other.stdout)")
        XCTAssertFalse(other.stdout.contains("cell 2 output differs"), "../saved/… leads to the same files from the sibling: \(other.stdout)")
    }

    /// A recorded error cell that fails again as recorded does not stop a replay (exit 0), as it
    /// passes `--check`; an error the session did not record, or a different one, still stops it.
    func testReplayGoesOnPastRecordedErrorsAsCheckDoes() throws {
        let session = directory.appendingPathComponent("errors.aslsh")
        let save = try AslshBinary.run(["--keep-going", "-c", "echo one; lod x; echo two; :save \(session.path)"])
        XCTAssertEqual(save.status, 1, "the error happened while recording")
        let text = try String(contentsOf: session, encoding: .utf8)
        XCTAssertTrue(text.contains("lod x\n#> error: unknown command 'lod' (did you mean 'load'?)\necho two\n"), text)

        let check = try AslshBinary.run(["--check", session.path])
        XCTAssertEqual(check.status, 0, check.stdout)
        let replay = try AslshBinary.run([session.path])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertEqual(replay.stdout, "one\ntwo\n", "replay goes on past the recorded error")
        XCTAssertTrue(replay.stderr.contains("\(session.path):6:1: error (cell 2): unknown command 'lod'"), replay.stderr)
        XCTAssertTrue(replay.stderr.contains("(the session recorded this error; replay goes on)"), replay.stderr)

        // Recorded differently: both stop/fail, naming the cell.
        try text.replacingOccurrences(of: "#> error: unknown command 'lod'", with: "#> error: unknown command 'lode'")
            .write(to: session, atomically: true, encoding: .utf8)
        let changed = try AslshBinary.run([session.path])
        XCTAssertEqual(changed.status, 1, changed.stderr)
        XCTAssertEqual(changed.stdout, "one\n", "an error other than the recorded one stops the replay")
        XCTAssertEqual(try AslshBinary.run(["--check", session.path]).status, 1)

        // Not recorded at all (a plain script): stops, as before.
        try text.replacingOccurrences(of: "#> error: unknown command 'lod' (did you mean 'load'?)\n", with: "")
            .write(to: session, atomically: true, encoding: .utf8)
        let plain = try AslshBinary.run([session.path])
        XCTAssertEqual(plain.status, 1)
        XCTAssertEqual(plain.stdout, "one\n")
        XCTAssertFalse(plain.stderr.contains("replay goes on"), plain.stderr)
    }

    func testHelpSaysWhereRelativePathsResolve() throws {
        XCTAssertTrue(ShellMain.usage.contains("resolve against the current folder"), ShellMain.usage)
    }
}
