import Foundation

/// The two networks the tracker runs. The TFLite runtime provides the real implementation
/// (MediaPipe's palm_detection_* and hand_landmark_* models); tests may feed recorded outputs.
public protocol HandModelRunner: AnyObject {
    /// Palm detector on a `[192, 192, 3]` input in [0,1] → regressors `[2016·18]`, logits `[2016]`.
    func detectPalms(_ input: UnsafeBufferPointer<Float>) throws -> (regressors: [Float], logits: [Float])
    /// Landmark model on a `[224, 224, 3]` input in [0,1].
    func landmarks(_ input: UnsafeBufferPointer<Float>) throws -> LandmarkModelOutput
}

/// Options of MediaPipe's legacy `Hands` solution, with its defaults (spec §2.0).
public struct HandTrackerOptions: Equatable, Codable, Sendable {
    public enum Complexity: String, Codable, Sendable { case lite, full }
    public var maxHands = 2
    public var complexity = Complexity.full
    public var minDetectionConfidence = 0.5
    /// Presence gate (strict >), applied in static mode too.
    public var minTrackingConfidence = 0.5
    /// Static images: palm detection on every frame, no tracking between frames.
    public var staticImageMode = false
    /// Look again, beyond MediaPipe, when a frame ends with no hand (`HandRecoveryOptions`);
    /// nil — the default — keeps the output exactly MediaPipe's.
    public var recovery: HandRecoveryOptions?

    public init(maxHands: Int = 2, complexity: Complexity = .full, minDetectionConfidence: Double = 0.5,
                minTrackingConfidence: Double = 0.5, staticImageMode: Bool = false) {
        self.maxHands = maxHands
        self.complexity = complexity
        self.minDetectionConfidence = minDetectionConfidence
        self.minTrackingConfidence = minTrackingConfidence
        self.staticImageMode = staticImageMode
    }
}

/// One tracked hand in one frame.
public struct TrackedHand: Equatable, Codable, Sendable {
    public enum ROISource: String, Codable, Sendable { case palmDetection = "palm_detection", tracking }
    /// 21 landmarks, normalised image coordinates (MediaPipe's `multi_hand_landmarks`).
    public var landmarks: [Landmark]
    /// 21 world landmarks in metres (`multi_hand_world_landmarks`).
    public var worldLandmarks: [Landmark]
    public var handedness: Handedness
    public var presence: Double
    /// The ROI the landmarks were read from.
    public var roi: NormalizedRect
    public var roiSource: ROISource
    /// The ROI derived from these landmarks (tracked into the next frame).
    public var roiFromLandmarks: NormalizedRect
    /// The recovery attempt that found this hand; nil for MediaPipe's own.
    public var recovery: HandRecoveryOptions.Attempt? = nil
}

/// Everything one frame produced, including the intermediate results the debugging views show.
public struct HandFrameResult: Sendable {
    public var hands: [TrackedHand]
    public var palmDetectionRan: Bool
    /// Palm detections after NMS and letterbox removal (before clipping to maxHands).
    public var palmDetections: [PalmDetection]
    /// ROIs rejected by the presence gate.
    public var rejectedROIs: [NormalizedRect]
    /// What recovery did; nil when it did not run (off, or MediaPipe's own pass found a hand).
    public var recovery: RecoveryOutcome? = nil
}

/// MediaPipe's HandLandmarkTrackingCpu graph (spec §2.11): palm detection when fewer than
/// `maxHands` hands are tracked, association of palm and tracked ROIs, landmarks per ROI with
/// the presence gate, and landmark-derived ROIs carried to the next frame.
public final class HandTracker {
    public let options: HandTrackerOptions
    let models: HandModelRunner
    /// ROIs from the previous frame's landmarks (empty in static mode).
    private(set) var trackedROIs: [NormalizedRect] = []
    private var palmInput = [Float](repeating: 0, count: 192 * 192 * 3)
    private var landmarkInput = [Float](repeating: 0, count: 224 * 224 * 3)

    public init(options: HandTrackerOptions = HandTrackerOptions(), models: HandModelRunner) {
        self.options = options
        self.models = models
    }

    /// Forgets tracked hands (start of a new clip).
    public func reset() { trackedROIs = [] }

