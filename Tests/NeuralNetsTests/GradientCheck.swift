import NeuralNets
import TensorCore
import XCTest

/// Finite-difference gradient checking shared by the layer tests.
///
/// The layers compute in float32, so the check works on L = Σ r⊙y (r a fixed random projection)
/// accumulated in Double, with central differences (L(θ+ε) − L(θ−ε))/2ε at ε = 1e-3. Expected error:
/// truncation O(ε²) ≈ 1e-6 plus float rounding of y ≈ 6e-8·Σ|r·y|/2ε ≲ 5e-4 for these sizes, so an
/// entry passes when |numeric − analytic| ≤ 3e-3 + 1e-2·max(|numeric|, |analytic|). A wrong
/// backward (missing term, transposed weight, mask leak) is off by O(1) and fails.
struct GradientCheck {
    var eps: Float = 1e-3
    var absoluteTolerance = 3e-3
    var relativeTolerance = 1e-2
    /// At most this many entries per tensor are probed (spread evenly), to keep tests fast.
    var maxProbes = 60

    /// Checks dL/dx and dL/dθ (every parameter in `store`) for y = forward(x).
    /// `forward` must be deterministic (reset any dropout stream inside it).
    func check(_ label: String, input: Tensor, store: ParameterStore?, seed: UInt64 = 42,
               forward: (Tensor) -> Tensor, backward: (Tensor) -> Tensor,
               file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededRandom(seed: seed)
        let y0 = forward(input)
        let r = Tensor.uniform(y0.shape, low: -1, high: 1, using: &rng)
        func loss(_ x: Tensor) -> Double {
            let y = forward(x)
            var s = 0.0
            for i in 0..<y.count { s += Double(r.scalars[i]) * Double(y.scalars[i]) }
            return s
        }
        store?.zeroGradients()
        _ = forward(input)
        let dX = backward(r)
        XCTAssertEqual(dX.shape, input.shape, "\(label): dX shape", file: file, line: line)
        var failures: [String] = []
        func compare(_ what: String, _ analytic: Float, _ numeric: Double) {
            let a = Double(analytic)
            if abs(a - numeric) > absoluteTolerance + relativeTolerance * max(abs(a), abs(numeric)) {
                failures.append("\(what): analytic \(a) numeric \(numeric)")
            }
        }
        var checked = 0
        for i in probes(input.count) {
            var xp = input, xm = input
            xp.scalars[i] += eps
            xm.scalars[i] -= eps
            compare("dx[\(i)]", dX.scalars[i], (loss(xp) - loss(xm)) / Double(2 * eps))
            checked += 1
        }
        if let store {
            let analytic = Array(UnsafeBufferPointer(start: store.gradients, count: store.count))
            for view in store.views {
                for i in probes(view.count).map({ view.offset + $0 }) {
                    let saved = store.values[i]
                    store.values[i] = saved + eps
                    store.markModified()
                    let lp = loss(input)
                    store.values[i] = saved - eps
                    store.markModified()
                    let lm = loss(input)
                    store.values[i] = saved
                    store.markModified()
                    compare("\(view.name)[\(i - view.offset)]", analytic[i], (lp - lm) / Double(2 * eps))
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 0, file: file, line: line)
        XCTAssertTrue(failures.isEmpty, "\(label) (seed \(seed)): \(failures.count)/\(checked) entries off, e.g. "
                      + failures.prefix(5).joined(separator: "; "), file: file, line: line)
    }

    private func probes(_ n: Int) -> [Int] {
        n <= maxProbes ? Array(0..<n) : (0..<maxProbes).map { $0 * n / maxProbes }
    }
}

/// A `[B, T]` prefix mask with the given valid lengths.
func prefixMask(_ lengths: [Int], steps: Int) -> Tensor {
    var m = [Float](repeating: 0, count: lengths.count * steps)
    for (b, n) in lengths.enumerated() { for t in 0..<n { m[b * steps + t] = 1 } }
    return Tensor(shape: [lengths.count, steps], scalars: m)
}
