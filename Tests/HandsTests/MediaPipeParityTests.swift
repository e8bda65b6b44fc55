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

    /// The free-running tracker beside MediaPipe's on one frame.
    struct FreeFrame {
        var hands: Int, expected: Int
        /// When the counts agree: per hand, the mean over the 21 landmarks of the xy distance in
        /// pixels, hands paired to minimise the total (hand order is not what is measured here).
        var meanPixels: [Double]
        var palmDetectionRan: Bool, expectedPalmDetectionRan: Bool

        var countsAgree: Bool { hands == expected }
        var worstMean: Double { meanPixels.max() ?? 0 }
    }

    static func meanPixels(_ ours: [TrackedHand], _ theirs: [[String: Any]], width: Int, height: Int) -> [Double] {
        let expected = theirs.map { $0["landmarks"] as! [[Double]] }
        func distance(_ hand: TrackedHand, _ lms: [[Double]]) -> Double {
            zip(hand.landmarks, lms).map { a, b in
                hypot((a.x - b[0]) * Double(width), (a.y - b[1]) * Double(height))
            }.reduce(0, +) / Double(lms.count)
        }
        var best: [Double] = [], bestTotal = Double.infinity
        for order in permutations(Array(ours.indices)) {
            let d = zip(order, expected).map { distance(ours[$0], $1) }
            if d.reduce(0, +) < bestTotal { best = d; bestTotal = d.reduce(0, +) }
        }
        return best
    }

    static func permutations(_ items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i in
            var rest = items
            let first = rest.remove(at: i)
            return permutations(rest).map { [first] + $0 }
        }
    }

    /// One divergence: from a frame whose hand count differs from MediaPipe's or where a hand's
    /// landmarks are more than `diverged` px (mean) away, to the first frame where the counts agree
    /// and every hand is within `converged` px again. `frames` is the number of frames spent
    /// diverged; `open`: the clip ended first (then `frames` runs to the end of the clip).
    struct Divergence { var clip: String, start: Int, frames: Int, open: Bool }

    static func divergences(_ frames: [FreeFrame], clip: String, diverged: Double, converged: Double) -> [Divergence] {
        var result: [Divergence] = []
        var start: Int? = nil
        for (i, frame) in frames.enumerated() {
            if let first = start {
                if frame.countsAgree && frame.worstMean < converged {
                    result.append(Divergence(clip: clip, start: first, frames: i - first, open: false))
                    start = nil
                }
            } else if !frame.countsAgree || frame.worstMean > diverged {
                start = i
            }
        }
        if let first = start { result.append(Divergence(clip: clip, start: first, frames: frames.count - first, open: true)) }
        return result
    }

    /// Video mode, two ways, full (mc1) and lite (mc0) models on all 15 clips (1148 frames each).
    /// 1. Landmark stage on MediaPipe's own ROIs (palm- and tracking-derived) for every hand of
    ///    every frame: must match like the static photos. This is the strict check.
    /// 2. The free-running tracker: ROIs now come from our own previous landmarks. A 0.005 px
    ///    landmark difference (our kernels vs XNNPACK) moves the next ROI by ~1e-5, which flips
    ///    the rounding of some pixels of the uint8 crop by 1 LSB; the landmark model turns that
    ///    into 0.1–1 px, and tracking carries it on. Where two hands touch or cross, the two
    ///    trackers can then follow different hands or lose one on different frames, for up to a
    ///    second; MediaPipe on any other runtime does the same. So percentiles of the landmark
    ///    error measure the feedback loop's tail, and that tail moves with the float summation
    ///    order (OpenBLAS picks its GEMM kernel by CPU). What is checked instead, per model:
    ///    - hand counts and palm-detection runs agree on ≥ 97 % of frames;
    ///    - median over hands (frames with equal counts) of the mean landmark distance ≤ 0.2 px;
    ///    - divergences (a count mismatch or a hand > 5 px off, mean over its landmarks) end:
    ///      each one re-converges (counts agree, every hand < 2 px) within 45 frames, counting a
    ///      divergence still open at the end of a clip up to that end; at most 20 divergences,
    ///      and ≤ 12 % of frames spent diverged.
    ///    Measured over 19 float orders: OpenBLAS's Haswell, Sandybridge and Nehalem kernels, and
    ///    16 runs adding ±0.002 or ±0.00002 (224-px input units) of seeded noise to the landmark
    ///    model's outputs, standing in for other summation orders. Ranges mc1 / mc0: counts agree
    ///    0.989–0.997 / 0.977–0.994, palm runs 0.991–0.997 / 0.980–0.995, median 0.070–0.081 /
    ///    0.081–0.104 px, 3–10 / 6–11 divergences in 3–6 clips (mostly the five where two hands
    ///    touch or cross), longest 13–23 / 12–30 frames (median 2–13), diverged 2.4–3.9 % /
    ///    3.3–7.8 % of frames; none was still open at a clip's end. The limits leave ≥ 1.5× room
    ///    (0.97 on counts is 3.4 standard deviations below the lite mean).
    ///    What real regressions do (mc1 / mc0): the next-frame ROI centre 1 px to the right →
    ///    median 0.51 / 0.64 px (0.5 px: 0.35 / 0.46); ROI rotation +0.05 rad → median 0.60 /
    ///    0.74, 21 / 21 divergences; the previous ROI reused every 5th frame (a skipped tracking
    ///    step) → median 0.31, 28 / 28 divergences; ROI scale 2.1 or shift −0.05 instead of 2.0,
    ///    −0.1, or palm ROIs winning the association → median 0.86–1.6 px, 29–45 divergences,
    ///    8–23 % diverged; no presence gate on tracked hands (lost hands kept) → counts agree
    ///    on 43 / 49 % and 15 divergences that never re-converge (up to 94 frames), while the
    ///    median stays 0.13 / 0.16 px. A kernel or crop error shows in part 1 already (0.01 px median).
    func testVideoClipsTrackLikeMediaPipe() throws {
        guard let videos = TestEnvironment.sharedPath("realdata/msasl_videos") else { throw XCTSkip(TestEnvironment.sharedMissingMessage) }
        let clips = try FileManager.default.contentsOfDirectory(atPath: oracle.appendingPathComponent("msasl_clips").path)
            .filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertEqual(clips.count, 15)
        var forced: [String: Errors] = [:]
        var free: [String: [(clip: String, frames: [FreeFrame])]] = [:]
        for clipFile in clips {
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
            for (config, complexity) in [("mc1", HandTrackerOptions.Complexity.full), ("mc0", .lite)] {
                let results = (clip["results"] as! [String: Any])[config] as! [String: Any]
                let perFrame = results["per_frame"] as! [[String: Any]]
                let tracker = try HandTracker(options: HandTrackerOptions(complexity: complexity), modelDirectory: modelDirectory)
                let probe = try HandTracker(options: HandTrackerOptions(complexity: complexity, minTrackingConfidence: 0),
                                            modelDirectory: modelDirectory)
                var forcedErrors = forced[config] ?? Errors(), freeFrames: [FreeFrame] = []
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
                    freeFrames.append(FreeFrame(
                        hands: result.hands.count, expected: expected.count,
                        meanPixels: result.hands.count == expected.count
                            ? Self.meanPixels(result.hands, expected, width: image.width, height: image.height) : [],
                        palmDetectionRan: result.palmDetectionRan,
                        expectedPalmDetectionRan: perFrame[i]["palm_detection_ran"] as! Bool))
                }
                forced[config] = forcedErrors
                free[config, default: []].append((clipFile, freeFrames))
            }
        }
        for (config, errors) in forced.sorted(by: { $0.key < $1.key }) { errors.check("msasl video \(config), MediaPipe's ROIs") }
        for (config, runs) in free.sorted(by: { $0.key < $1.key }) {
            let frames = runs.flatMap(\.frames)
            func rate(_ agree: (FreeFrame) -> Bool) -> Double { Double(frames.filter(agree).count) / Double(frames.count) }
            let countRate = rate(\.countsAgree), palmRate = rate { $0.palmDetectionRan == $0.expectedPalmDetectionRan }
            let means = frames.flatMap(\.meanPixels).sorted()
            let median = means[means.count / 2]
            let divergences = runs.flatMap { Self.divergences($0.frames, clip: $0.clip, diverged: 5, converged: 2) }
            let lengths = divergences.map(\.frames).sorted()
            let longest = divergences.max { $0.frames < $1.frames }
            let divergedFraction = Double(lengths.reduce(0, +)) / Double(frames.count)
            let name = "msasl video \(config) free-running"
            print("\(name): \(frames.count) frames, hand counts agree \(countRate), palm-detection runs agree \(palmRate), "
                  + "mean landmark px median \(median) p90 \(means[means.count * 9 / 10]); \(divergences.count) divergences "
                  + "(\(divergences.filter(\.open).count) open at clip end) in \(Set(divergences.map(\.clip)).count) clips, "
                  + "frames to re-converge median \(lengths.isEmpty ? 0 : lengths[lengths.count / 2]) max \(lengths.last ?? 0)"
                  + (longest.map { " (\($0.clip)#\($0.start))" } ?? "") + ", diverged \(divergedFraction) of frames")
            XCTAssertGreaterThanOrEqual(countRate, 0.97, "\(name): hand counts agree")
            XCTAssertGreaterThanOrEqual(palmRate, 0.97, "\(name): palm-detection runs agree")
            XCTAssertLessThanOrEqual(median, 0.2, "\(name): median mean landmark distance (px)")
            XCTAssertLessThanOrEqual(longest?.frames ?? 0, 45,
                                     "\(name): divergence from \(longest?.clip ?? "")#\(longest?.start ?? 0) does not re-converge")
            XCTAssertLessThanOrEqual(divergences.count, 20, "\(name): divergences")
            XCTAssertLessThanOrEqual(divergedFraction, 0.12, "\(name): fraction of frames diverged")
        }
    }
}
