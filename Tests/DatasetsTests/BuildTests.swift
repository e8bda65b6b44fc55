import XCTest
import TensorCore
import TestSupport
@testable import Datasets

/// `build` on synthetic manifests (predictable values) and on the imported real sequences, with
/// NumPy reading every output.
final class BuildTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestEnvironment.temporaryDirectory("aslsh-build") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func options(_ manifest: URL, _ configure: (inout BuildOptions) -> Void = { _ in }) -> BuildOptions {
        var o = BuildOptions(manifest: manifest)
        o.datasetDirectory = dir.appendingPathComponent("ds")
        o.prefix = "t_"
        configure(&o)
        return o
    }

    /// The real sequence folders → import → build: NumPy sees the documented arrays, dtypes and
    /// shapes; every class is 5/1/1; splits are disjoint; values equal the landmark files.
    func testRealSequencesBuildReadByNumPy() throws {
        let root = try ImporterTests.sequenceRoot()
        try requireNumPy()
        let imported = try FrameSequenceImporter.run(root: root, to: dir.appendingPathComponent("lm"), options: .init(signer: "neat11"))
        let summary = try DatasetBuilder.build(options(imported.manifestURL))
        XCTAssertEqual(summary.sampleCounts, [105, 21, 21])
        XCTAssertEqual(summary.sequenceLength, 30)
        XCTAssertTrue(summary.counts[0].allSatisfy { $0 == 5 } && summary.counts[1].allSatisfy { $0 == 1 })
        XCTAssertTrue(summary.text.contains("i love you"))
        let report = try ExternalTool.python("""
        import json, os, sys, numpy as np
        ds, manifest = sys.argv[1], sys.argv[2]
        base = os.path.dirname(manifest)
        recs = {r["clip_id"]: r for r in json.load(open(manifest))}
        names, ids = None, []
        for split, n in (("train", 105), ("val", 21), ("test", 21)):
            z = np.load(os.path.join(ds, "t_" + split + ".npz"))
            s, m, l = z["sequences"], z["masks"], z["labels"]
            assert s.dtype == np.float32 and s.shape == (n, 30, 21, 3), (s.dtype, s.shape)
            assert m.dtype == np.bool_ and m.shape == (n, 30), (m.dtype, m.shape)
            assert l.dtype == np.int64 and l.shape == (n,)
            assert z["label_names"].dtype.kind == "U" and len(z["label_names"]) == 21
            if names is None: names = list(z["label_names"])
            assert list(z["label_names"]) == names
            assert np.bincount(l, minlength=21).tolist() == [n // 21] * 21
            for key in ("clip_ids", "source_files", "signers"): assert z[key].dtype.kind == "U" and z[key].shape == (n,)
            assert z["detection_rates"].dtype == np.float32 and z["frame_counts"].dtype == np.int64
            assert (z["signers"] == "neat11").all()
            for i, cid in enumerate(z["clip_ids"]):
                r = recs[str(cid)]
                assert names[l[i]] == r["label"], (cid, names[l[i]], r["label"])
                assert np.array_equal(s[i], np.load(os.path.join(base, r["landmarks"])))
                assert np.array_equal(m[i], np.load(os.path.join(base, r["mask"])).astype(bool))
                assert abs(z["detection_rates"][i] - r["detection_rate"]) < 1e-6
            ids += list(z["clip_ids"])
        assert len(ids) == len(set(ids)) == 147
        print([str(x) for x in names[:3]])
        """, [dir.appendingPathComponent("ds").path, imported.manifestURL.path])
        XCTAssertEqual(report.trimmingCharacters(in: .whitespacesAndNewlines), "['can', 'deaf', 'do']")
    }

    /// Keypoint CSV → static build: T = 1, label_names in the upstream label file's order.
    func testRealKeypointsStaticBuild() throws {
        let (csv, labels) = try ImporterTests.keypointFiles()
        let imported = try KeypointCSVImporter.run(keypoints: csv, labels: labels, to: dir.appendingPathComponent("lm"))
        let summary = try DatasetBuilder.build(options(imported.manifestURL) { $0.staticFrames = true })
        XCTAssertEqual(summary.sampleCounts.reduce(0, +), 624)
        XCTAssertEqual(summary.sequenceLength, 1)
        XCTAssertEqual(Array(summary.labelNames.prefix(6)), ["Hello", "Thanks", "Yes", "No", "I Love You", "A"])
        let train = try Dataset(contentsOf: summary.outputs[0])
        XCTAssertEqual(train.sequences.shape, [summary.sampleCounts[0], 1, 21, 3])
        XCTAssertEqual(train.metadata.hasZ, [Bool](repeating: false, count: train.count))
        XCTAssertEqual(train.countsPerClass, summary.counts[0])
        // Stratified 0.7/0.15/0.15 of class A's 16 rows: round(2.4) = 2 val, 2 test, 12 train.
        XCTAssertEqual(summary.counts.map { $0[5] }, [12, 2, 2])
    }

    /// Same seed → byte-identical files; another seed → another assignment.
    /// `--fill-gaps N`: gaps of at most N frames between two detected frames are interpolated
    /// linearly and count as detected; longer gaps and gaps at either end stay masked.
    func testFillingGapsInterpolatesOnlyShortInnerGaps() {
        // Frame t holds the value 10·t everywhere; detected: 1, 4, 5, 9 (gaps 2–3, 6–8; ends 0 and 10).
        let detected: Set = [1, 4, 5, 9]
        let mask = (0..<11).map { detected.contains($0) }
        let values = (0..<11).flatMap { t in [Float](repeating: detected.contains(t) ? Float(10 * t) : 0, count: 63) }
        let clip = LandmarkClip(values: values, mask: mask)
        let (two, filledTwo) = clip.fillingGaps(upTo: 2)
        XCTAssertEqual(filledTwo, 2)
        XCTAssertEqual(two.mask, [false, true, true, true, true, true, false, false, false, true, false])
        XCTAssertEqual(two.frame(2).first, 20)   // a third of the way from 10 to 40
        XCTAssertEqual(two.frame(3).first, 30)
        XCTAssertEqual(two.frame(7).first, 0, "a gap of 3 is longer than 2")
        let (three, filledThree) = clip.fillingGaps(upTo: 3)
        XCTAssertEqual(filledThree, 5)
        XCTAssertEqual(three.frame(7).first, 70)
        XCTAssertEqual(three.frame(0).first, 0, "nothing before the first detection")
        XCTAssertFalse(three.mask[10])
        XCTAssertEqual(clip.fillingGaps(upTo: 0).clip, clip)
    }

    /// What build did beyond normalising travels with the dataset (`fill_gaps`, `mirror_left`
    /// arrays): the gap filling asked for, and the mirroring the manifest was made with.
    func testPreprocessingIsRecordedInEverySplit() throws {
        let mirrored = (0..<30).map { n in
            ClipSpec(label: ["a", "b", "c"][n % 3], metadata: n == 4 ? [LandmarkRecord.mirrorLeftKey: .bool(true)] : [:])
        }
        try DatasetBuilder.build(options(try Fixtures.manifest(mirrored, in: dir)) { $0.fillGaps = 2 })
        for url in options(dir).outputURLs {
            XCTAssertEqual(try Dataset(contentsOf: url).preprocessing, Dataset.Preprocessing(fillGaps: 2, mirrorLeft: true), url.lastPathComponent)
        }
        try DatasetBuilder.build(options(try Fixtures.manifest(Fixtures.balanced(["a", "b", "c"], count: 10), in: dir)))
        let plain = try Dataset(contentsOf: options(dir).outputURLs[0])
        XCTAssertEqual(plain.preprocessing, Dataset.Preprocessing())
        XCTAssertEqual(plain.subset([0, 1]).preprocessing, plain.preprocessing)
        // A file from before these arrays existed reads as "none"; a damaged one names the array.
        var old = plain.npz()
        old["fill_gaps"] = nil
        old["mirror_left"] = nil
        let oldURL = dir.appendingPathComponent("old.npz")
        try old.write(to: oldURL)
        XCTAssertEqual(try Dataset(contentsOf: oldURL).preprocessing, Dataset.Preprocessing())
        var bad = plain.npz()
        bad["fill_gaps"] = NDArray(int64: [-1])
        try bad.write(to: oldURL)
        XCTAssertThrowsError(try Dataset(contentsOf: oldURL)) { XCTAssertTrue("\($0)".contains("fill_gaps"), "\($0)") }
    }

    func testSeededSplitsAreReproducible() throws {
        let manifest = try Fixtures.manifest(Fixtures.balanced(["a", "b", "c"], count: 10), in: dir)
        try DatasetBuilder.build(options(manifest))
        let first = try Data(contentsOf: options(manifest).outputURLs[0])
        try DatasetBuilder.build(options(manifest))
        XCTAssertEqual(try Data(contentsOf: options(manifest).outputURLs[0]), first)
        let seed42 = try Dataset(contentsOf: options(manifest).outputURLs[0]).metadata.clipIDs
        try DatasetBuilder.build(options(manifest) { $0.seed = 7 })
        let seed7 = try Dataset(contentsOf: options(manifest).outputURLs[0]).metadata.clipIDs
        XCTAssertEqual(seed42.count, 18)   // 10 per class: 1.5 rounds to 2 val, 2 test, 6 train
        XCTAssertNotEqual(seed42, seed7)
    }

    /// An MS-ASL subset keeps upstream class ids with gaps (here 7 and 3 of 1000): the classes
    /// are numbered densely in upstream order, names kept, instead of refusing the manifest.
    func testUpstreamLabelIndicesWithGapsAreCompacted() throws {
        let specs = (0..<10).flatMap { _ in [ClipSpec(label: "apple", labelIndex: 7), ClipSpec(label: "zebra", labelIndex: 3)] }
        let manifest = try Fixtures.manifest(specs, in: dir)
        try DatasetBuilder.build(options(manifest))
        let train = try Dataset(contentsOf: options(manifest).outputURLs[0])
        XCTAssertEqual(train.labelNames, ["zebra", "apple"], "upstream order (3 before 7), not alphabetical")
        XCTAssertEqual(Set(train.labels), [0, 1])
        for (k, label) in train.labels.enumerated() {
            let clip = Int(train.metadata.clipIDs[k].dropFirst(4))!
            XCTAssertEqual(label, clip % 2 == 0 ? 1 : 0, "clip\(clip) is \(clip % 2 == 0 ? "apple" : "zebra")")
        }
    }

    /// --group-by signer: no signer in two splits (checked by NumPy), every class in every split.
    func testSignerDisjointSplits() throws {
        try requireNumPy()
        var specs = [ClipSpec]()
        for s in 0..<8 { for l in ["a", "b"] { for _ in 0..<3 { specs.append(ClipSpec(label: l, signer: "signer\(s)")) } } }
        let manifest = try Fixtures.manifest(specs, in: dir)
        let summary = try DatasetBuilder.build(options(manifest) { $0.groupBy = .signer })
        XCTAssertEqual(summary.groupsPerSplit?.reduce(0, +), 8)
        XCTAssertEqual(summary.sampleCounts.reduce(0, +), 48)
        let out = try ExternalTool.python("""
        import sys, numpy as np
        sets = [set(np.load(sys.argv[1] + "/t_" + s + ".npz")["signers"]) for s in ("train", "val", "test")]
        print(len(sets[0] & sets[1]), len(sets[0] & sets[2]), len(sets[1] & sets[2]), sum(map(len, sets)))
        """, [dir.appendingPathComponent("ds").path])
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "0 0 0 8")

        // One signer cannot make three signer-disjoint splits.
        let one = try Fixtures.manifest(Fixtures.balanced(["a"], count: 6).map { var s = $0; s.signer = "solo"; return s },
                                        in: dir, name: "one.json")
        assertDatasetError(["only 1 group", "solo"]) { try DatasetBuilder.build(options(one) { $0.groupBy = .signer }) }
        // A record without a signer is named.
        let missing = try Fixtures.manifest([ClipSpec(label: "a", signer: "x"), ClipSpec(label: "a")], in: dir, name: "nosigner.json")
        assertDatasetError(["record 1", "clip1", "no 'signer'"]) { try DatasetBuilder.build(options(missing) { $0.groupBy = .signer }) }
    }

    /// --use-source-split keeps the official split; a class missing from a split is refused.
    func testSourceSplit() throws {
        let specs = ["train", "train", "val", "test", "train", "dev", "test"].enumerated().map {
            ClipSpec(label: $0.offset % 2 == 0 ? "a" : "b", split: $0.element)
        }
        let manifest = try Fixtures.manifest(specs, in: dir)
        let summary = try DatasetBuilder.build(options(manifest) { $0.useSourceSplit = true })
        XCTAssertEqual(summary.counts, [[2, 1], [1, 1], [1, 1]])
        let val = try Dataset(contentsOf: summary.outputs[1])
        XCTAssertEqual(val.metadata.clipIDs, ["clip2", "clip5"])
        let picked = val.subset([1])
        XCTAssertEqual(picked.metadata.clipIDs, ["clip5"])
        XCTAssertEqual(picked.labels, [val.labels[1]])
        XCTAssertEqual(picked.sequences.scalars, Array(val.sequences.scalars[(4 * 63)...]))
        XCTAssertEqual(picked.labelNames, ["a", "b"])

        let lopsided = try Fixtures.manifest([ClipSpec(label: "a", split: "train"), ClipSpec(label: "b", split: "train"),
                                              ClipSpec(label: "a", split: "val")], in: dir, name: "lopsided.json")
        assertDatasetError(["present in one split but absent from another", "val lacks 'b'"]) {
            try DatasetBuilder.build(options(lopsided) { $0.useSourceSplit = true })
        }
        XCTAssertEqual(Fixtures.npzFiles(in: dir.appendingPathComponent("ds")).filter { $0.contains("lopsided") }, [])
        let bad = try Fixtures.manifest([ClipSpec(label: "a", split: "holdout")], in: dir, name: "bad.json")
        assertDatasetError(["record 0", "split 'holdout' is not train, val or test"]) {
            try DatasetBuilder.build(options(bad) { $0.useSourceSplit = true })
        }
    }

    /// --min-detection-rate drops with a count; --max-samples caps per class with a count; a class
    /// emptied by the filter is an error; too-small classes are warned about.
    func testFilteringIsCounted() throws {
        var specs = Fixtures.balanced(["a", "b"], count: 6, frames: 10)
        specs[0].detected = 2; specs[7].detected = 4    // rates 0.2 and 0.4
        let manifest = try Fixtures.manifest(specs, in: dir)
        var logged = [String]()
        let summary = try DatasetBuilder.build(options(manifest) { $0.minDetectionRate = 0.5; $0.maxSamplesPerClass = 4; $0.verbose = true }) {
            logged.append($0)
        }
        XCTAssertEqual(logged.filter { $0.hasPrefix("drop record") }, ["drop record 0 'clip0' (a): detection rate 0.2",
                                                                     "drop record 7 'clip7' (b): detection rate 0.4"])
        XCTAssertEqual(logged.filter { $0.hasPrefix("wrote") }.count, 3)
        XCTAssertEqual(summary.dropped, ["detection rate below --min-detection-rate 0.5": 2, "over --max-samples 4 per class": 2])
        XCTAssertEqual(summary.counts.map { $0.reduce(0, +) }.reduce(0, +), 8)
        XCTAssertTrue(summary.text.contains("dropped 2: detection rate below --min-detection-rate 0.5"))
        XCTAssertTrue(summary.warnings.contains { $0.contains("class 'a' has only 4 samples") })

        var weak = Fixtures.balanced(["a", "b"], count: 3)
        for i in 3..<6 { weak[i].detected = 1 }
        let weakURL = try Fixtures.manifest(weak, in: dir, name: "weak.json")
        assertDatasetError(["class 'b' has no samples", "all 3 of its records are below --min-detection-rate 0.5"]) {
            try DatasetBuilder.build(options(weakURL) { $0.minDetectionRate = 0.5 })
        }
    }

    /// --sequence-length resamples long and pads short clips; --static takes one frame.
    func testFixedLengthAndStatic() throws {
        let manifest = try Fixtures.manifest([ClipSpec(label: "a", frames: 10), ClipSpec(label: "a", frames: 3, detected: 2),
                                              ClipSpec(label: "a", frames: 6)], in: dir)
        let summary = try DatasetBuilder.build(options(manifest) { $0.sequenceLength = 5; $0.splits = [1, 0, 0] })
        XCTAssertEqual(summary.sampleCounts, [3, 0, 0])
        let train = try Dataset(contentsOf: summary.outputs[0])
        XCTAssertEqual(train.sequences.shape, [3, 5, 21, 3])
        let row = train.metadata.clipIDs.firstIndex(of: "clip1")!
        XCTAssertEqual(Array(train.masks[(row * 5)..<(row * 5 + 5)]), [true, true, false, false, false])
        let long = train.metadata.clipIDs.firstIndex(of: "clip0")!
        // Output frame 2 of 5 from 10 frames is source frame ⌊2.5·2⌋ = 5.
        XCTAssertEqual(train.sequences[long, 2, 4, 1], Fixtures.value(clip: 0, frame: 5, landmark: 4, coordinate: 1))
        XCTAssertEqual(train.metadata.frameCounts[long], 10)
        let empty = try Dataset(contentsOf: summary.outputs[2])
        XCTAssertEqual(empty.sequences.shape, [0, 5, 21, 3])
        XCTAssertEqual(empty.labelNames, ["a"])

        let stat = try DatasetBuilder.build(options(manifest) { $0.staticFrames = true; $0.splits = [1, 0, 0] })
        let one = try Dataset(contentsOf: stat.outputs[0])
        XCTAssertEqual(one.sequenceLength, 1)
        XCTAssertEqual(one.sequences[long, 0, 4, 1], Fixtures.value(clip: 0, frame: 4, landmark: 4, coordinate: 1))
    }

    /// Raw records (normalisation "none") are normalised by build.
    func testRawRecordsAreNormalised() throws {
        var values = [Float]()
        for j in 0..<21 { values += [0.3 + 0.02 * Float(j), 0.7, 0.1] }
        try LandmarkClip(values: values, mask: [true]).write(landmarks: dir.appendingPathComponent("r.npy"),
                                                            mask: dir.appendingPathComponent("r.mask.npy"))
        let json = """
        [{"clip_id": "r", "label": "a", "frame_count": 1, "landmarks": "r.npy", "mask": "r.mask.npy", "normalisation": "none"}]
        """
        try Data(json.utf8).write(to: dir.appendingPathComponent("m.json"))
        let summary = try DatasetBuilder.build(options(dir.appendingPathComponent("m.json")) { $0.splits = [1, 0, 0] })
        let d = try Dataset(contentsOf: summary.outputs[0])
        XCTAssertEqual(d.sequences[0, 0, 9, 0], 1, accuracy: 1e-6)
        XCTAssertEqual(d.sequences[0, 0, 4, 0], 4.0 / 9, accuracy: 1e-6)
        XCTAssertEqual(d.sequences[0, 0, 4, 2], 0)
    }
}
