import XCTest
@testable import Shell

final class TranscriptTests: XCTestCase {
    private let date = Date(timeIntervalSince1970: 1_800_000_000)

    private func session(_ cells: [String]) -> Session {
        let session = Session(seed: 9, outputSink: { _ in }, errorSink: { _ in })
        for cell in cells { session.execute(CellSource(text: cell)) }
        return session
    }

    func testSaveWritesCellsOutputAndHeader() {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("aslsh-save-\(UUID().uuidString).aslsh")
        defer { try? FileManager.default.removeItem(at: target) }
        let s = session(["x = [1, 2]", "x | head 1", "echo \"\"", ":time echo a", "lod", ":save \(target.path)"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: target.path))
        let text = Transcript.render(s.transcript, seed: s.seed, date: date)
        let lines = text.components(separatedBy: "\n")
        XCTAssertEqual(lines[0], "# aslsh 0.1.0 session, saved 2027-01-15T08:00:00Z, seed 9")
        XCTAssertEqual(Array(lines[3...]), [
            "x = [1, 2]",
            "x | head 1", "#> [1]",
            "echo \"\"", "#>",
            ":time echo a", "#> a", lines[10],
            "lod", "#> error: unknown command 'lod' (did you mean 'load'?)",
            "",
        ])
        XCTAssertTrue(lines[10].hasPrefix("#~ time: "), lines[10])
        XCTAssertFalse(text.contains(":save"), ":save itself is not recorded")
    }

    func testParseAttachesOutputToTheCellBefore() throws {
        let cells = try Transcript.parse("# header\na = 1; a\n#> 1\nb = [1,\n 2]\nb\n#> [1, 2]\n#~ volatile\n#>\n")
        XCTAssertEqual(cells.map(\.source.text), ["a = 1", "a", "b = [1,\n 2]", "b"])
        XCTAssertEqual(cells.map(\.expected), [[], [OutputLine("1")], [],
                                               [OutputLine("[1, 2]"), OutputLine("volatile", volatile: true), OutputLine("")]])
        XCTAssertEqual(cells.map(\.expectedLines), [[], [3], [], [7, 8, 9]], "file lines of the expected output, for reports")
        XCTAssertEqual(Set(cells.map(\.tolerance)), [Tolerance.standard], "no directive: the default tolerance")
        XCTAssertEqual(Transcript.seed(in: "# aslsh 0.1.0 session, saved X, seed 1234\n"), 1234)
        XCTAssertNil(Transcript.seed(in: "echo no header\n"))
    }

    /// A transcript saved with Windows line ends (an editor, or git's autocrlf) reads as the
    /// same cells and expected output and checks clean; each "\r\n" is one line break.
    func testCRLFTranscriptReadsAndChecksLikeLF() throws {
        let lf = """
        # aslsh 0.1.0 session, saved 2027-01-15T08:00:00Z, seed 42
        # a note kept on save
        echo a
        #> a
        x = [1,
         2]
        x | head 1
        #> [1]

        """
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(crlf.unicodeScalars.filter { $0 == "\r" }.count, 8)
        let (lfCells, crlfCells) = (try Transcript.parse(lf), try Transcript.parse(crlf))
        XCTAssertEqual(crlfCells.map(\.source.line), lfCells.map(\.source.line))
        XCTAssertEqual(crlfCells.map(\.expected), [[OutputLine("a")], [], [OutputLine("[1]")]])
        XCTAssertEqual(crlfCells.map(\.expectedLines), lfCells.map(\.expectedLines))
        XCTAssertEqual(Transcript.seed(in: crlf), 42)
        XCTAssertEqual(Transcript.headerNotes(in: crlf), ["# a note kept on save"])
        let result = try Transcript.check(crlf)
        XCTAssertEqual(result.cells, 3)
        XCTAssertEqual(result.differences, [])
    }

    func testSplitLinesSplitsAtEveryNewlineAndDropsCR() {
        XCTAssertEqual("a\r\nb\n\nc\u{301}\n".splitLines(), ["a", "b", "", "c\u{301}", ""])
        XCTAssertEqual("a\r\nb".splitLines(keepingCarriageReturns: true), ["a\r", "b"])
        XCTAssertEqual("".splitLines(), [""])
        XCTAssertEqual("\r".splitLines(), [""], "a lone CR at the end is a CRLF cut short")
        XCTAssertEqual("é\n\u{1F44B}".splitLines(), "é\n\u{1F44B}".components(separatedBy: "\n"))
    }

    func testSaveThenCheckRoundTrips() throws {
        let s = session(["t = [{a: 1}, {a: 2}]", "t | where a > 1", ":time t | count", ":seed", "nope"])
        let text = Transcript.render(s.transcript, seed: s.seed, date: date)
        let result = try Transcript.check(text)
        XCTAssertEqual(result.cells, 5)
        XCTAssertEqual(result.differences, [], "a fresh save replays identically (volatile timing ignored)")
        XCTAssertTrue(text.contains("#> seed 9"), "the replay uses the header's seed")
    }

    func testCheckReportsEveryChangedCell() throws {
        let text = """
        # aslsh 0.1.0 session, saved 2027-01-15T08:00:00Z, seed 42
        echo a
        #> a
        echo b
        #> B
        echo c
        #> c
        #~ this volatile line is ignored
        echo d
        """
        let result = try Transcript.check(text)
        XCTAssertEqual(result.cells, 4)
        XCTAssertEqual(result.differences.map(\.cellNumber), [2, 4])
        XCTAssertEqual(result.differences[0].expected, ["B"])
        XCTAssertEqual(result.differences[0].actual, ["b"])
        XCTAssertEqual(result.differences[1].expected, [], "a cell without #> lines expects no output")
        XCTAssertEqual(result.differences[1].mismatches.map(\.description), ["after line 9: 'd' printed, not in the transcript"])
        XCTAssertEqual(Transcript.report(result.differences[0], file: "f.aslsh"), """
        f.aslsh:4: cell 2 output differs: echo b
          line 5: 'B' vs 'b' (text matches exactly)
          expected:
            #> B
          actual:
            #> b
        """)
    }
}
