import XCTest
import TestSupport

/// Drives the interactive REPL through a real pseudo-terminal (python3's `pty.fork`, which also
/// makes the terminal the child's controlling terminal, so ^C raises SIGINT as for a user):
/// typing, tab completion, Ctrl-C during a long cell and at the prompt, Ctrl-D, and history
/// persisted across two runs.
final class InteractiveTests: XCTestCase {
    /// Steps: {"send": text} | {"expect": regex, "timeout": s} | {"sleep": s} | {"mark": true}
    /// (later expects only look at output after the mark). Prints JSON: ok, failed_step,
    /// status (exit code), output (everything the terminal showed).
    static let driver = #"""
    import json, os, pty, re, select, sys, time
    exe, steps = sys.argv[1], json.loads(sys.argv[2])
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(exe, [exe])
    buf, base = b"", 0
    def pump(t):
        global buf
        r, _, _ = select.select([fd], [], [], t)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return False
            if not d:
                return False
            buf += d
        return True
    result = {"ok": True, "failed_step": None}
    for i, s in enumerate(steps):
        if "send" in s:
            os.write(fd, s["send"].encode())
        elif "sleep" in s:
            end = time.time() + s["sleep"]
            while time.time() < end:
                pump(0.02)
        elif "mark" in s:
            while pump(0.05):
                if not select.select([fd], [], [], 0.05)[0]:
                    break
            base = len(buf)
        elif "expect" in s:
            end = time.time() + s.get("timeout", 15)
            while not re.search(s["expect"].encode(), buf[base:]):
                alive = pump(0.05)
                if time.time() > end or (not alive and not re.search(s["expect"].encode(), buf[base:])):
                    result = {"ok": False, "failed_step": i}
                    break
            if not result["ok"]:
                break
    status, end = None, time.time() + 15
    while time.time() < end:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p:
            status = os.waitstatus_to_exitcode(st)
            break
        pump(0.05)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        status = "killed"
    while pump(0.01):
        pass
    result["status"] = status
    result["output"] = buf.decode(errors="replace")
    print(json.dumps(result))
    """#

    struct Session: Decodable {
        var ok: Bool
        var failed_step: Int?
        var status: StatusValue
        var output: String
    }

    enum StatusValue: Decodable, Equatable {
        case code(Int)
        case other(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let code = try? container.decode(Int.self) { self = .code(code) } else { self = .other(try container.decode(String.self)) }
        }
    }

    enum Step {
        case send(String), expect(String), sleep(Double), mark
        /// Waits for prompt N, then a moment: keys typed before libedit has switched the terminal
        /// to raw mode would be handled by the kernel's line editor (^R reprints, ^C signals).
        case prompt(Int)
        var json: [[String: Any]] {
            switch self {
            case .send(let text): [["send": text]]
            case .expect(let pattern): [["expect": pattern]]
            case .sleep(let seconds): [["sleep": seconds]]
            case .mark: [["mark": true]]
            case .prompt(let n): [["expect": #"aslsh \[\#(n)\]> "#], ["sleep": 0.15]]
            }
        }
    }

    private var directory: URL!

    override func setUpWithError() throws {
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        directory = try TestEnvironment.temporaryDirectory("aslsh-pty")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func drive(_ steps: [Step]) throws -> Session {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps.flatMap(\.json)), as: UTF8.self)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.driver, AslshBinary.url!.path, json]
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["ASLSH_HISTORY"] = directory.appendingPathComponent("history").path
        environment["HOME"] = directory.path
        environment["TERM"] = "xterm"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode(Session.self, from: data)
    }

    func testTypingCompletionCancellationAndPersistentHistory() throws {
        try "label,n\nbook,3\n".write(to: directory.appendingPathComponent("signs.csv"), atomically: true, encoding: .utf8)
        let first = try drive([
            .prompt(1),
            .send("greeting = \"alpha\"\r"),
            .prompt(2),
            // Tab completes the command (`ech` → `echo `) and the variable (`gree` → `greeting `).
            .send("ech\t gree\t\r"),
            .expect("\r\nalpha\r\n"),
            // A flag (`--del` → `--delay`) and a file path (`sig` → `signs.csv`).
            .send("t = load sig\t\r"),
            .prompt(4),
            .send("t | count --b\t label\r"),
            .expect(#"book\s+1"#),
            // An open bracket continues the cell on a `...>` line.
            .send("xs = [1,\r"),
            .expect(#"\.\.\.> "#),
            .send("2]; xs | tail 1\r"),
            .expect("\\[2\\]\r\n"),
            .prompt(7),
            // Ctrl-C during a long cell cancels it and returns to the prompt.
            .send("count-to 100000 --del\t 1\r"),
            .expect("count-to"),
            .sleep(0.4),
            .send("\u{03}"),
            .expect(#"error \(cell 7\): cancelled \(Ctrl-C\)"#),
            .prompt(8),
            .mark,
            // Ctrl-C at the prompt discards the half-typed line.
            .send("echo never"),
            .send("\u{03}"),
            .prompt(8),
            // Errors do not end the session.
            .send("lod x\r"),
            .expect("did you mean 'load'"),
            .prompt(9),
            .send("echo persisted\r"),
            .expect("\r\npersisted\r\n"),
            .prompt(10),
            // Ctrl-D ends the session.
            .send("\u{04}"),
        ])
        XCTAssertTrue(first.ok, "stopped at step \(first.failed_step ?? -1):\n\(first.output)")
        XCTAssertEqual(first.status, .code(0), first.output)
        XCTAssertFalse(first.output.contains("never\r\n"), "the interrupted line must not run")
        XCTAssertTrue(first.output.contains("count-to: cancelled after"), first.output)

        let history = try String(contentsOf: directory.appendingPathComponent("history"), encoding: .utf8)
        XCTAssertTrue(history.contains("echo\\040persisted"), history)
        XCTAssertFalse(history.contains("never"), history)

        // A second run sees the first run's history: Up recalls the last cell, ^R searches.
        let second = try drive([
            .prompt(1),
            .send("\u{1B}[A"),
            .expect("echo persisted"),
            .send("\r"),
            .expect("\r\npersisted\r\n"),
            .prompt(2),
            .send("\u{12}lod"),
            .expect("lod x"),
            .send("\r"),
            .expect("did you mean 'load'"),
            .prompt(3),
            .send(":quit\r"),
        ])
        XCTAssertTrue(second.ok, "stopped at step \(second.failed_step ?? -1):\n\(second.output)")
        XCTAssertEqual(second.status, .code(0), second.output)
    }

    /// Background jobs at a real terminal: a job that ends while the user sits at the prompt prints
    /// nothing until Enter, then one announcement before the next prompt — never inside the line
    /// being typed; its output appears only at `wait`; a job's progress never reaches the prompt;
    /// quitting with a job running asks, "n" keeps the session, "y" cancels and quits.
    func testJobsNeverInterleaveWithThePromptAndQuittingAsks() throws {
        let run = try drive([
            .prompt(1),
            .send("x = count-to 40 --delay 10 &\r"),
            .expect(#"\[1\] started: x = count-to 40 --delay 10\r\n"#),
            .prompt(2),
            .mark,
            .send("echo typ"),          // half a line typed while the job ends (about 0.4 s)
            .sleep(1.2),
            .send("ed\r"),
            .expect("\r\ntyped\r\n"),
            .expect(#"\[1\] x = count-to 40 --delay 10: done in 0:0\d; 'wait 1' binds x\r\n"#),
            .prompt(3),
            .send("wait x\r"),
            .prompt(4),
            .send("x.sum\r"),
            .expect("\r\n820\r\n"),
            .prompt(5),
            .send("echo \"from the job\" &\r"),
            .prompt(6),
            .sleep(0.3),
            .send("\r"),
            .expect(#"\[2\] echo "from the job": done in 0:00; 'wait 2' shows its output\r\n"#),
            .prompt(6),
            .send("wait 2\r"),
            .expect("\r\nfrom the job\r\n"),
            .prompt(7),
            .send("y = count-to 100000 --delay 1 &\r"),
            .prompt(8),
            .send("\u{04}"),
            .expect(#"1 job is running \(\[3\] y = count-to 100000 --delay 1\); cancel and quit\? \[y/N\] "#),
            .send("n\r"),
            .prompt(8),
            .send(":quit\r"),
            .expect(#"cancel and quit\? \[y/N\] "#),
            .send("y\r"),
            .expect(#"aslsh: cancelled job \[3\] y = count-to 100000 --delay 1"#),
        ])
        XCTAssertTrue(run.ok, "stopped at step \(run.failed_step ?? -1):\n\(run.output)")
        XCTAssertEqual(run.status, .code(0), run.output)
        // Between the typed half-line and its end, the terminal showed nothing of the job.
        XCTAssertTrue(run.output.contains("echo typed\r\n") || run.output.contains("ed\r\ntyped"), run.output)
        XCTAssertFalse(run.output.contains("count-to 0/") || run.output.contains("[###"), "a job's progress bar never draws over the prompt")
        let wait = try XCTUnwrap(run.output.range(of: "wait 2"))
        XCTAssertNil(run.output.range(of: "\nfrom the job", range: run.output.startIndex..<wait.lowerBound),
                     "the job's output appears at wait, not before")
    }
}
