import TensorCore
@testable import TFLiteRuntime
import XCTest

/// REDUCE_MAX against a direct loop over the reduced axes, with and without keep_dims.
final class ReduceMaxTests: XCTestCase {
    func testMatchesDirectLoop() throws {
        var rng = SeededRandom(seed: 4)
        let (a, b, c) = (3, 5, 4)
        let x = randomFloats(a * b * c, &rng, scale: 10)
        for (axes, keep) in [([1], false), ([1], true), ([0, 2], false), ([-1], false)] {
            let reduced = Set(axes.map { $0 < 0 ? $0 + 3 : $0 })
            let dims = [a, b, c]
            let outShape = (0..<3).compactMap { reduced.contains($0) ? (keep ? 1 : nil) : dims[$0] }
            let harness = KernelHarness(tensors: [.init(shape: dims), .init(shape: [axes.count], ints: axes), .init(shape: outShape)],
                                        builtin: .reduceMax, options: .reducer(keepDims: keep), inputs: [0, 1], outputs: [2])
            let y = try harness.run([x])[0]
            var expected = [Float](repeating: -.infinity, count: outShape.reduce(1, *))
            for i in 0..<a { for j in 0..<b { for k in 0..<c {
                let idx = [i, j, k]
                var o = 0
                for d in 0..<3 where !reduced.contains(d) { o = o * dims[d] + idx[d] }
                expected[o] = max(expected[o], x[(i * b + j) * c + k])
            } } }
            XCTAssertEqual(y, expected, "axes \(axes) keep \(keep)")
        }
    }
}
