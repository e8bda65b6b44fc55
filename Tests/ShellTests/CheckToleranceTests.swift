import Foundation
import TestSupport
import XCTest
@testable import Shell

/// `aslsh --check` compares decimals with a tolerance, everything else exactly, and reads the
/// tolerance from `# check:` (header) and `#! check` (one cell) lines.
final class CheckToleranceTests: XCTestCase {
    private func mismatch(_ expected: String, _ actual: String, _ tolerance: Tolerance = .standard) -> String? {
        OutputComparison.mismatch(expected: expected, actual: actual, tolerance: tolerance)
    }

    private func numbers(in line: String) -> [String] {
        OutputTokenizer.tokens(line).compactMap { if case .number(let n) = $0 { return n.text } else { return nil } }
    }

    // MARK: comparison

    func testDecimalsWithinToleranceMatch() {
        XCTAssertNil(mismatch("L 0.964235", "L 0.963948"), "another BLAS kernel: 3e-4 relative")
        XCTAssertNil(mismatch("hello 0.907608", "hello 0.906527"), "another BLAS kernel after training a TCN: 1.2e-3 relative")
        XCTAssertNil(mismatch("accuracy 0.9450  top-5 0.9890  (55 samples)", "accuracy 0.9452  top-5 0.9889  (55 samples)"))
        XCTAssertNil(mismatch("loss -2.4260", "loss -2.4270"), "signed values, within 1e-3 relative")
        XCTAssertNil(mismatch("a 0.000000", "a 0.000001"), "atol (and the last place) cover values printed as zero")
    }

    func testDecimalsOutsideToleranceFailWithTheDifferenceAndTolerance() {
        XCTAssertEqual(mismatch("acc 0.4000", "acc 0.3333"),
                       "0.4000 vs 0.3333 differ by 0.0667 > tolerance 4e-3 (rtol 1e-2, atol 1e-6)")
        XCTAssertEqual(mismatch("L 0.964235", "L 0.950335"),
                       "0.964235 vs 0.950335 differ by 0.0139 > tolerance 9.64e-3 (rtol 1e-2, atol 1e-6)")
        XCTAssertNotNil(mismatch("x 1.5", "x -1.5"), "a sign flip is a real change")
        XCTAssertNotNil(mismatch("accuracy 1.0000", "accuracy 0.9881"), "one sample of 84")
    }

    func testIntegersMatchExactly() {
        XCTAssertEqual(mismatch("train 312, val 84", "train 312, val 85"), "84 vs 85 (integers match exactly)")
        XCTAssertEqual(mismatch("n 1000", "n 1001"), "1000 vs 1001 (integers match exactly)",
                       "1e-2 relative would pass a decimal; a count must not move")
        XCTAssertEqual(mismatch("v 1", "v 1.0"), "'1' vs '1.0' (an integer and a decimal)")
    }

    func testWordsMatchExactly() {
        XCTAssertEqual(mismatch("B 0.946  W 0.028", "B 0.946  V 0.028"), "'W' vs 'V' (text matches exactly)")
        XCTAssertEqual(mismatch("wrote a.png", "wrote b.png"), "'a.png' vs 'b.png' (text matches exactly)")
        XCTAssertEqual(mismatch("a 0.5", "a 0.5 extra"), "end of line vs ' extra'")
    }

    func testALastPrintedDigitMayFlip() {
        XCTAssertNil(mismatch("Z 0.025", "Z 0.026"), "0.0255 printed with 3 places rounds either way")
        XCTAssertNil(mismatch("Z 0.025", "Z 0.024", .numeric(rtol: 0, atol: 0)), "even with a zero tolerance")
        XCTAssertEqual(mismatch("Z 0.025", "Z 0.027"),
                       "0.025 vs 0.027 differ by 2e-3 > tolerance 1e-3 (one unit in the last printed place; rtol 1e-2, atol 1e-6)")
    }

