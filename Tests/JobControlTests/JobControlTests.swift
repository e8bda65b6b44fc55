import XCTest
@testable import JobControl

final class CancellationTests: XCTestCase {
    override func tearDown() { Cancellation.reset() }

    func testRequestMakesCheckThrowUntilReset() throws {
        Cancellation.reset()
        XCTAssertNoThrow(try Cancellation.check())
        Cancellation.request()
        XCTAssertTrue(Cancellation.isRequested)
        XCTAssertThrowsError(try Cancellation.check()) { XCTAssertEqual($0 as? CancelledError, CancelledError()) }
        Cancellation.reset()
        XCTAssertFalse(Cancellation.isRequested)
        XCTAssertNoThrow(try Cancellation.check())
    }

    func testSIGINTSetsTheFlagInsteadOfKillingTheProcess() throws {
        Cancellation.installSIGINTHandler()
        Cancellation.installSIGINTHandler() // idempotent
        Cancellation.reset()
        raise(SIGINT)
        XCTAssertTrue(Cancellation.isRequested, "the handler should record the interrupt")
        Cancellation.reset()
    }

    func testProgressAdvanceThrowsWhenCancelled() {
        Cancellation.reset()
        let progress = ProgressReporter(label: "job", total: 10, output: .silent)
        XCTAssertNoThrow(try progress.advance())
        Cancellation.request()
        XCTAssertThrowsError(try progress.advance())
        XCTAssertEqual(progress.completed, 2)
    }
}

final class ProgressReporterTests: XCTestCase {
    /// A clock the test moves by hand.
    final class FakeClock {
        var now = 100.0
    }

    func testStatusTextGivesCountRateAndETA() throws {
        let clock = FakeClock()
        let progress = ProgressReporter(label: "extract", total: 100, unit: "clips", output: .silent,
                                        clock: { clock.now })
        clock.now += 10
        try progress.advance(by: 25)
        // 25 clips in 10 s = 2.5 clips/s; 75 left → 30 s.
        XCTAssertEqual(progress.statusText(now: clock.now), "extract 25/100 clips (25%) 2.5 clips/s ETA 0:30")
    }

    func testUnknownTotalShowsCountAndElapsed() throws {
        let clock = FakeClock()
        let progress = ProgressReporter(label: "download", total: nil, unit: "files", output: .silent,
                                        clock: { clock.now })
        clock.now += 4
        try progress.advance(by: 2)
        XCTAssertEqual(progress.statusText(now: clock.now), "download 2 files 0.5 files/s elapsed 0:04")
    }

    func testBarAndClockFormatting() {
        XCTAssertEqual(ProgressReporter.bar(fraction: 0.5, width: 10), "[#####.....]")
        XCTAssertEqual(ProgressReporter.bar(fraction: 2, width: 4), "[####]")
        XCTAssertEqual(ProgressReporter.bar(fraction: -1, width: 4), "[....]")
        XCTAssertEqual(ProgressReporter.clockText(65), "1:05")
        XCTAssertEqual(ProgressReporter.clockText(3723), "1:02:03")
    }

    func testPlainOutputPrintsPeriodicLinesWithoutEscapes() throws {
        let clock = FakeClock()
        var written: [String] = []
        let output = ProgressReporter.Output(write: { written.append($0) }, isTerminal: false)
        let progress = ProgressReporter(label: "train", total: 4, unit: "epochs", output: output,
                                        lineInterval: 5, clock: { clock.now })
        XCTAssertTrue(written.isEmpty, "no line before any work in plain mode")
        clock.now += 1; try progress.advance()       // too soon for a line
        clock.now += 5; try progress.advance()       // due
        clock.now += 1; try progress.advance()
        progress.finish()
        progress.finish()                            // idempotent
        XCTAssertEqual(written.count, 2, "\(written)")
        XCTAssertTrue(written[0].hasPrefix("train 2/4 epochs (50%)"), written[0])
        XCTAssertTrue(written[1].hasPrefix("train 3/4 epochs (75%)"), written[1])
        XCTAssertFalse(written.joined().contains("\u{1B}"), "plain output must not contain escape codes")
        XCTAssertFalse(written.joined().contains("\r"))
    }

    func testTerminalOutputRedrawsOneLine() throws {
        let clock = FakeClock()
        var written = ""
        let output = ProgressReporter.Output(write: { written += $0 }, isTerminal: true)
        let progress = ProgressReporter(label: "trim", total: 2, unit: "clips", output: output,
                                        redrawInterval: 0.1, clock: { clock.now })
        clock.now += 1; try progress.advance()
        clock.now += 1; try progress.advance()
        progress.finish()
        XCTAssertTrue(written.hasPrefix("\r\u{1B}[K[........................] trim 0/2"), written)
        XCTAssertTrue(written.contains("\r\u{1B}[K[############............] trim 1/2"), written)
        XCTAssertTrue(written.hasSuffix("trim 2/2 clips (100%) 1.0 clips/s elapsed 0:02\n"), written)
        XCTAssertEqual(written.filter { $0 == "\n" }.count, 1, "one line, redrawn in place")
    }

    func testAbandonReportsWhereTheJobStopped() throws {
        var written = ""
        let progress = ProgressReporter(label: "extract", total: 10, unit: "clips",
                                        output: .init(write: { written += $0 }, isTerminal: false))
        try progress.advance(by: 3)
        progress.abandon(reason: "cancelled")
        progress.finish() // no-op after abandon
        XCTAssertEqual(written, "extract: cancelled after 3/10 clips\n")
    }
}
