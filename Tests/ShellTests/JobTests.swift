import Foundation
import JobControl
import TestSupport
import XCTest
@testable import Shell

/// Background jobs in one session: `cell &` returns at once; `wait`, a use of the job's variable,
/// `fg` and `cancel` end it; `jobs` lists it; outputs two jobs would share are refused; Ctrl-C
/// reaches only the foreground. The command `hold` prints a line, then works (reporting progress)
/// until cancelled or `--ticks` run out, writing `--out` at the end.
final class JobTests: XCTestCase {
    static let hold = CommandDefinition(
        "hold", summary: "test: tick until cancelled",
        flags: [FlagSpec("out", .path, "file written at the end", default: .path("held.txt")),
                FlagSpec("ticks", .int, "ticks before it ends", default: .int(1_000_000)),
                FlagSpec("fail", .bool, "fail after the first tick"),
                FlagSpec("shard", .string, "a slice, as the heavy stages take it")]
    ) { call in
        call.session.print("holding \(call.int("ticks")!)")
        let progress = ProgressReporter(label: "hold", total: call.int("ticks")!, unit: "ticks")
        for tick in 0..<call.int("ticks")! {
            usleep(2_000)
            try progress.advance()
            if tick == 0, call.bool("fail") { throw call.failure("gave up on purpose") }
        }
        progress.finish()
        try Data("held\n".utf8).write(to: call.url("out")!)
        return .record(Record([(key: "ticks", value: .int(call.int("ticks")!))]))
    }

