import XCTest
import TensorCore
import TestSupport
@testable import Datasets

final class LandmarkClipTests: XCTestCase {
    /// A hand at an offset and scale: normalising puts the wrist at 0 and landmark 9 at distance 1,
    /// and a second pass changes nothing beyond float rounding.
    func testNormalizerCentresScalesAndIsIdempotent() {
        var frame = [Float]()
        for j in 0..<21 { frame += [0.4 + 0.01 * Float(j), 0.6 - 0.02 * Float(j), -0.05 + 0.003 * Float(j)] }
        var clip = LandmarkClip(values: frame, mask: [true])
        XCTAssertEqual(LandmarkNormalizer.normalize(&clip, useZ: true), 0)
        XCTAssertEqual(Array(clip.values[0..<3]), [0, 0, 0])
        let p9 = clip.values[27..<30]
        XCTAssertEqual(p9.map { $0 * $0 }.reduce(0, +).squareRoot(), 1, accuracy: 1e-6)
        // Landmark 5 relative to the wrist, divided by the 3-D wrist→9 distance (computed by hand).
        let scale = (Float(0.09 * 0.09) + 0.18 * 0.18 + 0.027 * 0.027).squareRoot()
        XCTAssertEqual(clip.values[15], 0.05 / scale, accuracy: 1e-5)
        XCTAssertEqual(clip.values[16], -0.10 / scale, accuracy: 1e-5)
        XCTAssertEqual(clip.values[17], 0.015 / scale, accuracy: 1e-5)
        XCTAssertEqual(LandmarkNormalizer.normalized(frame), clip.values)
        XCTAssertNil(LandmarkNormalizer.normalized([Float](repeating: 0.5, count: 63)))
        var again = clip
        _ = LandmarkNormalizer.normalize(&again, useZ: true)
        for (a, b) in zip(again.values, clip.values) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    /// Without depth the scale is 2-D and z stays 0; undetected and degenerate frames are zeroed
    /// and the degenerate one is masked and counted.
    func testNormalizer2DAndDegenerateFrames() {
        var values = [Float]()
        for j in 0..<21 { values += [Float(j), 2 * Float(j), 5] }           // frame 0: real hand, fake z
        values += [Float](repeating: 0.3, count: 63)                         // frame 1: all points equal
        values += [Float](repeating: 0.7, count: 63)                         // frame 2: not detected
        var clip = LandmarkClip(values: values, mask: [true, true, false])
        XCTAssertEqual(LandmarkNormalizer.normalize(&clip, useZ: false), 1)
        XCTAssertEqual(clip.mask, [true, false, false])
        let scale = Float(81 + 324).squareRoot()
        XCTAssertEqual(clip.values[3 * 4], 4 / scale, accuracy: 1e-6)
        XCTAssertEqual(clip.values[3 * 4 + 1], 8 / scale, accuracy: 1e-6)
        XCTAssertTrue(stride(from: 2, to: 63, by: 3).allSatisfy { clip.values[$0] == 0 }, "z must stay 0 without depth")
        XCTAssertTrue(clip.values[63...].allSatisfy { $0 == 0 })
    }

    /// Long clips: frame ⌊(i + ½)·T/L⌋; short clips: zero-padded at the end with mask 0.
    func testResamplingRule() {
        let clip = Fixtures.clip(0, frames: 10, detected: 10)
        let down = clip.resampled(to: 4)
        XCTAssertEqual(down.frameCount, 4)
        for (i, source) in [1, 3, 6, 8].enumerated() { XCTAssertEqual(Array(down.frame(i)), Array(clip.frame(source))) }
        let short = Fixtures.clip(1, frames: 3, detected: 2)
        let up = short.resampled(to: 5)
        XCTAssertEqual(up.mask, [true, true, false, false, false])
        XCTAssertEqual(Array(up.values[0..<(3 * 63)]), short.values)
        XCTAssertTrue(up.values[(3 * 63)...].allSatisfy { $0 == 0 })
        XCTAssertEqual(clip.resampled(to: 10), clip)
    }

    /// --static takes the detected frame nearest the middle (earlier on a tie).
    func testStaticFrameIsMiddleDetectedFrame() {
        var clip = Fixtures.clip(2, frames: 7, detected: 7)
        clip.mask = [true, true, false, false, false, true, true]  // middle is 3; 1 and 5 tie at distance 2
        XCTAssertEqual(Array(clip.staticFrame().values), Array(clip.frame(1)))
        clip.mask = [false, false, false, false, true, false, false]
        XCTAssertEqual(clip.staticFrame().values, Array(clip.frame(4)))
        clip.mask = [Bool](repeating: false, count: 7)
        XCTAssertEqual(clip.staticFrame().mask, [false])
    }

    /// Clip files: missing file, wrong shape, NaN and bad mask values name the file and position.
    func testClipFileValidation() throws {
        let dir = try TestEnvironment.temporaryDirectory("aslsh-datasets")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lm = dir.appendingPathComponent("a.npy"), mask = dir.appendingPathComponent("a.mask.npy")
        assertDatasetError([lm.path, "no such file", "record 3", "clip 'x'"]) {
            _ = try LandmarkClip.read(landmarks: lm, mask: mask, record: 3, clipID: "x")
        }
        var clip = Fixtures.clip(0, frames: 3, detected: 3)
        clip.values[2 * 63 + 5 * 3 + 1] = .nan
        try clip.write(landmarks: lm, mask: mask)
        assertDatasetError([lm.path, "non-finite value nan at frame 2, landmark 5, y"]) {
            _ = try LandmarkClip.read(landmarks: lm, mask: mask)
        }
        try NPY.write(NDArray(float32: [Float](repeating: 0, count: 40), shape: [2, 20]), to: lm)
        assertDatasetError([lm.path, "shape [2, 20] is not [T,21,3]"]) { _ = try LandmarkClip.read(landmarks: lm, mask: mask) }
        try Fixtures.clip(0, frames: 3, detected: 3).write(landmarks: lm, mask: mask)
        try NPY.write(NDArray(uint8: [1, 2, 0]), to: mask)
        assertDatasetError([mask.path, "mask value 2 at frame 1"]) { _ = try LandmarkClip.read(landmarks: lm, mask: mask) }
        try NPY.write(NDArray(uint8: [1, 0]), to: mask)
        assertDatasetError([mask.path, "does not match the 3 landmark frames"]) { _ = try LandmarkClip.read(landmarks: lm, mask: mask) }
    }

    /// A manifest survives write → read unchanged, nested metadata included; paths resolve
    /// against the manifest's folder.
    func testManifestRoundTrip() throws {
        let dir = try TestEnvironment.temporaryDirectory("aslsh-datasets")
        defer { try? FileManager.default.removeItem(at: dir) }
        let record = LandmarkRecord(clipID: "c1", label: "i love you", labelIndex: 3, sourceFile: "v.mp4", signer: "s",
                                    split: "val", frameCount: 4, detectedFrames: 3, landmarks: "lm/c1.npy",
                                    mask: "lm/c1.mask.npy", hasZ: false, fps: 29.97,
                                    metadata: ["box": .array([.double(0.1), .double(0.9)]), "review": .null,
                                               "org_text": .string("I love you"), "ok": .bool(true),
                                               "nested": .object(["url": .string("https://youtu.be/x")])])
        let url = dir.appendingPathComponent("sub/manifest.json")
        try LandmarkManifest(records: [record], baseDirectory: dir).write(to: url)
        let back = try LandmarkManifest.read(contentsOf: url)
        XCTAssertEqual(back.records, [record])
        XCTAssertEqual(back.records[0].detectionRate, 0.75)
        XCTAssertEqual(back.resolve("lm/c1.npy").path, dir.appendingPathComponent("sub/lm/c1.npy").path)
        let text = try String(contentsOf: url, encoding: .utf8)
        for key in ["\"clip_id\"", "\"label_index\"", "\"source_file\"", "\"detection_rate\"", "\"has_z\"", "\"normalisation\" : \"wrist_mcp9\""] {
            XCTAssertTrue(text.contains(key), "manifest JSON lacks \(key)")
        }
    }

    /// The vectorised all-finite pass finds every NaN and infinity, in the whole blocks of eight
    /// and in the tail, with the generic version's message.
    func testNonFiniteProblemFastPathAgreesWithTheGenericOne() {
        var values = (0..<(5 * 63)).map { Float($0 % 17) * 0.37 - 2 }
        XCTAssertNil(LandmarkClip.nonFiniteProblem(values))
        XCTAssertNil(LandmarkClip.nonFiniteProblem([Float]()))
        for position in [0, 7, 8, 100, 5 * 63 - 1] {
            for bad in [Float.nan, .infinity, -.infinity] {
                var v = values
                v[position] = bad
                let message = LandmarkClip.nonFiniteProblem(v)
                XCTAssertNotNil(message, "\(bad) at \(position)")
                XCTAssertEqual(message, LandmarkClip.nonFiniteProblem(v[...]))
            }
        }
        values[3] = .greatestFiniteMagnitude
        values[4] = -.greatestFiniteMagnitude
        XCTAssertNil(LandmarkClip.nonFiniteProblem(values), "huge but finite")
    }
}
