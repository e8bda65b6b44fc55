import Foundation
import TestSupport
import XCTest

/// The fuzz targets (`aslsh-fuzz`, built normally as a replayer) over every committed seed and
/// every saved fuzz finding (Tests/Fuzz/seeds, Tests/Fuzz/findings): each input must give the
/// reader's answer — a value or an error naming the file — and never a trap. `make fuzz` runs
/// the same targets under libFuzzer and AddressSanitizer.
final class FuzzReplayTests: XCTestCase {
    func testEverySeedAndFindingReplaysCleanly() throws {
        guard let aslsh = AslshBinary.url else { throw XCTSkip(AslshBinary.missingMessage) }
        let replayer = aslsh.deletingLastPathComponent().appendingPathComponent("aslsh-fuzz")
        guard FileManager.default.isExecutableFile(atPath: replayer.path) else {
            return XCTFail("aslsh-fuzz is not built next to \(aslsh.path)")
        }
        let listing = try ExternalTool.launch(replayer, ["--list"])
        let targets = listing.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        XCTAssertGreaterThanOrEqual(targets.count, 20, listing.stdout)
        let fuzz = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Fuzz")
        var replayed = 0
        for target in targets {
            var inputs: [String] = []
            for folder in ["seeds", "findings"] {
                let dir = fuzz.appendingPathComponent("\(folder)/\(target)")
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
                inputs += names.sorted().map { dir.appendingPathComponent($0).path }
            }
            XCTAssertFalse(inputs.isEmpty, "no committed seed for \(target)")
            guard !inputs.isEmpty else { continue }
            let outcome = try ExternalTool.launch(replayer, [target] + inputs)
            XCTAssertEqual(outcome.status, 0, "\(target): \(outcome.stderr)")
            replayed += inputs.count
        }
        XCTAssertGreaterThanOrEqual(replayed, 40)
    }
}
