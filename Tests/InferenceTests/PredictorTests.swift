import Datasets
import HandSynthesis
import Foundation
import NeuralNets
import TensorCore
import TestSupport
@testable import Training
import XCTest
@testable import Inference

/// `ASLPredictor` on checkpoints: the same probabilities as `model.forward` + softmax on the
/// dataset `build` makes, top-k order, normalisation and padding equal to `build`'s, clear errors.
final class PredictorTests: XCTestCase {
    func letters() throws -> Fixtures.Letters { try Fixtures.letters.get() }

    /// Raw synthetic photos (normalisation "none" in the manifest) through the predictor give the
    /// model's softmax on the samples `build` made of the same clips.
    func testPredictorEqualsForwardAndSoftmaxOnTheBuiltDataset() throws {
        let fx = try letters()
        let predictor = try ASLPredictor(checkpoint: fx.checkpoint)
        let (model, meta) = try Checkpoint.load(fx.checkpoint)
        XCTAssertEqual(predictor.labelNames, fx.train.labelNames)
        XCTAssertEqual(predictor.labelMap[0], fx.train.labelNames[0])
        let info = predictor.modelInfo
        XCTAssertEqual(info.architecture, .mlp)
        XCTAssertEqual(info.sequenceLength, 1)
        XCTAssertEqual(info.inputShape, [1, 21, 3])
        XCTAssertEqual(info.classCount, meta.labelNames.count)
        XCTAssertEqual(info.format, "checkpoint")
        XCTAssertEqual(info.sourceFile, fx.checkpoint)

        let byID = Dictionary(uniqueKeysWithValues: fx.manifest.records.enumerated().map { ($0.element.clipID, $0.offset) })
        let n = min(40, fx.train.count)
        let (x, mask, _) = Trainer.batch(fx.train, Array(0..<n))
        let logits = model.forward(x, mask: mask, training: false)
        let C = meta.labelNames.count
        var agree = 0
        for i in 0..<n {
            let raw = try fx.manifest.loadClip(at: byID[fx.train.metadata.clipIDs[i]]!)
            // Stored clips are normalised: put them back into image coordinates (another place
            // and size per sample), so the predictor's normalisation must undo that.
            let landmarks = Tensor(shape: [raw.frameCount, 21, 3], scalars: Self.toImageCoordinates(raw.values, seed: i))
            XCTAssertGreaterThan(abs(landmarks.scalars[0]), 0.05, "the wrist is no longer at the origin")
            let distribution = try predictor.predictDistribution(landmarks, mask: raw.mask, sortedByConfidence: false)
            let reference = Fixtures.softmax(logits.scalars[(i * C)..<((i + 1) * C)])
            for c in 0..<C {
                XCTAssertEqual(distribution[c].classIndex, c)
                XCTAssertEqual(Double(distribution[c].confidence), reference[c], accuracy: 1e-5, "sample \(i) class \(c)")
            }
            let best = try predictor.predictSingle(landmarks, mask: raw.mask)
            if best.classIndex == reference.indices.max(by: { reference[$0] < reference[$1] })! { agree += 1 }
        }
        XCTAssertEqual(agree, n, "same argmax as forward + softmax on every sample")
    }

    /// x·s + o per coordinate (s ∈ [0.1, 0.4], o ∈ [0.2, 0.8]): what a tracker reports for the same hand elsewhere.
    static func toImageCoordinates(_ normalised: [Float], seed: Int) -> [Float] {
        var rng = SeededRandom(seed: UInt64(seed) &+ 99)
        let s = 0.1 + 0.3 * rng.uniform()
        let o: [Float] = [0.2 + 0.6 * rng.uniform(), 0.2 + 0.6 * rng.uniform(), 0.05 * rng.uniform()]
        return normalised.enumerated().map { $0.element * s + o[$0.offset % 3] }
    }