    /// Processes one RGB8 frame (`[height, width, 3]`, row-major).
    public func process(pixels: [UInt8], width: Int, height: Int) throws -> HandFrameResult {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw HandsError.badImage(width: width, height: height, bytes: pixels.count)
        }
        return try pixels.withUnsafeBufferPointer { image in
            try process(image: image, width: width, height: height)
        }
    }

    func process(image: UnsafeBufferPointer<UInt8>, width: Int, height: Int) throws -> HandFrameResult {
        let previous = options.staticImageMode ? [] : trackedROIs
        var result = HandFrameResult(hands: [], palmDetectionRan: false, palmDetections: [], rejectedROIs: [])
        var palmRects: [NormalizedRect] = []
        // Palm detection runs only while fewer than maxHands hands are tracked.
        if previous.count < options.maxHands {
            result.palmDetectionRan = true
            result.palmDetections = try detectPalms(image: image, width: width, height: height,
                                                    minScore: options.minDetectionConfidence)
            palmRects = result.palmDetections.prefix(options.maxHands).map {
                PalmDecoder.handROI(from: $0, imageWidth: width, imageHeight: height)
            }
        }
        // Association runs on every frame, also when detection was skipped: it deduplicates the
        // tracked rects themselves (two ROIs that converged on one hand become one).
        let rects = LandmarkProjection.associate([palmRects, previous]).map { rect in
            (rect, previous.contains(rect) ? TrackedHand.ROISource.tracking : .palmDetection)
        }
        var next: [NormalizedRect] = []
        for (roi, source) in rects {
            guard let hand = try landmarks(image: image, width: width, height: height, roi: roi, source: source,
                                           gate: options.minTrackingConfidence) else {
                result.rejectedROIs.append(roi)
                continue
            }
            result.hands.append(hand)
            next.append(hand.roiFromLandmarks)
        }
        // In video only a hand lost since the previous frame is looked for again: in a run of
        // empty frames the hands are nearly always out of view (lowered between signs), and
        // searching each of them would cost every attempt per frame for next to nothing.
        if let recovery = options.recovery, result.hands.isEmpty, options.staticImageMode || !previous.isEmpty {
            let (hand, outcome) = try recover(image: image, width: width, height: height, options: recovery)
            result.recovery = outcome
            if let hand {
                result.hands.append(hand)
                next.append(hand.roiFromLandmarks)
            }
        }
        trackedROIs = options.staticImageMode ? [] : next
        return result
    }

    /// Steps 2.8–2.10 for one ROI: crop (edge replication), landmark model, presence gate,
    /// projection, world landmarks, handedness and the next-frame ROI. Nil when the gate rejects.
    func landmarks(image: UnsafeBufferPointer<UInt8>, width: Int, height: Int, roi: NormalizedRect,
                   source: TrackedHand.ROISource, gate: Double) throws -> TrackedHand? {
        let pixelROI = roi.pixels(imageWidth: width, imageHeight: height)
        let (padded, padding) = LetterboxPadding.fit(pixelROI, tensorWidth: 224, tensorHeight: 224)
        landmarkInput.withUnsafeMutableBufferPointer { out in
            ImageToTensor.crop(pixels: image, width: width, height: height, roi: padded, size: 224,
                               border: .replicate, into: out)
        }
        let raw = try landmarkInput.withUnsafeBufferPointer { try models.landmarks($0) }
        guard Double(raw.presence) > gate else { return nil }
        let landmarks = LandmarkProjection.imageLandmarks(raw.landmarks, roi: roi, padding: padding)
        return TrackedHand(
            landmarks: landmarks,
            worldLandmarks: LandmarkProjection.worldLandmarks(raw.world, roi: roi),
            handedness: LandmarkProjection.handedness(raw.handedness),
            presence: Double(raw.presence), roi: roi, roiSource: source,
            roiFromLandmarks: LandmarkProjection.nextROI(landmarks, imageWidth: width, imageHeight: height))
    }

    /// Landmarks for a given ROI on an RGB8 frame, outside the tracking loop (debugging views,
    /// and checking the landmark stage against MediaPipe's own ROIs).
    public func landmarks(pixels: [UInt8], width: Int, height: Int, roi: NormalizedRect) throws -> TrackedHand? {
        try pixels.withUnsafeBufferPointer { try landmarks(image: $0, width: width, height: height, roi: roi, source: .tracking,
                                                                 gate: options.minTrackingConfidence) }
    }

    /// Steps 2.1–2.5: letterbox to 192, run the detector, decode, NMS, remove the letterbox.
    func detectPalms(image: UnsafeBufferPointer<UInt8>, width: Int, height: Int, minScore: Double) throws -> [PalmDetection] {
        let whole = PixelRect(xCenter: Double(width) / 2, yCenter: Double(height) / 2,
                              width: Double(width), height: Double(height), rotation: 0)
        let (square, padding) = LetterboxPadding.fit(whole, tensorWidth: 192, tensorHeight: 192)
        palmInput.withUnsafeMutableBufferPointer { out in
            ImageToTensor.crop(pixels: image, width: width, height: height, roi: square, size: 192,
                               border: .zero, into: out)
        }
        let raw = try palmInput.withUnsafeBufferPointer { try models.detectPalms($0) }
        guard raw.regressors.count == 2016 * 18, raw.logits.count == 2016 else {
            throw HandsError.modelOutput("palm detector returned \(raw.regressors.count) regressors and \(raw.logits.count) scores; expected 36288 and 2016")
        }
        let decoded = raw.regressors.withUnsafeBufferPointer { r in
            raw.logits.withUnsafeBufferPointer { l in
                PalmDecoder.decode(regressors: r, logits: l, minScore: minScore)
            }
        }
        return PalmDecoder.weightedNonMaxSuppression(decoded).map { PalmDecoder.removeLetterbox($0, padding) }
    }
}

/// Errors of the hand-tracking stage.
public enum HandsError: Error, CustomStringConvertible, Equatable {
    case badImage(width: Int, height: Int, bytes: Int)
    case modelOutput(String)
    /// No folder holds the models; the text lists every place looked in and how to fix it.
    case modelsNotFound(String)
    /// A tracker setting out of range (e.g. a recovery threshold), named.
    case badOption(String)

    public var description: String {
        switch self {
        case .badImage(let w, let h, let n): "image \(w)×\(h) needs \(w * h * 3) RGB bytes, got \(n)"
        case .modelOutput(let what): "hand model output: \(what)"
        case .modelsNotFound(let report): report
        case .badOption(let what): what
        }
    }
}
