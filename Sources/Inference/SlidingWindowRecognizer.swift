import Datasets
import Foundation
import TensorCore

/// One window's answer in continuous recognition.
public struct WindowPrediction: Sendable {
    public var index: Int
    /// Times of the window's first and last frame (seconds, the stream's timestamps).
    public var start: Double, end: Double
    public var frames: Int
    public var handFrames: Int
    /// Mean hand motion (hand lengths per frame, `SlidingWindowRecognizer.motion`).
    public var motion: Double
    /// Which model answered: `letter` / `sign` (hierarchical), else `model`; nil when none ran.
    public var model: String?
    /// Best first; empty when no frame had a hand.
    public var scores: [ClassScore]
    public var error: String?
}

/// Streaming recognition over a sequence of frames: every `stride` frames, the last `window`
/// frames' landmarks go to a model. With a sign model beside the letter model (the original's
/// hierarchical recognition), windows whose hand motion is below `motionThreshold` go to the
/// letter model, moving ones to the sign model.
public final class SlidingWindowRecognizer {
    public struct Options: Sendable {
        public var window: Int
        public var stride: Int
        /// Hand lengths per frame (see `motion`). Signing on the MS-ASL clip 7G6B6kaMjb4 measures
        /// 0.14–0.47; a held letter is tracker jitter only, well below 0.08 (about a hand length
        /// every 12 frames, 0.4 s at 30 fps).
        public var motionThreshold: Double = 0.08
        public var topK: Int = 3
        public init(window: Int, stride: Int, motionThreshold: Double = 0.08, topK: Int = 3) {
            self.window = max(1, window); self.stride = max(1, stride)
            self.motionThreshold = motionThreshold; self.topK = topK
        }
    }

    public let letterModel: ASLPredictor
    public let signModel: ASLPredictor?
    public let options: Options
    private var values: [[Float]?] = []
    private var times: [Double] = []
    private var sinceLast = 0
    private var emitted = 0

    public init(letterModel: ASLPredictor, signModel: ASLPredictor? = nil, options: Options) {
        self.letterModel = letterModel
        self.signModel = signModel
        self.options = options
    }

    /// Adds one frame (its raw landmarks in the models' layout — 63 for one hand — or nil without
    /// a hand); returns a prediction when a window completes.
    public func push(_ landmarks: [Float]?, time: Double) throws -> WindowPrediction? {
        let layout = letterModel.input.layout
        if let landmarks, landmarks.count != layout.values {
            throw InferenceError.badInput(item: String(format: "frame at %.3f s", time),
                                          reason: "\(landmarks.count) values; the model takes \(layout.explained) a frame (\(layout.values) values)")
        }
        values.append(landmarks)
        times.append(time)
        if values.count > options.window { values.removeFirst(); times.removeFirst() }
        sinceLast += 1
        guard values.count == options.window, emitted == 0 || sinceLast >= options.stride else { return nil }
        return try predictWindow()
    }

    /// At the end of the stream: a window for a stream shorter than one window (nil otherwise).
    public func finish() throws -> WindowPrediction? {
        emitted == 0 && !values.isEmpty ? try predictWindow() : nil
    }

    private func predictWindow() throws -> WindowPrediction {
        sinceLast = 0
        defer { emitted += 1 }
        let mask = values.map { $0 != nil }
        let layout = letterModel.input.layout
        let flat = values.flatMap { $0 ?? [Float](repeating: 0, count: layout.values) }
        let motion = Self.motion(values, layout: layout)
        var result = WindowPrediction(index: emitted, start: times.first!, end: times.last!, frames: values.count,
                                      handFrames: mask.filter { $0 }.count, motion: motion, model: nil, scores: [], error: nil)
        guard result.handFrames > 0 else { result.error = "no hand in window"; return result }
        let (predictor, role): (ASLPredictor, String)
        if let signModel { (predictor, role) = motion >= options.motionThreshold ? (signModel, "sign") : (letterModel, "letter") }
        else { (predictor, role) = (letterModel, "model") }
        result.model = role
        result.scores = Array(try predictor.predictDistribution(clip: LandmarkClip(values: flat, mask: mask, layout: layout)).prefix(max(1, options.topK)))
        return result
    }

    /// Mean over consecutive frames that both have a hand of the mean 2-D landmark displacement
    /// (image units) divided by the hand's wrist→middle-MCP length: "hand lengths per frame",
    /// independent of the hand's distance to the camera. 0 with fewer than two such frames.
    /// With two hands each hand present (not all zeros) in both frames counts as one pair.
    public static func motion(_ frames: [[Float]?], layout: FrameLayout = .hand) -> Double {
        var total = 0.0, pairs = 0
        for t in 1..<max(1, frames.count) {
            guard let a = frames[t - 1], let b = frames[t] else { continue }
            for (h, o) in layout.handOffsets.enumerated() {
                let hand = layout.hand(h)
                guard layout.hands == 1 || (layout.isSeen(hand, frame: 0, in: a) && layout.isSeen(hand, frame: 0, in: b)) else { continue }
                let sx = Double(b[o + 27] - b[o]), sy = Double(b[o + 28] - b[o + 1])
                let scale = (sx * sx + sy * sy).squareRoot()
                guard scale > 1e-6 else { continue }
                var sum = 0.0
                for j in 0..<21 {
                    let dx = Double(b[o + 3 * j] - a[o + 3 * j]), dy = Double(b[o + 3 * j + 1] - a[o + 3 * j + 1])
                    sum += (dx * dx + dy * dy).squareRoot()
                }
                total += sum / 21 / scale
                pairs += 1
            }
        }
        return pairs > 0 ? total / Double(pairs) : 0
    }
}
