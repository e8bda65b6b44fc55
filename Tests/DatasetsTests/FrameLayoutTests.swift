import XCTest
import TensorCore
import TestSupport
@testable import Datasets

/// Frames of both hands and pose points (`FrameLayout`): `import frame-npy --hand both --pose`
/// keeps the left and right hand at their offsets and 7 pose points from the 33, each hand
/// normalised on its own wrist and palm and the pose on the shoulders (checked against the
/// formulas in Double); `build` keeps the layout and refuses a mix; bad combinations of options
/// are refused naming the file.
final class FrameLayoutTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestEnvironment.temporaryDirectory("aslsh-layout") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    let leftHand: [Double] = (0..<63).map { (k: Int) -> Double in
        let depth: Double = k % 3 == 2 ? -0.2 : 0
        return 0.3 + 0.004 * Double(k) + depth
    }
    let rightHand: [Double] = (0..<63).map { (k: Int) -> Double in
        let (point, axis) = (Double(k / 3), Double(k % 3))
        return 0.6 - 0.003 * point + 0.001 * axis
    }
    /// 33 pose points × (x, y, z, visibility), every one distinct; shoulders 11 and 12 apart.
    let pose: [Double] = (0..<132).map { (k: Int) -> Double in
        if k % 4 == 3 { return 0.9 }
        let (point, axis) = (Double(k / 4), Double(k % 4))
        let apart: Double = k / 4 == 12 ? 0.15 : 0
        return 0.2 + 0.005 * point + 0.01 * axis + apart
    }

    /// A holistic (1662) or pose-hands (258) frame.
    func frame(_ layout: FrameSequenceImporter.Layout, left: [Double]?, right: [Double]?, withPose: Bool = true) -> NDArray {
        var v = (0..<layout.valuesPerFrame).map { 0.25 + 1e-4 * Double($0) }
        let (l, r) = layout == .holistic ? (1536, 1599) : layout == .poseHands ? (132, 195) : (0, 63)
        if layout != .hands { v.replaceSubrange(0..<132, with: withPose ? pose : [Double](repeating: 0, count: 132)) }
        v.replaceSubrange(l..<l + 63, with: left ?? [Double](repeating: 0, count: 63))
        v.replaceSubrange(r..<r + 63, with: right ?? [Double](repeating: 0, count: 63))
        return NDArray(shape: [layout.valuesPerFrame], storage: .float64(v))
    }

    /// The pose block as the normaliser must make it, in Double.
    func expectedPose() -> [Float] {
        let p = FrameLayout.poseIndices.map { j in (0..<3).map { pose[4 * j + $0] } }
        let (l, r) = (p[1], p[2])
        let centre = (0..<3).map { (l[$0] + r[$0]) / 2 }
        let scale = (0..<3).map { (r[$0] - l[$0]) * (r[$0] - l[$0]) }.reduce(0, +).squareRoot()
        return p.flatMap { q in (0..<3).map { Float((q[$0] - centre[$0]) / scale) } }
    }

    func normalised(_ hand: [Double]) -> [Float] { LandmarkNormalizer.normalized(hand.map(Float.init))! }

    func testBothHandsAndPosePointsFromHolisticAndPoseHandsFrames() throws {
        var clips: [LandmarkClip] = []
        for layout in [FrameSequenceImporter.Layout.holistic, .poseHands] {
            let src = dir.appendingPathComponent("src-\(layout.rawValue)/thanks/0")
            for t in 0..<4 {   // right hand in frames 0–1, left in 1–2, none in 3; no pose in frame 2
                try NPY.write(frame(layout, left: (1...2).contains(t) ? leftHand : nil, right: t < 2 ? rightHand : nil, withPose: t != 2),
                              to: src.appendingPathComponent("\(t).npy"))
            }
            let summary = try FrameSequenceImporter.run(root: dir.appendingPathComponent("src-\(layout.rawValue)"),
                                                        to: dir.appendingPathComponent("out-\(layout.rawValue)"),
                                                        options: .init(hand: .both, pose: true))
            let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
            XCTAssertEqual(manifest.records[0].metadata["hand"], .string("both"))
            XCTAssertEqual(manifest.records[0].metadata["left_frames"], .int(2))
            XCTAssertEqual(manifest.records[0].metadata["pose_frames"], .int(3))
            XCTAssertEqual(manifest.records[0].detectedFrames, 3)
            let clip = try manifest.loadClip(at: 0)
            XCTAssertEqual(clip.layout, FrameLayout(hands: 2, pose: true))
            XCTAssertEqual(clip.landmarkArray.shape, [4, 49, 3])
            XCTAssertEqual(clip.mask, [true, true, true, false])
            let zeroHand = [Float](repeating: 0, count: 63)
            let expected: [[Float]] = [
                zeroHand + normalised(rightHand) + expectedPose(),
                normalised(leftHand) + normalised(rightHand) + expectedPose(),
                normalised(leftHand) + zeroHand + [Float](repeating: 0, count: 21),
                [Float](repeating: 0, count: 147),
            ]
            for t in 0..<4 {
                for (k, (a, b)) in zip(clip.frame(t), expected[t]).enumerated() {
                    XCTAssertEqual(a, b, accuracy: 1e-5, "\(layout) frame \(t) value \(k)")
                }
            }
            clips.append(clip)
        }
        XCTAssertEqual(clips[0], clips[1], "the same points from either layout")

        // Both hands without pose: the first 126 values of each frame above.
        let summary = try FrameSequenceImporter.run(root: dir.appendingPathComponent("src-holistic"), to: dir.appendingPathComponent("hands"),
                                                    options: .init(hand: .both))
        let hands = try LandmarkManifest.read(contentsOf: summary.manifestURL).loadClip(at: 0)
        XCTAssertEqual(hands.layout, .bothHands)
        for t in 0..<4 { XCTAssertEqual(Array(hands.frame(t)), Array(clips[0].frame(t).prefix(126))) }
        // One hand and pose: 28 points.
        let one = try FrameSequenceImporter.run(root: dir.appendingPathComponent("src-holistic"), to: dir.appendingPathComponent("one"),
                                                options: .init(hand: .right, pose: true))
        let right = try LandmarkManifest.read(contentsOf: one.manifestURL).loadClip(at: 0)
        XCTAssertEqual(right.layout, FrameLayout(hands: 1, pose: true))
        XCTAssertEqual(right.mask, [true, true, false, false])
        XCTAssertEqual(Array(right.frame(0)), Array(clips[0].frame(0).suffix(84)))
    }

    func testOptionsThatCannotHoldAreRefusedNamingTheFile() throws {
        let src = dir.appendingPathComponent("hands/hello/0")
        try NPY.write(frame(.hands, left: leftHand, right: nil), to: src.appendingPathComponent("0.npy"))
        assertDatasetError(["hands/hello/0/0.npy", "--pose", "hands (126)", "no pose points"]) {
            try FrameSequenceImporter.run(root: self.dir.appendingPathComponent("hands"), to: self.dir.appendingPathComponent("a"),
                                          options: .init(pose: true))
        }
        assertDatasetError(["--pose: --layout hands holds no pose points"]) {
            try FrameSequenceImporter.run(root: self.dir.appendingPathComponent("hands"), to: self.dir.appendingPathComponent("a"),
                                          options: .init(layout: .hands, pose: true))
        }
        assertDatasetError(["--mirror-left and --hand both"]) {
            try FrameSequenceImporter.run(root: self.dir.appendingPathComponent("hands"), to: self.dir.appendingPathComponent("a"),
                                          options: .init(hand: .both, mirrorLeft: true))
        }
        let one = dir.appendingPathComponent("one/hello/0")
        try NPY.write(NDArray(shape: [63], storage: .float64(rightHand)), to: one.appendingPathComponent("0.npy"))
        assertDatasetError(["one/hello/0/0.npy", "--hand both", "one hand"]) {
            try FrameSequenceImporter.run(root: self.dir.appendingPathComponent("one"), to: self.dir.appendingPathComponent("b"),
                                          options: .init(hand: .both))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("a/manifest.json").path), "nothing half-written")
    }

    /// Each hand on its own wrist; an absent hand stays zero and does not mask the frame; a
    /// degenerate hand (all points on the wrist) is zeroed, and a frame left with no hand is
    /// masked and counted.
    func testNormaliserTakesEachHandOnItsOwn() {
        let l = leftHand.map(Float.init), r = rightHand.map(Float.init)
        let degenerate = [Float](repeating: 0.5, count: 63), none = [Float](repeating: 0, count: 63)
        var clip = LandmarkClip(values: l + r + none + r + degenerate + r + degenerate + none, mask: [true, true, true, true],
                                layout: .bothHands)
        XCTAssertEqual(LandmarkNormalizer.normalize(&clip, useZ: true), 1)
        XCTAssertEqual(clip.mask, [true, true, true, false])
        XCTAssertEqual(Array(clip.frame(0)), normalised(leftHand) + normalised(rightHand))
        XCTAssertEqual(Array(clip.frame(1)), none + normalised(rightHand))
        XCTAssertEqual(Array(clip.frame(2)), none + normalised(rightHand))
        XCTAssertEqual(Array(clip.frame(3)), none + none)
        // Normalising twice changes nothing beyond rounding.
        var again = clip
        _ = LandmarkNormalizer.normalize(&again, useZ: true)
        for (a, b) in zip(again.values, clip.values) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    /// `build` writes `[N, T, K, 3]` for the clips' layout, reads back the same, and refuses a
    /// manifest whose clips hold different layouts, naming both files.
    func testBuildKeepsTheLayoutAndRefusesAMix() throws {
        let clips = dir.appendingPathComponent("clips")
        var rng = SeededRandom(seed: 3)
        for (label, k) in [("a", 0), ("a", 1), ("b", 0), ("b", 1)] {
            let values = (0..<(5 * 42 * 3)).map { _ in rng.uniform(0.1, 0.9) }
            try NPY.write(NDArray(shape: [5, 42, 3], storage: .float32(values)), to: clips.appendingPathComponent("\(label)/\(k).npy"))
        }
        let summary = try ClipArrayImporter.run(root: clips, to: dir.appendingPathComponent("imported"))
        var options = BuildOptions(manifest: summary.manifestURL)
        options.splits = [0.5, 0, 0.5]
        options.datasetDirectory = dir.appendingPathComponent("ds")
        let built = try DatasetBuilder.build(options)
        XCTAssertEqual(built.layout, .bothHands)
        XCTAssertTrue(built.text.contains("42 points (left and right hand) a frame"), built.text)
        let train = try Dataset(contentsOf: options.outputURLs[0])
        XCTAssertEqual(train.sequences.shape, [2, 5, 42, 3])
        XCTAssertEqual(train.layout, .bothHands)
        XCTAssertEqual(train.subset([1, 0]).sequences.shape, [2, 5, 42, 3])

        try NPY.write(NDArray(shape: [5, 21, 3], storage: .float32((0..<315).map { _ in rng.uniform(0.1, 0.9) })),
                      to: clips.appendingPathComponent("b/2.npy"))
        let mixed = try ClipArrayImporter.run(root: clips, to: dir.appendingPathComponent("mixed"))
        assertDatasetError(["mixed frame layouts", "b_2.npy holds 21 points (one hand)", "42 points (left and right hand)"]) {
            try DatasetBuilder.build(BuildOptions(manifest: mixed.manifestURL))
        }
    }

    /// The real Holistic frames: both hands and the pose import, every hand block equal to the
    /// one-hand import of that hand, and pose points present wherever the body was found.
    func testRealHolisticFramesGiveBothHandsAndThePose() throws {
        guard let holistic = TestEnvironment.sharedPath("realdata/holistic_1662_npy") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let all = try LandmarkManifest.read(contentsOf: FrameSequenceImporter.run(root: holistic, to: dir.appendingPathComponent("all"),
                                                                                  options: .init(hand: .both, pose: true)).manifestURL)
        XCTAssertEqual(all.records.count, 9)
        for side in [FrameSequenceImporter.Hand.left, .right] {
            let one = try LandmarkManifest.read(contentsOf: FrameSequenceImporter.run(root: holistic, to: dir.appendingPathComponent("\(side)"),
                                                                                      options: .init(hand: side)).manifestURL)
            for i in all.records.indices {
                let (both, hand) = (try all.loadClip(at: i), try one.loadClip(at: i))
                let offset = side == .left ? 0 : 63
                for t in 0..<both.frameCount {
                    XCTAssertEqual(Array(both.frame(t)[(both.frame(t).startIndex + offset)...].prefix(63)), Array(hand.frame(t)),
                                   "\(all.records[i].clipID) frame \(t) \(side)")
                }
                XCTAssertEqual(both.mask, zip(both.mask.indices, hand.mask).map { t, m in
                    m || (0..<126).contains { both.frame(t)[both.frame(t).startIndex + $0] != 0 } })
            }
        }
        let clip = try all.loadClip(at: 0)
        let posed = (0..<clip.frameCount).filter { t in clip.frame(t).suffix(21).contains { $0 != 0 } }
        XCTAssertFalse(posed.isEmpty)
        for t in posed {   // shoulders at distance 1 about the origin
            let f = Array(clip.frame(t).suffix(21))
            XCTAssertEqual(f[3] + f[6], 0, accuracy: 1e-5)
            let d = ((f[6] - f[3]) * (f[6] - f[3]) + (f[7] - f[4]) * (f[7] - f[4]) + (f[8] - f[5]) * (f[8] - f[5])).squareRoot()
            XCTAssertEqual(d, 1, accuracy: 1e-5)
        }
    }

    /// `--dominant-right`: a two-hand clip whose left hand is seen in more frames is mirrored
    /// whole (x negated, hands swapped); a right-dominant clip, a tie and a one-hand clip stay.
    func testDominantHandOnTheRightMirrorsLeftDominantClips() throws {
        var rng = SeededRandom(seed: 8)
        func hand() -> [Float] { (0..<63).map { _ in rng.uniform(-1, 1) } }
        let none = [Float](repeating: 0, count: 63)
        let (a, b, c, d) = (hand(), hand(), hand(), hand())
        let leftDominant = LandmarkClip(values: a + none + b + c + d + none, mask: [true, true, true], layout: .bothHands)
        XCTAssertEqual(leftDominant.framesWithHand(0), 3)
        XCTAssertEqual(leftDominant.framesWithHand(1), 1)
        let (canonical, mirrored) = leftDominant.dominantHandOnTheRight()
        XCTAssertTrue(mirrored)
        func negX(_ h: [Float]) -> [Float] { h.enumerated().map { $0.offset % 3 == 0 ? -$0.element : $0.element } }
        XCTAssertEqual(canonical.values, none + negX(a) + negX(c) + negX(b) + none + negX(d))
        XCTAssertEqual(canonical.framesWithHand(1), 3, "the dominant hand is now the right one")
        XCTAssertEqual(canonical.dominantHandOnTheRight().clip, canonical, "canonical stays canonical")
        let rightDominant = LandmarkClip(values: none + a + b + c, mask: [true, true], layout: .bothHands)
        XCTAssertFalse(rightDominant.dominantHandOnTheRight().mirrored)
        let tie = LandmarkClip(values: a + none + none + b, mask: [true, true], layout: .bothHands)
        XCTAssertFalse(tie.dominantHandOnTheRight().mirrored)
        let one = LandmarkClip(values: a, mask: [true])
        XCTAssertEqual(one.dominantHandOnTheRight().clip, one)
        // With pose points the pose is mirrored too: left and right shoulders trade places.
        let pose = (0..<21).map { Float($0) + 1 }
        let posed = LandmarkClip(values: a + none + pose, mask: [true], layout: FrameLayout(hands: 2, pose: true))
        let p = Array(posed.dominantHandOnTheRight().clip.values.suffix(21))
        XCTAssertEqual(Array(p[3..<6]), [-pose[6], pose[7], pose[8]])
        XCTAssertEqual(Array(p[0..<3]), [-pose[0], pose[1], pose[2]])
    }

    /// `build --dominant-right` mirrors the left-dominant clips, says how many, records the choice
    /// in the dataset (read back), and refuses one-hand clips.
    func testBuildDominantRightIsCountedRecordedAndNeedsBothHands() throws {
        let clips = dir.appendingPathComponent("clips")
        var rng = SeededRandom(seed: 4)
        for (label, k, leftFrames) in [("a", 0, 4), ("a", 1, 1), ("b", 0, 3), ("b", 1, 0)] {
            var values = [Float]()
            for t in 0..<4 {
                values += (0..<63).map { _ in t < leftFrames ? rng.uniform(0.1, 0.9) : 0 }
                values += (0..<63).map { _ in t >= 2 ? rng.uniform(0.1, 0.9) : 0 }
            }
            try NPY.write(NDArray(shape: [4, 42, 3], storage: .float32(values)), to: clips.appendingPathComponent("\(label)/\(k).npy"))
        }
        let summary = try ClipArrayImporter.run(root: clips, to: dir.appendingPathComponent("imported"))
        var options = BuildOptions(manifest: summary.manifestURL)
        options.splits = [1, 0, 0]
        options.dominantRight = true
        options.datasetDirectory = dir.appendingPathComponent("ds")
        let built = try DatasetBuilder.build(options)
        XCTAssertEqual(built.dominantMirrored, 2, "a_0 (4 left vs 2 right) and b_0 (3 vs 2)")
        XCTAssertTrue(built.text.contains("mirrored 2 clips whose left hand was seen more (--dominant-right)"), built.text)
        let train = try Dataset(contentsOf: options.outputURLs[0])
        XCTAssertTrue(train.preprocessing.dominantRight)
        XCTAssertEqual(train.preprocessing.summary, "dominant hand on the right")
        for i in 0..<train.count {
            let clip = LandmarkClip(values: Array(train.sequences.scalars[(i * 4 * 126)..<((i + 1) * 4 * 126)]),
                                    mask: Array(train.masks[(i * 4)..<((i + 1) * 4)]), layout: .bothHands)
            XCTAssertGreaterThanOrEqual(clip.framesWithHand(1), clip.framesWithHand(0), train.metadata.clipIDs[i])
        }
        let one = dir.appendingPathComponent("one")
        try NPY.write(NDArray(shape: [2, 21, 3], storage: .float32((0..<126).map { _ in rng.uniform(0.1, 0.9) })),
                      to: one.appendingPathComponent("a/0.npy"))
        let oneHand = try ClipArrayImporter.run(root: one, to: dir.appendingPathComponent("one-imported"))
        var bad = BuildOptions(manifest: oneHand.manifestURL)
        bad.dominantRight = true
        assertDatasetError(["--dominant-right needs both hands", "21 points (one hand)"]) { try DatasetBuilder.build(bad) }
    }
}
