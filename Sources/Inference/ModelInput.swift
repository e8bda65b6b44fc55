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
    /// Normalise with z (landmarks from the tracker have depth); false for 2-D sources.
    public var useZ = true
    /// Interpolate detection gaps of at most this many frames, as `build --fill-gaps` did to the
    /// training clips (`ModelMetadata.preprocessing`; 0 = none).
    public var fillGaps = 0

    public init(sequenceLength: Int, normalisation: String) throws {
        guard normalisation == LandmarkNormalizer.name || normalisation == "none" else {
            throw InferenceError.badModel(file: "model", reason: "unknown normalisation '\(normalisation)' (expected '\(LandmarkNormalizer.name)' or 'none')")
        }
        self.sequenceLength = sequenceLength
        self.normalisation = normalisation
    }

    /// landmarks `[T, 21, 3]`, `[T, 63]` or `[21, 3]` (one frame) and an optional mask of T
    /// entries (default: every frame with a non-zero value counts as detected) → the clip the
    /// model sees, `[sequenceLength, 21, 3]` + mask.
    public func prepare(_ landmarks: Tensor, mask: [Bool]? = nil, item: String = "input") throws -> LandmarkClip {
        let shape = landmarks.shape
        let frames: Int
        switch shape.count {
        case 2 where shape == [21, 3]: frames = 1
        case 2 where shape[1] == 63: frames = shape[0]
        case 3 where shape[1] == 21 && shape[2] == 3: frames = shape[0]
        default:
            throw InferenceError.badInput(item: item, reason: "landmarks have shape \(shape); expected [T, 21, 3], [T, 63] or [21, 3]")
        }
        guard frames > 0 else { throw InferenceError.badInput(item: item, reason: "no frames") }
        if let mask, mask.count != frames {
            throw InferenceError.badInput(item: item, reason: "mask has \(mask.count) entries for \(frames) frames")
        }
        // The place, in the words `build` uses, so the frame can be found and fixed.
        if let problem = LandmarkClip.nonFiniteProblem(landmarks.scalars) { throw InferenceError.badInput(item: item, reason: problem) }
        let values = landmarks.scalars
        let detected = mask ?? (0..<frames).map { t in values[(t * 63)..<((t + 1) * 63)].contains { $0 != 0 } }
        return prepare(LandmarkClip(values: values, mask: detected))
    }

    /// A clip (raw or already normalised — normalising twice changes nothing) → the model's clip.
    public func prepare(_ raw: LandmarkClip) -> LandmarkClip {
        var clip = raw
        if normalisation == LandmarkNormalizer.name { _ = LandmarkNormalizer.normalize(&clip, useZ: useZ) }
        if fillGaps > 0 { clip = clip.fillingGaps(upTo: fillGaps).clip }   // the order `build` takes: normalise, fill, resample
        return sequenceLength == 1 ? clip.staticFrame() : clip.resampled(to: sequenceLength)
    }
}
