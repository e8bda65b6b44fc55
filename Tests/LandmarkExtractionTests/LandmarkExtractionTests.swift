import XCTest
import Datasets
@testable import Hands
import TestSupport
import TensorCore
@testable import LandmarkExtraction

/// `prepare-alphabet` and `extract` end to end on real data: the landmark files they write hold
/// MediaPipe's landmarks (oracle JSON), normalised wrist→MCP9; bad inputs are counted, not fatal;
/// an interrupted run resumes.
final class LandmarkExtractionTests: XCTestCase {
    var output: URL!
    var options = ExtractionOptions()

    override func setUpWithError() throws {
        guard TestEnvironment.sharedPath("oracle") != nil else { throw XCTSkip(TestEnvironment.sharedMissingMessage) }
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("MediaPipe models missing in models/mediapipe (run make setup)")
        }
        output = try TestEnvironment.temporaryDirectory("extract")
        options.modelDirectory = TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe")
    }

    override func tearDownWithError() throws { if let output { try? FileManager.default.removeItem(at: output) } }

    /// MediaPipe's landmarks normalised the way aslsh stores them.
    func normalised(_ landmarks: [[Double]]) -> [Float] {
        var frame = ArraySlice(landmarks.flatMap { $0.map(Float.init) })
        XCTAssertTrue(LandmarkNormalizer.normalizeFrame(&frame, useZ: true))
        return Array(frame)
    }

    func testPrepareAlphabetMatchesMediaPipeOnRealLetterPhotos() throws {
        let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test")!
        // Three classes into a scratch folder tree of symlinks (the shared folder is read-only).
        let photos = output.appendingPathComponent("photos")
        for cls in ["A", "O", "Y"] {
            try FileManager.default.createDirectory(at: photos.appendingPathComponent(cls), withIntermediateDirectories: true)
            for file in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(cls).path) {
                try FileManager.default.createSymbolicLink(at: photos.appendingPathComponent("\(cls)/\(file)"),
                                                           withDestinationURL: root.appendingPathComponent("\(cls)/\(file)"))
            }
        }
        options.tracker.maxHands = 1
        let summary = try AlphabetPreparation.run(photoRoot: photos, outputDirectory: output.appendingPathComponent("out"), options: options)
        let oracle = try JSONSerialization.jsonObject(with: Data(contentsOf: TestEnvironment.sharedPath("oracle/letters_224_max1.json")!)) as! [String: Any]
        let records = (oracle["images"] as! [[String: Any]]).filter { ["A", "O", "Y"].contains($0["class"] as! String) }
        let withHand = records.filter { ($0["num_hands"] as! Int) > 0 }
        XCTAssertEqual(summary.clipCount, withHand.count)
        XCTAssertEqual(summary.skipped["no hand detected"] ?? 0, records.count - withHand.count, "O has 7/15 hands in MediaPipe")
        let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        var worst: Float = 0
        for record in withHand {
            let path = record["path"] as! String // test/<Class>/<file>
            let parts = path.split(separator: "/")
            let clipID = clipIDComponent("\(parts[1])_\((parts[2] as Substring).split(separator: ".")[0])")
            guard let index = manifest.records.firstIndex(where: { $0.clipID == clipID }) else { XCTFail("no record \(clipID)"); continue }
            XCTAssertEqual(manifest.records[index].label, String(parts[1]))
            let clip = try manifest.loadClip(at: index)
            let expected = normalised((record["hands"] as! [[String: Any]])[0]["landmarks"] as! [[Double]])
            worst = max(worst, zip(clip.values, expected).map { abs($0 - $1) }.max()!)
        }
        print("prepare-alphabet vs MediaPipe: worst normalised landmark difference \(worst)")
        // 0.1 px on a ~60 px hand (wrist→MCP9) ≈ 2e-3 in normalised units.
        XCTAssertLessThan(worst, 5e-3)
        // Per-class detection rates are reported (fist-like letters fail more often).
        let oCount = withHand.filter { $0["class"] as! String == "O" }.count
        XCTAssertTrue(summary.notes.contains("  O: \(oCount)/15 (\(Int((100 * Double(oCount) / 15).rounded()))%)"), "\(summary.notes)")
    }

    func testExtractOptionsShapeTheClips() throws {
        let video = TestEnvironment.sharedPath("realdata/msasl_videos/7G6B6kaMjb4.mp4")!
        let input = ClipExtraction.Input(clipID: "give", label: "give", video: video, start: 0, end: 1.96)
        options.dryRun = true
        let dry = try ClipExtraction.run(inputs: [input], outputDirectory: output.appendingPathComponent("dry"), options: options)
        XCTAssertEqual(dry.clipCount, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.appendingPathComponent("dry").path), "a dry run writes nothing")
        options.dryRun = false
        options.sequenceLength = 80
        options.frameSkip = 2
        let summary = try ClipExtraction.run(inputs: [input], outputDirectory: output, options: options)
        let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        let clip = try manifest.loadClip(at: 0)
        XCTAssertEqual(clip.frameCount, 80, "padded to --sequence-length")
        XCTAssertEqual(manifest.records[0].metadata["frames_read"], .int(25), "every 2nd of 49 frames")
        XCTAssertTrue(clip.mask[25...].allSatisfy { !$0 }, "padding is masked")
        let log = try String(contentsOf: output.appendingPathComponent("extract_log.txt"), encoding: .utf8)
        XCTAssertTrue(log.contains("give: hand detected in"), log)
    }

    func testMirrorLeftFlipsTheSubjectsLeftHandAboutTheWrist() {
        let landmarks = (0..<21).map { Landmark(x: 0.5 + Double($0) * 0.01, y: 0.5, z: 0) }
        func hand(_ label: String) -> TrackedHand {
            let roi = NormalizedRect(xCenter: 0.5, yCenter: 0.5, width: 0.2, height: 0.2, rotation: 0)
            return TrackedHand(landmarks: landmarks, worldLandmarks: landmarks, handedness: Handedness(label: label, index: 0, score: 0.9),
                               presence: 0.9, roi: roi, roiSource: .palmDetection, roiFromLandmarks: roi)
        }
        // MediaPipe's "Right" on an un-mirrored image is the subject's left hand.
        let mirrored = storedLandmarks(hand("Right"), mirrorLeft: true)
        XCTAssertEqual(mirrored[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(mirrored[3 * 20], 0.3, accuracy: 1e-6)
        XCTAssertEqual(storedLandmarks(hand("Left"), mirrorLeft: true)[3 * 20], 0.7, accuracy: 1e-6)
        XCTAssertEqual(storedLandmarks(hand("Right"), mirrorLeft: false)[3 * 20], 0.7, accuracy: 1e-6)
        XCTAssertEqual(AlphabetPreparation.canonicalLabel("Nothing"), "nothing")
        XCTAssertEqual(AlphabetPreparation.canonicalLabel("a"), "A")
    }

    func testExtractTracksARealClipLikeMediaPipeVideoMode() throws {
        let videos = TestEnvironment.sharedPath("realdata/msasl_videos")!
        let oracle = try JSONSerialization.jsonObject(with: Data(contentsOf: TestEnvironment.sharedPath("oracle/msasl_clips/7G6B6kaMjb4__0.0_1.96.json")!)) as! [String: Any]
        // The oracle's span is closed (it also tracked the frame at exactly 1.96 s); extract's is
        // end-exclusive, like trim's, so the oracle's frames before the end are compared.
        let times = (oracle["frames"] as! [[String: Any]]).map { ($0["timestamp_ms"] as! NSNumber).doubleValue / 1000 }
        let allFrames = ((oracle["results"] as! [String: Any])["mc1"] as! [String: Any])["per_frame"] as! [[String: Any]]
        XCTAssertEqual(times.count, allFrames.count)
        let perFrame = Array(allFrames.prefix(times.filter { $0 < 1.96 - 1e-6 }.count))
        XCTAssertEqual(perFrame.count, 49, "[0, 1.96) at 25 fps")
        options.hand = .first
        let inputs = [
            ClipExtraction.Input(clipID: "give_7G6B6kaMjb4", label: "give", video: videos.appendingPathComponent("7G6B6kaMjb4.mp4"),
                                 start: 0, end: 1.96, signer: "0", split: "train"),
            ClipExtraction.Input(clipID: "broken", label: "give", video: output.appendingPathComponent("missing.mp4")),
        ]
        let summary = try ClipExtraction.run(inputs: inputs, outputDirectory: output, options: options)
        XCTAssertEqual(summary.clipCount, 1)
        XCTAssertEqual(summary.skipped["unreadable video"], 1, "a missing video fails that clip only")
        let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        let clip = try manifest.loadClip(at: 0)
        XCTAssertEqual(clip.frameCount, perFrame.count)
        // Free-running video tracking drifts from MediaPipe's by fractions of a pixel (see the
        // Hands parity tests), so this end-to-end check is statistical: detected frames agree on
        // ≥ 95 % of frames and the median frame differs by < 0.06 (≈ 1.5 px on this hand; measured 0.036).
        let expectedMask = perFrame.map { ($0["num_hands"] as! Int) > 0 }
        let agree = zip(clip.mask, expectedMask).filter { $0 == $1 }.count
        XCTAssertGreaterThanOrEqual(Double(agree) / Double(perFrame.count), 0.95)
        var differences: [Float] = []
        for (t, frame) in perFrame.enumerated() where clip.mask[t] && expectedMask[t] {
            let expected = normalised(((frame["hands"] as! [[String: Any]])[0])["landmarks"] as! [[Double]])
            differences.append(zip(clip.frame(t), expected).map { abs($0 - $1) }.max()!)
        }
        differences.sort()
        print("extract vs MediaPipe video mode: \(agree)/\(perFrame.count) masks agree, median frame difference \(differences[differences.count / 2])")
        XCTAssertLessThan(differences[differences.count / 2], 0.06)
        XCTAssertEqual(manifest.records[0].signer, "0")
        XCTAssertEqual(manifest.records[0].normalisation, LandmarkNormalizer.name)
    }

    func testInterruptedRunResumes() throws {
        let videos = TestEnvironment.sharedPath("realdata/msasl_videos")!
        let inputs = ["7G6B6kaMjb4", "C37R_Ix8-qs"].map {
            ClipExtraction.Input(clipID: $0, label: "x", video: videos.appendingPathComponent("\($0).mp4"), start: 0, end: 0.5)
        }
        // "Ctrl-C" as soon as the first clip is done (one clip at a time, so there is a boundary).
        options.workers = 1
        var stop = false
        var first: [LandmarkRecord] = []
        do {
            _ = try ClipExtraction.run(inputs: inputs, outputDirectory: output, options: options,
                                       hooks: JobHooks(progress: { done, _, _ in if done == 1 { stop = true } },
                                                       isCancelled: { stop }))
            XCTFail("expected cancellation")
        } catch let ExtractionError.cancelled(done, total, manifest) {
            XCTAssertEqual(done, 1)
            XCTAssertEqual(total, 2)
            first = try LandmarkManifest.read(contentsOf: manifest).records
        }
        XCTAssertEqual(first.map(\.clipID), ["7G6B6kaMjb4"], "the finished clip is kept")
        let before = try Data(contentsOf: output.appendingPathComponent("landmarks/7G6B6kaMjb4.npy"))
        options.resume = true
        var processed: [String] = []
        let summary = try ClipExtraction.run(inputs: inputs, outputDirectory: output, options: options,
                                             hooks: JobHooks(progress: { _, _, item in processed.append(item) }))
        XCTAssertEqual(summary.clipCount, 2)
        XCTAssertEqual(summary.kept, 1)
        XCTAssertEqual(try Data(contentsOf: output.appendingPathComponent("landmarks/7G6B6kaMjb4.npy")), before)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("landmarks/C37R_Ix8-qs.npy").path))
        // The manifest and the log are those of an uninterrupted run (the kept clip's log line too).
        options.resume = false
        let whole = output.appendingPathComponent("whole")
        _ = try ClipExtraction.run(inputs: inputs, outputDirectory: whole, options: options)
        for name in ["landmarks_manifest.json", ClipExtraction.logName] {
            XCTAssertEqual(try String(contentsOf: output.appendingPathComponent(name), encoding: .utf8),
                           try String(contentsOf: whole.appendingPathComponent(name), encoding: .utf8), name)
        }
        let log = try String(contentsOf: whole.appendingPathComponent(ClipExtraction.logName), encoding: .utf8)
        XCTAssertTrue(log.hasPrefix("7G6B6kaMjb4: hand detected in "), log)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output.path).filter { $0.hasPrefix(".") }, [],
                       "the journal is removed with the complete manifest")
    }

    /// Two workers on one shared queue write the same manifest, in input order, and the same
    /// landmark files as one worker — with clips of very different lengths (so the workers
    /// overtake each other), a missing video in the middle, and clips a resumed run skips.
    func testTwoWorkersWriteWhatOneWorkerWrites() throws {
        let videos = TestEnvironment.sharedPath("realdata/msasl_videos")!
        let names = ["7G6B6kaMjb4", "C37R_Ix8-qs", "CYx7qm62Zwo", "GYWm0gdybFA", "HPz_C5XM4o4"]
        var inputs = names.enumerated().map { k, name in
            ClipExtraction.Input(clipID: name, label: "x", video: videos.appendingPathComponent("\(name).mp4"),
                                 start: 0, end: k == 0 ? 1.2 : 0.15)
        }
        inputs.insert(ClipExtraction.Input(clipID: "missing", label: "x", video: output.appendingPathComponent("missing.mp4")), at: 2)
        options.tracker.complexity = .lite
        var manifests: [[LandmarkRecord]] = []
        var clips: [[LandmarkClip]] = []
        for workers in [1, 2] {
            let dir = output.appendingPathComponent("w\(workers)")
            options.workers = workers
            // The first two clips come from an earlier run, the rest are new (`--resume`).
            options.resume = false
            _ = try ClipExtraction.run(inputs: Array(inputs.prefix(2)), outputDirectory: dir, options: options)
            options.resume = true
            let summary = try ClipExtraction.run(inputs: inputs, outputDirectory: dir, options: options)
            XCTAssertEqual(summary.clipCount, 5, "workers \(workers)")
            XCTAssertEqual(summary.skipped["unreadable video"], 1)
            let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
            manifests.append(manifest.records)
            clips.append(try manifest.records.indices.map { try manifest.loadClip(at: $0) })
        }
        XCTAssertEqual(manifests[0].map(\.clipID), names, "input order")
        XCTAssertEqual(manifests[1].map(\.clipID), names)
        XCTAssertEqual(clips[0].map(\.values), clips[1].map(\.values), "identical landmarks")
        XCTAssertEqual(clips[0].map(\.mask), clips[1].map(\.mask))
        XCTAssertGreaterThan(clips[0][0].frameCount, 3 * clips[0][1].frameCount, "clip lengths differ")
    }
}
