import Foundation
import XCTest
import TensorCore
import TestSupport
@testable import Datasets

/// Synthetic manifests for build tests: every clip's landmarks are a deterministic function of
/// (clip number, frame), so tests can predict any value `build` writes.
struct ClipSpec {
    var label: String
    var signer: String? = nil
    var split: String? = nil
    var frames = 4
    var detected: Int? = nil
    var labelIndex: Int? = nil
    var metadata: [String: JSONValue] = [:]
}

enum Fixtures {
    /// Raw landmark value of clip `n`, frame `t`, landmark `j`, coordinate `c` (already
    /// normalised: wrist 0 and landmark 9 at distance 1, so build leaves it unchanged).
    static func value(clip n: Int, frame t: Int, landmark j: Int, coordinate c: Int) -> Float {
        if j == 0 { return 0 }
        if j == 9 { return c == 0 ? 1 : 0 }
        return Float(n) * 0.01 + Float(t) * 0.1 + Float(j) * 0.001 + Float(c) * 0.0001
    }

    static func clip(_ n: Int, frames: Int, detected: Int) -> LandmarkClip {
        var values = [Float]()
        for t in 0..<frames { for j in 0..<21 { for c in 0..<3 { values.append(t < detected ? value(clip: n, frame: t, landmark: j, coordinate: c) : 0) } } }
        return LandmarkClip(values: values, mask: (0..<frames).map { $0 < detected })
    }

    /// Writes clips + `manifest.json` into `dir`, returns the manifest URL.
    @discardableResult
    static func manifest(_ specs: [ClipSpec], in dir: URL, name: String = "manifest.json") throws -> URL {
        var records = [LandmarkRecord]()
        for (n, spec) in specs.enumerated() {
            let id = "clip\(n)"
            let detected = spec.detected ?? spec.frames
            try clip(n, frames: spec.frames, detected: detected)
                .write(landmarks: dir.appendingPathComponent("lm/\(id).npy"), mask: dir.appendingPathComponent("lm/\(id).mask.npy"))
            records.append(LandmarkRecord(clipID: id, label: spec.label, labelIndex: spec.labelIndex, sourceFile: "video\(n).mp4",
                                          signer: spec.signer, split: spec.split, frameCount: spec.frames,
                                          detectedFrames: detected, landmarks: "lm/\(id).npy", mask: "lm/\(id).mask.npy",
                                          hasZ: true, fps: 30, metadata: spec.metadata))
        }
        let url = dir.appendingPathComponent(name)
        try LandmarkManifest(records: records, baseDirectory: dir).write(to: url)
        return url
    }

    /// `count` clips of each label.
    static func balanced(_ labels: [String], count: Int, frames: Int = 4) -> [ClipSpec] {
        labels.flatMap { l in (0..<count).map { _ in ClipSpec(label: l, frames: frames) } }
    }

    static func npzFiles(in dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".npz") || $0.hasSuffix(".tmp") }.sorted()
    }
}

/// Runs `body`, expecting a `DatasetError` whose description contains every fragment.
func assertDatasetError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                        _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch let error as DatasetError {
        let text = error.description
        for fragment in fragments where !text.contains(fragment) {
            XCTFail("error '\(text)' does not mention '\(fragment)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected DatasetError, got \(error)", file: file, line: line)
    }
}

/// numpy is the outside reference for every `.npz` test.
func requireNumPy() throws {
    guard ExternalTool.pythonHas("numpy") else {
        throw XCTSkip("python3 with numpy is needed (scripts/setup.sh installs it)")
    }
}
