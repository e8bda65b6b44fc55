import XCTest
@testable import Shell

final class LexerTests: XCTestCase {
    private func kinds(_ text: String) -> [TokenKind] {
        var lexer = Lexer(text)
        return lexer.tokenize().map(\.kind)
    }

    func testWordsNumbersStringsFlagsAndOperators() {
        XCTAssertEqual(kinds(#"m = load data/x.npz --epochs=5 -nr | where label == "book" && n >= -2.5"#), [
            .word("m"), .equals, .word("load"), .word("data/x.npz"), .longFlag("epochs"), .equals,
            .number(5, text: "5", isInteger: true), .shortFlags("nr"), .pipe, .word("where"), .word("label"),
            .op("=="), .string("book"), .op("&&"), .word("n"), .op(">="), .number(-2.5, text: "-2.5", isInteger: false), .end,
        ])
    }

    func testMetaBracketsAndRecordColons() {
        XCTAssertEqual(kinds(":help [1, 2] {a: 'x\\n'} (r).acc"), [
            .meta("help"), .leftBracket, .number(1, text: "1", isInteger: true), .comma,
            .number(2, text: "2", isInteger: true), .rightBracket, .leftBrace, .word("a"), .colon,
            .string("x\\n"), .rightBrace, .leftParen, .word("r"), .rightParen, .dot, .word("acc"), .end,
        ])
    }

    func testEscapesInDoubleQuotes() {
        XCTAssertEqual(kinds(#""a\tb\n\"c\"\\""#), [.string("a\tb\n\"c\"\\"), .end])
    }

    func testCommentsAndNewlines() {
        XCTAssertEqual(kinds("echo a # a comment\n#> output\necho b"),
                       [.word("echo"), .word("a"), .newline, .newline, .word("echo"), .word("b"), .end])
    }

    func testContinuationJoinsLines() {
        XCTAssertEqual(kinds("echo a \\\n  b"), [.word("echo"), .word("a"), .word("b"), .end])
        XCTAssertEqual(kinds("t |\n head"), [.word("t"), .pipe, .word("head"), .end])
        XCTAssertEqual(kinds("x = [1,\n 2]").filter { $0 == .newline }, [])
    }

    func testLocationsAreLineAndColumn() {
        var lexer = Lexer("echo a\n  lod  x", firstLine: 10)
        let tokens = lexer.tokenize()
        let lod = tokens.first { $0.kind == .word("lod") }!
        XCTAssertEqual(lod.location, SourceLocation(line: 11, column: 3))
        XCTAssertEqual(lod.length, 3)
        var offset = Lexer("x", firstLine: 2, firstColumn: 7)
        XCTAssertEqual(offset.tokenize()[0].location, SourceLocation(line: 2, column: 7))
    }

    func testIncompleteInputAsksForMore() {
        XCTAssertTrue(Lexer.needsMoreInput("x = [1, 2"))
        XCTAssertTrue(Lexer.needsMoreInput("r = {a: 1"))
        XCTAssertTrue(Lexer.needsMoreInput("(load x"))
        XCTAssertTrue(Lexer.needsMoreInput("echo \"open"))
        XCTAssertTrue(Lexer.needsMoreInput("echo a \\"))
        XCTAssertTrue(Lexer.needsMoreInput("t | where x > 1 |"))
        XCTAssertFalse(Lexer.needsMoreInput("echo a"))
        XCTAssertFalse(Lexer.needsMoreInput("x = [1, 2]"))
        XCTAssertFalse(Lexer.needsMoreInput("echo a # [ in a comment"))
    }

    func testInvalidCharactersBecomeInvalidTokens() {
        XCTAssertEqual(kinds("echo $x"), [.word("echo"), .invalid("unexpected character '$'"), .word("x"), .end])
        XCTAssertEqual(kinds("a & b")[1], .ampersand, "a lone '&' ends a background cell")
        XCTAssertEqual(kinds("\"abc")[0], .invalid("unterminated string (missing closing \")"))
        XCTAssertEqual(kinds(#""a\qb""#)[0], .invalid("unknown escape '\\q' (use \\n, \\t, \\\\ or \\\")"))
    }

    func testCellSplitterSplitsOnSemicolonsAndNewlinesOutsideBrackets() {
        let cells = CellSplitter.split("echo a; echo b\n\n# comment\nx = [1,\n 2]\nt |\n  head 1")
        XCTAssertEqual(cells.map(\.text), ["echo a", "echo b", "x = [1,\n 2]", "t |\n  head 1"])
        XCTAssertEqual(cells.map(\.line), [1, 1, 4, 6])
        XCTAssertEqual(cells.map(\.column), [1, 9, 1, 1])
    }
}
