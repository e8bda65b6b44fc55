import XCTest
import TensorCore
import TestSupport
@testable import Datasets

/// Every bad-input path of `build`, the manifest reader and the `.npz` loader: a clear message
/// naming the file and record, and no output file written.
final class BadInputTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestEnvironment.temporaryDirectory("aslsh-bad") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    @discardableResult
    func build(_ manifest: URL, _ configure: (inout BuildOptions) -> Void = { _ in }) throws -> BuildSummary {
        var o = BuildOptions(manifest: manifest)
        o.datasetDirectory = dir.appendingPathComponent("ds")
        configure(&o)
        return try DatasetBuilder.build(o)
    }

    func assertNothingWritten(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Fixtures.npzFiles(in: dir.appendingPathComponent("ds")), [], file: file, line: line)
    }

    func testMixedSequenceLengths() throws {
        let m = try Fixtures.manifest([ClipSpec(label: "a", frames: 4), ClipSpec(label: "a", frames: 4), ClipSpec(label: "a", frames: 6)], in: dir)
        assertDatasetError([m.path, "record 2", "clip2", "mixed sequence lengths", "clip0", "--sequence-length"]) { try build(m) }
        assertNothingWritten()
    }

    func testNaNInLandmarks() throws {
        let m = try Fixtures.manifest(Fixtures.balanced(["a"], count: 3), in: dir)
        var clip = Fixtures.clip(1, frames: 4, detected: 4)
        clip.values[3 * 63 + 20 * 3 + 2] = .infinity
        try clip.write(landmarks: dir.appendingPathComponent("lm/clip1.npy"), mask: dir.appendingPathComponent("lm/clip1.mask.npy"))
        assertDatasetError(["lm/clip1.npy", "record 1", "clip 'clip1'", "non-finite value inf at frame 3, landmark 20, z"]) { try build(m) }
        assertNothingWritten()
    }

    func testMissingLandmarkFile() throws {
        let m = try Fixtures.manifest(Fixtures.balanced(["a"], count: 3), in: dir)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("lm/clip2.mask.npy"))
        assertDatasetError(["lm/clip2.mask.npy", "record 2", "no such file"]) { try build(m) }
        assertNothingWritten()
    }

    func testLabelAbsentFromASplit() throws {
        // Class b has 2 samples: it cannot reach train, val and test.
        let m = try Fixtures.manifest(Fixtures.balanced(["a"], count: 5) + Fixtures.balanced(["b"], count: 2), in: dir)
        assertDatasetError(["class 'b' has 2 sample(s)", "need at least 3"]) { try build(m) }
        // …but can with an empty test split.
        try build(m) { $0.splits = [0.5, 0.5, 0] }
        // round(5 × 0.5) = 3 (halves round away from zero), round(2 × 0.5) = 1.
        XCTAssertEqual(try Dataset(contentsOf: dir.appendingPathComponent("ds/val.npz")).countsPerClass, [3, 1])
    }

    func testLabelIndexGapIsRenumberedWithAWarning() throws {
        let m = try Fixtures.manifest(Fixtures.balanced(["a"], count: 4).map { var s = $0; s.labelIndex = 0; return s }
                                      + Fixtures.balanced(["c"], count: 4).map { var s = $0; s.labelIndex = 2; return s }, in: dir)
        let summary = try build(m)
        XCTAssertEqual(summary.labelNames, ["a", "c"])
        XCTAssertTrue(summary.warnings.contains { $0.contains("label_index runs 0…2 but only 2 classes") }, "\(summary.warnings)")
        let clash = try Fixtures.manifest([ClipSpec(label: "a", labelIndex: 0), ClipSpec(label: "b", labelIndex: 0)], in: dir, name: "c.json")
        assertDatasetError(["record 1", "label_index 0 is used by 'a' and 'b'"]) { try build(clash) }
    }

    func testMalformedManifest() throws {
        let m = dir.appendingPathComponent("m.json")
        try Data("[{\"clip_id\": \"x\",".utf8).write(to: m)
        assertDatasetError([m.path, "not a valid landmark manifest (invalid JSON at line 1, column"]) { try build(m) }
        try Data("{\"clip_id\": \"x\"}".utf8).write(to: m)
        assertDatasetError([m.path, "not a valid landmark manifest (expected a JSON array of landmark records)"]) { try build(m) }
        try Data("[{\"clip_id\": \"x\", \"label\": \"a\", \"frame_count\": 1, \"landmarks\": \"x.npy\", \"mask\": \"x.m.npy\"}, {\"clip_id\": \"y\", \"label\": \"a\", \"frame_count\": \"three\"}]".utf8).write(to: m)
        assertDatasetError([m.path, "record 1", "clip 'y'", "frame_count"]) { try build(m) }
        try Data("[{\"clip_id\": \"x\", \"label\": \"a\", \"frame_count\": 2, \"detected_frames\": 3, \"landmarks\": \"x.npy\", \"mask\": \"x.m.npy\"}]".utf8).write(to: m)
        assertDatasetError(["record 0", "detected_frames 3 outside 0...frame_count (2)"]) { try build(m) }
        let dup = "{\"clip_id\": \"x\", \"label\": \"a\", \"frame_count\": 1, \"landmarks\": \"x.npy\", \"mask\": \"x.m.npy\"}"
        try Data("[\(dup), \(dup)]".utf8).write(to: m)
        assertDatasetError(["record 1", "duplicate clip_id (first used by record 0)"]) { try build(m) }
        try Data("[]".utf8).write(to: m)
        assertDatasetError([m.path, "no records"]) { try build(m) }
        assertNothingWritten()
    }

    func testFrameCountDisagreesWithFile() throws {
        let m = try Fixtures.manifest([ClipSpec(label: "a", frames: 4)], in: dir)
        var text = try String(contentsOf: m, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"frame_count\" : 4", with: "\"frame_count\" : 5")
        try Data(text.utf8).write(to: m)
        assertDatasetError(["record 0", "frame_count 5 but lm/clip0.npy holds 4 frames"]) { try build(m) }
    }

    func testInvalidOptions() throws {
        let m = try Fixtures.manifest(Fixtures.balanced(["a"], count: 3), in: dir)
        assertDatasetError(["--splits 0.7 0.2 0.2 sum to"]) { try build(m) { $0.splits = [0.7, 0.2, 0.2] } }
        assertDatasetError(["--static", "--sequence-length 8"]) { try build(m) { $0.staticFrames = true; $0.sequenceLength = 8 } }
        assertDatasetError(["--min-detection-rate 1.5"]) { try build(m) { $0.minDetectionRate = 1.5 } }
        assertDatasetError(["--use-source-split", "--group-by"]) { try build(m) { $0.useSourceSplit = true; $0.groupBy = .signer } }
        assertNothingWritten()
    }

    /// The loader refuses archives that are not datasets; bad ones are written by NumPy itself.
    func testDatasetLoaderValidation() throws {
        try requireNumPy()
        let path = dir.path
        try ExternalTool.python("""
        import numpy as np, sys
        d = sys.argv[1]
        s = np.zeros((2, 3, 21, 3), np.float32); m = np.ones((2, 3), bool); n = np.array(["a", "b"])
        np.savez(d + "/ok.npz", sequences=s, masks=m.astype(np.uint8), labels=np.array([0, 1]), label_names=n)
        np.savez(d + "/nolabels.npz", sequences=s, masks=m, label_names=n)
        np.savez(d + "/range.npz", sequences=s, masks=m, labels=np.array([0, 2]), label_names=n)
        np.savez(d + "/f64.npz", sequences=s.astype(np.float64), masks=m, labels=np.array([0, 1]), label_names=n)
        np.savez(d + "/masks.npz", sequences=s, masks=np.ones((2, 4), bool), labels=np.array([0, 1]), label_names=n)
        bad = s.copy(); bad[1, 2, 0, 0] = np.nan
        np.savez(d + "/nan.npz", sequences=bad, masks=m, labels=np.array([0, 1]), label_names=n)
        np.savez(d + "/meta.npz", sequences=s, masks=m, labels=np.array([0, 1]), label_names=n, clip_ids=np.array(["x"]))
        """, [path])
        let ok = try Dataset(contentsOf: dir.appendingPathComponent("ok.npz"))
        XCTAssertEqual(ok.count, 2)
        XCTAssertEqual(ok.labels, [0, 1])
        XCTAssertEqual(ok.metadata.frameCounts, [3, 3])
        XCTAssertEqual(ok.masks, [Bool](repeating: true, count: 6))
        assertDatasetError(["nolabels.npz", "[labels]", "missing"]) { _ = try Dataset(contentsOf: dir.appendingPathComponent("nolabels.npz")) }
        assertDatasetError(["range.npz", "sample 1 has label 2, outside 0..<2"]) { _ = try Dataset(contentsOf: dir.appendingPathComponent("range.npz")) }
        assertDatasetError(["f64.npz", "[sequences]", "float64, expected float32"]) { _ = try Dataset(contentsOf: dir.appendingPathComponent("f64.npz")) }
        assertDatasetError(["masks.npz", "[masks]", "shape [2, 4], expected [2, 3]"]) { _ = try Dataset(contentsOf: dir.appendingPathComponent("masks.npz")) }
        assertDatasetError(["nan.npz", "non-finite value nan in sample 1, frame 2"]) { _ = try Dataset(contentsOf: dir.appendingPathComponent("nan.npz")) }
        assertDatasetError(["meta.npz", "[clip_ids]", "expected [2]"]) { _ = try Dataset(contentsOf: dir.appendingPathComponent("meta.npz")) }
        assertDatasetError(["absent.npz", "no such file"]) { _ = try Dataset(contentsOf: dir.appendingPathComponent("absent.npz")) }
    }
}
