import XCTest
import Datasets
import TestSupport
@testable import HandSynthesis

/// The procedural hand generator: reproducible, anatomically rigid, and producing handshapes a
/// simple classifier can tell apart (so the demo's models have something real to learn).
final class HandSynthesisTests: XCTestCase {
    func point(_ s: SyntheticSample, frame t: Int, joint j: Int) -> SIMD3<Double> {
        let b = t * 63 + j * 3
        return SIMD3(Double(s.landmarks[b]), Double(s.landmarks[b + 1]), Double(s.landmarks[b + 2]))
    }
    func distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }

    func testSameSeedSameSamplesAndSeedsDiffer() throws {
        var options = SynthesisOptions(classes: ["A", "B", "hello"], perClass: 3, sequenceLength: 8, seed: 11)
        let a = try HandSynthesizer.generate(options), b = try HandSynthesizer.generate(options)
        XCTAssertEqual(a.map(\.landmarks), b.map(\.landmarks))
        XCTAssertEqual(a.map(\.mask), b.map(\.mask))
        options.seed = 12
        XCTAssertNotEqual(try HandSynthesizer.generate(options).map(\.landmarks), a.map(\.landmarks))
        XCTAssertEqual(a.map(\.label), ["A", "A", "A", "B", "B", "B", "hello", "hello", "hello"])
        XCTAssertEqual(Set(a.map(\.signer)).count, 3)
    }

    func testBonesAreRigidAcrossAMovingSign() throws {
        var options = SynthesisOptions(classes: ["hello", "no"], perClass: 2, sequenceLength: 24, seed: 3)
        options.noise = 0
        options.dropRate = 0
        for s in try HandSynthesizer.generate(options) {
            // Middle-finger proximal bone (9 → 10) keeps its length while the hand moves.
            let lengths = (0..<s.frames).map { distance(point(s, frame: $0, joint: 9), point(s, frame: $0, joint: 10)) }
            XCTAssertLessThan(lengths.max()! - lengths.min()!, 1e-5, s.label)
            // Wrist → middle MCP is the hand-size unit: scale ∈ [0.11, 0.2] × signer 0.85…1.15.
            let palm = distance(point(s, frame: 0, joint: 0) * SIMD3(1, 1, 0), point(s, frame: 0, joint: 9) * SIMD3(1, 1, 0))
            XCTAssertGreaterThan(palm, 0.05)
            XCTAssertLessThan(palm, 0.25)
        }
    }

    func testDroppedFramesAreMaskedZerosAndStaticFramesNeverDrop() throws {
        var options = SynthesisOptions(classes: ["signs"], perClass: 20, sequenceLength: 32, seed: 5)
        options.dropRate = 0.1
        let samples = try HandSynthesizer.generate(options)
        let dropped = samples.flatMap(\.mask).filter { !$0 }.count
        let rate = Double(dropped) / Double(samples.count * 32)
        XCTAssertEqual(rate, 0.1, accuracy: 0.03)
        for s in samples {
            for t in 0..<s.frames where !s.mask[t] {
                XCTAssertTrue(s.landmarks[(t * 63)..<((t + 1) * 63)].allSatisfy { $0 == 0 })
            }
            XCTAssertTrue(s.mask.contains(true))
        }
        let still = try HandSynthesizer.generate(SynthesisOptions(classes: ["letters"], perClass: 5, seed: 5))
        XCTAssertTrue(still.allSatisfy { $0.mask == [true] && $0.landmarks.allSatisfy(\.isFinite) })
        XCTAssertEqual(Set(still.map(\.label)).count, Handshapes.letters.count)
        XCTAssertGreaterThanOrEqual(Handshapes.letters.count, 10)
    }

    /// Nearest-centroid on wrist-centred, size-normalised landmarks, trained on one seed and
    /// tested on another: the letters must be separable (the demo trains real models on them).
    func testLettersAreDistinguishableByASimpleClassifier() throws {
        func features(_ s: SyntheticSample) -> [Double] {
            let wrist = point(s, frame: 0, joint: 0)
            let size = distance(wrist, point(s, frame: 0, joint: 9))
            return (0..<21).flatMap { j -> [Double] in
                let p = (point(s, frame: 0, joint: j) - wrist) / size
                return [p.x, p.y, p.z]
            }
        }
        let train = try HandSynthesizer.generate(SynthesisOptions(classes: ["letters"], perClass: 60, seed: 1))
        let test = try HandSynthesizer.generate(SynthesisOptions(classes: ["letters"], perClass: 30, seed: 2))
        var centroids: [String: [Double]] = [:]
        for label in Set(train.map(\.label)) {
            let rows = train.filter { $0.label == label }.map(features)
            centroids[label] = (0..<63).map { i in rows.map { $0[i] }.reduce(0, +) / Double(rows.count) }
        }
        let correct = test.filter { s in
            let f = features(s)
            let best = centroids.min { a, b in
                zip(a.value, f).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) < zip(b.value, f).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
            }!
            return best.key == s.label
        }.count
        let accuracy = Double(correct) / Double(test.count)
        print("nearest-centroid accuracy on synthetic letters: \(accuracy)")
        XCTAssertGreaterThan(accuracy, 0.8)
        XCTAssertLessThan(accuracy, 1.0, "variation should make the task non-trivial")
    }

    func testUnknownClassSuggestsTheNearestName() {
        XCTAssertThrowsError(try HandSynthesizer.resolveClasses(["helo"])) { error in
            XCTAssertEqual(error as? SynthesisError, .unknownClass("helo", suggestion: "hello"))
            XCTAssertTrue("\(error)".contains("did you mean 'hello'"))
        }
        XCTAssertEqual(try HandSynthesizer.resolveClasses(["3"]), ["A", "B", "C"])
        XCTAssertThrowsError(try HandSynthesizer.generate(SynthesisOptions(classes: ["A"], perClass: 0)))
    }

    func testWrittenManifestBuildsIntoADataset() throws {
        let dir = try TestEnvironment.temporaryDirectory("synth")
        defer { try? FileManager.default.removeItem(at: dir) }
        let summary = try HandSynthesizer.write(SynthesisOptions(classes: ["A", "B", "hello"], perClass: 4, sequenceLength: 8, seed: 9), to: dir)
        XCTAssertEqual(summary.clipCount, 12)
        let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        XCTAssertEqual(Set(manifest.records.map(\.label)), ["A", "B", "hello"])
        XCTAssertTrue(manifest.records.allSatisfy { $0.signer?.hasPrefix("synth-signer-") == true && $0.normalisation == LandmarkNormalizer.name })
        let clip = try manifest.loadClip(at: 0)
        XCTAssertEqual(clip.frameCount, 8)
        // Stored normalised: the wrist at the origin, wrist→MCP9 distance 1 on detected frames.
        let t = clip.mask.firstIndex(of: true)!
        let f = Array(clip.frame(t))
        XCTAssertEqual(f[0], 0, accuracy: 1e-6)
        XCTAssertEqual((f[27] * f[27] + f[28] * f[28] + f[29] * f[29]).squareRoot(), 1, accuracy: 1e-5)
    }
}
