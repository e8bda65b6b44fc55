import Foundation
import TensorCore
import XCTest
@testable import TFLiteRuntime

/// UNIDIRECTIONAL_SEQUENCE_LSTM against a step-by-step scalar LSTM in Double written from the
/// equations (i, f, o = σ(Wx + Rh + b); g = tanh(…); c = f·c + i·g; h = o·tanh(c)).
final class SequenceLSTMTests: XCTestCase {
    func testMatchesScalarReference() throws {
        var rng = SeededRandom(seed: 31)
        for (batch, steps, inputs, units, timeMajor, cifg) in [(2, 5, 4, 3, false, false), (1, 7, 6, 8, true, false), (3, 4, 2, 5, false, true)] {
            let x = randomFloats(batch * steps * inputs, &rng)
            var tensors: [KernelHarness.TensorSpec] = [.init(shape: timeMajor ? [steps, batch, inputs] : [batch, steps, inputs])]
            var w: [[Float]] = [], r: [[Float]] = [], b: [[Float]] = []
            for gate in 0..<4 {
                w.append(randomFloats(units * inputs, &rng, scale: 0.5))
                r.append(randomFloats(units * units, &rng, scale: 0.5))
                b.append(randomFloats(units, &rng, scale: 0.5))
                _ = gate
            }
            for gate in 0..<4 { tensors.append(.init(shape: [units, inputs], floats: w[gate])) }       // 1–4
            for gate in 0..<4 { tensors.append(.init(shape: [units, units], floats: r[gate])) }        // 5–8
            for gate in 0..<4 { tensors.append(.init(shape: [units], floats: b[gate])) }               // 9–12 → inputs 12–15
            tensors.append(.init(shape: [batch, units]))                                              // 13 → output state
            tensors.append(.init(shape: [batch, units]))                                              // 14 → cell state
            tensors.append(.init(shape: timeMajor ? [steps, batch, units] : [batch, steps, units]))   // 15 → output
            let inputIDs = [0, cifg ? -1 : 1, 2, 3, 4, cifg ? -1 : 5, 6, 7, 8, -1, -1, -1, cifg ? -1 : 9, 10, 11, 12, -1, -1, 13, 14]
            let harness = KernelHarness(tensors: tensors, builtin: .unidirectionalSequenceLSTM,
                                        options: .unidirectionalSequenceLSTM(SequenceLSTMOptions(activation: .tanh, cellClip: 0, projClip: 0, timeMajor: timeMajor)),
                                        inputs: inputIDs, outputs: [15])
            let y = try harness.run([x])[0]

            func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
            for bi in 0..<batch {
                var h = [Double](repeating: 0, count: units), c = [Double](repeating: 0, count: units)
                for t in 0..<steps {
                    let row = timeMajor ? t * batch + bi : bi * steps + t
                    func preactivation(_ gate: Int, _ u: Int) -> Double {
                        var s = Double(b[gate][u])
                        for k in 0..<inputs { s += Double(w[gate][u * inputs + k]) * Double(x[row * inputs + k]) }
                        for k in 0..<units { s += Double(r[gate][u * units + k]) * h[k] }
                        return s
                    }
                    var next = h
                    for u in 0..<units {
                        let f = sigmoid(preactivation(1, u))
                        let i = cifg ? 1 - f : sigmoid(preactivation(0, u))
                        let g = Foundation.tanh(preactivation(2, u)), o = sigmoid(preactivation(3, u))
                        c[u] = f * c[u] + i * g
                        next[u] = o * Foundation.tanh(c[u])
                        XCTAssertEqual(Double(y[row * units + u]), next[u], accuracy: 1e-5, "b\(bi) t\(t) u\(u) cifg \(cifg)")
                    }
                    h = next
                }
            }
        }
    }
}