    func testExponentNotationAndPercentages() {
        XCTAssertNil(mismatch("lr 1.00e-03", "lr 1.01e-03"), "one unit in the last place is 1e-5")
        XCTAssertNil(mismatch("lr 1.00e-03", "lr 0.001"), "same value, other notation")
        XCTAssertEqual(mismatch("lr 1.00e-03", "lr 1.10e-03"),
                       "1.00e-03 vs 1.10e-03 differ by 1e-4 > tolerance 1.1e-5 (rtol 1e-2, atol 1e-6)")
        XCTAssertEqual(OutputTokenizer.number(in: Array("2E+5"), at: 0)?.0.isInteger, false, "an exponent makes a decimal")
        XCTAssertNil(mismatch("detected 12.5%", "detected 12.51%"))
        XCTAssertNotNil(mismatch("detected 12.5%", "detected 13.5%"))
        XCTAssertEqual(mismatch("detected 45%", "detected 46%"), "45 vs 46 (integers match exactly)")
    }

    func testNumbersGluedToWordsAndPathsAreText() {
        XCTAssertEqual(numbers(in: "best epoch 12 → models/checkpoints/letters/mlp_epoch12_acc1.0000.safetensors"), ["12"])
        XCTAssertEqual(numbers(in: "data/synth/landmarks/synth_A_0000.npy:  A 0.939  Y 0.032"), ["0.939", "0.032"])
        XCTAssertEqual(numbers(in: "accuracy 1.0000  top-5 1.0000  (84 samples)"), ["1.0000", "5", "1.0000", "84"])
        XCTAssertEqual(numbers(in: "hello_0001.npy 0.0s v1.2.3 1.2.3 x=-0.5 lr 1.00e-03 12.5% accuracy 0.5."),
                       ["-0.5", "1.00e-03", "12.5", "0.5"])
        XCTAssertNotNil(mismatch("tcn_epoch7_acc0.4000.safetensors", "tcn_epoch7_acc0.4001.safetensors"))
        XCTAssertNotNil(mismatch("hello_0001.npy", "hello_0002.npy"))
        XCTAssertNotNil(mismatch("took 0.0s", "took 0.1s"), "a number with a unit glued on is text")
    }

    func testTableAlignmentWhitespaceMayChangeWidth() {
        XCTAssertNil(mismatch("epoch  0.0999  loss", "epoch     0.1  loss"), "a narrower number, wider padding")
        XCTAssertNil(mismatch("     1      2.4260", "  1   2.4261"), "leading padding is free")
        XCTAssertEqual(mismatch("a b 0.5", "ab 0.5"), "'a' vs 'ab' (text matches exactly)", "whitespace must still be there")
    }

    func testExactComparesCharacters() {
        XCTAssertEqual(mismatch("Z 0.025", "Z 0.026", .exact), "'0.025' vs '0.026' (check exact)")
        XCTAssertEqual(mismatch("a  b", "a b", .exact), "'  ' vs ' ' (check exact)")
        XCTAssertNil(mismatch("Z 0.025", "Z 0.025", .exact))
    }

    // MARK: directives

    private let directed = """
    # aslsh 0.1.0 session, saved 2027-01-15T08:00:00Z, seed 42
    # replay: aslsh FILE    check: aslsh --check FILE
    # check: rtol=5e-2, atol=1e-4
    # Decimals from another machine.

    echo "p 0.500"
    #> p 0.520
    #! check exact
    echo "p 0.500"
    #> p 0.501
    #!   check atol=0.5
    echo "q 1.0"
    #> q 1.4
    echo "z 0.500"
    #> z 0.600

    """

    func testHeaderDirectiveSetsTheFileTolerance() throws {
        let cells = try Transcript.parse(directed)
        XCTAssertEqual(cells[0].tolerance, .numeric(rtol: 5e-2, atol: 1e-4))
        XCTAssertEqual(cells[3].tolerance, .numeric(rtol: 5e-2, atol: 1e-4))
        let result = try Transcript.check(directed)
        XCTAssertEqual(result.cells, 4)
        XCTAssertFalse(result.differences.map(\.cellNumber).contains(1), "0.520 vs 0.500 is within rtol 5e-2")
        let difference = try XCTUnwrap(result.differences.first { $0.cellNumber == 4 })
        XCTAssertEqual(difference.mismatches.map(\.description),
                       ["line 15: 0.600 vs 0.500 differ by 0.1 > tolerance 0.0301 (rtol 0.05, atol 1e-4)"])

        let withoutHeader = directed.replacingOccurrences(of: "# check: rtol=5e-2, atol=1e-4\n", with: "")
        let strict = try Transcript.check(withoutHeader)
        XCTAssertTrue(strict.differences.map(\.cellNumber).contains(1), "the default tolerance rejects 0.520 vs 0.500")
    }

