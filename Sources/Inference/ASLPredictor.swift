import Datasets
import Foundation
import NeuralNets
import TensorCore
import Training

/// One class and its softmax probability.
public struct ClassScore: Equatable, Sendable, CustomStringConvertible {
    public var label: String
    public var classIndex: Int
    public var confidence: Float
    public init(label: String, classIndex: Int, confidence: Float) {
        self.label = label; self.classIndex = classIndex; self.confidence = confidence
    }
    public var description: String { String(format: "%@ %.3f", label, confidence) }
}

/// What `modelInfo` reports about the loaded model.
public struct ModelInfo: Equatable, Sendable {
    public var architecture: Architecture
    public var classCount: Int
    public var labelNames: [String]
    public var sequenceLength: Int
    /// One sample: `[T, K, 3]`, K = 21 for one hand (a batch is `[B, T, K, 3]`).
    public var inputShape: [Int]
    public var normalisation: String
    /// `checkpoint`, `tflite` or `onnx`.
    public var format: String
    public var sourceFile: URL
}

/// The original pipeline's `ASLPredictor`: load a checkpoint or an exported model, give it raw
/// landmarks (`[T, 21, 3]`, `[T, 63]` or `[21, 3]`, optional mask; `[T, 42, 3]` both hands for a
/// two-hand model, `FrameLayout`), get label probabilities.
/// Inputs are normalised and brought to the model's length exactly as `build` does for
/// training (`ModelInput`).
///
///     let predictor = try ASLPredictor(modelFile: URL(fileURLWithPath: "models/checkpoints/mlp_best.safetensors"))
///     let top3 = try predictor.predictTopK(landmarks, k: 3)       // [ClassScore], best first
///
/// Not thread-safe (models and interpreters keep per-call buffers): one predictor per thread.
public final class ASLPredictor {
    public let backend: ClassifierBackend
    public let metadata: ModelMetadata
    public var input: ModelInput
    /// Class index → label.
    public let labelMap: [Int: String]
    public var labelNames: [String] { metadata.labelNames }
    /// Reused single-sample buffers (x `[1, T, K, 3]`, mask `[1, T]`): no per-call allocation
    /// beyond what the backend itself does.
    private var xBuffer: [Float], maskBuffer: [Float]

    public init(backend: ClassifierBackend) throws {
        let meta = backend.metadata
        let file = backend.source.path
        guard meta.labelNames.count == meta.config.classCount, !meta.labelNames.isEmpty else {
            throw InferenceError.badModel(file: file, reason: "\(meta.labelNames.count) label names for \(meta.config.classCount) classes")
        }
        guard let layout = FrameLayout(values: meta.config.featureCount) else {
            throw InferenceError.badModel(file: file, reason: "\(meta.config.featureCount) features per frame; the predictor feeds K×3 landmarks, K one of \(FrameLayout.known)")
        }
        do { input = try ModelInput(sequenceLength: meta.config.sequenceLength, normalisation: meta.normalisation, layout: layout) } catch {
            throw InferenceError.badModel(file: file, reason: "unknown normalisation '\(meta.normalisation)'")
        }
        input.fillGaps = meta.preprocessing.fillGaps
        input.dominantRight = meta.preprocessing.dominantRight
        self.backend = backend
        metadata = meta
        labelMap = Dictionary(uniqueKeysWithValues: meta.labelNames.enumerated().map { ($0.offset, $0.element) })
        xBuffer = [Float](repeating: 0, count: meta.config.sequenceLength * layout.values)
        maskBuffer = [Float](repeating: 0, count: meta.config.sequenceLength)
    }

    /// A training checkpoint (`.safetensors`).
    public convenience init(checkpoint: URL) throws {
        try self.init(backend: CheckpointBackend(url: checkpoint))
    }

