import Foundation
import TensorCore
import XCTest
@testable import TFLiteRuntime

/// Arithmetic, activations, pooling, data movement, resize and reductions: fast paths against
/// references and hand-computed values.
final class ElementwiseKernelTests: XCTestCase {
    func testBinaryOpsSameShapeAndBroadcast() throws {
        var rng = SeededRandom(seed: 21)
        for (op, builtin) in [(BinaryOperation.add, BuiltinOperator.add), (.sub, .sub), (.mul, .mul), (.div, .div)] {
            let a = randomFloats(2 * 3 * 19, &rng), b = randomFloats(2 * 3 * 19, &rng).map { $0 + 3 }
            let same = KernelHarness(tensors: [.init(shape: [2, 3, 19]), .init(shape: [2, 3, 19]), .init(shape: [2, 3, 19])],
                                     builtin: builtin, options: .arithmetic(activation: .relu6), inputs: [0, 1], outputs: [2])
            let y = try same.run([a, b])[0]
            XCTAssertEqual(y, zip(a, b).map { min(max(op.apply($0, $1), 0), 6) }, "\(builtin)")
            // [2,3,4] ∘ [3,1] broadcasts the second operand over axes 0 and 2.
            let c = randomFloats(24, &rng), d = randomFloats(3, &rng).map { $0 + 3 }
            let broadcast = KernelHarness(tensors: [.init(shape: [2, 3, 4]), .init(shape: [3, 1]), .init(shape: [2, 3, 4])],
                                          builtin: builtin, options: .arithmetic(activation: .none), inputs: [0, 1], outputs: [2])
            let z = try broadcast.run([c, d])[0]
            for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
                XCTAssertEqual(z[(i * 3 + j) * 4 + k], op.apply(c[(i * 3 + j) * 4 + k], d[j]))
            }}}
        }
    }

    func testPReLUPerChannelMatchesBroadcastReference() throws {
        var rng = SeededRandom(seed: 22)
        for channels in [32, 13] {
            let x = randomFloats(5 * 4 * channels, &rng), alpha = randomFloats(channels, &rng)
            let harness = KernelHarness(tensors: [.init(shape: [1, 5, 4, channels]), .init(shape: [1, 1, channels], floats: alpha),
                                                  .init(shape: [1, 5, 4, channels])],
                                        builtin: .prelu, options: .none, inputs: [0, 1], outputs: [2])
            let y = try harness.run([x])[0]
            XCTAssertEqual(y, x.enumerated().map { i, v in v >= 0 ? v : alpha[i % channels] * v })
        }
    }

    func testUnaryActivations() throws {
        let x: [Float] = [-20, -3, -0.5, 0, 0.25, 2, 7, 30]
        func run(_ op: BuiltinOperator, _ options: OperatorOptions = .none) throws -> [Float] {
            try KernelHarness(tensors: [.init(shape: [2, 4]), .init(shape: [2, 4])], builtin: op, options: options,
                              inputs: [0], outputs: [1]).run([x])[0]
        }
        let logistic = try run(.logistic), tanh = try run(.tanh)
        for (i, v) in x.enumerated() {
            XCTAssertEqual(Double(logistic[i]), 1 / (1 + Foundation.exp(-Double(v))), accuracy: 1e-7)
            XCTAssertEqual(Double(tanh[i]), Foundation.tanh(Double(v)), accuracy: 1e-7)
        }
        XCTAssertEqual(try run(.relu), x.map { max($0, 0) })
        XCTAssertEqual(try run(.relu6), x.map { min(max($0, 0), 6) })
        // GELU exact = x·Φ(x) with Φ from erf in Double; the tanh form within its own formula.
        for (approximate, gelu) in [(false, try run(.gelu, .gelu(approximate: false))), (true, try run(.gelu, .gelu(approximate: true)))] {
            for (i, v) in x.enumerated() {
                let d = Double(v)
                let expected = approximate ? 0.5 * d * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)))
                                           : 0.5 * d * (1 + Foundation.erf(d / 2.0.squareRoot()))
                XCTAssertEqual(Double(gelu[i]), expected, accuracy: 1e-5 * max(1, abs(expected)), "gelu approximate \(approximate) at \(v)")
            }
        }
        XCTAssertEqual(try run(.gelu), try run(.gelu, .gelu(approximate: false)), "no options: the exact form")
        let rsqrt = try run(.rsqrt)
        for (i, v) in x.enumerated() where v > 0 { XCTAssertEqual(Double(rsqrt[i]), 1 / Double(v).squareRoot(), accuracy: 1e-6) }
        let sqrt = try run(.sqrt)
        for (i, v) in x.enumerated() where v >= 0 { XCTAssertEqual(Double(sqrt[i]), Double(v).squareRoot(), accuracy: 1e-6) }
        XCTAssertEqual(sqrt[3], 0, "√0 is 0: an undetected frame's distances")
        let softmax = try run(.softmax, .softmax(beta: 0.5))
        for row in 0..<2 {
            let values = x[(row * 4)..<(row * 4 + 4)].map { Foundation.exp(0.5 * Double($0)) }
            for k in 0..<4 { XCTAssertEqual(Double(softmax[row * 4 + k]), values[k] / values.reduce(0, +), accuracy: 1e-6) }
        }
    }

    /// BATCH_MATMUL against the defining sum, for every adj_x/adj_y and a shared right-hand matrix.
    func testBatchMatMulMatchesDirectSum() throws {
        let (B, M, K, N) = (3, 4, 5, 2)
        var rng = SeededRandom(seed: 9)
        let x = (0..<(B * M * K)).map { _ in rng.uniform(-1, 1) }
        for (adjX, adjY, sharedY) in [(false, false, false), (true, false, false), (false, true, false), (true, true, true)] {
            let yCount = (sharedY ? 1 : B) * K * N
            let y = (0..<yCount).map { _ in rng.uniform(-1, 1) }
            let xShape: [Int] = adjX ? [B, K, M] : [B, M, K]
            let yShape: [Int] = [sharedY ? 1 : B] + (adjY ? [N, K] : [K, N])
            let out = try KernelHarness(tensors: [.init(shape: xShape), .init(shape: yShape), .init(shape: [B, M, N])], builtin: .batchMatMul,
                                        options: .batchMatMul(adjX: adjX, adjY: adjY), inputs: [0, 1], outputs: [2]).run([x, y])[0]
            for b in 0..<B { for i in 0..<M { for j in 0..<N {
                var sum = 0.0
                for p in 0..<K {
                    let a = adjX ? x[(b * K + p) * M + i] : x[(b * M + i) * K + p]
                    let yb = sharedY ? 0 : b
                    let c = adjY ? y[(yb * N + j) * K + p] : y[(yb * K + p) * N + j]
                    sum += Double(a) * Double(c)
                }
                XCTAssertEqual(Double(out[(b * M + i) * N + j]), sum, accuracy: 1e-5, "adj \(adjX) \(adjY) shared \(sharedY)")
            } } }
        }
        XCTAssertThrowsError(try KernelHarness(tensors: [.init(shape: [2, 3, 4]), .init(shape: [2, 5, 2]), .init(shape: [2, 3, 2])],
                                               builtin: .batchMatMul, options: .none, inputs: [0, 1], outputs: [2]).run([[Float](repeating: 0, count: 24),
                                                                                                         [Float](repeating: 0, count: 20)]))
    }

    func testPoolingSkipsPaddedPositions() throws {
        // 3×3 single-channel input, 2×2 window, stride 2, SAME → output 2×2 with the bottom/right
        // windows hanging over the padding (TFLite pads after: total 1 → 0 before, 1 after).
        let x: [Float] = [1, 2, 3,
                          4, 5, 6,
                          7, 8, 9]
        let options = OperatorOptions.pool2D(Pool2DOptions(padding: .same, strideW: 2, strideH: 2, filterW: 2, filterH: 2, activation: .none))
        let tensors: [KernelHarness.TensorSpec] = [.init(shape: [1, 3, 3, 1]), .init(shape: [1, 2, 2, 1])]
        let maxPool = try KernelHarness(tensors: tensors, builtin: .maxPool2D, options: options, inputs: [0], outputs: [1]).run([x])[0]
        XCTAssertEqual(maxPool, [5, 6, 8, 9])
        let average = try KernelHarness(tensors: tensors, builtin: .averagePool2D, options: options, inputs: [0], outputs: [1]).run([x])[0]
        XCTAssertEqual(average, [3, 4.5, 7.5, 9])   // (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9/1
    }

    func testPadAppendsZeroChannels() throws {
        let x: [Float] = [1, 2, 3, 4]   // [1,2,1,2]
        let harness = KernelHarness(tensors: [.init(shape: [1, 2, 1, 2]), .init(shape: [4, 2], ints: [0, 0, 1, 0, 0, 1, 0, 2]),
                                              .init(shape: [1, 3, 2, 4])],
                                    builtin: .pad, options: .empty(unionType: 22), inputs: [0, 1], outputs: [2])
        let y = try harness.run([x])[0]
        XCTAssertEqual(y, [0, 0, 0, 0, 0, 0, 0, 0,
                           1, 2, 0, 0, 0, 0, 0, 0,
                           3, 4, 0, 0, 0, 0, 0, 0])
    }

    func testConcatenationAlongAxisOne() throws {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6]   // [2,2] and [2,1]
        let harness = KernelHarness(tensors: [.init(shape: [2, 2]), .init(shape: [2, 1]), .init(shape: [2, 3])],
                                    builtin: .concatenation, options: .concatenation(axis: -1, activation: .none),
                                    inputs: [0, 1], outputs: [2])
        XCTAssertEqual(try harness.run([a, b])[0], [1, 2, 5, 3, 4, 6])
    }

    func testResizeBilinearHalfPixelAndAlignCorners() throws {
        // 1-D along width: [0, 10] → 4 samples.
        func resize(_ alignCorners: Bool, _ halfPixel: Bool) throws -> [Float] {
            try KernelHarness(tensors: [.init(shape: [1, 1, 2, 1]), .init(shape: [2], ints: [1, 4]), .init(shape: [1, 1, 4, 1])],
                              builtin: .resizeBilinear, options: .resizeBilinear(alignCorners: alignCorners, halfPixelCenters: halfPixel),
                              inputs: [0, 1], outputs: [2]).run([[0, 10]])[0]
        }
        // half-pixel: src = (d + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamp at the edges.
        XCTAssertEqual(try resize(false, true), [0, 2.5, 7.5, 10])
        // align corners: src = d·(1/3).
        let aligned = try resize(true, false)
        for (v, e) in zip(aligned, [0, 10.0 / 3, 20.0 / 3, 10] as [Float]) { XCTAssertEqual(v, e, accuracy: 1e-5) }
        // legacy: src = d/2 → 0, 0.5, 1, 1.5 (upper clamped).
        XCTAssertEqual(try resize(false, false), [0, 5, 10, 10])
    }

    func testMeanOverSpatialAxes() throws {
        var rng = SeededRandom(seed: 23)
        let x = randomFloats(2 * 7 * 7 * 5, &rng)
        let harness = KernelHarness(tensors: [.init(shape: [2, 7, 7, 5]), .init(shape: [2], ints: [1, 2]), .init(shape: [2, 5])],
                                    builtin: .mean, options: .reducer(keepDims: false), inputs: [0, 1], outputs: [2])
        let y = try harness.run([x])[0]
        for n in 0..<2 { for c in 0..<5 {
            var sum = 0.0
            for p in 0..<49 { sum += Double(x[(n * 49 + p) * 5 + c]) }
            XCTAssertEqual(Double(y[n * 5 + c]), sum / 49, accuracy: 1e-6)
        }}
    }

    /// With one image the spatial mean is a column sum over rows (the fast path): the same
    /// additions, in the same order, as summing each channel over the pixels in turn.
    func testMeanAndReduceMaxOverRowsMatchTheInOrderSums() throws {
        var rng = SeededRandom(seed: 29)
        let x = randomFloats(7 * 7 * 37, &rng)
        for (builtin, keepDims) in [(BuiltinOperator.mean, true), (.mean, false), (.reduceMax, false)] {
            let out: [Int] = keepDims ? [1, 1, 1, 37] : [1, 37]
            let y = try KernelHarness(tensors: [.init(shape: [1, 7, 7, 37]), .init(shape: [2], ints: [1, 2]), .init(shape: out)],
                                      builtin: builtin, options: .reducer(keepDims: keepDims), inputs: [0, 1], outputs: [2]).run([x])[0]
            for c in 0..<37 {
                var sum: Float = 0, top = -Float.infinity
                for p in 0..<49 { sum += x[p * 37 + c]; top = max(top, x[p * 37 + c]) }
                XCTAssertEqual(y[c], builtin == .mean ? sum / 49 : top, "\(builtin) channel \(c)")
            }
        }
    }

    /// Pooling shares output rows among threads; every output is the same on 1 and 2 threads.
    func testPoolingGivesTheSameBitsOnTwoThreads() throws {
        var rng = SeededRandom(seed: 31)
        let x = randomFloats(41 * 38 * 24, &rng)
        for builtin in [BuiltinOperator.maxPool2D, .averagePool2D] {
            let options = OperatorOptions.pool2D(Pool2DOptions(padding: .same, strideW: 2, strideH: 2, filterW: 3, filterH: 3, activation: .relu6))
            let harness = KernelHarness(tensors: [.init(shape: [1, 41, 38, 24]), .init(shape: [1, 21, 19, 24])],
                                        builtin: builtin, options: options, inputs: [0], outputs: [1])
            let one = try harness.run([x], threads: 1)[0], two = try harness.run([x], threads: 2)[0]
            XCTAssertEqual(one.map(\.bitPattern), two.map(\.bitPattern), "\(builtin)")
            XCTAssertFalse(one.contains { $0.isNaN })
        }
    }

    /// Tensors alive at the same time never share memory; dead ones are reused.
    func testMemoryPlannerNeverOverlapsLiveTensors() {
        var rng = SeededRandom(seed: 24)
        for _ in 0..<50 {
            let requests = (0..<30).map { _ -> MemoryPlanner.Request in
                let first = Int(rng.next() % 40) - 1
                return .init(size: 1 + Int(rng.next() % 1000), first: first, last: first + Int(rng.next() % 6))
            }
            let (offsets, total) = MemoryPlanner.plan(requests)
            for i in requests.indices {
                XCTAssertEqual(offsets[i] % 16, 0)
                XCTAssertLessThanOrEqual(offsets[i] + requests[i].size, total)
                for j in requests.indices where j > i {
                    let timeOverlap = requests[i].first <= requests[j].last && requests[j].first <= requests[i].last
                    let memoryOverlap = offsets[i] < offsets[j] + requests[j].size && offsets[j] < offsets[i] + requests[i].size
                    XCTAssertFalse(timeOverlap && memoryOverlap, "requests \(i) and \(j) collide")
                }
            }
            XCTAssertLessThan(total, requests.map { ($0.size + 15) / 16 * 16 }.reduce(0, +), "no reuse happened")
        }
    }
}

