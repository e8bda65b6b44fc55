import XCTest
@testable import Shell

final class ParserTests: XCTestCase {
    private func loc(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(line: line, column: column) }

    func testAssignmentOfAPipeline() throws {
        let statement = try Parser.parse(#"c = m | where label == "book" | count by signer"#)
        guard case .assignment(let name, let at, let pipeline) = statement else { return XCTFail("\(statement)") }
        XCTAssertEqual(name, "c")
        XCTAssertEqual(at, loc(1, 1))
        XCTAssertEqual(pipeline.stages.count, 3)
        guard case .command(let whereCall) = pipeline.stages[1] else { return XCTFail() }
        XCTAssertEqual(whereCall.name, "where")
        XCTAssertEqual(whereCall.arguments, [.value(.binary("==", .word("label", at: loc(1, 15), length: 5),
                                                            .string("book", at: loc(1, 24)), at: loc(1, 21)))])
    }

    func testFlagsLongInlineShortAndKeyword() throws {
        guard case .pipeline(let p) = try Parser.parse("sort col -nr --by=x --rows 3"),
              case .command(let call) = p.stages[0] else { return XCTFail() }
        XCTAssertEqual(call.arguments, [
            .value(.word("col", at: loc(1, 6), length: 3)),
            .flag(name: "n", isShort: true, inlineValue: nil, at: loc(1, 11), length: 1),
            .flag(name: "r", isShort: true, inlineValue: nil, at: loc(1, 12), length: 1),
            .flag(name: "by", isShort: false, inlineValue: .word("x", at: loc(1, 19), length: 1), at: loc(1, 14), length: 4),
            .flag(name: "rows", isShort: false, inlineValue: nil, at: loc(1, 21), length: 6),
            .value(.number(3, isInteger: true, at: loc(1, 28))),
        ])
    }

    func testFieldAccessIndexListsRecordsAndSubpipelines() throws {
        guard case .pipeline(let p) = try Parser.parse("r.metrics.accuracy"), case .expression(let e) = p.stages[0] else { return XCTFail() }
        XCTAssertEqual(e, .field(.field(.word("r", at: loc(1, 1), length: 1), name: "metrics", at: loc(1, 3)),
                                 name: "accuracy", at: loc(1, 11)))
        guard case .pipeline(let q) = try Parser.parse("print x[0] [1, 2] {a: 1, \"b c\": [x]} (count-to 2).sum"),
              case .command(let call) = q.stages[0] else { return XCTFail() }
        XCTAssertEqual(call.arguments.count, 4)
        guard case .value(.index) = call.arguments[0] else { return XCTFail("x[0] is an index: \(call.arguments[0])") }
        guard case .value(.list(let items, _)) = call.arguments[1] else { return XCTFail("[1, 2] is a list argument") }
        XCTAssertEqual(items.count, 2)
        guard case .value(.record(let entries, _)) = call.arguments[2] else { return XCTFail() }
        XCTAssertEqual(entries.map(\.key), ["a", "b c"])
        guard case .value(.field(.subpipeline, "sum", _)) = call.arguments[3] else { return XCTFail("\(call.arguments[3])") }
    }

    func testOperatorPrecedence() throws {
        guard case .pipeline(let p) = try Parser.parse("where a == 1 || b < 2 && !c"),
              case .command(let call) = p.stages[0], case .value(let e) = call.arguments[0] else { return XCTFail() }
        // || binds loosest, then &&, then comparisons, then !
        guard case .binary("||", .binary("==", _, _, _), .binary("&&", .binary("<", _, _, _), .not, _), _) = e else {
            return XCTFail("\(e)")
        }
    }

    func testDirectivesAndTime() throws {
        guard case .timed(.pipeline(let p), let at) = try Parser.parse(":time m | count") else { return XCTFail() }
        XCTAssertEqual(at, loc(1, 1))
        XCTAssertEqual(p.stages.count, 2)
        guard case .pipeline(let q) = try Parser.parse(":help load"), case .command(let call) = q.stages[0] else { return XCTFail() }
        XCTAssertEqual(call.name, ":help")
        XCTAssertEqual(try Parser.parse("   # only a comment"), .empty)
    }

    func testDottedWordsStayWordsWhenNotIdentifiers() throws {
        guard case .pipeline(let p) = try Parser.parse("load ../data/x.npz"), case .command(let call) = p.stages[0] else { return XCTFail() }
        XCTAssertEqual(call.arguments, [.value(.word("../data/x.npz", at: loc(1, 6), length: 13))])
    }

    /// Every syntax error: message, location and underline length.
    func testSyntaxErrorsCarryLocation() {
        let cases: [(String, String, SourceLocation)] = [
            ("x.y = 3", "cannot assign to 'x.y'", loc(1, 1)),
            ("x =", "expected a command or value after '='", loc(1, 4)),
            ("t |", "expected a command after '|'", loc(1, 4)),
            ("t | | head", "expected a command after '|'", loc(1, 5)),
            ("print [1, 2", "missing ']' to close this list", loc(1, 7)),
            ("print {a: 1", "missing '}' to close this record", loc(1, 7)),
            ("print {1: 2}", "expected a field name in a record, found 1", loc(1, 8)),
            ("print {a 2}", "expected ':' after the record field name 'a', found 2", loc(1, 10)),
            ("print (echo a", "missing ')' to close this '(' (found end of cell)", loc(1, 7)),
            ("print ()", "empty '()': put a command inside", loc(1, 8)),
            ("print x[1", "expected ']' to close the index, found end of cell", loc(1, 10)),
            ("print (x).", "expected a field name after '.'", loc(1, 11)),
            ("print a ==", "expected a value after '=='", loc(1, 11)),
            ("echo \"abc", "unterminated string (missing closing \")", loc(1, 6)),
            ("echo \"a\\qb\"", "unknown escape '\\q' (use \\n, \\t, \\\\ or \\\")", loc(1, 6)),
            ("echo $x", "unexpected character '$'", loc(1, 6)),
            ("echo a & b", "'&' runs the cell in the background: it must end the cell", loc(1, 8)),
            ("echo a = b", "unexpected '=' (assignment is 'name = command ...' at the start of a cell; flags take '--name=value')", loc(1, 8)),
            ("load x --rows=", "expected a value after '--rows='", loc(1, 15)),
            (":time", "':time' needs a cell to time, e.g. ':time sleep 1'", loc(1, 6)),
            ("[1] 2", "unexpected 2 after a value (a command name must come first)", loc(1, 5)),
            ("echo a; echo b", "one cell per call: ';' separates cells here", loc(1, 7)),
            ("echo )", "unexpected ')'", loc(1, 6)),
            ("|", "expected a value, found '|'", loc(1, 1)),
        ]
        for (text, message, location) in cases {
            XCTAssertThrowsError(try Parser.parse(text), text) { error in
                guard let error = error as? ShellError else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(error.kind, .syntax, text)
                XCTAssertTrue(error.message.hasPrefix(message), "\(text): got '\(error.message)'")
                XCTAssertEqual(error.location, location, "\(text): \(error.message)")
            }
        }
    }

    func testErrorReportShowsCaretUnderTheProblem() {
        let error = ShellError(.unknownCommand, "unknown command 'lod'", at: loc(2, 3), length: 3,
                               hint: "did you mean 'load'?")
        let report = error.report(origin: "s.aslsh", cellNumber: 4) { $0 == 2 ? "  lod x.npz" : nil }
        XCTAssertEqual(report, """
        s.aslsh:2:3: error (cell 4): unknown command 'lod'
              lod x.npz
              ^~~
          did you mean 'load'?
        """)
        XCTAssertEqual(ShellError(.cancelled, "cancelled").report(origin: "", cellNumber: 2) { _ in nil },
                       "error (cell 2): cancelled")
    }

    func testSuggestions() {
        XCTAssertEqual(Suggestion.nearest(to: "lod", in: ["load", "echo", "sort"]), "load")
        XCTAssertEqual(Suggestion.nearest(to: "epohcs", in: ["epochs", "batch-size"]), "epochs")
        XCTAssertEqual(Suggestion.nearest(to: "coun", in: ["count", "count-to"]), "count")
        XCTAssertNil(Suggestion.nearest(to: "zzz", in: ["load", "echo"]))
        XCTAssertEqual(Suggestion.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(Suggestion.editDistance("ab", "ba"), 1, "a transposition is one edit")
    }
}
