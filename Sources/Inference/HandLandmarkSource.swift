import Datasets
import Foundation
import Hands
import LandmarkExtraction
import Media
import TensorCore

/// Live landmarks for the predictor, taken exactly as `prepare-alphabet` (images, static mode)
/// and `extract` (video, tracking mode) store them: the chosen hand's 21 image landmarks
/// (x, y normalised to the image, z relative depth), the subject's left hand optionally mirrored;
/// or with `hand: .both` both hands' 42, the signer's left then right (for two-hand models).
public final class HandLandmarkSource {
    public let tracker: HandTracker
    public var hand: HandSelection
    /// Mirror the subject's left hand (x → 2·wrist − x) — use when the model was trained on
    /// landmarks extracted with `--mirror-left`.
    public var mirrorLeft: Bool

    public init(tracker: HandTracker, hand: HandSelection = .largest, mirrorLeft: Bool = false) {
        self.tracker = tracker
        self.hand = hand
        self.mirrorLeft = mirrorLeft
    }

    /// A MediaPipe tracker from `modelDirectory` (nil: where `MediaPipeModelSearch` finds the
    /// models); `staticImages` for photos (palm detection on every image), false for video
    /// (tracking between frames).
    public convenience init(options: HandTrackerOptions = HandTrackerOptions(), staticImages: Bool,
                            modelDirectory: URL? = nil,
                            hand: HandSelection = .largest, mirrorLeft: Bool = false) throws {
        var options = options
        options.staticImageMode = staticImages
        try self.init(tracker: HandTracker(options: options, modelDirectory: modelDirectory), hand: hand, mirrorLeft: mirrorLeft)
    }

    /// The chosen hand's 63 raw values ([21, 3]) — both hands' 126 with `.both` — and the
    /// (largest) hand, or nil when none was found: the same rules as `prepare-alphabet` and
    /// `extract` (one implementation, `HandSelection.frame` in LandmarkExtraction).
    public func landmarks(_ image: RGBImage) throws -> (values: [Float], hand: TrackedHand)? {
        hand.frame(try tracker.process(image).hands, mirrorLeft: mirrorLeft)
    }

    /// What `landmarks` gives a frame.
    public var layout: FrameLayout { hand.layout }

    /// Forget the tracked hands (a new video or unrelated images).
    public func reset() { tracker.reset() }
}

/// Decoding an image file for prediction.
public enum ImageFiles {
    public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    public static func isImage(_ url: URL) -> Bool { extensions.contains(url.pathExtension.lowercased()) }

    public static func read(_ url: URL) throws -> RGBImage {
        url.pathExtension.lowercased() == "png" ? try PNG.read(url) : try JPEG.read(url)
    }
}

extension ASLPredictor {
    /// One photo end to end: hand landmarks (static mode) → top k. Throws `.noHand` naming `item`.
    public func predictImage(_ image: RGBImage, hands: HandLandmarkSource, k: Int = 3, item: String = "image") throws -> [ClassScore] {
        try predictImageAndHand(image, hands: hands, k: k, item: item).scores
    }

    /// `predictImage`, and the hand the scores were read from (where it came from: MediaPipe, or
    /// which recovery attempt).
    public func predictImageAndHand(_ image: RGBImage, hands: HandLandmarkSource, k: Int = 3,
                                    item: String = "image") throws -> (scores: [ClassScore], hand: TrackedHand) {
        guard let found = try hands.landmarks(image) else { throw InferenceError.noHand(item: item) }
        return (Array(try predictDistribution(clip: LandmarkClip(values: found.values, mask: [true], layout: hands.layout)).prefix(max(1, k))),
                found.hand)
    }
}