    /// A checkpoint or an exported model, by extension: `.safetensors`, `.tflite`, `.onnx`.
    public convenience init(modelFile: URL) throws {
        try self.init(backend: ModelFiles.backend(for: modelFile))
    }

    public var modelInfo: ModelInfo {
        let c = metadata.config
        return ModelInfo(architecture: c.architecture, classCount: metadata.labelNames.count, labelNames: metadata.labelNames,
                         sequenceLength: c.sequenceLength, inputShape: [c.sequenceLength, input.layout.points, 3],
                         normalisation: metadata.normalisation, format: backend.format, sourceFile: backend.source)
    }

    // MARK: single samples

    /// Every class's probability for one sample, best first when `sortedByConfidence`, else in class order.
    public func predictDistribution(_ landmarks: Tensor, mask: [Bool]? = nil, sortedByConfidence: Bool = true) throws -> [ClassScore] {
        try distribution(of: input.prepare(landmarks, mask: mask), sortedByConfidence: sortedByConfidence)
    }

    /// The k most probable classes, best first.
    public func predictTopK(_ landmarks: Tensor, mask: [Bool]? = nil, k: Int = 3) throws -> [ClassScore] {
        Array(try predictDistribution(landmarks, mask: mask).prefix(max(1, k)))
    }

    /// The most probable class.
    public func predictSingle(_ landmarks: Tensor, mask: [Bool]? = nil) throws -> ClassScore {
        try predictTopK(landmarks, mask: mask, k: 1)[0]
    }

    /// One clip (raw or normalised landmarks with its detection mask).
    public func predictDistribution(clip: LandmarkClip, sortedByConfidence: Bool = true) throws -> [ClassScore] {
        guard clip.layout == input.layout else {
            throw InferenceError.badInput(item: "clip", reason: "its frames hold \(clip.layout.explained), the model takes \(input.layout.explained)")
        }
        return try distribution(of: input.prepare(clip), sortedByConfidence: sortedByConfidence)
    }

    /// A clip already in the model's form (`ModelInput.prepare`) → probabilities.
    func distribution(of prepared: LandmarkClip, sortedByConfidence: Bool) throws -> [ClassScore] {
        let T = metadata.config.sequenceLength
        precondition(prepared.frameCount == T, "prepared clip has \(prepared.frameCount) frames, the model \(T)")
        // Move the buffers into the tensors and back, so they stay uniquely referenced (no copy).
        xBuffer.withUnsafeMutableBufferPointer { dst in prepared.values.withUnsafeBufferPointer { dst.baseAddress!.update(from: $0.baseAddress!, count: $0.count) } }
        for t in 0..<T { maskBuffer[t] = prepared.mask[t] ? 1 : 0 }
        var x = Tensor(shape: [1, T, input.layout.points, 3], scalars: xBuffer)
        var m = Tensor(shape: [1, T], scalars: maskBuffer)
        xBuffer = []
        maskBuffer = []
        defer { swap(&x.scalars, &xBuffer); swap(&m.scalars, &maskBuffer) }
        let logits = try backend.logits(x: x, mask: m)
        return scores(logits.scalars[...], sorted: sortedByConfidence)
    }

    // MARK: batches

    /// Many samples in one forward pass; per sample the top `k` (all classes when k is nil), best first.
    /// A sample of the wrong shape fails the batch with an error naming its index; use
    /// `predictEach` to keep going past bad items.
    public func predictBatch(_ samples: [Tensor], masks: [[Bool]?]? = nil, k: Int? = 1) throws -> [[ClassScore]] {
        if !samples.isEmpty, let (values, mask) = try input.prepareInPlace(samples, masks: masks) {
            return try scoreBatch(values: values, mask: mask, count: samples.count, k: k)
        }
        let clips = try samples.enumerated().map { i, sample in
            try input.prepare(sample, mask: masks?[i], item: "sample \(i)")
        }
        return try predictPrepared(clips, k: k)
    }

