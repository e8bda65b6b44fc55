import XCTest
import Datasets
import Hands
import Media
import TestSupport
import TensorCore
@testable import LandmarkExtraction

/// `prepare-alphabet --recover` on real letter photos: recovered samples are written and marked
/// with the attempt that found them, the coverage table counts MediaPipe's hands, recovered ones,
/// missing and too-small photos per class, `--resume` counts them again the same way, and
/// `build` carries the mark into the dataset.
final class RecoveredAlphabetTests: XCTestCase {
    func testRecoveredPhotosAreWrittenMarkedAndCounted() throws {
        guard let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("MediaPipe models missing in models/mediapipe (run make setup)")
        }
        let dir = try TestEnvironment.temporaryDirectory("recover")
        defer { try? FileManager.default.removeItem(at: dir) }
        // O0 and Q0 are missed by MediaPipe (its own output in the oracle), O1 and Q2 found.
        let photos = dir.appendingPathComponent("photos")
        for (cls, files) in [("O", ["O0.jpg", "O1.jpg"]), ("Q", ["Q0.jpg", "Q2.jpg"])] {
            try FileManager.default.createDirectory(at: photos.appendingPathComponent(cls), withIntermediateDirectories: true)
            for file in files {
                try FileManager.default.createSymbolicLink(at: photos.appendingPathComponent("\(cls)/\(file)"),
                                                           withDestinationURL: root.appendingPathComponent("\(cls)/\(file)"))
            }
        }
        // A thumbnail too small to try.
        try PNG.write(RGBImage(width: 24, height: 24, pixels: [UInt8](repeating: 120, count: 24 * 24 * 3)),
                      to: photos.appendingPathComponent("Q/tiny.png"))
        var options = ExtractionOptions()
        options.modelDirectory = TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe")
        options.tracker.maxHands = 1
        let out = dir.appendingPathComponent("out")

        // Without recovery: MediaPipe's hands only.
        let plain = try AlphabetPreparation.run(photoRoot: photos, outputDirectory: dir.appendingPathComponent("plain"), options: options)
        XCTAssertEqual(plain.clipCount, 2)
        XCTAssertEqual(plain.skipped["no hand detected"], 3, "\(plain.skipped)")

        options.tracker.recovery = HandRecoveryOptions()
        let summary = try AlphabetPreparation.run(photoRoot: photos, outputDirectory: out, options: options)
        XCTAssertEqual(summary.clipCount, 4)
        XCTAssertEqual(summary.skipped, ["image too small": 1])
        let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        let marks = Dictionary(uniqueKeysWithValues: manifest.records.map { ($0.clipID, $0.metadata[LandmarkRecord.recoveredKey]) })
        XCTAssertNil(marks["O_O1"]!, "MediaPipe's own hand carries no mark")
        XCTAssertNil(marks["Q_Q2"]!)
        for id in ["O_O0", "Q_Q0"] {
            guard case .string(let attempt)? = marks[id] ?? nil else { XCTFail("\(id) not marked: \(String(describing: marks[id]))"); continue }
            XCTAssertNotNil(HandRecoveryOptions.Attempt(rawValue: attempt), attempt)
        }
        // The MediaPipe-found samples are the same bytes with recovery on as off.
        let plainManifest = try LandmarkManifest.read(contentsOf: plain.manifestURL)
        for id in ["O_O1", "Q_Q2"] {
            let a = try plainManifest.loadClip(at: plainManifest.records.firstIndex { $0.clipID == id }!)
            let b = try manifest.loadClip(at: manifest.records.firstIndex { $0.clipID == id }!)
            XCTAssertEqual(a.values, b.values, id)
        }
        let table = summary.notes
        XCTAssertTrue(table.contains("  O: 1 / 1 / 0 / 0 → 100%"), "\(table)")
        XCTAssertTrue(table.contains("  Q: 1 / 1 / 0 / 1 → 67%"), "\(table)")
        XCTAssertTrue(table.contains("  all: 2 / 2 / 0 / 1 → 80% (MediaPipe alone 40%)"), "\(table)")
        XCTAssertTrue(table.contains { $0.hasPrefix("recovered by: ") }, "\(table)")

        // --resume counts what the first run wrote (and skipped) the same way.
        options.resume = true
        let again = try AlphabetPreparation.run(photoRoot: photos, outputDirectory: out, options: options)
        XCTAssertEqual(again.notes, summary.notes)

        // build → the dataset says which samples were recovered.
        var build = BuildOptions(manifest: summary.manifestURL)
        build.staticFrames = true
        build.splits = [1, 0, 0]
        build.datasetDirectory = dir.appendingPathComponent("ds")
        _ = try DatasetBuilder.build(build)
        let data = try Dataset(contentsOf: build.outputURLs[0])
        XCTAssertEqual(data.metadata.recovered.filter { !$0.isEmpty }.count, 2)
        let sources = data.metadata.handSources(count: data.count)
        XCTAssertEqual(sources.filter { $0 == "mediapipe" }.count, 2)
        XCTAssertEqual(sources.filter { $0.hasPrefix("recovered (") }.count, 2)
    }

    /// `extract --recover`: a recovered frame is tracked on like any other, the clip records how
    /// many frames recovery found, and no frame MediaPipe found is lost.
    func testExtractCountsRecoveredFrames() throws {
        guard let videos = TestEnvironment.sharedPath("realdata/msasl_videos") else { throw XCTSkip(TestEnvironment.sharedMissingMessage) }
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("MediaPipe models missing in models/mediapipe (run make setup)")
        }
        let dir = try TestEnvironment.temporaryDirectory("recover-video")
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = ExtractionOptions()
        options.modelDirectory = TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe")
        let input = ClipExtraction.Input(clipID: "c", label: "x", video: videos.appendingPathComponent("N2mG9ZKjrGA.mp4"), start: 0, end: 2.502)
        let plain = try ClipExtraction.run(inputs: [input], outputDirectory: dir.appendingPathComponent("plain"), options: options)
        options.tracker.recovery = HandRecoveryOptions()
        let recovering = try ClipExtraction.run(inputs: [input], outputDirectory: dir.appendingPathComponent("rec"), options: options)
        let a = try LandmarkManifest.read(contentsOf: plain.manifestURL).records[0]
        let b = try LandmarkManifest.read(contentsOf: recovering.manifestURL).records[0]
        XCTAssertNil(a.metadata["frames_recovered"])
        guard case .int(let recovered)? = b.metadata["frames_recovered"], case .int(let found)? = b.metadata["frames_detected"],
              case .int(let foundPlain)? = a.metadata["frames_detected"], case .int(let read)? = a.metadata["frames_read"] else {
            return XCTFail("metadata \(b.metadata)")
        }
        XCTAssertLessThan(foundPlain, read, "MediaPipe misses a frame of this clip")
        XCTAssertGreaterThanOrEqual(recovered, 1)
        XCTAssertGreaterThan(found, foundPlain, "the recovered frame counts as detected")
        XCTAssertLessThanOrEqual(found, read)
    }
}
