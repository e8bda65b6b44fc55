import Foundation
import TestSupport
import XCTest

/// The sharded pipeline on a real Slurm: `scripts/test-slurm-shards.sh` starts munge, slurmctld
/// and slurmd (single node, as root, no systemd), runs `trim` + `extract --shard auto` as an
/// `sbatch --array=0-3` job over real MS-ASL clips, cancels one task mid-run, checks that `merge`
/// refuses, resubmits the task with --resume, merges, and compares every output byte for byte with
/// an unsharded run. It skips only without ../shared; without Slurm it fails (setup installs it).
final class SlurmShardTests: XCTestCase {
    func testSlurmArrayShardsMergeToTheUnshardedRunAfterAKilledTask() throws {
        guard let shared = TestEnvironment.shared, TestEnvironment.sharedPath("realdata/msasl_videos") != nil else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        guard let binary = AslshBinary.url else { return XCTFail(AslshBinary.missingMessage) }
        guard getuid() == 0 else { throw XCTSkip("Slurm's daemons are started as root; run the suite as root (CI does)") }
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/test-slurm-shards.sh")
        let outcome = try ExternalTool.launch(URL(fileURLWithPath: "/bin/bash"), [script.path, binary.path, shared.path])
        let output = outcome.stdout + outcome.stderr
        XCTAssertEqual(outcome.status, 0, output)
        XCTAssertTrue(output.contains("slurm shards: ok"), output)
        XCTAssertTrue(output.contains("check: merge refused"), output)
        XCTAssertTrue(output.contains("byte-identical to the unsharded run"), output)
        print(output)
    }
}
