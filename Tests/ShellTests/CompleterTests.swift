import XCTest
import TestSupport
@testable import Shell

final class CompleterTests: XCTestCase {
    private func completer() throws -> Completer {
        let shell = ShellHarness()
        _ = try shell.output("lm = 1; labels = 2")
        return Completer(session: shell.session)
    }

    func testCommandsAndVariablesInCommandPosition() throws {
        let c = try completer()
        XCTAssertEqual(c.complete(line: "cou", cursor: 3).candidates, ["count", "count-to"])
        XCTAssertEqual(c.complete(line: "x = lo", cursor: 6).candidates, ["load"])
        XCTAssertEqual(c.complete(line: "lm | so", cursor: 7).candidates, ["sort"])
        XCTAssertEqual(c.complete(line: ":he", cursor: 3).candidates, [":help"])
        XCTAssertEqual(c.complete(line: "l", cursor: 1).candidates, ["labels", "lm", "load"])
    }

    func testFlagsOfTheCurrentCommand() throws {
        let c = try completer()
        XCTAssertEqual(c.complete(line: "count-to 5 --d", cursor: 14).candidates, ["--delay"])
        XCTAssertEqual(c.complete(line: "lm | sort --", cursor: 12).candidates, ["--numeric", "--reverse"])
        XCTAssertEqual(c.complete(line: "nosuch --", cursor: 9).candidates, [])
    }

    func testVariablesPathsAndHelpTopics() throws {
        let c = try completer()
        XCTAssertEqual(c.complete(line: "print la", cursor: 8).candidates, ["labels"])
        XCTAssertEqual(c.complete(line: ":help sl", cursor: 8).candidates, ["sleep"])
        let directory = try TestEnvironment.temporaryDirectory("aslsh-complete")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data().write(to: directory.appendingPathComponent("train.npz"))
        try Data().write(to: directory.appendingPathComponent(".hidden"))
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tracks"), withIntermediateDirectories: true)
        let line = "load \(directory.path)/tr"
        XCTAssertEqual(c.complete(line: line, cursor: line.count).candidates,
                       ["\(directory.path)/tracks/", "\(directory.path)/train.npz"])
        let all = "load \(directory.path)/"
        XCTAssertFalse(c.complete(line: all, cursor: all.count).candidates.contains { $0.hasSuffix(".hidden") })
    }

    func testCursorInTheMiddleCompletesTheWordBeforeIt() throws {
        let c = try completer()
        XCTAssertEqual(c.complete(line: "ech lm", cursor: 3).candidates, ["echo"])
    }

    func testInsertion() {
        XCTAssertEqual(Completer.insertion(word: "cou", candidates: ["count", "count-to"]), "nt")
        XCTAssertEqual(Completer.insertion(word: "ec", candidates: ["echo"]), "ho ")
        XCTAssertEqual(Completer.insertion(word: "da", candidates: ["data/"]), "ta/")
        XCTAssertEqual(Completer.insertion(word: "x", candidates: []), "")
    }
}
