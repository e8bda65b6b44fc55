import Foundation
import TensorCore
import TestSupport
import XCTest
@testable import TFLiteRuntime

/// The writer against the reader: real models survive write → read unchanged and compute the
/// same numbers; a small classifier built in Swift runs as expected.
final class TFLiteWriterTests: XCTestCase {
    func testMediaPipeModelRoundTripsThroughTheWriter() throws {
        guard let url = TestEnvironment.mediapipeModel("palm_detection_lite") else { throw XCTSkip("run scripts/setup.sh") }
        let original = try TFLiteModel(contentsOf: url)
        let spec = TFLiteModelSpec(original)
        let rewritten = try TFLiteModel(bytes: TFLiteWriter.serialize(spec))
        XCTAssertEqual(TFLiteModelSpec(rewritten), spec)
        // The writer lists operator codes in order of first use, so compare them as sets.
        XCTAssertEqual(Set(rewritten.operatorCodes.map(\.builtin)), Set(original.operatorCodes.map(\.builtin)))

        var rng = SeededRandom(seed: 41)
        let input = Tensor(shape: [1, 192, 192, 3], scalars: (0..<(192 * 192 * 3)).map { _ in rng.uniform() })
        let a = try TFLiteInterpreter(model: original).invoke([input])
        let b = try TFLiteInterpreter(model: rewritten).invoke([input])
        XCTAssertEqual(a, b)
    }

    /// FC(6→5, RELU) → FC(5→3) → SOFTMAX with a label map in the metadata.
    func testHandBuiltClassifierRuns() throws {
        var rng = SeededRandom(seed: 42)
        let w1 = randomFloats(5 * 6, &rng), b1 = randomFloats(5, &rng), w2 = randomFloats(3 * 5, &rng), b2 = randomFloats(3, &rng)
        let fc = OperatorOptions.fullyConnected(FullyConnectedOptions(activation: .relu, weightsFormat: 0, keepNumDims: false))
        let fcLinear = OperatorOptions.fullyConnected(FullyConnectedOptions(activation: .none, weightsFormat: 0, keepNumDims: false))
        let spec = TFLiteModelSpec(
            tensors: [.init(name: "landmarks", shape: [2, 6]),
                      .init(name: "w1", shape: [5, 6], floats: w1), .init(name: "b1", shape: [5], floats: b1),
                      .init(name: "hidden", shape: [2, 5]),
                      .init(name: "w2", shape: [3, 5], floats: w2), .init(name: "b2", shape: [3], floats: b2),
                      .init(name: "logits", shape: [2, 3]), .init(name: "probabilities", shape: [2, 3])],
            operators: [.init(.fullyConnected, inputs: [0, 1, 2], outputs: [3], options: fc),
                        .init(.fullyConnected, inputs: [3, 4, 5], outputs: [6], options: fcLinear),
                        .init(.softmax, inputs: [6], outputs: [7], options: .softmax(beta: 1))],
            inputs: [0], outputs: [7, 6], metadata: [("labels", Array("A\nB\nC".utf8))])
        let model = try TFLiteModel(bytes: TFLiteWriter.serialize(spec))
        XCTAssertEqual(model.metadata(named: "labels").map { String(decoding: $0, as: UTF8.self) }, "A\nB\nC")
        let interpreter = try TFLiteInterpreter(model: model)
        XCTAssertEqual(interpreter.outputNames, ["probabilities", "logits"])
        let x = randomFloats(12, &rng)
        let outputs = try interpreter.invoke([Tensor(shape: [2, 6], scalars: x)])
        for row in 0..<2 {
            var hidden = [Float](repeating: 0, count: 5), logits = [Float](repeating: 0, count: 3)
            for o in 0..<5 {
                var sum = b1[o]
                for i in 0..<6 { sum += w1[o * 6 + i] * x[row * 6 + i] }
                hidden[o] = max(0, sum)
            }
            for o in 0..<3 {
                var sum = b2[o]
                for i in 0..<5 { sum += w2[o * 5 + i] * hidden[i] }
                logits[o] = sum
            }
            let top = logits.max()!
            let exps: [Float] = logits.map { Foundation.exp($0 - top) }
            for k in 0..<3 {
                XCTAssertEqual(outputs[1].scalars[row * 3 + k], logits[k], accuracy: 1e-5)
                XCTAssertEqual(outputs[0].scalars[row * 3 + k], exps[k] / exps.reduce(0, +), accuracy: 1e-6)
            }
        }
    }

    /// Codes above 127 live only in builtin_code (deprecated_builtin_code = 127): the reader takes the max,
    /// and the interpreter names the op it cannot run, with its index.
    func testLargeOpcodesAndUnsupportedOpsAreNamed() throws {
        let spec = TFLiteModelSpec(tensors: [.init(name: "x", shape: [4]), .init(name: "y", shape: [4]), .init(name: "z", shape: [4])],
                                   operators: [.init(.relu, inputs: [0], outputs: [1]),
                                               .init(BuiltinOperator(rawValue: 125), inputs: [1], outputs: [2])],
                                   inputs: [0], outputs: [2])
        let model = try TFLiteModel(bytes: TFLiteWriter.serialize(spec))
        XCTAssertEqual(model.subgraphs[0].operators[1].builtin.name, "SEGMENT_SUM")
        let big = TFLiteModelSpec(tensors: spec.tensors, operators: [.init(BuiltinOperator(rawValue: 150), inputs: [0], outputs: [2])],
                                  inputs: [0], outputs: [2])
        XCTAssertEqual(try TFLiteModel(bytes: TFLiteWriter.serialize(big)).subgraphs[0].operators[0].builtin.rawValue, 150)
        XCTAssertThrowsError(try TFLiteInterpreter(model: model)) { error in
            XCTAssertEqual(error as? TFLiteError,
                           .unsupportedOperator(index: 1, op: "SEGMENT_SUM", reason: "no kernel for SEGMENT_SUM (builtin code 125)"))
        }
    }
}