    func testCellDirectiveSetsOneCellsTolerance() throws {
        let cells = try Transcript.parse(directed)
        XCTAssertEqual(cells.map(\.tolerance), [.numeric(rtol: 5e-2, atol: 1e-4), .exact,
                                                .numeric(rtol: 5e-2, atol: 0.5), .numeric(rtol: 5e-2, atol: 1e-4)],
                       "a cell setting overrides the header's; what it leaves out comes from the header")
        let result = try Transcript.check(directed)
        XCTAssertEqual(result.differences.map(\.cellNumber), [2, 4])
        XCTAssertEqual(result.differences[0].mismatches.map(\.description), ["line 10: '0.501' vs '0.500' (check exact)"])
        XCTAssertEqual(try Transcript.parse("#! check rtol=0.05\necho x\n").first?.tolerance, .numeric(rtol: 0.05, atol: 1e-6),
                       "without a header the rest is the default")
    }

    func testDirectivesAreCommentsToTheShell() throws {
        XCTAssertEqual(CellSplitter.split(directed).map(\.text), ["echo \"p 0.500\"", "echo \"p 0.500\"", "echo \"q 1.0\"", "echo \"z 0.500\""])
        let session = Session(seed: 42, outputSink: { _ in }, errorSink: { _ in })
        XCTAssertEqual(session.run(script: directed), [], "a transcript with directives still runs as a script")
        XCTAssertEqual(session.transcript.map(\.output), [[OutputLine("p 0.500")], [OutputLine("p 0.500")],
                                                          [OutputLine("q 1.0")], [OutputLine("z 0.500")]])
        XCTAssertNoThrow(try Transcript.parse("#!/usr/bin/env aslsh\necho a\n"), "a first-line shebang is no directive")
    }

    func testMalformedDirectivesNameTheirLine() {
        let cases: [(String, Int, String)] = [
            ("# check: rtol=abc\necho a\n", 1, "rtol expects a non-negative number, got 'abc'"),
            ("# h\n# check: atol=-1e-3\necho a\n", 2, "atol expects a non-negative number, got '-1e-3'"),
            ("# check: rtl=1e-2\necho a\n", 1, "unknown check setting 'rtl' (did you mean 'rtol'?); expected rtol=X, atol=X or exact"),
            ("# check:\necho a\n", 1, "check directive needs rtol=X, atol=X or exact"),
            ("# check: rtol=1 rtol=2\necho a\n", 1, "rtol given twice"),
            ("# check: exact rtol=1\necho a\n", 1, "'exact' cannot be combined with rtol or atol"),
            ("# check: rtol=1\n# check: atol=1\necho a\n", 2, "a second '# check:' line (the first is line 1)"),
            ("echo a\n#> a\n# check: rtol=1\necho b\n", 3,
             "'# check:' belongs in the header, before the first cell (line 1); for one cell write '#! check …' on the line before it"),
            ("echo a\n#! check exact\n\necho b\n", 2, "'#! check' must be on the line just before a cell"),
            ("echo a\n#! check exact\n", 2, "'#! check' must be on the line just before a cell"),
            ("echo a\n#! chek exact\necho b\n", 2, "unknown directive '#! chek' (did you mean 'check'?); '#!' lines before a cell are '#! check …'"),
            ("echo a\n#! check nan=1\necho b\n", 2, "unknown check setting 'nan'; expected rtol=X, atol=X or exact"),
            ("echo a\n#! check rtol=inf\necho b\n", 2, "rtol expects a non-negative number, got 'inf'"),
        ]
        for (text, line, message) in cases {
            XCTAssertThrowsError(try Transcript.parse(text), text) { error in
                XCTAssertEqual(error as? TranscriptFormatError, TranscriptFormatError(line: line, message: message), text)
            }
        }
        XCTAssertEqual(TranscriptFormatError(line: 3, message: "m").report(file: "s.aslsh"), "s.aslsh:3: error: m")
    }

