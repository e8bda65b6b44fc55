import Datasets
import TensorCore

/// Raw landmarks → the model's input, exactly as `build` makes training samples: the clip is
/// normalised per frame (`LandmarkNormalizer`, skipped when the model says `"none"`; undetected
/// and degenerate frames zeroed and masked), then brought to the model's T — the detected frame
/// nearest the middle for T = 1 (`build --static`), otherwise `LandmarkClip.resampled(to:)`
/// (uniform sampling of longer clips, masked zero padding of shorter ones).
public struct ModelInput {
    /// Frames the model takes.
    public let sequenceLength: Int
    /// The model's `normalisation` (`wrist_mcp9` or `none`).
    public let normalisation: String
    /// What a frame holds for the model (one hand unless it was trained on more).
    public let layout: FrameLayout
    /// Normalise with z (landmarks from the tracker have depth); false for 2-D sources.
    public var useZ = true
    /// Interpolate detection gaps of at most this many frames, as `build --fill-gaps` did to the
    /// training clips (`ModelMetadata.preprocessing`; 0 = none).
    public var fillGaps = 0
    /// Mirror a two-hand clip whose left hand is seen more, as `build --dominant-right` did
    /// (`LandmarkClip.dominantHandOnTheRight`).
    public var dominantRight = false

    public init(sequenceLength: Int, normalisation: String, layout: FrameLayout = .hand) throws {
        guard normalisation == LandmarkNormalizer.name || normalisation == "none" else {
            throw InferenceError.badModel(file: "model", reason: "unknown normalisation '\(normalisation)' (expected '\(LandmarkNormalizer.name)' or 'none')")
        }
        self.sequenceLength = sequenceLength
        self.normalisation = normalisation
        self.layout = layout
    }

    /// landmarks `[T, K, 3]`, `[T, 3K]` or `[K, 3]` (one frame; K = 21 for a one-hand model) and an
    /// optional mask of T entries (default: every frame with a non-zero value counts as
    /// detected) → the clip the model sees, `[sequenceLength, K, 3]` + mask.
    public func prepare(_ landmarks: Tensor, mask: [Bool]? = nil, item: String = "input") throws -> LandmarkClip {
        let shape = landmarks.shape, K = layout.points, V = layout.values
        let frames: Int
        switch shape.count {
        case 2 where shape == [K, 3]: frames = 1
        case 2 where shape[1] == V: frames = shape[0]
        case 3 where shape[1] == K && shape[2] == 3: frames = shape[0]
        default:
            let points = shape.count == 3 ? shape[1] : shape.count == 2 && shape[1] != 3 ? shape[1] / 3 : shape.first ?? 0
            let other = FrameLayout(points: points).flatMap { $0 == layout ? nil : $0 }
            let layoutNote = other.map { "; its frames hold \($0.explained), the model takes \(layout.explained)" } ?? ""
            throw InferenceError.badInput(item: item, reason: "landmarks have shape \(shape); expected [T, \(K), 3], [T, \(V)] or [\(K), 3]" + layoutNote)
        }
        guard frames > 0 else { throw InferenceError.badInput(item: item, reason: "no frames") }
        if let mask, mask.count != frames {
            throw InferenceError.badInput(item: item, reason: "mask has \(mask.count) entries for \(frames) frames")
        }
        // The place, in the words `build` uses, so the frame can be found and fixed.
        if let problem = LandmarkClip.nonFiniteProblem(landmarks.scalars, layout: layout) { throw InferenceError.badInput(item: item, reason: problem) }
        let values = landmarks.scalars
        let hands = (0..<layout.hands).map(layout.hand)   // the pose alone is no hand
        let detected = mask ?? (0..<frames).map { t in hands.contains { layout.isSeen($0, frame: t, in: values) } }
        return prepare(LandmarkClip(values: values, mask: detected, layout: layout))
    }

    /// A clip (raw or already normalised — normalising twice changes nothing) → the model's clip.
    /// The clip's layout must be the model's (`prepare(_:mask:item:)` checks arrays).
    public func prepare(_ raw: LandmarkClip) -> LandmarkClip {
        precondition(raw.layout == layout, "a clip of \(raw.layout.explained) for a model of \(layout.explained)")
        var clip = raw
        if normalisation == LandmarkNormalizer.name { _ = LandmarkNormalizer.normalize(&clip, useZ: useZ) }
        // The order `build` takes: normalise, dominant hand, fill, resample.
        if dominantRight { clip = clip.dominantHandOnTheRight().clip }
        if fillGaps > 0 { clip = clip.fillingGaps(upTo: fillGaps).clip }
        return sequenceLength == 1 ? clip.staticFrame() : clip.resampled(to: sequenceLength)
    }
}
