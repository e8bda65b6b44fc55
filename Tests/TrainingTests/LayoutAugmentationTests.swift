import XCTest
import Datasets
import TensorCore
import TestSupport
@testable import Training

/// Augmentation on frames of both hands and pose points: the mirror image swaps the hands (and
/// the pose's left and right points) as it negates x; an absent hand stays all zeros under
/// jitter and time-stretch; one-hand frames take the same draws as before.
final class LayoutAugmentationTests: XCTestCase {
    let layout = FrameLayout(hands: 2, pose: true)

    /// T frames of 147 values; the right hand absent in the frames listed.
    func sample(T: Int, rightMissing: Set<Int> = [], seed: UInt64 = 5) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var f = [Float](repeating: 0, count: T * 147)
        for t in 0..<T {
            for k in 0..<147 where !(rightMissing.contains(t) && (63..<126).contains(k)) { f[t * 147 + k] = rng.normal() }
        }
        return f
    }

    func testMirrorSwapsHandsAndPoseSidesAndIsAnInvolution() {
        let f = sample(T: 2)
        var g = f
        Augmentation.mirror(&g, layout: layout)
        for t in 0..<2 {
            let o = t * 147
            for k in 0..<63 {
                let sign: Float = k % 3 == 0 ? -1 : 1
                XCTAssertEqual(g[o + k], sign * f[o + 63 + k], "left ← mirrored right")
                XCTAssertEqual(g[o + 63 + k], sign * f[o + k], "right ← mirrored left")
            }
            let pose = o + 126
            // nose stays, shoulders/elbows/wrists trade places
            let partner = [0, 2, 1, 4, 3, 6, 5]
            for j in 0..<7 {
                for c in 0..<3 { XCTAssertEqual(g[pose + 3 * j + c], (c == 0 ? -1 : 1) * f[pose + 3 * partner[j] + c], "pose point \(j)") }
            }
        }
        Augmentation.mirror(&g, layout: layout)
        XCTAssertEqual(g, f)
        // One hand: x → −x only, as it always was.
        var one = Array(f.prefix(63))
        Augmentation.mirror(&one)
        XCTAssertEqual(one, f.prefix(63).enumerated().map { $0.offset % 3 == 0 ? -$0.element : $0.element })
    }

    func testAbsentHandStaysAbsentUnderJitterAndTimeStretch() {
        let T = 6
        var f = sample(T: T, rightMissing: [2, 3])
        var rng = SeededRandom(seed: 1)
        Augmentation.jitter(&f, mask: [Bool](repeating: true, count: T), sigma: 0.05, rng: &rng, layout: layout)
        for t in [2, 3] { XCTAssertTrue(f[(t * 147 + 63)..<(t * 147 + 126)].allSatisfy { $0 == 0 }, "frame \(t)") }
        XCTAssertTrue(f[(0 * 147 + 63)..<(0 * 147 + 126)].contains { $0 != 0 })
        let source = f
        var mask = [Bool](repeating: true, count: T)
        Augmentation.timeStretch(&f, mask: &mask, factor: 0.7, layout: layout)
        let c = Float(T - 1) / 2
        for t in 0..<T {
            let pos = c + (Float(t) - c) * 0.7
            let lo = Int(pos.rounded(.down)), w = pos - Float(lo)
            let right = f[(t * 147 + 63)..<(t * 147 + 126)]
            let rightAt = { (s: Int) in source[(s * 147 + 63)..<(s * 147 + 126)] }
            if rightAt(lo).allSatisfy({ $0 == 0 }) || rightAt(lo + 1).allSatisfy({ $0 == 0 }) {
                // Not a blend with zeros: the nearer frame's hand (absent or not), unchanged.
                XCTAssertEqual(Array(right), Array(rightAt(w < 0.5 ? lo : lo + 1)), "frame \(t)")
            } else {
                for (k, v) in right.enumerated() {
                    let a = source[lo * 147 + 63 + k], b = source[(lo + 1) * 147 + 63 + k]
                    XCTAssertEqual(v, (1 - w) * a + w * b, accuracy: 1e-6)
                }
            }
            // The left hand is present throughout, so it is always blended.
            let a = source[lo * 147], b = source[(lo + 1) * 147]
            XCTAssertEqual(f[t * 147], (1 - w) * a + w * b, accuracy: 1e-6)
        }
    }

    /// A batch of two-hand samples through `apply`: shapes kept, masks consistent with zeros.
    func testApplyOnABatchOfTwoHandFrames() {
        var options = AugmentationOptions.recommended
        options.mirror = true
        options.frameDropout = 0.3
        let B = 3, T = 8
        var x = Tensor(shape: [B, T, 49, 3], scalars: (0..<B).flatMap { sample(T: T, rightMissing: [1, 5], seed: UInt64($0)) })
        var mask = Tensor(shape: [B, T], scalars: [Float](repeating: 1, count: B * T))
        var rng = SeededRandom(seed: 9)
        Augmentation.apply(options, x: &x, mask: &mask, rng: &rng)
        XCTAssertEqual(x.shape, [B, T, 49, 3])
        for r in 0..<(B * T) where mask.scalars[r] == 0 {
            XCTAssertTrue(x.scalars[(r * 147)..<((r + 1) * 147)].allSatisfy { $0 == 0 }, "a masked frame is zeros")
        }
        XCTAssertTrue(x.scalars.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(mask.scalars.filter { $0 == 1 }.count, 0)
    }
}
