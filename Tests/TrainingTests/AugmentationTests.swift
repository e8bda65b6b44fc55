import XCTest
import Datasets
import TensorCore
import TestSupport
@testable import Training

/// Each augmentation's defining property, and that the defaults change nothing.
final class AugmentationTests: XCTestCase {
    /// One random T-frame sample `[T·63]` with the given mask (zeros on masked frames).
    func sample(T: Int, mask: [Bool], seed: UInt64 = 5) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var f = [Float](repeating: 0, count: T * 63)
        for t in 0..<T where mask[t] { for k in 0..<63 { f[t * 63 + k] = rng.normal() } }
        return f
    }

    func distances(_ f: [Float], frame t: Int) -> [Float] {
        var d: [Float] = []
        for i in 0..<21 { for j in (i + 1)..<21 {
            let a = t * 63 + 3 * i, b = t * 63 + 3 * j
            d.append(((f[a] - f[b]) * (f[a] - f[b]) + (f[a + 1] - f[b + 1]) * (f[a + 1] - f[b + 1]) + (f[a + 2] - f[b + 2]) * (f[a + 2] - f[b + 2])).squareRoot())
        } }
        return d
    }

    func testMirrorTwiceIsIdentityAndNegatesXOnly() {
        let f = sample(T: 2, mask: [true, true])
        var g = f
        Augmentation.mirror(&g)
        for i in f.indices { XCTAssertEqual(g[i], i % 3 == 0 ? -f[i] : f[i]) }
        Augmentation.mirror(&g)
        XCTAssertEqual(g, f)
    }

    func testRotationPreservesDistancesAndInvertsAndKeepsTheWrist() {
        var f = sample(T: 1, mask: [true])
        for k in 0..<3 { f[k] = 0 }   // wrist at the origin, as normalised data has it
        var g = f
        Augmentation.rotate(&g, radians: 0.4)
        XCTAssertNotEqual(g, f)
        for (a, b) in zip(distances(f, frame: 0), distances(g, frame: 0)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(Array(g[0..<3]), [0, 0, 0])
        XCTAssertEqual(stride(from: 2, to: 63, by: 3).map { g[$0] }, stride(from: 2, to: 63, by: 3).map { f[$0] }, "z unchanged")
        Augmentation.rotate(&g, radians: -0.4)
        for (a, b) in zip(f, g) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        // 90°: (1, 0) → (0, 1).
        var unit = [Float](repeating: 0, count: 63)
        unit[3] = 1
        Augmentation.rotate(&unit, radians: .pi / 2)
        XCTAssertEqual(unit[3], 0, accuracy: 1e-6)
        XCTAssertEqual(unit[4], 1, accuracy: 1e-6)
    }

    func testScaleMultipliesDistances() {
        let f = sample(T: 1, mask: [true])
        var g = f
        Augmentation.scale(&g, by: 1.25)
        for (a, b) in zip(distances(f, frame: 0), distances(g, frame: 0)) { XCTAssertEqual(b, 1.25 * a, accuracy: 1e-5) }
    }

    func testJitterTouchesOnlyValidFramesAndXY() {
        let mask = [true, false, true]
        let f = sample(T: 3, mask: mask)
        var g = f
        var rng = SeededRandom(seed: 1)
        Augmentation.jitter(&g, mask: mask, sigma: 0.05, rng: &rng)
        XCTAssertTrue(g[63..<126].allSatisfy { $0 == 0 }, "masked frame stays zero")
        for i in stride(from: 2, to: g.count, by: 3) { XCTAssertEqual(g[i], f[i]) }
        let moved = zip(f, g).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(moved, 0)
        XCTAssertLessThan(moved, 0.5, "σ = 0.05: a shift beyond 10σ would be a bug")
    }

    func testTimeStretchIdentityAtOneAndMasksConsistent() {
        let mask = [true, true, false, true, true, true, true, false]
        let f = sample(T: 8, mask: mask)
        var g = f, m = mask
        Augmentation.timeStretch(&g, mask: &m, factor: 1)
        XCTAssertEqual(g, f)
        XCTAssertEqual(m, mask)
        // Factor 1.5 about the middle (3.5): frame 0 reads 3.5 − 5.25 < 0 → masked; frame 4 reads
        // 4.25 = ¾·frame 4 + ¼·frame 5 (both valid).
        Augmentation.timeStretch(&g, mask: &m, factor: 1.5)
        XCTAssertFalse(m[0])
        XCTAssertTrue(m[4])
        for k in 0..<63 { XCTAssertEqual(g[4 * 63 + k], 0.75 * f[4 * 63 + k] + 0.25 * f[5 * 63 + k], accuracy: 1e-6) }
        for t in 0..<8 where !m[t] { XCTAssertTrue(g[(t * 63)..<((t + 1) * 63)].allSatisfy { $0 == 0 }, "frame \(t) masked → zeros") }
        // Slowing down (0.5) keeps every output frame inside the clip.
        var h = f, hm = mask
        Augmentation.timeStretch(&h, mask: &hm, factor: 0.5)
        XCTAssertTrue(hm.filter { $0 }.count >= 6, "\(hm)")
    }

    func testFrameDropoutRateWithinBoundsAndNeverEmpties() {
        var rng = SeededRandom(seed: 2)
        var dropped = 0, total = 0
        for s in 0..<400 {
            let mask = [Bool](repeating: true, count: 25)
            var f = sample(T: 25, mask: mask, seed: UInt64(s)), m = mask
            Augmentation.frameDropout(&f, mask: &m, probability: 0.3, rng: &rng)
            XCTAssertTrue(m.contains(true))
            for t in 0..<25 where !m[t] { XCTAssertTrue(f[(t * 63)..<((t + 1) * 63)].allSatisfy { $0 == 0 }) }
            dropped += m.filter { !$0 }.count
            total += 25
        }
        // 10 000 Bernoulli(0.3) draws: σ of the rate ≈ 0.0046, so ±0.02 is > 4σ.
        XCTAssertEqual(Double(dropped) / Double(total), 0.3, accuracy: 0.02)
        var single = sample(T: 3, mask: [false, true, false]), singleMask = [false, true, false]
        Augmentation.frameDropout(&single, mask: &singleMask, probability: 0.99, rng: &rng)
        XCTAssertEqual(singleMask, [false, true, false], "a one-frame sample is left alone")
    }

    /// Default options: no change to the batch and no draw from the augmentation stream, so
    /// default training is exactly what it was before augmentation existed.
    func testDefaultsChangeNothingAndAugmentedTrainingDiffers() throws {
        let data = Fixtures.sequences(n: 8, T: 4, classes: 2, seed: 4)
        let (x0, m0, _) = Trainer.batch(data, Array(0..<8))
        var x = x0, m = m0
        var rng = SeededRandom(seed: 1)
        Augmentation.apply(AugmentationOptions(), x: &x, mask: &m, rng: &rng)
        XCTAssertEqual(x.scalars, x0.scalars)
        XCTAssertEqual(m.scalars, m0.scalars)
        XCTAssertEqual(rng, SeededRandom(seed: 1))
        var all = AugmentationOptions()
        all.mirror = true; all.rotateDegrees = 15; all.scale = 0.1; all.jitter = 0.01; all.timeStretch = 0.2; all.frameDropout = 0.2
        Augmentation.apply(all, x: &x, mask: &m, rng: &rng)
        XCTAssertNotEqual(x.scalars, x0.scalars)
        for i in 0..<(8 * 4) where m.scalars[i] == 0 {
            XCTAssertTrue(x.scalars[(i * 63)..<((i + 1) * 63)].allSatisfy { $0 == 0 }, "masked frames are zeros")
        }

        let directory = try TestEnvironment.temporaryDirectory("training-augment")
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 4
        options.hiddenDim = 8
        options.checkpointDirectory = directory
        let plain = try Trainer.train(data, validation: nil, options: options).history.map(\.withoutTime)
        options.augmentation.mirror = true
        let mirrored = try Trainer.train(data, validation: nil, options: options).history.map(\.withoutTime)
        XCTAssertNotEqual(plain, mirrored, "the flag reaches training")
    }
}
