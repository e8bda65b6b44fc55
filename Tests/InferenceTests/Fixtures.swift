import Datasets
import Foundation
import HandSynthesis
import NeuralNets
import TensorCore
import SyntheticFixtures
import TestSupport
import Training
import XCTest

/// Models and data shared by the inference tests, made once per run: synthetic letters (raw
/// MediaPipe-convention landmarks), the dataset `build` makes of them, and an MLP trained on it.
enum Fixtures {
    struct Letters {
        var directory: URL
        var manifest: LandmarkManifest
        var train: Dataset
        var checkpoint: URL
    }

    static let letters: Result<Letters, Error> = Result {
        let directory = try TestEnvironment.temporaryDirectory("inference")
        let built = try SyntheticDatasets.build(SynthesisOptions(classes: ["letters"], perClass: 20, seed: 5),
                                                staticFrames: true, groupBy: nil, in: directory)
        let manifestURL = built.manifest, train = built.train
        var training = TrainingOptions()
        training.epochs = 8
        training.batchSize = 32
        training.checkpointDirectory = directory.appendingPathComponent("checkpoints")
        let run = try Trainer.train(train, validation: nil, options: training)
        return Letters(directory: directory, manifest: try LandmarkManifest.read(contentsOf: manifestURL), train: train,
                       checkpoint: run.checkpoint)
    }

    /// An untrained (seeded) sequence model written as a checkpoint: enough to check that the
    /// predictor feeds it what `forward` would get.
    static func sequenceCheckpoint(_ architecture: Architecture, T: Int, labels: [String], in directory: URL,
                                   features: [FrameFeature] = [.coords], layout: FrameLayout = .hand) throws -> URL {
        let config = ModelConfig(architecture: architecture, sequenceLength: T, featureCount: layout.values, classCount: labels.count,
                                 hiddenDim: architecture == .lstm ? 32 : 16, layers: 2, features: features)
        let model = config.makeModel(seed: 9)
        let tag = (features == [.coords] ? "" : "_" + features.map(\.rawValue).joined(separator: "+")) + (layout == .hand ? "" : "_" + layout.name)
        let url = directory.appendingPathComponent("\(architecture.rawValue)_T\(T)\(tag).safetensors")
        try Checkpoint.write(model, labelNames: labels, history: [], seed: 9, to: url)
        return url
    }

    /// Softmax in Double: the outside reference for the predictor's probabilities.
    static func softmax(_ row: ArraySlice<Float>) -> [Double] {
        let top = Double(row.max()!)
        let e = row.map { Foundation.exp(Double($0) - top) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}
