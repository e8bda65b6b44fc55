import XCTest
import Datasets
import NeuralNets
import TensorCore
import TestSupport
@testable import Training

/// The evaluation report's numbers on a hand-made confusion matrix (worked by hand below), label
/// matching by name, and the JSON report.
final class EvaluationTests: XCTestCase {
    /// rows = true, columns = predicted:
    ///        a  b  c
    ///   a    3  1  0     precision a = 3/5, recall a = 3/4
    ///   b    2  4  0     precision b = 4/7, recall b = 4/6
    ///   c    0  2  0     precision c = 0 (none predicted), recall c = 0
    func testPerClassMacroAndMostConfusedByHand() throws {
        let report = EvaluationReport(labelNames: ["a", "b", "c"], loss: 0.5, accuracy: 7.0 / 12, top5Accuracy: 1,
                                      confusion: [[3, 1, 0], [2, 4, 0], [0, 2, 0]], worstSamples: [])
        let m = report.perClass
        XCTAssertEqual(m.map(\.support), [4, 6, 2])
        XCTAssertEqual(m[0].precision, 0.6, accuracy: 1e-12)
        XCTAssertEqual(m[0].recall, 0.75, accuracy: 1e-12)
        XCTAssertEqual(m[1].precision, 4.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(m[1].recall, 4.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(m[1].f1, 2 * (4.0 / 7) * (4.0 / 6) / (4.0 / 7 + 4.0 / 6), accuracy: 1e-12)
        XCTAssertEqual(m[2].f1, 0)
        XCTAssertEqual(report.macroPrecision, (0.6 + 4.0 / 7) / 3, accuracy: 1e-12)
        XCTAssertEqual(report.macroRecall, (0.75 + 4.0 / 6) / 3, accuracy: 1e-12)
        XCTAssertEqual(report.mostConfused().map { "\($0.trueLabel)>\($0.predicted)=\($0.count)" }, ["b>a=2", "c>b=2", "a>b=1"])
        let json = try JSONSerialization.jsonObject(with: report.json()) as! [String: Any]
        XCTAssertEqual(json["confusion"] as? [[Int]], [[3, 1, 0], [2, 4, 0], [0, 2, 0]])
        XCTAssertEqual((json["per_class"] as? [[String: Any]])?.count, 3)
        XCTAssertNotNil(json["macro_f1"])
        XCTAssertEqual(json["samples"] as? Int, 12)
    }

    func testLabelsAreMatchedByNameAndUnknownOnesNamed() throws {
        let data = Fixtures.sequences(n: 6, T: 1, classes: 3, seed: 1)   // class0 class1 class2
        var reordered = data
        reordered.labelNames = ["class2", "class0", "class1"]
        reordered.labels = data.labels.map { [1, 2, 0][$0] }
        let aligned = try LabelAlignment.align(reordered, to: data.labelNames, role: "test set")
        XCTAssertEqual(aligned.labels, data.labels)
        XCTAssertEqual(aligned.labelNames, data.labelNames)
        // Evaluating the reordered file equals evaluating the original.
        let model = ModelConfig(architecture: .mlp, sequenceLength: 1, classCount: 3, hiddenDim: 8).makeModel(seed: 2)
        XCTAssertEqual(Evaluator.evaluate(model, on: aligned).confusion, Evaluator.evaluate(model, on: data).confusion)
        var unknown = data
        unknown.labelNames = ["class0", "zebra", "yak"]
        XCTAssertThrowsError(try LabelAlignment.align(unknown, to: data.labelNames, role: "test set t.npz")) { error in
            XCTAssertEqual("\(error)", "the test set t.npz has 2 classes the model does not know: zebra, yak (model classes: class0, class1, class2)")
        }
    }

    /// Worst samples are the lowest true-class probabilities, with the dataset's clip ids; top-5 is
    /// 1 with ≤ 5 classes; accuracy equals the confusion diagonal.
    func testWorstSamplesCarryClipIDs() {
        let data = Fixtures.sequences(n: 12, T: 2, classes: 3, seed: 5)
        let model = ModelConfig(architecture: .mlp, sequenceLength: 2, classCount: 3, hiddenDim: 8).makeModel(seed: 2)
        let report = Evaluator.evaluate(model, on: data, worst: 4)
        XCTAssertEqual(report.worstSamples.count, 4)
        XCTAssertEqual(report.worstSamples.map(\.trueProbability), report.worstSamples.map(\.trueProbability).sorted())
        XCTAssertTrue(report.worstSamples.allSatisfy { $0.clipID == "clip\($0.index)" })
        XCTAssertEqual(report.top5Accuracy, 1)
        XCTAssertEqual(report.accuracy, Double((0..<3).map { report.confusion[$0][$0] }.reduce(0, +)) / 12, accuracy: 1e-12)
        let logits = model.forward(Trainer.batch(data, [report.worstSamples[0].index]).0,
                                   mask: Trainer.batch(data, [report.worstSamples[0].index]).1, training: false).scalars.map(Double.init)
        let truth = data.labels[report.worstSamples[0].index]
        let p = exp(logits[truth]) / logits.map(exp).reduce(0, +)
        XCTAssertEqual(report.worstSamples[0].trueProbability, p, accuracy: 1e-6)
    }
}