    func testMalformedDirectiveStopsCheckBeforeAnythingRuns() throws {
        let directory = try TestEnvironment.temporaryDirectory("aslsh-check")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sideEffect = directory.appendingPathComponent("ran.aslsh")
        let text = ":save \(sideEffect.path)\necho b\n#! check rtol=abc\necho c\n"
        XCTAssertThrowsError(try Transcript.check(text)) { XCTAssertEqual(($0 as? TranscriptFormatError)?.line, 3) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: sideEffect.path), "no cell ran")
    }

    // MARK: report and save

    func testReportListsMismatchedLinesThenBothOutputs() {
        let lines = (1...8).map { ($0, "v 0.\($0)00") }
        let mismatches = Transcript.compare(expected: lines.map { (text: $0.1, line: $0.0 + 10) },
                                            actual: lines.map { "v 0.\($0.0)50" } + ["extra"],
                                            tolerance: .standard, cellEnd: 10)
        XCTAssertEqual(mismatches.count, 9)
        XCTAssertEqual(mismatches.last?.description, "after line 18: 'extra' printed, not in the transcript")
        let difference = Transcript.Difference(cellNumber: 2, source: CellSource(text: "t", line: 10, column: 1),
                                               expected: lines.map(\.1), actual: [], mismatches: mismatches)
        let report = Transcript.report(difference, file: "f.aslsh").components(separatedBy: "\n")
        XCTAssertEqual(Array(report.prefix(8)), [
            "f.aslsh:10: cell 2 output differs: t",
            "  line 11: 0.100 vs 0.150 differ by 0.05 > tolerance 1e-3 (rtol 1e-2, atol 1e-6)",
            "  line 12: 0.200 vs 0.250 differ by 0.05 > tolerance 2e-3 (rtol 1e-2, atol 1e-6)",
            "  line 13: 0.300 vs 0.350 differ by 0.05 > tolerance 3e-3 (rtol 1e-2, atol 1e-6)",
            "  line 14: 0.400 vs 0.450 differ by 0.05 > tolerance 4e-3 (rtol 1e-2, atol 1e-6)",
            "  line 15: 0.500 vs 0.550 differ by 0.05 > tolerance 5e-3 (rtol 1e-2, atol 1e-6)",
            "  … and 4 more lines differ",
            "  expected:",
        ])
        let short = Transcript.compare(expected: [(text: "a", line: 5), (text: "b", line: 6)], actual: ["a"],
                                       tolerance: .standard, cellEnd: 4)
        XCTAssertEqual(short.map(\.description), ["line 6: 'b' expected, the cell printed 1 line"])
    }

    func testSavingOverATranscriptKeepsItsHeaderNotes() throws {
        let directory = try TestEnvironment.temporaryDirectory("aslsh-check")
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("kept.aslsh")
        try """
        # aslsh 0.1.0 session, saved 2027-01-15T08:00:00Z, seed 42
        # replay: aslsh FILE    check: aslsh --check FILE
        # Letters from photos.
        # check: rtol=1e-2

        echo old
        #> old

        """.write(to: target, atomically: true, encoding: .utf8)
        let session = Session(seed: 42, outputSink: { _ in }, errorSink: { _ in })
        session.execute(CellSource(text: "echo new"))
        session.execute(CellSource(text: ":save \(target.path)"))
        let lines = try String(contentsOf: target, encoding: .utf8).components(separatedBy: "\n")
        XCTAssertEqual(Array(lines.dropFirst()), [
            "# replay: aslsh FILE    check: aslsh --check FILE",
            "# Letters from photos.",
            "# check: rtol=1e-2",
            "",
            "echo new", "#> new",
            "",
        ])
        XCTAssertEqual(Transcript.headerNotes(in: "echo a\n# check: rtol=1\n"), [], "not a transcript: nothing kept")
    }
}
