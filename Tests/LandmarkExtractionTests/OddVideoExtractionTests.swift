import XCTest
import Datasets
import TestSupport
@testable import LandmarkExtraction

/// `extract` over the breakage corpus's videos (Tests/Fixtures/breakage/videos): files that are
/// not video are counted as `unreadable video` and named in the log, the batch goes on, and odd
/// sizes (1×1, 33×17), rotated, variable-rate and Flash videos are tracked frame by frame.
final class OddVideoExtractionTests: XCTestCase {
    func testUnreadableVideosAreCountedAndOddOnesTracked() throws {
        guard TestEnvironment.mediapipeModel("palm_detection_lite") != nil else {
            throw XCTSkip("MediaPipe models missing in models/mediapipe (run make setup)")
        }
        let output = try TestEnvironment.temporaryDirectory("extract-odd")
        defer { try? FileManager.default.removeItem(at: output) }
        var options = ExtractionOptions()
        options.modelDirectory = TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe")
        options.tracker.complexity = .lite
        let files = ["zero": "zero.mp4", "html": "html.mp4", "audio": "audio_only.mp4", "tiny": "tiny_1x1.mp4",
                     "odd": "odd_33x17.mp4", "rotated": "rotated90.mp4", "vfr": "vfr.mp4", "flash": "flash.swf"]
        let inputs = files.keys.sorted().map {
            ClipExtraction.Input(clipID: $0, label: "x", video: TestEnvironment.breakage("videos/\(files[$0]!)"))
        }
        let summary = try ClipExtraction.run(inputs: inputs, outputDirectory: output, options: options)
        XCTAssertEqual(summary.skipped, ["unreadable video": 3], summary.text)
        let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        let frames = Dictionary(uniqueKeysWithValues: manifest.records.map { ($0.clipID, $0.frameCount) })
        XCTAssertEqual(frames, ["tiny": 3, "odd": 3, "rotated": 3, "vfr": 8, "flash": 5])
        XCTAssertTrue(manifest.records.allSatisfy { $0.detectedFrames == 0 }, "test patterns hold no hand")
        let log = try String(contentsOf: output.appendingPathComponent(ClipExtraction.logName), encoding: .utf8)
        XCTAssertTrue(log.contains("audio: failed: \(TestEnvironment.breakage("videos/audio_only.mp4").path): no video stream"), log)
        XCTAssertTrue(log.contains("zero: failed: "), log)
        XCTAssertTrue(log.contains("html: failed: "), log)
    }
}
