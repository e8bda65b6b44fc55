import XCTest
import Datasets
import Pipeline
import TestSupport
import LandmarkExtraction

/// `prepare-alphabet --shard I/N` on real letter photos: three shards merged give the unsharded
/// run's landmark manifest and files byte for byte, the photos without a hand are summed as skips,
/// and a shard whose counts do not add up is refused.
final class ShardedAlphabetTests: XCTestCase {
    func testThreeShardsOfRealPhotosMergeToTheUnshardedRun() throws {
        guard let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("MediaPipe models missing in models/mediapipe (run make setup)")
        }
        let dir = try TestEnvironment.temporaryDirectory("aslsh-shard-alphabet")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Four classes (O has photos without a detected hand) as symbolic links.
        let photos = dir.appendingPathComponent("photos")
        for cls in ["A", "O", "V", "Y"] {
            try FileManager.default.createDirectory(at: photos.appendingPathComponent(cls), withIntermediateDirectories: true)
            for file in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(cls).path) {
                try FileManager.default.createSymbolicLink(at: photos.appendingPathComponent("\(cls)/\(file)"),
                                                           withDestinationURL: root.appendingPathComponent("\(cls)/\(file)"))
            }
        }
        var options = ExtractionOptions()
        options.modelDirectory = TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe")
        options.tracker.maxHands = 1
        let reference = try AlphabetPreparation.run(photoRoot: photos, outputDirectory: dir.appendingPathComponent("ref"), options: options)
        let out = dir.appendingPathComponent("out")
        var shardClips = 0
        for i in 0..<3 {
            let summary = try AlphabetPreparation.run(photoRoot: photos, outputDirectory: out, options: options, shard: try Shard(index: i, count: 3))
            XCTAssertGreaterThan(summary.clipCount, 0, "shard \(i) has photos with a hand")
            shardClips += summary.clipCount
        }
        XCTAssertEqual(shardClips, reference.clipCount)
        let manifest = out.appendingPathComponent("alphabet_manifest.json")
        let merged = try ShardMerge.run(manifest: manifest)
        let noHand = reference.skipped["no hand detected"] ?? 0
        XCTAssertGreaterThan(noHand, 0, "O has photos without a detected hand")
        XCTAssertTrue(merged.description.contains("skipped \(noHand): no hand detected"), merged.description)
        XCTAssertEqual(try Data(contentsOf: manifest), try Data(contentsOf: dir.appendingPathComponent("ref/alphabet_manifest.json")))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("ref/landmarks").path).sorted()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("landmarks").path).sorted(), names)
        for name in names {
            XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("landmarks/\(name)")),
                           try Data(contentsOf: dir.appendingPathComponent("ref/landmarks/\(name)")), name)
        }

        // A shard whose records and skips do not add up to its photos (its skip count edited).
        let stateURL = out.appendingPathComponent("alphabet_manifest.shard-1-of-3.state.json")
        var state = try ShardState.read(stateURL)
        state.skipped = ["no hand detected": (state.skipped?["no hand detected"] ?? 0) + 1]
        try state.write(to: stateURL)
        XCTAssertThrowsError(try ShardMerge.run(manifest: manifest)) { error in
            XCTAssertTrue("\(error)".contains("inputs unaccounted for"), "\(error)")
        }
    }
}