/// TRANSPOSE and GATHER against index arithmetic written out by hand.
final class DataMovementKernelTests: XCTestCase {
    func testTransposeMatchesIndexFormula() throws {
        let x = (0..<24).map(Float.init)    // [2,3,4]
        let harness = KernelHarness(tensors: [.init(shape: [2, 3, 4]), .init(shape: [3], ints: [2, 0, 1]), .init(shape: [4, 2, 3])],
                                    builtin: .transpose, options: .empty(unionType: 26), inputs: [0, 1], outputs: [2])
        let y = try harness.run([x])[0]
        for k in 0..<4 { for i in 0..<2 { for j in 0..<3 {
            XCTAssertEqual(y[(k * 2 + i) * 3 + j], x[(i * 3 + j) * 4 + k])
        }}}
    }

    func testGatherAlongAxisOneAndRejectsBadIndices() throws {
        let x = (0..<12).map(Float.init)    // [2,3,2]
        let harness = KernelHarness(tensors: [.init(shape: [2, 3, 2]), .init(shape: [4], ints: [2, 0, 2, 1]), .init(shape: [2, 4, 2])],
                                    builtin: .gather, options: .gather(axis: 1, batchDims: 0), inputs: [0, 1], outputs: [2])
        XCTAssertEqual(try harness.run([x])[0], [4, 5, 0, 1, 4, 5, 2, 3, 10, 11, 6, 7, 10, 11, 8, 9])
        var bad = harness
        bad.tensors[1] = .init(shape: [4], ints: [2, 0, 3, 1])
        XCTAssertThrowsError(try bad.makeKernel()) { error in
            guard case TFLiteError.shapeMismatch(0, "GATHER", _) = error else { return XCTFail("\(error)") }
        }
    }
}