    /// Clips already in the model's form → top k per clip (all classes when k is nil).
    public func predictPrepared(_ clips: [LandmarkClip], k: Int? = 1) throws -> [[ClassScore]] {
        guard !clips.isEmpty else { return [] }
        let T = metadata.config.sequenceLength
        var values = [Float](), mask = [Float]()
        values.reserveCapacity(clips.count * T * input.layout.values)
        mask.reserveCapacity(clips.count * T)
        for clip in clips {
            values.append(contentsOf: clip.values)
            for detected in clip.mask { mask.append(detected ? 1 : 0) }
        }
        return try scoreBatch(values: values, mask: mask, count: clips.count, k: k)
    }

    /// A prepared batch (`[B, T, K, 3]` values, `[B, T]` mask) → top k per sample.
    private func scoreBatch(values: [Float], mask: [Float], count: Int, k: Int?) throws -> [[ClassScore]] {
        let T = metadata.config.sequenceLength, C = metadata.labelNames.count
        let logits = try backend.logits(x: Tensor(shape: [count, T, input.layout.points, 3], scalars: values),
                                        mask: Tensor(shape: [count, T], scalars: mask))
        return (0..<count).map { b in
            scores(logits.scalars[(b * C)..<((b + 1) * C)], sorted: true, k: k)
        }
    }

    /// Each sample on its own (bad items become failures; the rest go on).
    public func predictEach(_ samples: [(item: String, landmarks: Tensor, mask: [Bool]?)], k: Int = 3) -> [Result<[ClassScore], InferenceError>] {
        samples.map { s in
            Result {
                do { return try predictTopK(s.landmarks, mask: s.mask, k: k) } catch let e as InferenceError { throw e.naming(s.item) }
            }.mapError { ($0 as? InferenceError) ?? .badInput(item: s.item, reason: "\($0)") }
        }
    }

    /// Softmax of one row of logits (max-subtracted, exponentials and sum in Double) as scores:
    /// in class order, or best first (ties by class index) keeping the best `k` when given. Only the
    /// returned classes become `ClassScore`s — sorting the indices instead of the scores, each
    /// holding a label string, was the largest cost of a batch-256 MLP prediction after the GEMMs.
    func scores(_ logits: ArraySlice<Float>, sorted: Bool, k: Int? = nil) -> [ClassScore] {
        guard let top = logits.max() else { return [] }
        let base = logits.startIndex, n = logits.count
        let wanted = min(n, max(1, k ?? n))
        // Scratch on the stack: a batch of 256 asks this 256 times, and four heap arrays per call
        // cost as much as the exponentials.
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { e in
            var sum = 0.0
            for i in 0..<n { e[i] = Foundation.exp(Double(logits[base + i] - top)); sum += e[i] }
            return withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { confidence in
                for i in 0..<n { confidence[i] = Float(e[i] / sum) }
                func score(_ i: Int) -> ClassScore {
                    ClassScore(label: metadata.labelNames[i], classIndex: i, confidence: confidence[i])
                }
                if !sorted { return (0..<n).map(score) }
                if wanted == 1 {   // top-1 (a batch's usual question): one scan, the first of equal maxima
                    var best = 0
                    for i in 1..<n where confidence[i] > confidence[best] { best = i }
                    return [score(best)]
                }
                var order = Array(0..<n)
                if wanted * 4 <= n {
                    // A few of many: k scans, each keeping the first of equal maxima.
                    var taken = [Bool](repeating: false, count: n)
                    order = (0..<wanted).map { _ in
                        var best = -1
                        for i in 0..<n where !taken[i] && (best < 0 || confidence[i] > confidence[best]) { best = i }
                        taken[best] = true
                        return best
                    }
                } else {
                    order.sort { confidence[$0] != confidence[$1] ? confidence[$0] > confidence[$1] : $0 < $1 }
                    order.removeSubrange(wanted...)
                }
                return order.map(score)
            }
        }
    }
}