    var directory: URL!
    var shell: ShellHarness!
    /// The cells use relative paths, so each test runs in its own folder; the process's folder is
    /// put back afterwards (tests after these run in the same process).
    private var originalDirectory = ""

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory("aslsh-jobs")
        originalDirectory = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(directory.path)
        shell = ShellHarness(registry: CommandRegistry(CommandRegistry.standardCommandSets.flatMap { $0 } + [Self.hold]))
        Cancellation.interactive.reset()
    }

    override func tearDownWithError() throws {
        shell.session.cancelRunningJobs()
        Cancellation.interactive.reset()
        FileManager.default.changeCurrentDirectoryPath(originalDirectory)
        try? FileManager.default.removeItem(at: directory)
    }

    private func running(_ job: Int) -> Bool { shell.session.jobs[job]?.isRunning ?? false }

    func testBackgroundCellReturnsAtOnceAndWaitShowsItsOutputAndBindsTheResult() throws {
        let start = ProgressReporter.monotonicSeconds()
        XCTAssertEqual(shell.lines("h = hold --ticks 150 &"), ["[1] started: h = hold --ticks 150"])
        XCTAssertLessThan(ProgressReporter.monotonicSeconds() - start, 0.2, "a background cell returns at once")
        XCTAssertTrue(running(1))
        XCTAssertEqual(shell.lines("echo free"), ["free"], "the prompt is free meanwhile")
        XCTAssertEqual(shell.session.variables["h"]?.typeName, "job")
        // What the job printed appears in the cell that waits, not before.
        XCTAssertEqual(shell.lines("wait h"), ["holding 150"])
        XCTAssertFalse(running(1))
        XCTAssertTrue(shell.session.jobs.jobs.isEmpty, "a waited-for job leaves the list")
        XCTAssertEqual(try shell.value("h.ticks").map { ValueFormatter.inline($0) }, "150")
        XCTAssertEqual(try String(contentsOf: directory.appendingPathComponent("held.txt"), encoding: .utf8), "held\n")
    }

    func testUsingTheVariableWaitsAndAnUnassignedJobEchoesItsValueAtWait() throws {
        shell.lines("h = hold --ticks 50 &")
        let outcome = shell.session.execute(CellSource(text: "h.ticks"))
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.output.filter { !$0.isVolatile }.map(\.text), ["holding 50", "50"])
        XCTAssertTrue(outcome.output.contains { $0.isVolatile && $0.text.hasPrefix("waiting for job [1] h = hold") }
                        || !outcome.output.contains { $0.isVolatile }, "\(outcome.output)")

        shell.lines("hold --ticks 5 --out two.txt &")
        XCTAssertEqual(shell.lines("wait %2"), ["holding 5", "ticks  5"])
        XCTAssertEqual(shell.lines("wait"), [], "nothing left to wait for")
    }

    func testJobsListsStateProgressAndTimesAsVolatileLines() throws {
        shell.lines("h = hold &")
        Thread.sleep(forTimeInterval: 0.3)
        let outcome = shell.session.execute(CellSource(text: "jobs"))
        XCTAssertTrue(outcome.output.allSatisfy(\.isVolatile), "timings vary: --check ignores them")
        let text = outcome.output.map(\.text).joined(separator: "\n")
        XCTAssertTrue(text.contains("[1]  running  hold "), text)
        XCTAssertTrue(text.contains("/1000000 ticks (0%)"), text)
        XCTAssertTrue(text.contains("h = hold"), text)
        XCTAssertEqual(shell.session.execute(CellSource(text: ":vars")).output.last?.text.hasPrefix("h     job"), true)
    }

    func testCancelStopsTheJobAndTheVariableKeepsItsEarlierValue() throws {
        shell.lines("h = 5")
        shell.lines("h = hold &")
        Thread.sleep(forTimeInterval: 0.1)
        let outcome = shell.session.execute(CellSource(text: "cancel h"))
        XCTAssertNil(outcome.error, "\(String(describing: outcome.error))")
        XCTAssertTrue(outcome.output.last?.text.hasPrefix("job [1] h = hold cancelled after") ?? false, "\(outcome.output)")
        XCTAssertEqual(try shell.value("h").map { ValueFormatter.inline($0) }, "5")
        XCTAssertTrue(shell.session.jobs.jobs.isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("held.txt").path),
                       "a cancelled job writes nothing more")
        // Bad references name the job.
        XCTAssertEqual(shell.error("cancel 1")?.message, "no job 1")
        XCTAssertEqual(shell.error("wait 7")?.message, "no job 7")
        XCTAssertEqual(shell.error("fg nothing")?.message, "'nothing' is not a job")
        shell.lines("q = hold --ticks 1 &")
        XCTAssertTrue(shell.session.jobs[2]!.waitForEnd(seconds: 5))
        let finished = shell.error("cancel q")
        XCTAssertEqual(finished?.message, "cancel: job [2] q = hold --ticks 1 already ended (done)")
        XCTAssertEqual(finished?.hint, "'wait 2' shows its output and binds q")
    }

    func testAFailedJobIsAnnouncedThenIsTheErrorOfTheCellThatWaits() throws {
        shell.lines("f = hold --fail &")
        XCTAssertTrue(shell.session.jobs[1]!.waitForEnd(seconds: 5))
        let announced = shell.session.jobAnnouncements()
        XCTAssertEqual(announced.count, 1)
        XCTAssertTrue(announced[0].hasPrefix("[1] f = hold --fail: failed after 0:00: hold: gave up on purpose"), announced[0])
        XCTAssertEqual(shell.session.jobAnnouncements(), [], "announced once")
        let error = shell.error("wait f")
        XCTAssertEqual(error?.message, "job [1] f = hold --fail failed: hold: gave up on purpose")
        XCTAssertNil(shell.session.variables["f"], "a failed assignment binds nothing")
    }

    func testTwoJobsWritingTheSameOutputAreRefusedNamingBoth() throws {
        shell.lines("a = hold --out shared/x.txt &")
        let second = shell.error("b = hold --out shared/x.txt &")
        XCTAssertEqual(second?.message, "hold --out shared/x.txt would write where job [1] a = hold --out shared/x.txt writes (its --out shared/x.txt)")
        XCTAssertEqual(second?.hint, "wait 1 first, or choose another --out")
        XCTAssertNil(shell.session.variables["b"])
        // A folder holding the other's file overlaps too, and so does a foreground cell.
        XCTAssertEqual(shell.error("hold --out shared --ticks 1")?.message,
                       "hold --out shared would write where job [1] a = hold --out shared/x.txt writes (its --out shared/x.txt)")
        XCTAssertNil(shell.error("c = hold --out other.txt --ticks 1 &"))
        // Slices of one stage write different files under the same --out.
        XCTAssertNil(shell.error("s0 = hold --out sliced --shard 0/2 &"))
        XCTAssertNil(shell.error("s1 = hold --out sliced --shard 1/2 &"))
        XCTAssertEqual(shell.error("s2 = hold --out sliced --shard 1/2 &")?.kind, .invalidArgument)
        XCTAssertTrue(Session.overlaps(URL(fileURLWithPath: "/a/b"), URL(fileURLWithPath: "/a/b/c.json")))
        XCTAssertFalse(Session.overlaps(URL(fileURLWithPath: "/a/b"), URL(fileURLWithPath: "/a/bc")))
    }

    func testCtrlCReachesTheForegroundOnlyAndWaitStopsWaitingWhileFgCancels() throws {
        shell.lines("h = hold &")
        // Ctrl-C while another cell runs in the foreground: that cell stops, the job does not.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { Cancellation.interactive.request() }
        XCTAssertEqual(shell.error("count-to 100000 --delay 1 --quiet")?.kind, .cancelled)
        XCTAssertTrue(running(1))
        // Ctrl-C during `wait`: it stops waiting; the job runs on.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { Cancellation.interactive.request() }
        let stopped = shell.error("wait 1")
        XCTAssertEqual(stopped?.kind, .cancelled)
        XCTAssertEqual(stopped?.message, "stopped waiting for job [1] h = hold; it is still running")
        XCTAssertTrue(running(1))
        // Ctrl-C during `fg`: the job is the foreground, so it is cancelled.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { Cancellation.interactive.request() }
        XCTAssertEqual(shell.error("fg 1")?.message, "job [1] h = hold was cancelled")
        XCTAssertFalse(running(1))
    }

    func testCellsThatCannotRunInTheBackgroundAreRefused() throws {
        XCTAssertEqual(shell.error(":quit &")?.message, "':quit' cannot run in the background")
        XCTAssertEqual(shell.error("jobs &")?.message, "'jobs' cannot run in the background")
        XCTAssertEqual(shell.error("x = 1 &")?.message, "only a command runs in the background ('&'); this cell starts with a value")
        XCTAssertEqual(shell.error("echo a & echo b")?.message, "'&' runs the cell in the background: it must end the cell (before 'echo')")
        XCTAssertEqual(shell.error(":nice 5 echo a")?.message, "':nice' lowers a background job's priority: end the cell with '&'")
        XCTAssertEqual(shell.error(":nice 40 echo a &")?.message,
                       "':nice' takes a niceness from 0 to 19, then the cell, e.g. ':nice 10 extract m.json &'")
        XCTAssertEqual(shell.error("hold --tick 3 &")?.kind, .unknownFlag, "arguments bind before the job starts")
        XCTAssertTrue(shell.session.jobs.jobs.isEmpty)
        shell.lines("h = hold &")
        XCTAssertEqual(shell.error(":reset")?.message, ":reset: job [1] h = hold is running")
    }

    func testNiceLowersTheJobThreadsPriority() throws {
        XCTAssertNotNil(shell.error("n = :nice 7 hold &"), "':nice' comes first")
        shell.lines(":nice 7 h = hold --out niced.txt &")
        Thread.sleep(forTimeInterval: 0.2)
        // The job's thread is named "aslsh job N"; its nice value is field 19 of its stat line.
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let niceness = tasks.compactMap { tid -> Int? in
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8),
                  name.hasPrefix("aslsh job"),
                  let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            return Int(stat[stat.index(after: close)...].split(separator: " ")[16])
        }
        XCTAssertEqual(niceness, [7])
    }
}
