import XCTest
import TensorCore
import TestSupport
@testable import Datasets

/// The importers on the real third-party files in ../shared/realdata (see PROVENANCE.md there),
/// cross-checked against NumPy reading the same source files.
final class ImporterTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestEnvironment.temporaryDirectory("aslsh-import") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    static func keypointFiles() throws -> (csv: URL, labels: URL) {
        guard let folder = TestEnvironment.sharedPath("realdata/hand_keypoints_csv") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        return (folder.appendingPathComponent("keypoint.csv"), folder.appendingPathComponent("keypoint_classifier_label.csv"))
    }

    static func sequenceRoot() throws -> URL {
        guard let root = TestEnvironment.sharedPath("realdata/hand_sequences_npy/MP_Data_New_Trained") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        return root
    }

    /// 624 rows → 624 one-frame clips in 30 classes named by the BOM-prefixed label file;
    /// z recorded absent; values equal NumPy's 2-D wrist→MCP normalisation of the CSV rows.
    func testKeypointCSVRealData() throws {
        let (csv, labels) = try Self.keypointFiles()
        let summary = try KeypointCSVImporter.run(keypoints: csv, labels: labels, to: dir)
        XCTAssertEqual(summary.clipCount, 624)
        XCTAssertEqual(summary.clipsPerLabel.count, 30)
        XCTAssertTrue(summary.warnings.isEmpty, "\(summary.warnings)")
        let counts = Dictionary(uniqueKeysWithValues: summary.clipsPerLabel.map { ($0.label, $0.count) })
        // Per-class row counts of keypoint.csv (column 0: 0 → Hello, 4 → I Love You, 5 → A, 9 → E, 29 → Y).
        XCTAssertEqual(counts["Hello"], 20)
        XCTAssertEqual(counts["A"], 16)
        XCTAssertEqual(counts["E"], 27)
        XCTAssertEqual(counts["Y"], 21)
        XCTAssertEqual(counts["I Love You"], 21)
        XCTAssertNil(counts["\u{FEFF}Hello"], "the UTF-8 BOM must not leak into the first label")

        let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        XCTAssertEqual(manifest.records.count, 624)
        XCTAssertTrue(manifest.records.allSatisfy { !$0.hasZ && $0.frameCount == 1 && $0.detectedFrames == 1 })
        XCTAssertEqual(manifest.records[0].label, "Hello")
        XCTAssertEqual(manifest.records[0].labelIndex, 0)
        XCTAssertEqual(manifest.records[0].normalisation, "wrist_mcp9")
        let clip = try manifest.loadClip(at: 0)
        XCTAssertTrue(stride(from: 2, to: 63, by: 3).allSatisfy { clip.values[$0] == 0 }, "z is 0, not invented")

        try requireNumPy()
        let maxDiff = try ExternalTool.python("""
        import csv, json, os, sys, numpy as np
        src, manifest = sys.argv[1], sys.argv[2]
        rows = [r for r in csv.reader(open(src)) if r]
        recs = json.load(open(manifest))
        assert len(recs) == len(rows), (len(recs), len(rows))
        worst = 0.0
        for rec, row in zip(recs, rows):
            p = np.array(row[1:], dtype=np.float64).reshape(21, 2)
            p = p - p[0]
            p = p / np.linalg.norm(p[9])
            ours = np.load(os.path.join(os.path.dirname(manifest), rec["landmarks"]))
            assert ours.dtype == np.float32 and ours.shape == (1, 21, 3), (ours.dtype, ours.shape)
            assert int(row[0]) == rec["label_index"]
            worst = max(worst, float(np.abs(ours[0, :, :2] - p).max()))
        print(worst)
        """, [csv.path, summary.manifestURL.path])
        // float32 storage of values ≈ 1: rounding ≤ 6e-8 each, a few operations → 1e-6.
        XCTAssertLessThan(Double(maxDiff.trimmingCharacters(in: .whitespacesAndNewlines))!, 1e-6)
    }

    /// 21 signs × 7 sequences × 30 frames; "i love you" keeps its spaces; the kept hand, masks and
    /// values agree with NumPy applying the documented rule to the raw 126-value frames.
    func testFrameSequencesRealData() throws {
        let root = try Self.sequenceRoot()
        let summary = try FrameSequenceImporter.run(root: root, to: dir, options: .init(signer: "neat11", fps: 30))
        XCTAssertEqual(summary.clipCount, 147)
        XCTAssertEqual(summary.clipsPerLabel.count, 21)
        XCTAssertTrue(summary.clipsPerLabel.allSatisfy { $0.count == 7 })
        XCTAssertTrue(summary.clipsPerLabel.contains { $0.label == "i love you" })
        let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        XCTAssertTrue(manifest.records.allSatisfy { $0.frameCount == 30 && $0.hasZ && $0.signer == "neat11" })
        XCTAssertTrue(manifest.records.contains { $0.clipID == "i_love_you_0" && $0.label == "i love you" })
        let detected = manifest.records.map(\.detectedFrames).reduce(0, +)
        XCTAssertGreaterThan(detected, 0)

        try requireNumPy()
        let report = try ExternalTool.python("""
        import json, os, sys, numpy as np
        root, manifest = sys.argv[1], sys.argv[2]
        recs = json.load(open(manifest))
        worst, masked, total = 0.0, 0, 0
        for rec in recs:
            seq = os.path.join(root, rec["source_file"])
            frames = sorted(os.listdir(seq), key=lambda f: int(f[:-4]))
            raw = np.stack([np.load(os.path.join(seq, f)) for f in frames])      # [30,126] float64
            left, right = raw[:, :63], raw[:, 63:]
            lp, rp = (left != 0).any(1), (right != 0).any(1)
            hand = "left" if lp.sum() > rp.sum() else "right"
            assert hand == rec["metadata"]["hand"], (rec["clip_id"], hand)
            pts = (left if hand == "left" else right).reshape(-1, 21, 3)
            present = lp if hand == "left" else rp
            base = os.path.dirname(manifest)
            ours = np.load(os.path.join(base, rec["landmarks"]))
            mask = np.load(os.path.join(base, rec["mask"]))
            assert mask.dtype == np.uint8 and (mask.astype(bool) == present).all(), rec["clip_id"]
            assert int(present.sum()) == rec["detected_frames"]
            exp = np.zeros_like(pts)
            for t in np.nonzero(present)[0]:
                p = pts[t] - pts[t, 0]
                exp[t] = p / np.linalg.norm(p[9])
            worst = max(worst, float(np.abs(ours - exp).max()))
            masked += int((~present).sum()); total += len(present)
        print(worst, masked, total)
        """, [root.path, summary.manifestURL.path]).split(separator: " ")
        // Normalised values reach ~3 (fingertip / palm length); float32 rounding → 2e-6.
        XCTAssertLessThan(Double(report[0])!, 2e-6)
        XCTAssertEqual(Int(report[2].trimmingCharacters(in: .whitespacesAndNewlines)), 147 * 30)
        XCTAssertEqual(Int(report[1])!, 147 * 30 - detected)
    }

    /// --hand right keeps the right hand even where the left is seen more often.
    func testFrameSequenceHandChoice() throws {
        let root = dir.appendingPathComponent("src/wave hello/0")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for t in 0..<3 {
            var v = [Double](repeating: 0, count: 126)
            for j in 0..<21 { v[3 * j] = 0.5 + 0.01 * Double(j); v[3 * j + 1] = 0.5 }   // left always present
            if t == 2 { for j in 0..<21 { v[63 + 3 * j] = 0.2; v[63 + 3 * j + 1] = 0.2 + 0.01 * Double(j) } }
            try NPY.write(NDArray(shape: [126], storage: .float64(v)), to: root.appendingPathComponent("\(t * 5).npy"))
        }
        let out = dir.appendingPathComponent("out")
        try FrameSequenceImporter.run(root: dir.appendingPathComponent("src"), to: out)
        var m = try LandmarkManifest.read(contentsOf: out.appendingPathComponent("manifest.json"))
        XCTAssertEqual(m.records[0].metadata["hand"], .string("left"))
        XCTAssertEqual(try m.loadClip(at: 0).mask, [true, true, true])
        try FrameSequenceImporter.run(root: dir.appendingPathComponent("src"), to: out, options: .init(hand: .right))
        m = try LandmarkManifest.read(contentsOf: out.appendingPathComponent("manifest.json"))
        XCTAssertEqual(m.records[0].clipID, "wave_hello_0")
        XCTAssertEqual(try m.loadClip(at: 0).mask, [false, false, true])
        XCTAssertEqual(m.records[0].detectionRate, 1.0 / 3, accuracy: 1e-12)
    }

    /// Per-clip arrays: labels from sub-folders, or from a CSV; sibling masks used; all-zero
    /// frames masked otherwise; [21,3] is one frame.
    func testClipArrayFolderAndCSV() throws {
        let src = dir.appendingPathComponent("clips")
        let a = Fixtures.clip(1, frames: 5, detected: 3), b = Fixtures.clip(2, frames: 2, detected: 2)
        try NPY.write(NDArray(float32: a.values, shape: [5, 21, 3]), to: src.appendingPathComponent("thank you/c1.npy"))
        try b.write(landmarks: src.appendingPathComponent("yes/c2.npy"), mask: src.appendingPathComponent("yes/c2.mask.npy"))
        try NPY.write(NDArray(float32: Array(b.values[0..<63]), shape: [21, 3]), to: src.appendingPathComponent("yes/photo.npy"))
        try Data("x".utf8).write(to: src.appendingPathComponent("yes/notes.txt"))
        let out = dir.appendingPathComponent("out")
        let summary = try ClipArrayImporter.run(root: src, to: out)
        XCTAssertEqual(summary.clipCount, 3)
        XCTAssertEqual(summary.skipped["files that are neither clips nor masks"], 1)
        let m = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        XCTAssertEqual(m.records.map(\.label), ["thank you", "yes", "yes"])
        XCTAssertEqual(m.records.map(\.frameCount), [5, 2, 1])
        XCTAssertEqual(try m.loadClip(at: 0).mask, [true, true, true, false, false])
        for (x, y) in zip(try m.loadClip(at: 0).values, a.values) { XCTAssertEqual(x, y, accuracy: 1e-6) }

        let csv = src.appendingPathComponent("labels.csv")
        try Data("file,label,signer,split\n\"thank you/c1.npy\",thanks,s1,train\nyes/c2.npy,yes,,test\n".utf8).write(to: csv)
        let fromCSV = try ClipArrayImporter.run(root: src, to: out, options: .init(labelCSV: csv))
        let m2 = try LandmarkManifest.read(contentsOf: fromCSV.manifestURL)
        XCTAssertEqual(m2.records.map(\.label), ["thanks", "yes"])
        XCTAssertEqual(m2.records.map(\.signer), ["s1", nil])
        XCTAssertEqual(m2.records.map(\.split), ["train", "test"])

        try Data("file,label\nmissing.npy,yes\n".utf8).write(to: csv)
        assertDatasetError(["\(csv.path):2", "missing.npy", "missing"]) {
            try ClipArrayImporter.run(root: src, to: out, options: .init(labelCSV: csv))
        }
        try NPY.write(NDArray(float32: [1, 2, 3], shape: [3]), to: src.appendingPathComponent("yes/bad.npy"))
        assertDatasetError(["yes/bad.npy", "shape [3] is not [T,21,3], [T,63] or [21,3]"]) {
            try ClipArrayImporter.run(root: src, to: out)
        }
    }

    /// Keypoint CSV errors name the file and line.
    func testKeypointCSVBadInput() throws {
        let csv = dir.appendingPathComponent("kp.csv"), labels = dir.appendingPathComponent("labels.csv")
        let good = "0," + (0..<42).map { String(Double($0) / 50) }.joined(separator: ",")
        try Data("\u{FEFF}Open\r\nClosed\r\n".utf8).write(to: labels)
        try Data("\(good)\n0,1,2\n".utf8).write(to: csv)
        assertDatasetError(["\(csv.path):2", "3 columns, expected 43"]) {
            try KeypointCSVImporter.run(keypoints: csv, labels: labels, to: dir)
        }
        try Data("\(good)\n\(good.replacingOccurrences(of: "0.1,", with: "abc,"))\n".utf8).write(to: csv)
        assertDatasetError(["\(csv.path):2", "'abc'", "not a finite number"]) {
            try KeypointCSVImporter.run(keypoints: csv, labels: labels, to: dir)
        }
        try Data("\(good)\n\(good.replacingOccurrences(of: "0.1,", with: "nan,"))\n".utf8).write(to: csv)
        assertDatasetError(["\(csv.path):2", "'nan'"]) { try KeypointCSVImporter.run(keypoints: csv, labels: labels, to: dir) }
        try Data("\("7" + good.dropFirst())\n".utf8).write(to: csv)
        assertDatasetError(["\(csv.path):1", "class index 7 has no name", "lists 2 classes"]) {
            try KeypointCSVImporter.run(keypoints: csv, labels: labels, to: dir)
        }
        // A class of the label file without rows is reported; `build` renumbers around the gap
        // (and then needs more than one row to split).
        try Data("\("1" + good.dropFirst())\n".utf8).write(to: csv)
        let summary = try KeypointCSVImporter.run(keypoints: csv, labels: labels, to: dir)
        XCTAssertEqual(summary.warnings, ["classes with no rows (absent from the manifest): 0 'Open'"])
        XCTAssertEqual(summary.clipsPerLabel.map(\.label), ["Closed"])
        assertDatasetError(["class 'Closed' has 1 sample(s)"]) {
            try DatasetBuilder.build(BuildOptions(manifest: summary.manifestURL))
        }
    }

    /// Frame folders: a non-numeric frame name, a frame of no known layout, layouts mixed in one
    /// import, a --layout the frames do not have and bad --signer-from settings are errors naming the place.
    func testFrameSequenceBadInput() throws {
        let seq = dir.appendingPathComponent("src/hello/0")
        try NPY.write(NDArray(float32: [Float](repeating: 0.5, count: 126)), to: seq.appendingPathComponent("0.npy"))
        try NPY.write(NDArray(float32: [Float](repeating: 0.5, count: 126)), to: seq.appendingPathComponent("first.npy"))
        assertDatasetError(["first.npy", "not a frame number"]) {
            try FrameSequenceImporter.run(root: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("out"))
        }
        try FileManager.default.removeItem(at: seq.appendingPathComponent("first.npy"))
        try NPY.write(NDArray(float32: [Float](repeating: 0.5, count: 63)), to: seq.appendingPathComponent("1.npy"))
        assertDatasetError(["1.npy: 63 values a frame (hand), but ", "0.npy has 126 (hands): one import takes one layout"]) {
            try FrameSequenceImporter.run(root: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("out"))
        }
        try FileManager.default.removeItem(at: seq.appendingPathComponent("1.npy"))
        try NPY.write(NDArray(float32: [Float](repeating: 0.5, count: 100)), to: seq.appendingPathComponent("0.npy"))
        assertDatasetError(["0.npy: 100 float32 values a frame fit no known layout (holistic (1662), pose-hands (258), hands (126), hand (63))"]) {
            try FrameSequenceImporter.run(root: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("out"))
        }
        try NPY.write(NDArray(float32: [Float](repeating: 0.5, count: 126)), to: seq.appendingPathComponent("0.npy"))
        assertDatasetError(["0.npy: 126 float32 values a frame (hands), but --layout holistic takes 1662"]) {
            try FrameSequenceImporter.run(root: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("out"),
                                          options: .init(layout: .holistic))
        }
        assertDatasetError(["--signer and --signer-from: give one"]) {
            try FrameSequenceImporter.run(root: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("out"),
                                          options: .init(signer: "a", signerFrom: .folder))
        }
        assertDatasetError(["--signer-from: '^(x' is not a regular expression"]) {
            try FrameSequenceImporter.run(root: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("out"),
                                          options: .init(signerFrom: .pattern("^(x")))
        }
        assertDatasetError(["--signer-from: 'hello' needs a capture group"]) {
            try FrameSequenceImporter.run(root: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("out"),
                                          options: .init(signerFrom: .pattern("hello")))
        }
        assertDatasetError(["src/hello/0: 'hello/0' does not match --signer-from '^[^/]+/([a-z]+)_'"]) {
            try FrameSequenceImporter.run(root: dir.appendingPathComponent("src"), to: dir.appendingPathComponent("out"),
                                          options: .init(signerFrom: .pattern("^[^/]+/([a-z]+)_")))
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("nosigns/alice"), withIntermediateDirectories: true)
        assertDatasetError(["nosigns/alice: no <sign>/ folders"]) {
            try FrameSequenceImporter.run(root: dir.appendingPathComponent("nosigns"), to: dir.appendingPathComponent("out"),
                                          options: .init(signerFrom: .folder))
        }
    }

    /// One frame in `layout`, with the left hand's 63 values `left` (nil: not detected) and the
    /// right's `right`, every other value (pose, face) set to a distinct non-zero number.
    func frame(_ layout: FrameSequenceImporter.Layout, left: [Double]?, right: [Double]?) -> NDArray {
        var v = (0..<layout.valuesPerFrame).map { 0.25 + 1e-4 * Double($0) }
        let offsets = [FrameSequenceImporter.Layout.holistic: (1536, 1599), .poseHands: (132, 195), .hands: (0, 63)][layout]
        if let (l, r) = offsets {
            v.replaceSubrange(l..<l + 63, with: left ?? [Double](repeating: 0, count: 63))
            v.replaceSubrange(r..<r + 63, with: right ?? [Double](repeating: 0, count: 63))
        } else {
            v = left ?? [Double](repeating: 0, count: 63)
        }
        return NDArray(shape: [layout.valuesPerFrame], storage: .float64(v))
    }

    /// Holistic (1662), pose + hands (258), hands (126) and one hand (63) frames of the same two
    /// hands import to the same clips: the layout is told from the length and recorded.
    func testEveryPublishedLayoutKeepsTheSameHands() throws {
        let leftHand = (0..<63).map { 0.3 + 0.004 * Double($0) }
        let rightHand: [Double] = (0..<63).map { (k: Int) -> Double in
            let (point, axis) = (Double(k / 3), Double(k % 3))
            return 0.6 - 0.003 * point + 0.001 * axis
        }
        var clips: [String: LandmarkClip] = [:]
        for layout in FrameSequenceImporter.Layout.allCases {
            let src = dir.appendingPathComponent("src-\(layout.rawValue)/thanks/0")
            for t in 0..<4 {   // the right hand in frames 0–2, the left in 1–3; a one-hand file holds the right
                let right = t < 3 ? rightHand : nil, left = t > 0 ? leftHand : nil
                try NPY.write(layout == .hand ? frame(.hand, left: right, right: nil) : frame(layout, left: left, right: right),
                              to: src.appendingPathComponent("\(t).npy"))
            }
            let out = dir.appendingPathComponent("out-\(layout.rawValue)")
            let summary = try FrameSequenceImporter.run(root: src.deletingLastPathComponent().deletingLastPathComponent(), to: out,
                                                        options: .init(hand: .right))
            XCTAssertEqual(summary.clipCount, 1)
            XCTAssertEqual(summary.warnings, layout == .hand ? ["--hand right has no effect: the frames hold one hand (layout 'hand', 63 values)"] : [])
            let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
            XCTAssertEqual(manifest.records[0].metadata["layout"], .string(layout.rawValue))
            XCTAssertEqual(manifest.records[0].metadata["hand"], .string(layout == .hand ? "single" : "right"))
            clips[layout.rawValue] = try manifest.loadClip(at: 0)
        }
        let reference = try XCTUnwrap(clips["hands"])
        XCTAssertEqual(reference.mask, [true, true, true, false])
        for (name, clip) in clips {
            XCTAssertEqual(clip.mask, reference.mask, name)
            XCTAssertEqual(clip.values, reference.values, name)
        }
    }

    /// `--mirror-left`: a left hand that is the mirror image of a right hand imports as that right
    /// hand (x mirrored about the wrist), recorded as mirrored; a kept right hand is untouched.
    func testMirrorLeftTurnsALeftHandIntoTheRightHandItMirrors() throws {
        let right: [Double] = (0..<63).map { (k: Int) -> Double in
            let (point, axis) = (Double(k / 3), k % 3)
            return axis == 0 ? 0.4 + 0.007 * point : 0.5 - 0.004 * Double(k)
        }
        var left = right
        for j in 0..<21 { left[3 * j] = 1 - right[3 * j] }
        let sides: [(String, [Double]?, [Double]?)] = [("l", left, nil), ("r", nil, right)]
        for (name, l, r) in sides {
            let src = dir.appendingPathComponent("mirror-\(name)/hello/0")
            for t in 0..<3 { try NPY.write(frame(.hands, left: l, right: r), to: src.appendingPathComponent("\(t).npy")) }
        }
        let a = try FrameSequenceImporter.run(root: dir.appendingPathComponent("mirror-l"), to: dir.appendingPathComponent("a"),
                                              options: .init(mirrorLeft: true))
        let b = try FrameSequenceImporter.run(root: dir.appendingPathComponent("mirror-r"), to: dir.appendingPathComponent("b"),
                                              options: .init(mirrorLeft: true))
        let ma = try LandmarkManifest.read(contentsOf: a.manifestURL), mb = try LandmarkManifest.read(contentsOf: b.manifestURL)
        XCTAssertEqual(ma.records[0].metadata["hand"], .string("left"))
        XCTAssertEqual(ma.records[0].metadata["mirrored"], .bool(true))
        XCTAssertNil(mb.records[0].metadata["mirrored"])
        let (x, y) = (try ma.loadClip(at: 0), try mb.loadClip(at: 0))
        XCTAssertEqual(x.mask, [true, true, true])
        for (u, v) in zip(x.values, y.values) { XCTAssertEqual(u, v, accuracy: 1e-6) }
        let plain = try FrameSequenceImporter.run(root: dir.appendingPathComponent("mirror-l"), to: dir.appendingPathComponent("c"))
        let mc = try LandmarkManifest.read(contentsOf: plain.manifestURL)
        let z = try mc.loadClip(at: 0)
        XCTAssertEqual(z.values[3], -y.values[3], accuracy: 1e-6, "unmirrored, the left hand's x points the other way")
    }

    /// `--signer-from folder` reads <signer>/<sign>/<sequence>/; a pattern reads the id from the
    /// path. Each clip's signer is in the manifest and clip ids stay unique across signers.
    func testSignerFromFoldersAndPatterns() throws {
        let hand = (0..<63).map { 0.4 + 0.002 * Double($0) }
        for (signer, sign, sequence) in [("alice", "hello", "0"), ("alice", "thanks", "0"), ("bob", "hello", "0"), ("bob", "hello", "1")] {
            let folder = dir.appendingPathComponent("bysigner/\(signer)/\(sign)/\(sequence)")
            try NPY.write(frame(.hands, left: nil, right: hand), to: folder.appendingPathComponent("0.npy"))
            let flat = dir.appendingPathComponent("flat/\(sign)/\(signer)_\(sequence)")
            try NPY.write(frame(.hands, left: nil, right: hand), to: flat.appendingPathComponent("0.npy"))
        }
        try Data("signer,repo\n".utf8).write(to: dir.appendingPathComponent("bysigner/signers.csv"))
        let byFolder = try FrameSequenceImporter.run(root: dir.appendingPathComponent("bysigner"), to: dir.appendingPathComponent("a"),
                                                    options: .init(signerFrom: .folder))
        XCTAssertEqual(byFolder.skipped["files beside signer folders"], 1)
        let a = try LandmarkManifest.read(contentsOf: byFolder.manifestURL)
        XCTAssertEqual(a.records.map(\.clipID), ["alice_hello_0", "alice_thanks_0", "bob_hello_0", "bob_hello_1"])
        XCTAssertEqual(a.records.map(\.signer), ["alice", "alice", "bob", "bob"])
        XCTAssertEqual(a.records.map(\.sourceFile), ["alice/hello/0", "alice/thanks/0", "bob/hello/0", "bob/hello/1"])
        let byPattern = try FrameSequenceImporter.run(root: dir.appendingPathComponent("flat"), to: dir.appendingPathComponent("b"),
                                                     options: .init(signerFrom: .pattern("^[^/]+/([a-z]+)_")))
        let b = try LandmarkManifest.read(contentsOf: byPattern.manifestURL)
        XCTAssertEqual(b.records.map(\.signer), ["alice", "bob", "bob", "alice"])
        XCTAssertEqual(b.records.map(\.clipID), ["hello_alice_0", "hello_bob_0", "hello_bob_1", "thanks_alice_0"])
    }

    /// The real Holistic frames (1662 values) of signer m06 import to exactly the clips of the
    /// same sequences in the hands-only (126) set, which was sliced from them.
    func testHolisticFramesEqualTheirHandSlices() throws {
        guard let holistic = TestEnvironment.sharedPath("realdata/holistic_1662_npy"),
              let hands = TestEnvironment.sharedPath("realdata/multisigner_hands_npy/m06") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let a = try FrameSequenceImporter.run(root: holistic, to: dir.appendingPathComponent("holistic"))
        XCTAssertEqual(a.clipCount, 9)
        let ma = try LandmarkManifest.read(contentsOf: a.manifestURL)
        XCTAssertTrue(ma.records.allSatisfy { $0.metadata["layout"] == .string("holistic") && $0.frameCount == 30 })
        // The same sequences from the 126-value set (label folders there say "iloveyou" too).
        let subset = dir.appendingPathComponent("m06-subset")
        for record in ma.records {
            try FileManager.default.createDirectory(at: subset.appendingPathComponent(record.sourceFile).deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: subset.appendingPathComponent(record.sourceFile),
                                                       withDestinationURL: hands.appendingPathComponent(record.sourceFile))
        }
        let b = try FrameSequenceImporter.run(root: subset, to: dir.appendingPathComponent("hands"))
        let mb = try LandmarkManifest.read(contentsOf: b.manifestURL)
        XCTAssertEqual(mb.records.map(\.clipID), ma.records.map(\.clipID))
        XCTAssertTrue(mb.records.allSatisfy { $0.metadata["layout"] == .string("hands") })
        for index in ma.records.indices {
            XCTAssertEqual(ma.records[index].metadata["hand"], mb.records[index].metadata["hand"])
            let (x, y) = (try ma.loadClip(at: index), try mb.loadClip(at: index))
            XCTAssertEqual(x.mask, y.mask, ma.records[index].clipID)
            XCTAssertEqual(x.values, y.values, ma.records[index].clipID)
        }
    }
}
