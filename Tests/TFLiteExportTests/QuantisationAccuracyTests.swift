import Datasets
import Foundation
import HandSynthesis
import NeuralNets
import TensorCore
import SyntheticFixtures
import TestSupport
import TFLiteExport
import TFLiteRuntime
import Training
import XCTest

/// The accuracy cost of each quantisation mode on a held-out test set: models trained in-test on
/// synthetic letters (HandSynthesis, signer-disjoint split), exported three ways, run over the
/// whole test set by LiteRT (default resolver, as users run it) and by our TFLiteRuntime.
final class QuantisationAccuracyTests: XCTestCase {
    var directory: URL!
    var train: Dataset!, test: Dataset!

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory("tfexport-accuracy")
        let built = try SyntheticDatasets.build(SynthesisOptions(classes: ["letters"], perClass: 30, seed: 3),
                                                staticFrames: true, in: directory)
        (train, test) = (built.train, built.test)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Allowed accuracy drop (fraction of the test set) per mode, relative to the Swift float32 model.
    static let allowedDrop: [TFLiteQuantization: Double] = [.none: 0, .float16: 0.02, .dynamicInt8: 0.05]

    func testQuantisedModelsKeepTheirAccuracy() throws {
        try ExportHarness.requireLiteRT()
        let T = test.sequenceLength, N = test.count
        let x = test.sequences.reshaped([N, T, 21, 3])
        let mask = Tensor(shape: [N, T], scalars: test.masks.map { $0 ? 1 : 0 })
        let accuracy = { (logits: Tensor) in
            Double(zip(ExportHarness.argmax(logits), self.test.labels).filter { $0 == $1 }.count) / Double(N)
        }
        for (architecture, hidden, layers, epochs) in [(Architecture.mlp, 256, 2, 15), (.tcn, 32, 2, 25), (.lstm, 32, 1, 20)] {
            var options = TrainingOptions()
            options.architecture = architecture
            options.hiddenDim = hidden
            options.layers = layers
            options.epochs = epochs
            options.batchSize = 32
            options.checkpointDirectory = directory.appendingPathComponent("checkpoints")
            let run = try Trainer.train(train, validation: nil, options: options)
            let (model, meta) = try Checkpoint.load(run.checkpoint)
            let reference = accuracy(model.forward(x, mask: mask, training: false))
            XCTAssertGreaterThan(reference, 0.5, "\(architecture) learned the letters (chance 1/12)")
            let files = try TFLiteQuantization.allCases.map { try TFLiteExporter.export(model: model, metadata: meta, quantization: $0) }
            let lite = try ExportHarness.liteRT(files.map { ($0, x, mask) }, in: directory)
            for (k, q) in TFLiteQuantization.allCases.enumerated() {
                let batched = try TFLiteExporter.export(model: model, metadata: meta, quantization: q, batchSize: N)
                let ours = accuracy(try ExportHarness.runtime(batched, x, mask))
                let liteRT = accuracy(lite[k].delegated), builtin = accuracy(lite[k].builtin)
                print(String(format: "tfexport accuracy %@ %@: Swift %.4f, LiteRT %.4f (builtin kernels %.4f), TFLiteRuntime %.4f → drop %.4f (%d test samples, %d bytes)",
                             architecture.rawValue, q.rawValue, reference, liteRT, builtin, ours, reference - liteRT, N, files[k].count))
                let allowed = Self.allowedDrop[q]! + 1e-9
                XCTAssertLessThanOrEqual(reference - liteRT, allowed, "\(architecture) \(q.rawValue): LiteRT accuracy drop")
                XCTAssertLessThanOrEqual(reference - builtin, allowed, "\(architecture) \(q.rawValue): LiteRT builtin accuracy drop")
                XCTAssertLessThanOrEqual(reference - ours, allowed, "\(architecture) \(q.rawValue): TFLiteRuntime accuracy drop")
            }
        }
    }
}