    func testTopKIsSortedAndBatchEqualsSingles() throws {
        let fx = try letters()
        let predictor = try ASLPredictor(modelFile: fx.checkpoint)
        let samples = (0..<6).map { i in try! fx.manifest.loadClip(at: i) }.map { Tensor(shape: [$0.frameCount, 21, 3], scalars: $0.values) }
        for sample in samples {
            let all = try predictor.predictDistribution(sample)
            XCTAssertEqual(all.count, predictor.labelNames.count)
            XCTAssertEqual(all.map(\.confidence).reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertEqual(all.map(\.confidence), all.map(\.confidence).sorted(by: >), "best first")
            let top3 = try predictor.predictTopK(sample, k: 3)
            XCTAssertEqual(top3, Array(all.prefix(3)))
            XCTAssertEqual(try predictor.predictSingle(sample), all[0])
        }
        let batch = try predictor.predictBatch(samples, k: 3)
        for (sample, top) in zip(samples, batch) {
            let single = try predictor.predictTopK(sample, k: 3)
            XCTAssertEqual(top.map(\.label), single.map(\.label))
            for (a, b) in zip(top, single) { XCTAssertEqual(a.confidence, b.confidence, accuracy: 1e-6) }
        }
        // A [21, 3] frame is one frame; the same frame as [1, 63] gives the same answer.
        let frame = Tensor(shape: [21, 3], scalars: samples[0].scalars)
        XCTAssertEqual(try predictor.predictTopK(frame, k: 2), try predictor.predictTopK(Tensor(shape: [1, 63], scalars: samples[0].scalars), k: 2))
    }

    /// A batch prepared in place in one buffer gives each sample exactly the values and mask
    /// `prepare` gives it alone: one hand, both hands and both hands with pose; [T, K, 3] and
    /// [T, 3K] samples; undetected, degenerate and half-seen frames; masks given or inferred; and
    /// T = 1 from [K, 3]. Anything it does not cover is left to `prepare` (nil).
    func testInPlaceBatchPreparationEqualsPreparingEachSample() throws {
        var rng = SeededRandom(seed: 77)
        for layout in [FrameLayout.hand, .bothHands, FrameLayout(hands: 2, pose: true)] {
            for T in [1, 6] {
                let input = try ModelInput(sequenceLength: T, normalisation: LandmarkNormalizer.name, layout: layout)
                let V = layout.values
                var samples: [Tensor] = [], masks: [[Bool]?] = []
                for i in 0..<5 {
                    var values = (0..<(T * V)).map { _ in rng.uniform(0.1, 0.9) }
                    if T > 1 {
                        values.replaceSubrange((2 * V)..<(3 * V), with: [Float](repeating: 0, count: V))   // not detected
                        values.replaceSubrange((3 * V)..<(4 * V), with: [Float](repeating: 0.5, count: V))  // degenerate scale
                        if layout.hands == 2 {   // the right hand missing in frame 4
                            let right = layout.hand(1)
                            values.replaceSubrange((4 * V + 3 * right.lowerBound)..<(4 * V + 3 * right.upperBound),
                                                   with: [Float](repeating: 0, count: 3 * right.count))
                        }
                    }
                    let shape = T == 1 && i % 2 == 0 ? [layout.points, 3] : i % 2 == 0 ? [T, layout.points, 3] : [T, V]
                    samples.append(Tensor(shape: shape, scalars: values))
                    masks.append(i == 3 ? (0..<T).map { $0 != 0 } : nil)
                }
                let (values, mask) = try XCTUnwrap(try input.prepareInPlace(samples, masks: masks), "\(layout) T \(T)")
                for (i, sample) in samples.enumerated() {
                    let clip = try input.prepare(sample, mask: masks[i])
                    XCTAssertEqual(Array(values[(i * T * V)..<((i + 1) * T * V)]).map(\.bitPattern), clip.values.map(\.bitPattern),
                                   "\(layout) T \(T) sample \(i)")
                    XCTAssertEqual(Array(mask[(i * T)..<((i + 1) * T)]), clip.mask.map { $0 ? 1 : 0 }, "\(layout) T \(T) sample \(i) mask")
                }
                if T > 1 { XCTAssertTrue(mask.contains(0) && mask.contains(1), "both masked and detected frames") }
                // Other frame counts, gap filling: each sample on its own.
                XCTAssertNil(try input.prepareInPlace(samples + [Tensor(shape: [T + 1, V], scalars: [Float](repeating: 0.3, count: (T + 1) * V))]))
                var filling = input
                filling.fillGaps = 2
                XCTAssertNil(try filling.prepareInPlace(samples))
                // A non-finite value names the sample and its place.
                var bad = samples[1].scalars
                bad[bad.count - 2] = .infinity
                XCTAssertThrowsError(try input.prepareInPlace([samples[0], Tensor(shape: samples[1].shape, scalars: bad)])) {
                    XCTAssertTrue("\($0)".contains("sample 1") && "\($0)".contains("non-finite"), "\($0)")
                }
            }
        }
    }

    /// Scores: the k-scan selection (a few of many classes) and the full sort agree, ties go to
    /// the lower class index, and the unsorted form is the softmax in class order.
    func testScoreSelectionMatchesTheFullSortWithTies() throws {
        let fx = try letters()
        let predictor = try ASLPredictor(modelFile: fx.checkpoint)
        let n = predictor.labelNames.count
        XCTAssertGreaterThanOrEqual(n, 8)
        var logits = (0..<n).map { Float(($0 * 7) % 5) * 0.5 }   // many equal values
        logits[n - 1] = 3   // the unique best is the last class (the others are 0…2)
        let all = predictor.scores(logits[...], sorted: true)
        XCTAssertEqual(all.count, n)
        XCTAssertEqual(all[0].classIndex, n - 1)
        for (a, b) in zip(all, all.dropFirst()) {
            XCTAssertTrue(a.confidence > b.confidence || (a.confidence == b.confidence && a.classIndex < b.classIndex), "\(a) before \(b)")
        }
        for k in [1, 2, n / 4, n / 2, n] {
            XCTAssertEqual(predictor.scores(logits[...], sorted: true, k: k), Array(all.prefix(k)), "k \(k)")
        }
        let plain = predictor.scores(logits[...], sorted: false)
        XCTAssertEqual(plain.map(\.classIndex), Array(0..<n))
        let top = logits.max()!
        let sum = logits.map { exp(Double($0 - top)) }.reduce(0, +)
        for (i, score) in plain.enumerated() { XCTAssertEqual(Double(score.confidence), exp(Double(logits[i] - top)) / sum, accuracy: 1e-7) }
    }

    /// Sequence clips of other lengths are normalised and resampled exactly as `build
    /// --sequence-length T` does, and the TCN/LSTM see what `forward` would.
    func testSequenceInputsMatchTheDatasetBuilder() throws {
        let directory = try TestEnvironment.temporaryDirectory("inference-seq")
        defer { try? FileManager.default.removeItem(at: directory) }
        let synth = directory.appendingPathComponent("synth")
        _ = try HandSynthesizer.write(SynthesisOptions(classes: ["signs"], perClass: 4, sequenceLength: 20, seed: 8), to: synth)
        let manifestURL = synth.appendingPathComponent("synth_manifest.json")
        var options = BuildOptions(manifest: manifestURL)
        options.sequenceLength = 12
        options.datasetDirectory = directory
        options.splits = [1, 0, 0]
        let data = try Dataset(contentsOf: try DatasetBuilder.build(options).outputs[0])
        let manifest = try LandmarkManifest.read(contentsOf: manifestURL)
        let byID = Dictionary(uniqueKeysWithValues: manifest.records.enumerated().map { ($0.element.clipID, $0.offset) })
        let input = try ModelInput(sequenceLength: 12, normalisation: LandmarkNormalizer.name)
        var maskedSeen = false
        for i in 0..<data.count {
            let raw = try manifest.loadClip(at: byID[data.metadata.clipIDs[i]]!)
            let prepared = try input.prepare(Tensor(shape: [raw.frameCount, 21, 3], scalars: Self.toImageCoordinates(raw.values, seed: i)), mask: raw.mask)
            XCTAssertEqual(prepared.mask, Array(data.masks[(i * 12)..<((i + 1) * 12)]), "sample \(i) mask")
            let expected = data.sequences.scalars[(i * 12 * 63)..<((i + 1) * 12 * 63)]
            for (a, b) in zip(prepared.values, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            maskedSeen = maskedSeen || prepared.mask.contains(false)
        }
        // Shorter than T: copied, then masked zero padding.
        let short = try input.prepare(Tensor(shape: [5, 21, 3], scalars: data.sequences.scalars[0..<(5 * 63)].map { $0 + 0.5 }))
        XCTAssertEqual(short.mask, [true, true, true, true, true] + [Bool](repeating: false, count: 7))
        XCTAssertTrue(short.values[(5 * 63)...].allSatisfy { $0 == 0 })

        for architecture in [Architecture.tcn, .lstm] {
            let url = try Fixtures.sequenceCheckpoint(architecture, T: 12, labels: data.labelNames, in: directory)
            let predictor = try ASLPredictor(checkpoint: url)
            let (model, _) = try Checkpoint.load(url)
            let n = min(8, data.count)
            let (x, mask, _) = Trainer.batch(data, Array(0..<n))
            let logits = model.forward(x, mask: mask, training: false)
            let C = data.labelNames.count
            let batch = try predictor.predictBatch((0..<n).map { i in
                let raw = try! manifest.loadClip(at: byID[data.metadata.clipIDs[i]]!)
                return Tensor(shape: [raw.frameCount, 21, 3], scalars: raw.values)
            }, masks: (0..<n).map { i in try! manifest.loadClip(at: byID[data.metadata.clipIDs[i]]!).mask }, k: nil)
            for i in 0..<n {
                let reference = Fixtures.softmax(logits.scalars[(i * C)..<((i + 1) * C)])
                for score in batch[i] {
                    XCTAssertEqual(Double(score.confidence), reference[score.classIndex], accuracy: 1e-5, "\(architecture) sample \(i)")
                }
            }
        }
        XCTAssertTrue(maskedSeen, "some synthetic frames are dropped (masked), so the mask path is exercised")
    }

    func testBadInputsAndModelFilesAreNamed() throws {
        let fx = try letters()
        let predictor = try ASLPredictor(checkpoint: fx.checkpoint)
        XCTAssertThrowsError(try predictor.predictSingle(Tensor(shape: [4, 20, 3], scalars: [Float](repeating: 1, count: 240)))) {
            XCTAssertTrue("\($0)".contains("shape [4, 20, 3]"), "\($0)")
        }
        XCTAssertThrowsError(try predictor.predictSingle(Tensor(shape: [2, 21, 3], scalars: [Float](repeating: 1, count: 126)), mask: [true])) {
            XCTAssertTrue("\($0)".contains("mask has 1 entries for 2 frames"), "\($0)")
        }
        var nan = [Float](repeating: 0.3, count: 63); nan[7] = .nan
        XCTAssertThrowsError(try predictor.predictSingle(Tensor(shape: [21, 3], scalars: nan))) {
            XCTAssertTrue("\($0)".contains("non-finite value nan at frame 0, landmark 2, y"), "\($0)")
        }
        // predictEach: a bad item fails alone, naming it.
        let good = try fx.manifest.loadClip(at: 0)
        let results = predictor.predictEach([("bad.npy", Tensor(shape: [3], scalars: [1, 2, 3]), nil),
                                             ("good.npy", Tensor(shape: [1, 21, 3], scalars: good.values), nil)])
        guard case .failure(let e) = results[0], case .success(let top) = results[1] else { return XCTFail("\(results)") }
        XCTAssertTrue(e.description.hasPrefix("bad.npy: landmarks have shape [3]"), e.description)
        XCTAssertEqual(top.count, 3)

        let directory = try TestEnvironment.temporaryDirectory("inference-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let onnx = directory.appendingPathComponent("m.onnx"), txt = directory.appendingPathComponent("m.txt")
        try Data([1, 2, 3]).write(to: onnx); try Data([1]).write(to: txt)
        XCTAssertThrowsError(try ASLPredictor(modelFile: onnx)) {
            guard case .badModel(let file, _)? = $0 as? InferenceError else { return XCTFail("\($0)") }
            XCTAssertEqual(file, onnx.path, "a corrupt .onnx is named")
        }
        XCTAssertThrowsError(try ASLPredictor(modelFile: txt)) { XCTAssertEqual($0 as? InferenceError, .unsupportedModelFile(file: txt.path)) }
        XCTAssertThrowsError(try ASLPredictor(modelFile: directory.appendingPathComponent("none.safetensors"))) {
            XCTAssertTrue("\($0)".contains("no such file"), "\($0)")
        }
        // Label/class mismatch in the metadata: refused at load, naming the file.
        let (model, meta) = try Checkpoint.load(fx.checkpoint)
        var wrong = meta
        wrong.labelNames.removeLast()
        XCTAssertThrowsError(try ASLPredictor(backend: CheckpointBackend(model: model, metadata: wrong, source: fx.checkpoint))) {
            XCTAssertTrue("\($0)".contains("\(wrong.labelNames.count) label names for \(meta.labelNames.count) classes"), "\($0)")
        }
    }
}

/// A model trained on `build --fill-gaps` / `--mirror-left` data carries that choice in its
/// metadata (checkpoint, then ONNX and TFLite files), and prediction applies it.
final class PreprocessingTravelTests: XCTestCase {
    func testTrainingRecordsItAndPredictionFillsTheSameGaps() throws {
        let directory = try TestEnvironment.temporaryDirectory("preprocessing")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (N, T) = (12, 8)
        var rng = SeededRandom(seed: 4)
        let values = (0..<(N * T * 63)).map { _ in rng.uniform(-1, 1) }
        var data = Dataset(sequences: Tensor(shape: [N, T, 21, 3], scalars: values), masks: [Bool](repeating: true, count: N * T),
                           labels: (0..<N).map { $0 % 2 }, labelNames: ["a", "b"], metadata: .init())
        data.preprocessing = Dataset.Preprocessing(fillGaps: 2, mirrorLeft: true)
        var options = TrainingOptions()
        options.architecture = .tcn
        options.hiddenDim = 8
        options.epochs = 1
        options.checkpointDirectory = directory
        let run = try Trainer.train(data, validation: data, options: options)
        let (model, metadata) = try Checkpoint.load(run.checkpoint)
        XCTAssertEqual(metadata.preprocessing, data.preprocessing)
        var other = data
        other.preprocessing = Dataset.Preprocessing()
        XCTAssertThrowsError(try Trainer.train(data, validation: other, options: options)) {
            XCTAssertTrue("\($0)".contains("fill gaps ≤ 2, left hands mirrored"), "\($0)")
        }

        // The same weights without the record: fed the clip normalised and filled by hand.
        let plain = directory.appendingPathComponent("plain.safetensors")
        try Checkpoint.write(model, labelNames: metadata.labelNames, history: [], seed: 1, to: plain)
        let filling = try ASLPredictor(checkpoint: run.checkpoint), reference = try ASLPredictor(checkpoint: plain)
        let raw: [Float] = (0..<(T * 63)).map { (i: Int) -> Float in
            let landmark = Float(i % 63) * 0.01, frame = Float(i / 63) * 0.1
            return landmark + frame + 0.5
        }
        let gapped = LandmarkClip(values: raw, mask: [true, true, false, false, true, true, false, true])
        var byHand = gapped
        _ = LandmarkNormalizer.normalize(&byHand, useZ: true)
        byHand = byHand.fillingGaps(upTo: 2).clip
        XCTAssertEqual(byHand.mask, [Bool](repeating: true, count: T))
        let got = try filling.predictDistribution(clip: gapped), expected = try reference.predictDistribution(clip: byHand)
        for (a, b) in zip(got, expected) {
            XCTAssertEqual(a.label, b.label)
            XCTAssertEqual(a.confidence, b.confidence, accuracy: 1e-6)
        }
        let unfilled = try reference.predictDistribution(clip: gapped)
        XCTAssertNotEqual(unfilled.map { $0.confidence }, expected.map { $0.confidence }, "filling the gaps changes the input")
        XCTAssertTrue(filling.metadata.preprocessing.mirrorLeft)
    }
}
