@testable import NeuralNets
import TensorCore
import XCTest

/// `train --features`: the handshape distances against a direct Double formula, their invariance
/// to turning and mirroring the hand, and the backward by finite differences.
final class FrameFeatureTests: XCTestCase {
    func hands(_ frames: Int, seed: UInt64) -> Tensor {
        var rng = SeededRandom(seed: seed)
        return Tensor.uniform([1, frames, 63], low: -1, high: 1, using: &rng)
    }

    func testDistancesAreThePairwiseDistancesOfElevenPoints() {
        XCTAssertEqual(FrameFeatures.points, [0, 4, 8, 12, 16, 20, 2, 5, 9, 13, 17])
        XCTAssertEqual(FrameFeatures.pairs.count, 55)
        XCTAssertEqual(Set(FrameFeatures.pairs.map { "\($0.0)-\($0.1)" }).count, 55, "no pair twice")
        let x = hands(3, seed: 5)
        let both = FrameFeatures([.distances, .coords, .distances])
        XCTAssertEqual(both.kinds, [.coords, .distances], "canonical order, no repeats")
        let y = both.forward(x)
        XCTAssertEqual(y.shape, [1, 3, 63 + 55])
        for t in 0..<3 {
            for f in 0..<63 { XCTAssertEqual(y.scalars[t * 118 + f], x.scalars[t * 63 + f], "coordinates first, unchanged") }
            for (p, (i, j)) in FrameFeatures.pairs.enumerated() {
                var s = 0.0
                for c in 0..<3 {
                    let d = Double(x.scalars[t * 63 + 3 * i + c]) - Double(x.scalars[t * 63 + 3 * j + c])
                    s += d * d
                }
                XCTAssertEqual(Double(y.scalars[t * 118 + 63 + p]), s.squareRoot(), accuracy: 1e-6, "frame \(t) pair \(i)-\(j)")
            }
        }
        XCTAssertTrue(FrameFeatures([]).isIdentity, "no features means coordinates")
        XCTAssertEqual(ModelConfig(architecture: .tcn, sequenceLength: 4, classCount: 2, features: [.distances]).frameWidth, 55)
        XCTAssertEqual(ModelConfig(architecture: .tcn, sequenceLength: 4, classCount: 2).frameWidth, 63)
    }

    func testDistancesIgnoreTurningAndMirroringTheHand() {
        let x = hands(2, seed: 9)
        // A turn of 40° about z, then 25° about x, then the mirror x → −x.
        let (a, b) = (Float(40 * Double.pi / 180), Float(25 * Double.pi / 180))
        var moved = x
        for r in 0..<(x.count / 3) {
            let (px, py, pz) = (x.scalars[3 * r], x.scalars[3 * r + 1], x.scalars[3 * r + 2])
            let (qx, qy) = (cos(a) * px - sin(a) * py, sin(a) * px + cos(a) * py)
            let (ry, rz) = (cos(b) * qy - sin(b) * pz, sin(b) * qy + cos(b) * pz)
            moved.scalars[3 * r] = -qx
            moved.scalars[3 * r + 1] = ry
            moved.scalars[3 * r + 2] = rz
        }
        let d0 = FrameFeatures([.distances]).forward(x), d1 = FrameFeatures([.distances]).forward(moved)
        XCTAssertNotEqual(x.scalars, moved.scalars)
        for i in 0..<d0.count { XCTAssertEqual(d0.scalars[i], d1.scalars[i], accuracy: 1e-5) }
    }

    func testUndetectedFrameGivesZerosAndNoNaNGradient() {
        var x = hands(2, seed: 3)
        for f in 0..<63 { x.scalars[63 + f] = 0 }     // frame 1 undetected
        let layer = FrameFeatures([.distances])
        let y = layer.forward(x)
        XCTAssertTrue(y.scalars[55...].allSatisfy { $0 == 0 })
        let dx = layer.backward(Tensor(shape: y.shape, scalars: [Float](repeating: 1, count: y.count)))
        XCTAssertTrue(dx.scalars.allSatisfy(\.isFinite))
        XCTAssertTrue(dx.scalars[63...].allSatisfy { $0 == 0 })
    }

