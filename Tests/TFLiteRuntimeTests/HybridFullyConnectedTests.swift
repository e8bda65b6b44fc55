import TensorCore
@testable import TFLiteRuntime
import XCTest

/// Hybrid (int8-weight) FULLY_CONNECTED against the float reference on dequantised weights (error
/// bounded by the input's quantisation step), against its own direct-loop reference (same integer
/// arithmetic, exactly), and the writer/reader round trip of `asymmetric_quantize_inputs`.
/// End to end against LiteRT's hybrid kernel: TFLiteExportTests (dynamic-int8 files).
final class HybridFullyConnectedTests: XCTestCase {
    func testMatchesFloatReferenceWithinInputQuantisationError() throws {
        var rng = SeededRandom(seed: 21)
        let (batch, inCount, outCount) = (5, 37, 11)
        let w = randomFloats(outCount * inCount, &rng)
        let x = randomFloats(batch * inCount, &rng, scale: 3)
        let bias = randomFloats(outCount, &rng)
        // Symmetric per-row int8 weights.
        var q = [Int8](repeating: 0, count: w.count), scales = [Float](repeating: 0, count: outCount)
        for o in 0..<outCount {
            let s = w[(o * inCount)..<((o + 1) * inCount)].map { abs($0) }.max()! / 127
            scales[o] = s
            for i in 0..<inCount { q[o * inCount + i] = Int8((w[o * inCount + i] / s).rounded()) }
        }
        let dequantised = (0..<w.count).map { Float(q[$0]) * scales[$0 / inCount] }
        let infos = [TFLiteModel.TensorInfo(name: "x", shape: [batch, inCount], type: .float32, buffer: 0, quantization: nil, isVariable: false),
                     TFLiteModel.TensorInfo(name: "w", shape: [outCount, inCount], type: .int8, buffer: 1,
                                            quantization: .init(scale: scales, zeroPoint: [Int64](repeating: 0, count: outCount), quantizedDimension: 0),
                                            isVariable: false),
                     TFLiteModel.TensorInfo(name: "b", shape: [outCount], type: .float32, buffer: 2, quantization: nil, isVariable: false),
                     TFLiteModel.TensorInfo(name: "y", shape: [batch, outCount], type: .float32, buffer: 0, quantization: nil, isVariable: false)]
        let op = TFLiteModel.Operator(opcodeIndex: 0, builtin: .fullyConnected, version: 9, inputs: [0, 1, 2], outputs: [3],
                                      options: .fullyConnected(FullyConnectedOptions(activation: .none, asymmetricQuantizeInputs: true)))
        let context = OpContext(index: 0, op: op, tensors: infos, floatConstant: { $0 == 2 ? bias : nil }, intConstant: { _ in nil },
                                quantizedConstant: { $0 == 1 ? QuantizedConstant(values: q, quantization: infos[1].quantization!) : nil })
        let kernel = try OperatorRegistry.kernel(for: context)
        XCTAssertTrue(kernel is HybridFullyConnectedKernel)
        let xp = UnsafeMutablePointer<Float>.allocate(capacity: x.count), yp = UnsafeMutablePointer<Float>.allocate(capacity: batch * outCount)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(kernel.scratchCount, 1))
        defer { xp.deallocate(); yp.deallocate(); scratch.deallocate() }
        xp.update(from: x, count: x.count)
        kernel.bind(pointers: [xp, nil, nil, yp], scratch: scratch)
        kernel.run(threads: 1)
        let y = Array(UnsafeBufferPointer(start: yp, count: batch * outCount))

        var direct = [Float](repeating: 0, count: batch * outCount)
        HybridFullyConnected.naive(batch: batch, inputs: inCount, outputs: outCount, x: xp, weights: q, scales: scales, bias: bias,
                                   y: &direct, activation: .none)
        XCTAssertEqual(y, direct, "fast and direct loops agree exactly")

        var reference = [Float](repeating: 0, count: batch * outCount)
        FullyConnected.naive(batch: batch, inputs: inCount, outputs: outCount, x: xp, w: dequantised, bias: bias, y: &reference, activation: .none)
        for b in 0..<batch {
            let row = x[(b * inCount)..<((b + 1) * inCount)]
            let step = (max(row.max()!, 0) - min(row.min()!, 0)) / 255   // the input's quantisation step
            for o in 0..<outCount {
                let bound = 0.5 * step * (0..<inCount).map { abs(dequantised[o * inCount + $0]) }.reduce(0, +) + 1e-4
                XCTAssertLessThanOrEqual(abs(y[b * outCount + o] - reference[b * outCount + o]), bound, "row \(b) output \(o)")
            }
        }
        XCTAssertGreaterThan(zip(y, reference).map { abs($0 - $1) }.max()!, 0, "the input really is quantised")
    }

    func testRowQuantisationKeepsZeroExactAndSpansTheRange() {
        let values: [Float] = [-1.5, 0, 0.25, 3]
        var q = [Int8](repeating: 0, count: 4)
        let (scale, zero) = HybridFullyConnected.quantizeRow(values, count: 4, into: &q)
        XCTAssertEqual(scale, 4.5 / 255, accuracy: 1e-7)
        XCTAssertEqual(Int32(q[1]), zero, "0 maps to the zero point")
        XCTAssertEqual(q[0], -128)
        XCTAssertEqual(q[3], 127)
        for (v, qi) in zip(values, q) { XCTAssertEqual(Float(Int32(qi) - zero) * scale, v, accuracy: scale / 2 + 1e-6) }
        let (s0, z0) = HybridFullyConnected.quantizeRow([0, 0], count: 2, into: &q)
        XCTAssertEqual(s0, 1); XCTAssertEqual(z0, 0); XCTAssertEqual(Array(q[0..<2]), [0, 0])
    }

    func testAsymmetricQuantizeInputsRoundTrips() throws {
        let options = OperatorOptions.fullyConnected(FullyConnectedOptions(activation: .relu, asymmetricQuantizeInputs: true))
        let spec = TFLiteModelSpec(tensors: [.init(name: "x", shape: [1, 2]), .init(name: "w", shape: [1, 2], floats: [1, 2]),
                                             .init(name: "y", shape: [1, 1])],
                                   operators: [.init(.fullyConnected, inputs: [0, 1, -1], outputs: [2], options: options)],
                                   inputs: [0], outputs: [2])
        let model = try TFLiteModel(bytes: TFLiteWriter.serialize(spec))
        XCTAssertEqual(model.subgraphs[0].operators[0].options, options)
    }
}
