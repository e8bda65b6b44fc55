import XCTest
import Media
import TestSupport
@testable import Hands

/// End to end against MediaPipe 0.10.14 itself (`mp.solutions.hands.Hands`, the oracle JSON in
/// `../shared/oracle/`): aslsh's own TFLite interpreter running the real MediaPipe models inside
/// aslsh's reimplementation of the hand-tracking graph, on real photos and real video clips.
///
/// Tolerances: MediaPipe runs XNNPACK, we run our own kernels; the spec measures reference vs
/// XNNPACK at ≤ 1.1e-4 px on landmark coordinates, and an exact-warp reimplementation at ≤ 0.069
/// px from MediaPipe (median 0.002). We require equal hand counts and handedness on every image,
/// landmark error ≤ 0.01 px median and ≤ 1.5 px worst (one lite-model hand reaches 1.03 px: a
/// 1-LSB rounding flip in the fixed-point crop emulation, amplified by the network), world
/// landmarks ≤ 5 mm worst.
final class MediaPipeParityTests: XCTestCase {
    var oracle: URL!

    override func setUpWithError() throws {
        guard let oracle = TestEnvironment.sharedPath("oracle") else { throw XCTSkip(TestEnvironment.sharedMissingMessage) }
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("MediaPipe models missing in models/mediapipe (run make setup)")
        }
        self.oracle = oracle
    }

    var modelDirectory: URL { TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe") }

    /// Accumulated differences against the oracle over many hands.
    struct Errors {
        var landmarkPixels: [Double] = []   // per hand: worst landmark xy error in pixels
        var world: [Double] = []
        var countMismatches: [String] = []
        var handednessMismatches: [String] = []
        var hands = 0
        var worstLabel = ""

        mutating func compare(_ ours: [TrackedHand], _ theirs: [[String: Any]], width: Int, height: Int, label: String) {
            guard ours.count == theirs.count else {
                countMismatches.append("\(label): \(ours.count) hands vs MediaPipe \(theirs.count)")
                return
            }
            for (hand, expected) in zip(ours, theirs) {
                hands += 1
                let lms = expected["landmarks"] as! [[Double]]
                var worst = 0.0
                for (a, b) in zip(hand.landmarks, lms) {
                    worst = max(worst, abs(a.x - b[0]) * Double(width), abs(a.y - b[1]) * Double(height))
                }
                if worst > (landmarkPixels.max() ?? -1) { worstLabel = label }
                landmarkPixels.append(worst)
                let world = expected["world_landmarks"] as! [[Double]]
                world.indices.forEach { i in
                    self.world.append(max(abs(hand.worldLandmarks[i].x - world[i][0]),
                                          abs(hand.worldLandmarks[i].y - world[i][1]),
                                          abs(hand.worldLandmarks[i].z - world[i][2])))
                }
                let handedness = expected["handedness"] as! [String: Any]
                if hand.handedness.label != handedness["label"] as! String {
                    handednessMismatches.append(label)
                }
            }
        }

        func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) {
            let sorted = landmarkPixels.sorted()
            let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            let worst = sorted.last ?? 0
            print("\(name): \(hands) hands, landmark px worst \(worst) (\(worstLabel)) median \(median), world worst \(world.max() ?? 0), "
                  + "count mismatches \(countMismatches.count), handedness mismatches \(handednessMismatches.count)")
            XCTAssertEqual(countMismatches, [], name, file: file, line: line)
            XCTAssertEqual(handednessMismatches, [], name, file: file, line: line)
            XCTAssertGreaterThan(hands, 0, name, file: file, line: line)
            XCTAssertLessThanOrEqual(worst, 1.5, "\(name) worst landmark error (px)", file: file, line: line)
            XCTAssertLessThanOrEqual(median, 0.01, "\(name) median landmark error (px)", file: file, line: line)
            XCTAssertLessThanOrEqual(world.max() ?? 0, 5e-3, "\(name) world landmark error (m)", file: file, line: line)
        }
    }

    func json(_ relative: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: oracle.appendingPathComponent(relative))) as! [String: Any]
    }

    func testStaticPhotosMatchMediaPipe() throws {
        let oracleJSON = try json("mediapipe_testdata_images.json")
        let images = oracleJSON["images"] as! [String: [String: Any]]
        for (config, complexity) in [("static_mc1", HandTrackerOptions.Complexity.full), ("static_mc0", .lite)] {
            let tracker = try HandTracker(options: HandTrackerOptions(complexity: complexity, staticImageMode: true),
                                          modelDirectory: modelDirectory)
            var errors = Errors()
            for name in images.keys.sorted() {
                let image = try JPEG.read(oracle.appendingPathComponent("images/\(name)"))
                let result = try tracker.process(image)
                let expected = images[name]![config] as! [String: Any]
                errors.compare(result.hands, expected["hands"] as! [[String: Any]], width: image.width, height: image.height, label: name)
                let palms = expected["palm_detections"] as? [[String: Any]] ?? []
                XCTAssertEqual(min(result.palmDetections.count, 2), palms.count, "\(name) palm detections")
            }
            errors.check("images/\(config)")
        }
    }

    func testLetterPhotosMatchMediaPipe() throws {
        guard let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        for (file, maxHands) in [("letters_224_max1.json", 1), ("letters_224_max2.json", 2)] {
            let records = try json(file)["images"] as! [[String: Any]]
            let tracker = try HandTracker(options: HandTrackerOptions(maxHands: maxHands, staticImageMode: true),
                                          modelDirectory: modelDirectory)
            var errors = Errors()
            for record in records {
                let path = record["path"] as! String
                let image = try JPEG.read(root.appendingPathComponent(path))
                XCTAssertEqual(SHA256.hex(image.pixels), record["rgb_sha256"] as? String, "decode of \(path)")
                let result = try tracker.process(image)
                errors.compare(result.hands, record["hands"] as! [[String: Any]], width: image.width, height: image.height, label: path)
                XCTAssertEqual(result.rejectedROIs.count, (record["rejected_rois"] as? [Any])?.count ?? 0, "\(path) rejected ROIs")
            }
            errors.check(file)
        }
    }

    /// Video mode, two ways.
    /// 1. Landmark stage on MediaPipe's own ROIs (palm- and tracking-derived) for every hand of
    ///    every frame: must match like the static photos.
    /// 2. The free-running tracker: ROIs now come from our own previous landmarks. A 0.005 px
    ///    landmark difference (our kernels vs XNNPACK) moves the next ROI by ~1e-5, which flips
    ///    the rounding of some pixels of the uint8 crop by 1 LSB; the landmark model turns that
    ///    into 0.1–1 px, and tracking carries it on. MediaPipe with any other runtime drifts the
    ///    same way, so this part is checked statistically: hand counts and palm-detection runs
    ///    agree on ≥ 97 % of frames (measured 99.2 % and 99.5 %), median landmark difference
    ///    ≤ 1 px (measured 0.19 px full, 0.58 px lite) and 90th percentile ≤ 8 px (2.8, 5.1).
    func testVideoClipsTrackLikeMediaPipe() throws {
        guard let videos = TestEnvironment.sharedPath("realdata/msasl_videos") else { throw XCTSkip(TestEnvironment.sharedMissingMessage) }
        let clips = try FileManager.default.contentsOfDirectory(atPath: oracle.appendingPathComponent("msasl_clips").path)
            .filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertEqual(clips.count, 15)
        var forced: [String: Errors] = [:], free: [String: Errors] = [:]
        var frames = 0, countAgree = 0, palmAgree = 0
        for (index, clipFile) in clips.enumerated() {
            let clip = try json("msasl_clips/\(clipFile)")
            let info = clip["clip"] as! [String: Any]
            let start = info["start_time_s"] as! Double, end = info["end_time_s"] as! Double
            let oracleFrames = clip["frames"] as! [[String: Any]]
            // Decode the frames MediaPipe saw (file timestamps within [start, end], decode order).
            let reader = try VideoReader(url: videos.appendingPathComponent(info["video"] as! String))
            var images: [RGBImage] = []
            try reader.forEachFrame { frame in
                let ms = frame.time * 1000
                if ms >= start * 1000 - 1e-3, ms <= end * 1000 + 1e-3 { images.append(frame.image) }
                return ms <= end * 1000 + 1e-3
            }
            XCTAssertEqual(images.count, oracleFrames.count, clipFile)
            for (image, expected) in zip(images, oracleFrames) {
                XCTAssertEqual(SHA256.hex(image.pixels), expected["rgb_sha256"] as? String, "\(clipFile) frame pixels")
            }
            // Full model on every clip; lite on every third (CI time).
            let configs: [(String, HandTrackerOptions.Complexity)] = index % 3 == 0 ? [("mc1", .full), ("mc0", .lite)] : [("mc1", .full)]
            for (config, complexity) in configs {
                let results = (clip["results"] as! [String: Any])[config] as! [String: Any]
                let perFrame = results["per_frame"] as! [[String: Any]]
                let tracker = try HandTracker(options: HandTrackerOptions(complexity: complexity), modelDirectory: modelDirectory)
                let probe = try HandTracker(options: HandTrackerOptions(complexity: complexity, minTrackingConfidence: 0),
                                            modelDirectory: modelDirectory)
                var forcedErrors = forced[config] ?? Errors(), freeErrors = free[config] ?? Errors()
                for (i, image) in images.enumerated() where i < perFrame.count {
                    let expected = perFrame[i]["hands"] as? [[String: Any]] ?? []
                    let label = "\(clipFile)#\(i) \(config)"
                    // 1. Teacher-forced: MediaPipe's ROI in, our landmark stage out.
                    let ours = try expected.map { hand -> TrackedHand in
                        let r = hand["roi"] as! [String: Double]
                        let roi = NormalizedRect(xCenter: r["x_center"]!, yCenter: r["y_center"]!, width: r["width"]!,
                                                 height: r["height"]!, rotation: r["rotation"]!)
                        return try probe.landmarks(pixels: image.pixels, width: image.width, height: image.height, roi: roi)!
                    }
                    forcedErrors.compare(ours, expected, width: image.width, height: image.height, label: label)
                    // 2. Free-running tracker.
                    let result = try tracker.process(image)
                    frames += 1
                    if result.hands.count == expected.count {
                        countAgree += 1
                        freeErrors.compare(result.hands, expected, width: image.width, height: image.height, label: label)
                    }
                    if result.palmDetectionRan == (perFrame[i]["palm_detection_ran"] as! Bool) { palmAgree += 1 }
                }
                forced[config] = forcedErrors
                free[config] = freeErrors
            }
        }
        for (config, errors) in forced.sorted(by: { $0.key < $1.key }) { errors.check("msasl video \(config), MediaPipe's ROIs") }
        let countRate = Double(countAgree) / Double(frames), palmRate = Double(palmAgree) / Double(frames)
        print("free-running tracker: \(frames) frames, hand counts agree \(countRate), palm-detection runs agree \(palmRate)")
        XCTAssertGreaterThanOrEqual(countRate, 0.97)
        XCTAssertGreaterThanOrEqual(palmRate, 0.97)
        for (config, errors) in free.sorted(by: { $0.key < $1.key }) {
            let sorted = errors.landmarkPixels.sorted()
            let median = sorted[sorted.count / 2], p90 = sorted[sorted.count * 9 / 10]
            print("msasl video \(config) free-running: \(errors.hands) hands, landmark px median \(median), p90 \(p90), worst \(sorted.last!)")
            XCTAssertLessThanOrEqual(median, 1.0, config)
            XCTAssertLessThanOrEqual(p90, 8.0, config)
        }
    }
}