    func testBackwardByFiniteDifferences() {
        let check = GradientCheck()
        for kinds in [[FrameFeature.distances], [.coords, .distances]] {
            let layer = FrameFeatures(kinds)
            check.check("features \(kinds)", input: hands(3, seed: 11), store: nil,
                        forward: { layer.forward($0) }, backward: { layer.backward($0) })
        }
        // Whole models: dX reaches the landmarks through the features.
        for arch in [Architecture.mlp, .tcn, .lstm, .transformer] {
            let config = ModelConfig(architecture: arch, sequenceLength: 3, classCount: 3, hiddenDim: 8, layers: 1,
                                     dropout: 0, kernelSize: 2, heads: 2, features: [.coords, .distances])
            let model = config.makeModel(seed: 4)
            let mask = Tensor(shape: [2, 3], scalars: [1, 1, 1, 1, 1, 0])
            var rng = SeededRandom(seed: 12)
            check.check("\(arch) with distances", input: Tensor.uniform([2, 3, 63], low: -1, high: 1, using: &rng),
                        store: model.parameters,
                        forward: { model.forward($0, mask: mask, training: true) }, backward: { model.backward($0) })
        }
    }

    /// Both hands and pose points (`FrameLayout`): 55 distances per hand, each hand's the
    /// one-hand formula on its own 21 points; pose points pass as coordinates only.
    func testTwoHandsGiveEachHandsDistancesAndPosePassesThrough() {
        let layout = FrameLayout(hands: 2, pose: true)
        XCTAssertEqual(layout.points, 49)
        XCTAssertEqual(FrameLayout(points: 49), layout)
        XCTAssertEqual(FrameLayout(values: 126), .bothHands)
        XCTAssertNil(FrameLayout(points: 30))
        var rng = SeededRandom(seed: 21)
        let x = Tensor.uniform([2, 3, layout.values], low: -1, high: 1, using: &rng)
        let layer = FrameFeatures([.coords, .distances], layout: layout)
        XCTAssertEqual(layer.width, 147 + 110)
        XCTAssertEqual(ModelConfig(architecture: .tcn, sequenceLength: 3, featureCount: 147, classCount: 2, features: [.distances]).frameWidth, 110)
        let y = layer.forward(x)
        XCTAssertEqual(y.shape, [2, 3, 257])
        for r in 0..<6 {
            let frame = Array(x.scalars[(r * 147)..<((r + 1) * 147)])
            XCTAssertEqual(Array(y.scalars[(r * 257)..<(r * 257 + 147)]), frame, "coordinates first, pose included")
            for h in 0..<2 {
                let hand = Array(frame[(63 * h)..<(63 * h + 63)])
                let expected = FrameFeatures.distances(hand, rows: 1)
                XCTAssertEqual(Array(y.scalars[(r * 257 + 147 + 55 * h)..<(r * 257 + 147 + 55 * (h + 1))]), expected, "row \(r) hand \(h)")
            }
        }
        // The exported graphs' matrices give the same distances.
        let a = FrameFeatures.differenceMatrix(layout), s = FrameFeatures.pairSumMatrix(layout), P = 110
        for r in 0..<2 {
            var squares = [Float](repeating: 0, count: 3 * P)
            for k in 0..<(3 * P) {
                var d: Float = 0
                for v in 0..<147 { d += x.scalars[r * 147 + v] * a[v * 3 * P + k] }
                squares[k] = d * d
            }
            for p in 0..<P {
                var sum: Float = 0
                for k in 0..<(3 * P) { sum += squares[k] * s[k * P + p] }
                XCTAssertEqual(sum.squareRoot(), y.scalars[r * 257 + 147 + p], accuracy: 1e-5)
            }
        }
        let check = GradientCheck()
        check.check("features on hands+pose", input: x, store: nil, forward: { layer.forward($0) }, backward: { layer.backward($0) })
        let config = ModelConfig(architecture: .tcn, sequenceLength: 3, featureCount: 126, classCount: 3, hiddenDim: 8, layers: 1,
                                 dropout: 0, kernelSize: 2, features: [.distances])
        let model = config.makeModel(seed: 4)
        let mask = Tensor(shape: [2, 3], scalars: [1, 1, 1, 1, 0, 1])
        check.check("tcn on both hands' distances", input: Tensor.uniform([2, 3, 126], low: -1, high: 1, using: &rng),
                    store: model.parameters, forward: { model.forward($0, mask: mask, training: true) }, backward: { model.backward($0) })
    }
}
