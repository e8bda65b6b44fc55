import XCTest
import JobControl
@testable import Shell

final class EvaluatorTests: XCTestCase {
    private let signs = #"t = [{label: "book", signer: 1, score: 0.5}, {label: "hello", signer: 2, score: 0.9}, {label: "book", signer: 2, score: 0.7}, {label: "book", signer: 1, score: 0.1}, {label: "thanks", signer: 3, score: 1.5}]"#

    func testVariablesFieldsAndValues() throws {
        let shell = ShellHarness()
        XCTAssertEqual(try shell.output("x = 3"), "", "assignment prints nothing")
        XCTAssertEqual(try shell.output("x"), "3")
        XCTAssertEqual(try shell.output("r = {accuracy: 0.875, name: \"mlp\", sizes: [1, 2]}"), "")
        XCTAssertEqual(try shell.output("r.accuracy"), "0.875")
        XCTAssertEqual(try shell.output("r.sizes[1]"), "2")
        XCTAssertEqual(try shell.output("r.sizes[-1]"), "2")
        XCTAssertEqual(try shell.output("r[\"name\"]"), "mlp")
        XCTAssertEqual(try shell.output("r.sizes.count"), "2")
        XCTAssertEqual(try shell.output("[1, 2.5, \"a\", true, null]"), #"[1, 2.5, "a", true, null]"#)
        XCTAssertEqual(try shell.output("r"), "accuracy  0.875\nname      mlp\nsizes     [1, 2]")
        XCTAssertEqual(try shell.output("(count-to 4 -q).sum"), "10")
    }

    func testTablePipelines() throws {
        let shell = ShellHarness()
        _ = try shell.output(signs)
        XCTAssertEqual(try shell.output(#"t | where label == "book" | count by signer | sort -n | head 10"#), """
        signer  count
        ------  -----
             2      1
             1      2
        """)
        XCTAssertEqual(try shell.output("t | count by label | top 1"), "label  count\n-----  -----\nbook       3")
        XCTAssertEqual(try shell.output("t | where score > 0.6 && signer != 3 | select label score"),
                       "label  score\n-----  -----\nhello    0.9\nbook     0.7")
        XCTAssertEqual(try shell.output("t | count"), "5")
        XCTAssertEqual(try shell.output("t | sort score -r | head 2 | select score"), "score\n-----\n  1.5\n  0.9")
        XCTAssertEqual(try shell.output("t | tail 1 | select label"), "label\n------\nthanks")
        XCTAssertEqual(try shell.output("t | top 2 --by signer | select signer"), "signer\n------\n     3\n     2")
        XCTAssertEqual(try shell.output("t | where !(label == \"book\") || score < 0.2 | count"), "3")
        XCTAssertEqual(try shell.output("[1, 2, 3] | head 2"), "[1, 2]")
        XCTAssertEqual(try shell.output("t | print --rows 1"), """
        label  signer  score
        -----  ------  -----
        book        1    0.5
        … 4 more rows (5 in all)
        """)
    }

    func testCommandsReadVariablesAndLiterals() throws {
        let shell = ShellHarness()
        XCTAssertEqual(try shell.output("echo hello world 3"), "hello world 3")
        _ = try shell.output("name = \"alice\"")
        XCTAssertEqual(try shell.output("echo hi name photo.jpg"), "hi alice photo.jpg")
    }

    func testSessionDirectives() throws {
        let shell = ShellHarness()
        _ = try shell.output("a = 1; b = [1, 2]")
        XCTAssertEqual(try shell.output(":vars"), """
        name  type  summary
        ----  ----  -------
        a     int   1
        b     list  2 items
        """)
        XCTAssertEqual(try shell.output(":seed"), "seed 42")
        _ = try shell.output(":seed 7")
        XCTAssertEqual(shell.session.seed, 7)
        // The name column is as wide as the longest command name (which grows as areas add commands).
        XCTAssertTrue(try shell.output(":help").components(separatedBy: "\n").contains {
            $0.hasPrefix("  load ") && $0.hasSuffix(" read a .npy, .npz, .json, .jsonl or .csv file into a value")
        })
        let help = try shell.output(":help count-to")
        XCTAssertTrue(help.contains("usage: count-to N [flags]"), help)
        XCTAssertTrue(help.contains("\n      --delay NUMBER  milliseconds per number [default: 0]\n  -q, --quiet         no progress display"), help)
        XCTAssertTrue(try shell.output(":help :save").hasPrefix(":save — write the session's cells"))
        XCTAssertTrue(try shell.output(":help help").hasPrefix(":help — "))
        XCTAssertTrue(try shell.output(":history").hasSuffix("\n10  :history"), "\(shell.session.history)")
        _ = try shell.output(":reset")
        XCTAssertEqual(try shell.output(":vars"), "(no variables)")
        _ = try shell.output(":quit")
        XCTAssertTrue(shell.session.quitRequested)
    }

    func testTimeMarksItsLineVolatile() throws {
        let shell = ShellHarness()
        let outcome = shell.session.execute(CellSource(text: ":time echo hi"))
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.output.count, 2)
        XCTAssertEqual(outcome.output[0], OutputLine("hi"))
        XCTAssertTrue(outcome.output[1].isVolatile)
        XCTAssertTrue(outcome.output[1].text.hasPrefix("time: "))
    }

    func testRunAndSaveFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aslsh-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("part.aslsh")
        try "v = 5\necho from script v\n".write(to: script, atomically: true, encoding: .utf8)
        let shell = ShellHarness()
        XCTAssertEqual(try shell.output(":run \(script.path)"), "from script 5")
        XCTAssertEqual(try shell.output("v"), "5", ":run shares the session's variables")
        let bad = directory.appendingPathComponent("bad.aslsh")
        try "echo ok\nlod x\necho never\n".write(to: bad, atomically: true, encoding: .utf8)
        let error = shell.error(":run \(bad.path)")
        XCTAssertEqual(error?.kind, .failed)
        XCTAssertTrue(error?.message.contains("line 2") == true, "\(String(describing: error))")
        XCTAssertTrue(shell.errorReports.contains { $0.hasPrefix("\(bad.path):2:1: error") && $0.contains("did you mean 'load'?") },
                      "\(shell.errorReports)")
        let saved = directory.appendingPathComponent("out/s.aslsh")
        XCTAssertEqual(try shell.output(":save \(saved.path)"), "saved 3 cells to \(saved.path)")
        let text = try String(contentsOf: saved, encoding: .utf8)
        XCTAssertTrue(text.contains("v\n#> 5\n"), text)
        XCTAssertTrue(text.contains("#> error: :run: stopped at an error"), text)
    }

    func testCancellationEndsTheCellNotTheSession() throws {
        let shell = ShellHarness()
        // A request made before the cell is cleared when the cell starts…
        Cancellation.request()
        XCTAssertEqual(try shell.output("echo fine"), "fine")
        // …and one made during a long command cancels it.
        var registry = CommandRegistry.standard
        registry.register(CommandDefinition("interrupt-me", summary: "test") { _ in
            Cancellation.request()
            try Cancellation.check()
            return .null
        })
        let custom = ShellHarness(registry: registry)
        XCTAssertEqual(custom.error("interrupt-me")?.kind, .cancelled)
        XCTAssertFalse(Cancellation.isRequested, "the flag is cleared after the cell")
        XCTAssertEqual(try custom.output("echo still here"), "still here")
        XCTAssertEqual(custom.session.transcript.map(\.text), ["echo still here"], "cancelled cells are not saved")
    }

    func testOpaqueValuesFromOtherModules() throws {
        final class Report: OpaqueValue {
            var typeName: String { "report" }
            var summary: String { "accuracy 0.9 on 10 clips" }
            var fieldNames: [String] { ["accuracy"] }
            func field(_ name: String) -> Value? { name == "accuracy" ? .number(0.9) : nil }
        }
        var registry = CommandRegistry.standard
        registry.register(CommandDefinition("fake-eval", summary: "test") { _ in .opaque(Report()) })
        registry.register(CommandDefinition("needs-report", summary: "test",
                                            arguments: [ArgumentSpec("r", .opaque("report"), "a report")]) { call in
            .string(call["r"]!.typeName)
        })
        let shell = ShellHarness(registry: registry)
        _ = try shell.output("r = fake-eval")
        XCTAssertEqual(try shell.output("r"), "report: accuracy 0.9 on 10 clips")
        XCTAssertEqual(try shell.output("r.accuracy"), "0.9")
        XCTAssertEqual(try shell.output("needs-report r"), "report")
        XCTAssertTrue(try shell.output(":vars").contains("r     report  accuracy 0.9 on 10 clips"))
        let error = shell.error("r.acuracy")
        XCTAssertEqual(error?.kind, .unknownField)
        XCTAssertEqual(error?.hint, "did you mean 'accuracy'?")
        XCTAssertEqual(shell.error("needs-report 3")?.message, "R expects a report, got int")
    }

    /// Every evaluation error path: kind, message, location and hint.
    func testEvaluationErrors() throws {
        let shell = ShellHarness()
        _ = try shell.output(signs)
        _ = try shell.output("n = 3")
        typealias Case = (cell: String, kind: ShellError.Kind, message: String, column: Int?, hint: String?)
        let cases: [Case] = [
            ("lod x", .unknownCommand, "unknown command 'lod'", 1, "did you mean 'load'?"),
            ("nn", .unknownCommand, "unknown command 'nn'", 1, "did you mean 'n'?"),
            ("qwertyuiop", .unknownCommand, "unknown command 'qwertyuiop'", 1, "type ':help' for the list of commands"),
            (":hlep", .unknownCommand, "unknown directive ':hlep'", 1, "did you mean ':help'?"),
            ("n 4", .unknownCommand, "'n' is a variable, not a command", 1, "to pass it to a command, write e.g. 'print n'"),
            ("count = 3", .invalidArgument, "cannot assign to 'count': it is a command name", 1, "choose another variable name"),
            ("t | sort --revers", .unknownFlag, "unknown flag '--revers' for 'sort'", 10, "did you mean '--reverse'?"),
            ("t | sort -x", .unknownFlag, "unknown flag '-x' for 'sort'", 11, "flags: --numeric, --reverse"),
            ("echo --x", .unknownFlag, "unknown flag '--x' for 'echo'", 6, "'echo' takes no flags"),
            ("print n --rows", .missingArgument, "flag '--rows' needs a value (int)", 9, nil),
            ("t | print -n 1 --rows 2", .invalidArgument, "flag '--rows' given twice", 16, nil),
            ("print n --rows -1", .invalidArgument, "'--rows' must be 0 or more, got -1", 16, nil),
            ("print n --rows 1.5", .invalidArgument, "'--rows' expects an int, got number", 16, nil),
            ("load", .missingArgument, "'load' needs PATH (path): the file to read", 1, "usage: load PATH [flags]"),
            ("sleep 1 2", .extraArgument, "'sleep' takes at most 1 argument", 9, "usage: sleep SECONDS [flags]"),
            (":vars x", .extraArgument, "':vars' takes no arguments; unexpected 'x'", 7, "usage: :vars"),
            ("sleep abc", .invalidArgument, "SECONDS expects a number, got 'abc'", 7, nil),
            ("sleep nn", .invalidArgument, "SECONDS expects a number, got 'nn'", 7, "did you mean 'n'?"),
            ("sleep t", .invalidArgument, "SECONDS expects a number, got list 't'", 7, nil),
            ("load x.bin --format npq", .invalidArgument, "'--format' must be one of npy, npz, json, jsonl, csv; got 'npq'", 21, "did you mean 'npy'?"),
            ("n | load x.csv", .invalidArgument, "'load' does not read piped input", 5, "start a new pipeline with it"),
            ("where n > 1", .missingArgument, "'where' reads a table from '|'", 1, "e.g. 't | where …'"),
            ("n | where n > 1", .invalidArgument, "'where' needs a table from '|', got int", 5, nil),
            ("n | 3", .syntax, "only a command can follow '|'", 5, nil),
            ("t | where lable == \"book\"", .unknownVariable, "unknown column or variable 'lable'", 11, "did you mean 'label'?"),
            ("t | where label == book", .unknownVariable, "unknown column or variable 'book'", 20, "write text in quotes: \"book\""),
            ("print zz", .unknownVariable, "unknown variable 'zz'", 7, "write text in quotes: \"zz\""),
            ("t | count by lbl", .failed, "count: no column 'lbl'", 5, "columns: label, signer, score"),
            ("t | select labl", .failed, "select: no column 'labl'", 5, "did you mean 'label'?"),
            ("t | select", .failed, "select: name at least one column", 5, "columns: label, signer, score"),
            ("t.nope", .unknownField, "list has no field 'nope'", 3, "fields: count"),
            ("(t | where n > 0).nope", .unknownField, "table has no field 'nope'", 19, "fields: columns, count, label, signer, score"),
            ("n[0]", .invalidArgument, "cannot index a int", 2, nil),
            ("[1][5]", .invalidArgument, "index 5 out of range 0..<1", 4, nil),
            ("[1][\"a\"]", .invalidArgument, "index must be an int, got string", 4, nil),
            ("load /nonexistent/x.csv", .failed, "load: /nonexistent/x.csv: no such file", 1, nil),
            ("load x.bin", .failed, "load: cannot tell the format of 'x.bin'", 1, "use --format npy|npz|json|jsonl|csv"),
            ("head 2", .failed, "head: reads a table or list from '|'", 1, "e.g. 't | head 5'"),
            ("n | head 2", .failed, "head: needs a table or list from '|', got int", 5, nil),
            ("count-to -1", .failed, "count-to: N must be 0 or more", 1, nil),
            (":help nothing", .unknownCommand, "no command 'nothing'", 1, "type ':help' for the list"),
            (":help lod", .unknownCommand, "no command 'lod'", 1, "did you mean 'load'?"),
            (":seed -1", .failed, ":seed: the seed must be 0 or more", 1, nil),
            (":run /nonexistent.aslsh", .failed, ":run: /nonexistent.aslsh: no such file", 1, nil),
            (":time", .syntax, "':time' needs a cell to time, e.g. ':time sleep 1'", 6, nil),
        ]
        for c in cases {
            guard let error = shell.error(c.cell) else {
                XCTFail("'\(c.cell)' should fail")
                continue
            }
            XCTAssertEqual(error.kind, c.kind, "\(c.cell): \(error)")
            XCTAssertEqual(error.message, c.message, c.cell)
            XCTAssertEqual(error.location?.column, c.column, "\(c.cell): \(error)")
            XCTAssertEqual(error.hint, c.hint, c.cell)
        }
        // Errors never end the session: it still runs cells afterwards.
        XCTAssertEqual(try shell.output("n"), "3")
        XCTAssertFalse(shell.session.quitRequested)
    }
}
