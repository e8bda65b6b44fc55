import XCTest
import Shell
import TestSupport

/// `--recover` through the shell on real photos: prepare-alphabet marks the recovered samples,
/// `eval --by recovery` scores them apart, and `predict --recover` answers for a photo MediaPipe
/// finds no hand in, saying where the hand came from (without the flag that photo is a "no hand").
final class RecoveryWorkflowTests: XCTestCase {
    func testRecoveredPhotosFromPrepareToPredict() throws {
        guard let photos = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("MediaPipe models missing in models/mediapipe (run make setup)")
        }
        let dir = try TestEnvironment.temporaryDirectory("recover-shell")
        defer { try? FileManager.default.removeItem(at: dir) }
        for letter in ["C", "O", "Q"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("photos"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("photos/\(letter)"),
                                                       withDestinationURL: photos.appendingPathComponent(letter))
        }
        let shell = ShellHarness()
        func run(_ cell: String) throws -> Value? { try shell.run(cell) }
        var lines: [String] { shell.printed }
        let d = dir.path
        let models = TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe").path
        _ = try run("a = prepare-alphabet \(d)/photos --out \(d)/lm --hands 1 --recover --models \(models) --quiet")
        XCTAssertTrue(lines.contains("  all: 33 / 12 / 0 / 0 → 100% (MediaPipe alone 73%)"), "\(lines)")
        _ = try run("build a --static --splits 1 0 0 --out \(d)/ds")
        _ = try run("net = train \(d)/ds/train.npz --epochs 30 --out \(d)/models")
        let report = try run("eval net \(d)/ds/train.npz --by recovery")
        let table = try XCTUnwrap(report?.field("by_recovery")?.tableValue)
        let names = Set(table.rows.compactMap { $0.first?.textValue })
        XCTAssertTrue(names.contains("mediapipe"), "\(names)")
        XCTAssertTrue(names.contains { $0.hasPrefix("recovered (") }, "\(names)")
        XCTAssertEqual(table.rows.compactMap { $0[1].numberValue }.reduce(0, +), 45)

        // O0 is one of the photos MediaPipe misses.
        XCTAssertThrowsError(try run("predict \(d)/photos/O/O0.jpg --model net --models \(models) --hands 1"))
        XCTAssertTrue(lines.contains { $0.contains("no hand") }, "\(lines)")
        let predicted = try XCTUnwrap(try run("predict \(d)/photos/O/O0.jpg --model net --models \(models) --hands 1 --recover")?.tableValue)
        let hand = try XCTUnwrap(predicted.column(named: "hand")?.first?.textValue)
        XCTAssertTrue(hand.hasPrefix("recovered ("), hand)
        XCTAssertTrue(lines.contains { $0.contains("O0.jpg [recovered: ") }, "\(lines)")
        // A photo MediaPipe does find says so.
        let found = try XCTUnwrap(try run("predict \(d)/photos/C/C0.jpg --model net --models \(models) --hands 1 --recover")?.tableValue)
        XCTAssertEqual(found.column(named: "hand")?.first?.textValue, "mediapipe")
    }
}
