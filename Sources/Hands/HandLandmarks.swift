import Foundation

/// Which hand, as MediaPipe reports it. MediaPipe assumes a mirrored (selfie) image: on an
/// un-mirrored photo `left` is the subject's right hand.
public struct Handedness: Equatable, Codable, Sendable {
    public var label: String   // "Left" or "Right"
    public var index: Int      // 0 Left, 1 Right
    public var score: Double
}

/// One landmark: x, y normalised to image width/height (may fall outside [0,1]); z relative
/// depth on the scale of x (wrist ≈ 0). World landmarks use the same type in metres.
public struct Landmark: Equatable, Codable, Sendable {
    public var x: Double, y: Double, z: Double
    public init(x: Double, y: Double, z: Double) { self.x = x; self.y = y; self.z = z }
}

/// Raw outputs of the hand-landmark model, in the model's output order (spec §1.2).
public struct LandmarkModelOutput: Sendable {
    /// `[63]`: 21 × (x, y, z) in 224-px input pixels.
    public var landmarks: [Float]
    /// Hand presence probability (sigmoid output).
    public var presence: Float
    /// Handedness score; ≥ 0.5 means "Left".
    public var handedness: Float
    /// `[63]`: 21 × (x, y, z) world coordinates in metres, ROI-aligned.
    public var world: [Float]

    public init(landmarks: [Float], presence: Float, handedness: Float, world: [Float]) {
        self.landmarks = landmarks
        self.presence = presence
        self.handedness = handedness
        self.world = world
    }
}

/// HandLandmarkCpu's post-processing and HandLandmarkLandmarksToRoi (spec §2.9–2.10).
public enum LandmarkProjection {
    /// TensorsToLandmarks(normalize_z 0.4) + letterbox removal + projection through the ROI.
    public static func imageLandmarks(_ raw: [Float], roi: NormalizedRect, padding: LetterboxPadding,
                                      inputSize: Double = 224) -> [Landmark] {
        let c = cos(roi.rotation), s = sin(roi.rotation)
        let sx = 1 - padding.left - padding.right, sy = 1 - padding.top - padding.bottom
        return (0..<21).map { i in
            let xn = (Double(raw[3 * i]) / inputSize - padding.left) / sx
            let yn = (Double(raw[3 * i + 1]) / inputSize - padding.top) / sy
            let zn = Double(raw[3 * i + 2]) / inputSize / 0.4 / sx
            let dx = xn - 0.5, dy = yn - 0.5
            return Landmark(x: (c * dx - s * dy) * roi.width + roi.xCenter,
                            y: (s * dx + c * dy) * roi.height + roi.yCenter,
                            z: zn * roi.width)
        }
    }

    /// World landmarks rotated by the ROI rotation about z (metres).
    public static func worldLandmarks(_ raw: [Float], roi: NormalizedRect) -> [Landmark] {
        let c = cos(roi.rotation), s = sin(roi.rotation)
        return (0..<21).map { i in
            let x = Double(raw[3 * i]), y = Double(raw[3 * i + 1])
            return Landmark(x: c * x - s * y, y: s * x + c * y, z: Double(raw[3 * i + 2]))
        }
    }

    /// Binary classification with labels ["Left", "Right"]: the higher of s and 1 − s wins.
    public static func handedness(_ s: Float) -> Handedness {
        let left = Double(s)
        return left >= 1 - left ? Handedness(label: "Left", index: 0, score: left)
                                : Handedness(label: "Right", index: 1, score: 1 - left)
    }

    /// HandLandmarksToRect + RectTransformation(2.0, shift_y −0.1, square_long): the ROI the
    /// next frame tracks (spec §2.10).
    public static func nextROI(_ landmarks: [Landmark], imageWidth: Int, imageHeight: Int) -> NormalizedRect {
        let W = Double(imageWidth), H = Double(imageHeight)
        let subset = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18].map { landmarks[$0] }
        // Rotation: wrist → midpoint of (midpoint(index MCP, ring MCP), middle MCP).
        let x0 = subset[0].x * W, y0 = subset[0].y * H
        let x1 = ((subset[4].x + subset[8].x) / 2 + subset[6].x) / 2 * W
        let y1 = ((subset[4].y + subset[8].y) / 2 + subset[6].y) / 2 * H
        let rotation = uprightRotation(x0: x0, y0: y0, x1: x1, y1: y1)
        let reverse = normalizeRadians(-rotation)
        let xs = subset.map(\.x), ys = subset.map(\.y)
        let cxa = (xs.max()! + xs.min()!) / 2, cya = (ys.max()! + ys.min()!) / 2
        var minX = Double.greatestFiniteMagnitude, minY = Double.greatestFiniteMagnitude
        // MediaPipe starts the max accumulators at FLT_MIN (harmless: the points straddle 0).
        var maxX = Double(Float.leastNormalMagnitude), maxY = Double(Float.leastNormalMagnitude)
        for p in subset {
            let ox = (p.x - cxa) * W, oy = (p.y - cya) * H
            let rx = ox * cos(reverse) - oy * sin(reverse), ry = ox * sin(reverse) + oy * cos(reverse)
            minX = min(minX, rx); maxX = max(maxX, rx); minY = min(minY, ry); maxY = max(maxY, ry)
        }
        let pcx = (maxX + minX) / 2, pcy = (maxY + minY) / 2
        let cx = pcx * cos(rotation) - pcy * sin(rotation) + W * cxa
        let cy = pcx * sin(rotation) + pcy * cos(rotation) + H * cya
        let rect = NormalizedRect(xCenter: cx / W, yCenter: cy / H, width: (maxX - minX) / W,
                                  height: (maxY - minY) / H, rotation: rotation)
        return rect.transformed(imageWidth: imageWidth, imageHeight: imageHeight, scale: 2.0, shiftX: 0, shiftY: -0.1)
    }

    /// AssociationNormRectCalculator (spec §2.7): palm rects first, then tracked rects; inserting
    /// a rect removes every earlier one whose axis-aligned IoU with it exceeds 0.5.
    public static func associate(_ groups: [[NormalizedRect]], threshold: Double = 0.5) -> [NormalizedRect] {
        var list: [NormalizedRect] = []
        for group in groups {
            for rect in group {
                list.removeAll { $0.axisAlignedBox.intersectionOverUnion(rect.axisAlignedBox) > threshold }
                list.append(rect)
            }
        }
        return list
    }
}
