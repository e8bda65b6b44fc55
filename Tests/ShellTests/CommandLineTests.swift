import XCTest
import TestSupport
@testable import Shell

/// The `aslsh` executable end to end: scripts, `-c`, exit statuses, `--check` of the saved
/// sessions in `sessions/`, piped stdin, SIGINT.
final class CommandLineTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        directory = try TestEnvironment.temporaryDirectory("aslsh-cli")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func testOptionParsing() throws {
        XCTAssertEqual(try ShellMain.parse(["s.aslsh", "--keep-going", "--seed", "3"]),
                       ShellMain.Options(script: "s.aslsh", keepGoing: true, seed: 3))
        XCTAssertEqual(try ShellMain.parse(["-c", "a", "-c", "b"]).cells, ["a", "b"])
        XCTAssertThrowsError(try ShellMain.parse(["--chek", "x"])) {
            XCTAssertEqual("\($0)", "unknown option '--chek' (did you mean '--check'?)")
        }
        XCTAssertThrowsError(try ShellMain.parse(["-c"])) { XCTAssertEqual("\($0)", "-c needs a value") }
        XCTAssertThrowsError(try ShellMain.parse(["--seed", "x"]))
        XCTAssertThrowsError(try ShellMain.parse(["a.aslsh", "b.aslsh"]))
        XCTAssertThrowsError(try ShellMain.parse(["--check", "a", "-c", "x"]))
    }

    func testCellsRunAndExitZero() throws {
        let result = try AslshBinary.run(["-c", "x = [3, 1, 2]; x | head 2", "-c", "echo done x"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "[3, 1]\ndone [3, 1, 2]\n")
        XCTAssertEqual(result.stderr, "")
    }

    func testScriptStopsAtTheFirstErrorNamingFileLineAndCell() throws {
        let script = directory.appendingPathComponent("s.aslsh")
        try "echo one\n# comment\n  lod x.npz\necho never\n".write(to: script, atomically: true, encoding: .utf8)
        let result = try AslshBinary.run([script.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "one\n")
        XCTAssertEqual(result.stderr, """
        \(script.path):3:3: error (cell 2): unknown command 'lod'
              lod x.npz
              ^~~
          did you mean 'load'?

        """)
        let keepGoing = try AslshBinary.run([script.path, "--keep-going"])
        XCTAssertEqual(keepGoing.status, 1, "--keep-going still reports failure")
        XCTAssertEqual(keepGoing.stdout, "one\nnever\n")
    }

    func testPipedStdinIsReadAsPlainLines() throws {
        let result = try AslshBinary.run([], stdin: "x = [1,\n 2]\nx | tail 1\n:help sleep\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("[2]\nsleep — wait SECONDS"), result.stdout)
        XCTAssertFalse(result.stdout.contains("aslsh ["), "no prompt when stdin is not a terminal")
        XCTAssertFalse((result.stdout + result.stderr).contains("\u{1B}"), "no escape codes")
        let failing = try AslshBinary.run([], stdin: "echo a\nlod\necho b\n")
        XCTAssertEqual(failing.status, 1)
        XCTAssertEqual(failing.stdout, "a\n")
        XCTAssertTrue(failing.stderr.hasPrefix("<stdin>:2:1: error (cell 2): unknown command 'lod'"), failing.stderr)
    }

    func testVersionHelpAndUsageErrors() throws {
        let version = try AslshBinary.run(["--version"]).stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(version.first, "aslsh 0.1.0")
        // The second line names the kernel path, OpenBLAS's core and the CPU's features; the
        // environment's ASLSH_KERNELS=portable must show as the portable path.
        XCTAssertEqual(version.count, 2, "\(version)")
        XCTAssertTrue(version.last?.hasPrefix("kernels: ") == true && version.last?.contains("; OpenBLAS: ") == true, "\(version)")
        let portable = try AslshBinary.run(["--version"], environment: ["ASLSH_KERNELS": "portable"]).stdout
        XCTAssertTrue(portable.contains("kernels: portable (SSE2); OpenBLAS: "), portable)
        let unknown = try AslshBinary.run(["--version"], environment: ["ASLSH_KERNELS": "avx512-please"])
        XCTAssertEqual(unknown.status, 0, "an unknown kernel request falls back, never crashes")
        let best = try AslshBinary.run(["--version"], environment: ["ASLSH_KERNELS": ""]).stdout   // no request: the CPU's best
        XCTAssertEqual(unknown.stdout, best, "falls back to the CPU's best path")
        XCTAssertTrue(try AslshBinary.run(["--help"]).stdout.hasPrefix("usage: aslsh"))
        let bad = try AslshBinary.run(["--kep-going"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.hasPrefix("aslsh: unknown option '--kep-going' (did you mean '--keep-going'?)"), bad.stderr)
        let missing = try AslshBinary.run([directory.appendingPathComponent("none.aslsh").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("none.aslsh: no such file"), missing.stderr)
    }

    func testSIGINTCancelsTheRunningCellAndExits130() throws {
        let result = try AslshBinary.run(["-c", "count-to 100000 --delay 1 --quiet; echo after"], interruptAfter: 1.0)
        XCTAssertEqual(result.status, 130, result.stderr)
        XCTAssertFalse(result.stdout.contains("after"), "cells after a cancelled one do not run")
        XCTAssertTrue(result.stderr.contains("error (cell 1): cancelled (Ctrl-C)"), result.stderr)
    }

    /// A script that ends with a job running cancels it (it stops at its next boundary) and says
    /// so; one that waits gets the job's output in the waiting cell.
    func testAScriptEndingWithAJobRunningCancelsItAndSaysSo() throws {
        let start = Date()
        let result = try AslshBinary.run(["-c", "x = count-to 100000 --delay 1 --quiet &; echo going on"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "[1] started: x = count-to 100000 --delay 1 --quiet\ngoing on\n")
        XCTAssertEqual(result.stderr, "aslsh: cancelled job [1] x = count-to 100000 --delay 1 --quiet: the script ended before 'wait'\n")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "cancelled, not run to its end (100 s)")
        let waited = try AslshBinary.run(["-c", "echo \"in the job\" &; echo first; wait 1"])
        XCTAssertEqual(waited.stdout, "[1] started: echo \"in the job\"\nfirst\nin the job\n")
    }

    /// Every saved session in `sessions/` replays with identical output.
    func testSavedSessionsCheckClean() throws {
        let sessions = TestEnvironment.repositoryRoot.appendingPathComponent("sessions")
        let files = try FileManager.default.contentsOfDirectory(atPath: sessions.path).filter { $0.hasSuffix(".aslsh") }.sorted()
        XCTAssertTrue(files.contains("quickstart.aslsh"))
        XCTAssertTrue(files.contains("letters.aslsh") && files.contains("msasl.aslsh"))
        var needShared = [String]()
        for file in files {
            // letters/msasl default to the real data beside the repository (../shared).
            let text = try String(contentsOf: sessions.appendingPathComponent(file), encoding: .utf8)
            let besideRepository = TestEnvironment.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
            if text.contains("\"../shared/"), !FileManager.default.fileExists(atPath: besideRepository.path) {
                needShared.append(file)
                continue
            }
            // parallel.aslsh downloads its videos from a mirror: here a real HTTP server on loopback.
            var server: Process?
            var environment: [String: String] = [:]
            if text.contains("ASLSH_MSASL_MIRROR") {
                let started = try ExternalTool.serveFolderOverHTTP(besideRepository.appendingPathComponent("realdata/msasl_videos"))
                server = started.process
                environment["ASLSH_MSASL_MIRROR"] = "http://127.0.0.1:\(started.port)"
            }
            defer { server?.terminate(); server?.waitUntilExit() }
            let result = try AslshBinary.run(["--check", "sessions/\(file)"], environment: environment)
            XCTAssertEqual(result.status, 0, "\(file):\n\(result.stdout)\(result.stderr)")
            XCTAssertTrue(result.stdout.hasPrefix("check: sessions/\(file): "), result.stdout)
            XCTAssertTrue(result.stdout.hasSuffix("cells, all match\n"), result.stdout)
        }
        if !needShared.isEmpty {
            throw XCTSkip("\(needShared.joined(separator: ", ")) not replayed: \(TestEnvironment.sharedMissingMessage)")
        }
    }

    /// A save from a real run checks clean; editing one expected line makes `--check` fail and
    /// name the cell.
    func testSaveRunCheckRoundTripThroughTheExecutable() throws {
        let saved = directory.appendingPathComponent("round.aslsh")
        let run = try AslshBinary.run(["-c", "t = [{k: \"a\", v: 2}, {k: \"b\", v: 5}]; t | where v > 3; :time t | count; :save \(saved.path)"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasSuffix("saved 3 cells to \(saved.path)\n"), run.stdout)
        let clean = try AslshBinary.run(["--check", saved.path])
        XCTAssertEqual(clean.status, 0, clean.stdout)
        XCTAssertEqual(clean.stdout, "check: \(saved.path): 3 cells, all match\n")
        let replay = try AslshBinary.run([saved.path])
        XCTAssertEqual(replay.status, 0, "a saved session also runs as a script")

        var text = try String(contentsOf: saved, encoding: .utf8)
        text = text.replacingOccurrences(of: "#> b  5", with: "#> b  6")
        try text.write(to: saved, atomically: true, encoding: .utf8)
        let changed = try AslshBinary.run(["--check", saved.path])
        XCTAssertEqual(changed.status, 1)
        XCTAssertTrue(changed.stdout.contains("cell 2 output differs: t | where v > 3"), changed.stdout)
        XCTAssertTrue(changed.stdout.contains("    #> b  6\n  actual:"), changed.stdout)
        XCTAssertTrue(changed.stdout.hasSuffix("check: \(saved.path): 1 of 3 cells differ\n"), changed.stdout)
    }

    /// A transcript replayed on another machine prints slightly different decimals: within the
    /// tolerance it checks clean, beyond it fails naming the line, both values and the tolerance;
    /// a malformed directive exits 2 naming the line, and the file still runs as a script.
    func testCheckComparesDecimalsWithTolerance() throws {
        let saved = directory.appendingPathComponent("decimals.aslsh")
        let save = try AslshBinary.run(["-c", "echo \"L 0.964235  Z 0.025  (84 samples)\"; :save \(saved.path)"])
        XCTAssertEqual(save.status, 0, save.stderr)
        let original = try String(contentsOf: saved, encoding: .utf8)
        XCTAssertTrue(original.contains("\n#> L 0.964235  Z 0.025  (84 samples)\n"), original)
        func check(_ text: String) throws -> AslshBinary.Result {
            try text.write(to: saved, atomically: true, encoding: .utf8)
            return try AslshBinary.run(["--check", saved.path])
        }

        let within = try check(original.replacingOccurrences(of: "#> L 0.964235  Z 0.025", with: "#> L 0.963948  Z 0.026"))
        XCTAssertEqual(within.status, 0, within.stdout)
        XCTAssertEqual(within.stdout, "check: \(saved.path): 1 cells, all match\n")

        let beyond = try check(original.replacingOccurrences(of: "#> L 0.964235", with: "#> L 0.950000"))
        XCTAssertEqual(beyond.status, 1, beyond.stdout)
        XCTAssertTrue(beyond.stdout.hasPrefix("\(saved.path):4: cell 1 output differs: echo \"L 0.964235  Z 0.025  (84 samples)\"\n"
                                              + "  line 5: 0.950000 vs 0.964235 differ by 0.0142 > tolerance 9.5e-3 (rtol 1e-2, atol 1e-6)\n"),
                      beyond.stdout)
        XCTAssertTrue(beyond.stdout.hasSuffix("check: \(saved.path): 1 of 1 cells differ\n"), beyond.stdout)

        let count = try check(original.replacingOccurrences(of: "#> L 0.964235  Z 0.025  (84", with: "#> L 0.964235  Z 0.025  (85"))
        XCTAssertEqual(count.status, 1, "integers are exact")
        XCTAssertTrue(count.stdout.contains("  line 5: 85 vs 84 (integers match exactly)\n"), count.stdout)

        let loose = original.replacingOccurrences(of: "check: aslsh --check FILE\n", with: "check: aslsh --check FILE\n# check: rtol=0.05\n")
            .replacingOccurrences(of: "#> L 0.964235", with: "#> L 0.950000")
        let tolerated = try check(loose)
        XCTAssertEqual(tolerated.status, 0, "the header's rtol=0.05 allows 1.5%: \(tolerated.stdout)")

        let exact = try check(loose.replacingOccurrences(of: "\necho", with: "\n#! check exact\necho"))
        XCTAssertEqual(exact.status, 1, exact.stdout)
        XCTAssertTrue(exact.stdout.contains("  line 7: '0.950000' vs '0.964235' (check exact)\n"), exact.stdout)
        let asScript = try AslshBinary.run([saved.path])
        XCTAssertEqual(asScript.status, 0, asScript.stderr)
        XCTAssertEqual(asScript.stdout, "L 0.964235  Z 0.025  (84 samples)\n", "directives are comments to a replay")

        let malformed = try check(loose.replacingOccurrences(of: "# check: rtol=0.05", with: "# check: rtol=abc"))
        XCTAssertEqual(malformed.status, 2)
        XCTAssertEqual(malformed.stdout, "", "nothing replayed")
        XCTAssertEqual(malformed.stderr, "\(saved.path):3: error: rtol expects a non-negative number, got 'abc'\n")
    }
}
