import XCTest
@testable import TensorCore

/// Tensor arithmetic: the BLAS kernel against the naive reference, and the small ops against
/// values worked out by hand.
final class TensorOpsTests: XCTestCase {
    func testSgemmMatchesNaiveReferenceForAllTransposes() {
        var rng = SeededRandom(seed: 7)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 48, 130)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = Tensor.uniform([m * k], low: -1, high: 1, using: &rng).scalars
                    let b = Tensor.uniform([k * n], low: -1, high: 1, using: &rng).scalars
                    let c0 = Tensor.uniform([m * n], low: -1, high: 1, using: &rng).scalars
                    var fast = c0, slow = c0
                    MatMul.gemm(m: m, n: n, k: k, a: a, transposeA: ta, b: b, transposeB: tb,
                                c: &fast, alpha: 0.5, beta: 2)
                    MatMul.naiveGemm(m: m, n: n, k: k, a: a, transposeA: ta, b: b, transposeB: tb,
                                     c: &slow, alpha: 0.5, beta: 2)
                    // float32 accumulation over k terms of |x| ≤ 1: error grows ~ k·ε.
                    let tolerance = Float(k) * 2e-7 + 1e-6
                    for i in 0..<(m * n) {
                        XCTAssertEqual(fast[i], slow[i], accuracy: tolerance, "m\(m) n\(n) k\(k) tA\(ta) tB\(tb) at \(i)")
                    }
                }
            }
        }
    }

    func testMatmulByHandAndBatchedLeadingAxes() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(a.matmul(b), Tensor(shape: [2, 2], scalars: [58, 64, 139, 154]))
        XCTAssertEqual(a.matmul(b.transposed(), transposeOther: true), a.matmul(b))
        let batched = Tensor(shape: [2, 1, 3], scalars: [1, 2, 3, 4, 5, 6]).matmul(b)
        XCTAssertEqual(batched.shape, [2, 1, 2])
        XCTAssertEqual(batched.scalars, [58, 64, 139, 154])
    }

    func testElementwiseBroadcastAndReductions() {
        let x = Tensor(shape: [2, 3], scalars: [1, -2, 3, 4, 5, -6])
        let bias = Tensor(shape: [3], scalars: [10, 20, 30])
        XCTAssertEqual((x + bias).scalars, [11, 18, 33, 14, 25, 24])
        XCTAssertEqual((x * 2).scalars, [2, -4, 6, 8, 10, -12])
        XCTAssertEqual(x.sumLastAxis().scalars, [2, 3])
        XCTAssertEqual(x.maxLastAxis().scalars, [3, 5])
        XCTAssertEqual(x.argmaxLastAxis(), [2, 1])
        XCTAssertEqual(Tensor(shape: [1, 4], scalars: [1, 3, 3, 0]).argmaxLastAxis(), [1], "first max wins, like NumPy")
        XCTAssertEqual(Tensor(shape: [1, 4], scalars: [0.1, 0.5, 0.2, 0.9]).topKLastAxis(2), [[3, 1]])
        XCTAssertEqual(x.sum(), 5)
        XCTAssertEqual(x.reshaped([3, -1]).shape, [3, 2])
        XCTAssertEqual(x.transposed().scalars, [1, 4, -2, 5, 3, -6])
        XCTAssertEqual(x.gather(rows: [1, 0, 1]).scalars, [4, 5, -6, 1, -2, 3, 4, 5, -6])
        XCTAssertEqual(x.slice(rows: 1..<2).scalars, [4, 5, -6])
        XCTAssertFalse(Tensor(shape: [2], scalars: [1, .nan]).isFinite)
    }

    func testSoftmaxIsStableAndNormalised() {
        let logits = Tensor(shape: [2, 3], scalars: [1000, 1001, 1002, -5, 0, 5])
        let p = logits.softmaxLastAxis()
        XCTAssertTrue(p.isFinite)
        XCTAssertEqual(p.sumLastAxis().scalars[0], 1, accuracy: 1e-6)
        // softmax([0,1,2]) = e^i / (1 + e + e²)
        let denominator = 1 + exp(1.0) + exp(2.0)
        XCTAssertEqual(Double(p[0, 2]), exp(2.0) / denominator, accuracy: 1e-6)
    }

    func testSeededRandomIsReproducibleAndWellSpread() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let sa = (0..<100).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<100).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<100).map { _ in c.next() })
        // Resuming from a saved state continues the same stream (checkpoints rely on this).
        var resumed = SeededRandom(state: a.state)
        XCTAssertEqual(resumed.next(), a.next())

        var rng = SeededRandom(seed: 1)
        let u = (0..<20000).map { _ in rng.uniform() }
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(Double(u.reduce(0, +)) / 20000, 0.5, accuracy: 0.01)
        let g = (0..<20000).map { _ in Double(rng.normal()) }
        let mean = g.reduce(0, +) / 20000
        let variance = g.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
        let p = rng.permutation(50)
        XCTAssertEqual(p.sorted(), Array(0..<50))
        XCTAssertNotEqual(p, Array(0..<50))
    }

    func testBLASThreadCountIsSetDeliberately() {
        BLASThreads.configureDefault()
        XCTAssertEqual(BLASThreads.count, Int(ProcessInfo.processInfo.environment["ASLSH_BLAS_THREADS"] ?? "1"))
    }
}
