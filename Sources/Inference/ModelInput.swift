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
    public func prepare(_ landmarks: Tensor, mask: [Bool]? = nil, item: @autoclosure () -> String = "input") throws -> LandmarkClip {
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
            throw InferenceError.badInput(item: item(), reason: "landmarks have shape \(shape); expected [T, \(K), 3], [T, \(V)] or [\(K), 3]" + layoutNote)
        }
        guard frames > 0 else { throw InferenceError.badInput(item: item(), reason: "no frames") }
        if let mask, mask.count != frames {
            throw InferenceError.badInput(item: item(), reason: "mask has \(mask.count) entries for \(frames) frames")
        }
        // The place, in the words `build` uses, so the frame can be found and fixed.
        if let problem = LandmarkClip.nonFiniteProblem(landmarks.scalars, layout: layout) { throw InferenceError.badInput(item: item(), reason: problem) }
        let values = landmarks.scalars
        let detected = mask ?? (0..<frames).map { t in handSeen(frame: t, in: values) }
        return prepare(LandmarkClip(values: values, mask: detected, layout: layout))
    }

    /// Whether the model's frames are normalised (`wrist_mcp9`) rather than taken as they are.
    private var normalises: Bool { normalisation == LandmarkNormalizer.name }

    /// Whether frame t shows a hand (any non-zero value in a hand's block; the pose alone is no hand):
    /// the mask a sample gets when none is given.
    private func handSeen<C: RandomAccessCollection>(frame t: Int, in values: C) -> Bool where C.Element == Float, C.Index == Int {
        (0..<layout.hands).contains { layout.isSeen(layout.hand($0), frame: t, in: values) }
    }

    /// A batch whose samples all hold the model's T frames (`[T, K, 3]`, `[T, 3K]`, or `[K, 3]` for
    /// T = 1), for a model that asks no gap filling or dominant-hand mirroring — the usual batch:
    /// the values and masks `prepare` gives each sample, written straight into one `[B, T, K, 3]`
    /// buffer and normalised there, with no clip or array per sample. nil when a sample needs
    /// more (resampling, another shape, a mask of another length): `prepare` it on its own, which
    /// also names what is wrong. A non-finite value fails with the sample's place.
    public func prepareInPlace(_ samples: [Tensor], masks: [[Bool]?]? = nil) throws -> (values: [Float], mask: [Float])? {
        let T = sequenceLength, V = layout.values, K = layout.points
        guard fillGaps == 0, !dominantRight else { return nil }
        for (i, sample) in samples.enumerated() {
            let shape = sample.shape
            guard shape == [T, K, 3] || shape == [T, V] || (T == 1 && shape == [K, 3]) else { return nil }
            if let m = masks?[i], m.count != T { return nil }
        }
        let B = samples.count
        var values = [Float](repeating: 0, count: B * T * V)
        var detected = [Bool](repeating: false, count: B * T)
        for (i, sample) in samples.enumerated() {
            if let problem = LandmarkClip.nonFiniteProblem(sample.scalars, layout: layout) {
                throw InferenceError.badInput(item: "sample \(i)", reason: problem)
            }
            let scalars = sample.scalars
            values.withUnsafeMutableBufferPointer { v in
                detected.withUnsafeMutableBufferPointer { d in
                    let slot = v.baseAddress! + i * T * V, seen = d.baseAddress! + i * T
                    scalars.withUnsafeBufferPointer { slot.update(from: $0.baseAddress!, count: T * V) }
                    let frames = UnsafeBufferPointer(start: slot, count: T * V)
                    for t in 0..<T { seen[t] = masks?[i]?[t] ?? handSeen(frame: t, in: frames) }
                    if normalises {
                        _ = LandmarkNormalizer.normalizeFrames(at: slot, mask: seen, frames: T, layout: layout, useZ: useZ)
                    }
                }
            }
        }
        return (values, detected.map { $0 ? 1 : 0 })
    }

    /// A clip (raw or already normalised — normalising twice changes nothing) → the model's clip.
    /// The clip's layout must be the model's (`prepare(_:mask:item:)` checks arrays).
    public func prepare(_ raw: LandmarkClip) -> LandmarkClip {
        precondition(raw.layout == layout, "a clip of \(raw.layout.explained) for a model of \(layout.explained)")
        var clip = raw
        if normalises { _ = LandmarkNormalizer.normalize(&clip, useZ: useZ) }
        // The order `build` takes: normalise, dominant hand, fill, resample.
        if dominantRight { clip = clip.dominantHandOnTheRight().clip }
        if fillGaps > 0 { clip = clip.fillingGaps(upTo: fillGaps).clip }
        return sequenceLength == 1 ? clip.staticFrame() : clip.resampled(to: sequenceLength)
    }
}
