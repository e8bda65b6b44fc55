import Foundation
import TestSupport
import XCTest

/// `predict FOLDER --shard I/N --out R.jsonl` then `merge R.jsonl`: the results of an unsharded
/// run, line for line; without --out or over a single file the flag is refused.
final class ShardedPredictTests: XCTestCase {
    func testShardedPredictOverAFolderMergesToTheUnshardedResults() throws {
        guard AslshBinary.url != nil else { return XCTFail(AslshBinary.missingMessage) }
        let dir = try TestEnvironment.temporaryDirectory("aslsh-shard-predict")
        defer { try? FileManager.default.removeItem(at: dir) }
        let setup = try AslshBinary.run(["-c", "synth --classes A B C --per-class 5 --seed 3 --out s; "
                                         + "build s/synth_manifest.json --static --out ds; "
                                         + "train ds/train.npz --architecture mlp --epochs 3 --out ck"], in: dir)
        XCTAssertEqual(setup.status, 0, setup.stderr)
        let model = "ck/mlp_last.safetensors"
        let reference = try AslshBinary.run(["predict", "s/landmarks", "--model", model, "--out", "ref.jsonl"], in: dir)
        XCTAssertEqual(reference.status, 0, reference.stderr)
        for i in 0..<3 {
            let shard = try AslshBinary.run(["predict", "s/landmarks", "--model", model, "--out", "r.jsonl", "--shard", "\(i)/3"], in: dir)
            XCTAssertEqual(shard.status, 0, shard.stderr)
        }
        let merge = try AslshBinary.run(["merge", "r.jsonl"], in: dir)
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertTrue(merge.stdout.contains("merged 3 shards of predict: 15 records from 15 inputs"), merge.stdout)
        XCTAssertTrue(merge.stdout.contains("items with results: 15 of 15\n"), merge.stdout)
        let merged = try String(contentsOf: dir.appendingPathComponent("r.jsonl"), encoding: .utf8)
        XCTAssertEqual(merged, try String(contentsOf: dir.appendingPathComponent("ref.jsonl"), encoding: .utf8))
        XCTAssertEqual(merged.split(separator: "\n").count, 15)

        let noOut = try AslshBinary.run(["predict", "s/landmarks", "--model", model, "--shard", "0/3"], in: dir)
        XCTAssertNotEqual(noOut.status, 0)
        XCTAssertTrue(noOut.stderr.contains("--shard needs --out"), noOut.stderr)
        let oneFile = try AslshBinary.run(["predict", "s/landmarks/synth_A_0000.npy", "--model", model, "--out", "x.jsonl",
                                           "--shard", "0/3"], in: dir)
        XCTAssertTrue(oneFile.stderr.contains("is not a folder"), oneFile.stderr)
    }
}
