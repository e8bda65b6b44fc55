import TensorCore

/// The one landmark normalisation of aslsh (DESIGN.md "File formats"): per frame and hand, subtract
/// the wrist (landmark 0) and divide by the wrist → middle-finger MCP (landmark 9) distance, so a
/// hand's position and size in the image no longer matter (pose points, when a frame has them:
/// the shoulders' midpoint and distance). Landmark indices are MediaPipe Hands'
/// (hand_landmarks.png in google/mediapipe: 0 = WRIST, 9 = MIDDLE_FINGER_MCP).
///
/// Which stage applies it: the writers of landmark files (`extract`, `prepare-alphabet`,
/// importers) store *normalised* landmarks and record `"normalisation": "wrist_mcp9"` in the
/// manifest; `build` normalises any record marked `"none"` (raw image coordinates). The hand
/// tracker and the predictor call the same function on live landmarks before the classifier.
/// Applying it twice changes nothing beyond float rounding (the wrist is already 0, the scale 1).
///
/// The scale is the Euclidean distance over the coordinates present: (x, y, z) when the source
/// has depth, (x, y) when it has not (`useZ: false`; z is then left at 0, never invented).
public enum LandmarkNormalizer {
    /// Value of the manifest's `normalisation` field for landmarks normalised here.
    public static let name = "wrist_mcp9"
    public static let wrist = 0
    public static let middleFingerMCP = 9
    /// Below this wrist→MCP distance a frame is degenerate (all points on the wrist) and cannot
    /// be scaled; callers mask it. Far below any real hand (≈0.05–0.3 in image units).
    public static let minimumScale: Float = 1e-6

    /// frame: [21,3] (63 floats) in place. Returns false, leaving the frame zeroed, when the
    /// scale is degenerate or not finite.
    @discardableResult
    public static func normalizeFrame(_ frame: inout ArraySlice<Float>, useZ: Bool) -> Bool {
        precondition(frame.count == LandmarkClip.valuesPerFrame, "a frame has 21×3 values")
        return frame.withUnsafeMutableBufferPointer { normalizeFrame(at: $0.baseAddress!, useZ: useZ) }
    }

    /// `normalizeFrame` on the 63 floats at `p`, in place (no slice to copy: a batch of clips is
    /// normalised frame by frame in its own buffer).
    @inline(__always)
    static func normalizeFrame(at frame: UnsafeMutablePointer<Float>, useZ: Bool) -> Bool {
        let w = (frame[0], frame[1], useZ ? frame[2] : 0)
        let m = 3 * middleFingerMCP
        let dx = frame[m] - w.0, dy = frame[m + 1] - w.1, dz = useZ ? frame[m + 2] - w.2 : 0
        let scale = (dx * dx + dy * dy + dz * dz).squareRoot()
        guard scale.isFinite, scale >= minimumScale else {
            frame.update(repeating: 0, count: LandmarkClip.valuesPerFrame)
            return false
        }
        let inverse = 1 / scale
        for j in 0..<LandmarkClip.landmarksPerFrame {
            let p = 3 * j
            frame[p] = (frame[p] - w.0) * inverse
            frame[p + 1] = (frame[p + 1] - w.1) * inverse
            frame[p + 2] = useZ ? (frame[p + 2] - w.2) * inverse : 0
        }
        return true
    }

    /// One hand's 63 values ([21,3]) normalised, or nil when the scale is degenerate — the form
    /// the tracker and predictor use on live landmarks.
    public static func normalized(_ landmarks: [Float], useZ: Bool = true) -> [Float]? {
        var frame = landmarks[...]
        return normalizeFrame(&frame, useZ: useZ) ? Array(frame) : nil
    }

    /// The pose block of a frame (`FrameLayout.poseIndices`' 7 points at `p`) in place: minus the
    /// shoulders' midpoint, divided by the shoulder distance — the body's analogue of the hand's
    /// wrist and palm, so the wrists' places are "in shoulder widths from the chest". All zeros
    /// (no pose found) stays zero; a degenerate shoulder distance zeroes the block. Returns
    /// whether the block holds a pose afterwards.
    @discardableResult
    static func normalizePose(at p: UnsafeMutablePointer<Float>, useZ: Bool) -> Bool {
        let n = 3 * FrameLayout.posePoints
        guard UnsafeBufferPointer(start: p, count: n).contains(where: { $0 != 0 }) else { return false }
        let (l, r) = (3 * FrameLayout.shoulders.0, 3 * FrameLayout.shoulders.1)
        let centre = ((p[l] + p[r]) / 2, (p[l + 1] + p[r + 1]) / 2, useZ ? (p[l + 2] + p[r + 2]) / 2 : 0)
        let dx = p[r] - p[l], dy = p[r + 1] - p[l + 1], dz = useZ ? p[r + 2] - p[l + 2] : 0
        let scale = (dx * dx + dy * dy + dz * dz).squareRoot()
        guard scale.isFinite, scale >= minimumScale else {
            p.update(repeating: 0, count: n)
            return false
        }
        let inverse = 1 / scale
        for j in 0..<FrameLayout.posePoints {
            p[3 * j] = (p[3 * j] - centre.0) * inverse
            p[3 * j + 1] = (p[3 * j + 1] - centre.1) * inverse
            p[3 * j + 2] = useZ ? (p[3 * j + 2] - centre.2) * inverse : 0
        }
        return true
    }

    /// Normalises every detected frame of a clip; undetected frames are zeroed. Frames whose
    /// scale is degenerate are zeroed and masked; their number is returned so callers count them.
    /// With two hands each hand is normalised on its own wrist and palm; a hand that is all
    /// zeros (not detected in that frame) stays zero, and a frame is degenerate when no hand is
    /// left. Pose points are normalised on the shoulders (`normalizePose`).
    public static func normalize(_ clip: inout LandmarkClip, useZ: Bool) -> Int {
        let layout = clip.layout, frames = clip.frameCount
        return clip.values.withUnsafeMutableBufferPointer { values in
            clip.mask.withUnsafeMutableBufferPointer { mask in
                normalizeFrames(at: values.baseAddress!, mask: mask.baseAddress!, frames: frames, layout: layout, useZ: useZ)
            }
        }
    }

    /// `normalize` on `frames` frames of `layout` at `values`, with their mask, in place (a batch
    /// normalises each sample in its own slot of the batch's buffer).
    public static func normalizeFrames(at values: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Bool>, frames: Int,
                                       layout: FrameLayout, useZ: Bool) -> Int {
        var degenerate = 0
        let n = layout.values
        for t in 0..<frames {
            let frame = values + t * n
            guard mask[t] else {
                frame.update(repeating: 0, count: n)
                continue
            }
            var seen = 0
            for h in 0..<layout.hands {
                let offset = 3 * layout.hand(h).lowerBound
                // The one hand of a frame is normalised whatever it holds (all zeros in
                // a detected frame is degenerate); one of two that is all zeros is that
                // hand missing, and stays so.
                if layout.hands == 2 && !layout.isSeen(layout.hand(h), frame: 0, in: UnsafeBufferPointer(start: frame, count: n)) { continue }
                if normalizeFrame(at: frame + offset, useZ: useZ) { seen += 1 }
            }
            if let offset = layout.poseOffset { normalizePose(at: frame + offset, useZ: useZ) }
            if seen == 0 {
                frame.update(repeating: 0, count: n)
                degenerate += 1
                mask[t] = false
            }
        }
        return degenerate
    }
}
