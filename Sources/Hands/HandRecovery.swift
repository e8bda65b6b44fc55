import Foundation

/// Recovery of hands MediaPipe's palm detector misses (off by default, so MediaPipe parity stays
/// exact). When a frame ends with no hand, the tracker tries what a careful person would: the
/// palm detector at a lower score threshold, then on the image mirrored, zoomed out (padded, for
/// hands that fill the frame), turned by a quarter or half turn, upscaled when small, and finally
/// the whole image as the landmark model's ROI. Every candidate ends the same way: its ROI is
/// mapped back to the original image and the landmark model is run there (twice, as tracking
/// would over two frames), and the hand is kept only when the model's presence score there passes
/// `minPresence` — a stricter gate than MediaPipe's 0.5, because a wrong hand is worse than none.
public struct HandRecoveryOptions: Equatable, Codable, Sendable {
    /// One way of looking again, in the order tried.
    public enum Attempt: String, CaseIterable, Codable, Sendable {
        /// The palm detector again at `minDetectionConfidence`.
        case lowerThreshold = "lower-threshold"
        /// The image mirrored left–right (the detector is not symmetric).
        case mirrored
        /// The image in the middle of a canvas `zoomOut` times its size: hands that fill a
        /// close-up photo are larger than the detector was trained on.
        case zoomedOut = "zoomed-out"
        /// The image turned a quarter turn clockwise, anticlockwise, or upside down.
        case rotated90 = "rotated-90", rotated270 = "rotated-270", rotated180 = "rotated-180"
        /// Images whose short side is under 192 px (the detector's input), upscaled bilinearly.
        case upscaled
        /// No palm at all: the whole image (a centred square) as the landmark model's ROI.
        case wholeImage = "whole-image"
    }

    public var attempts: [Attempt] = Attempt.allCases
    /// Palm-detector score threshold of every attempt (MediaPipe's own is 0.5).
    public var minDetectionConfidence = 0.2
    /// The landmark model's presence score a recovered hand must pass, on the original image.
    public var minPresence = 0.9
    /// Images with a shorter side are not attempted: counted as "too small", not "no hand".
    public var minImageSide = 32
    /// Canvas size of `zoomed-out`, as a multiple of the image.
    public var zoomOut = 1.6

    public init(attempts: [Attempt] = Attempt.allCases, minDetectionConfidence: Double = 0.2, minPresence: Double = 0.9,
                minImageSide: Int = 32, zoomOut: Double = 1.6) {
        self.attempts = attempts
        self.minDetectionConfidence = minDetectionConfidence
        self.minPresence = minPresence
        self.minImageSide = minImageSide
        self.zoomOut = zoomOut
    }

    /// A setting out of range, named; nil when all are usable.
    public var problem: String? {
        if !(minDetectionConfidence > 0 && minDetectionConfidence <= 1) {
            return "recovery palm threshold \(minDetectionConfidence) is outside (0, 1]"
        }
        if !(minPresence > 0 && minPresence < 1) { return "recovery presence threshold \(minPresence) is outside (0, 1)" }
        if minImageSide < 8 || minImageSide > 4096 { return "recovery minimum image side \(minImageSide) is outside 8…4096 px" }
        if !(zoomOut > 1 && zoomOut <= 4) { return "recovery zoom-out factor \(zoomOut) is outside (1, 4]" }
        if attempts.isEmpty { return "recovery needs at least one attempt" }
        return nil
    }
}

/// What recovery did for one frame (nil in `HandFrameResult.recovery` when it did not run:
/// recovery off, or MediaPipe's own pass found a hand).
public enum RecoveryOutcome: Equatable, Sendable {
    case recovered(HandRecoveryOptions.Attempt)
    /// Every attempt ran and none passed the presence gate.
    case missing
    /// The image's short side is under `minImageSide`: nothing was attempted.
    case tooSmall
}

/// An image an attempt searches — the original turned, mirrored, padded or upscaled — and the map
/// from its pixel coordinates back to the original's (pixel centres on integers, as ImageToTensor).
struct RecoveryView {
    var pixels: [UInt8]
    var width: Int, height: Int
    var toOriginal: (_ x: Double, _ y: Double) -> (x: Double, y: Double)

    /// The view of `attempt`, or nil when it does not apply (`upscaled` on a large image; the
    /// attempts on the original image itself).
    static func make(_ attempt: HandRecoveryOptions.Attempt, image: UnsafeBufferPointer<UInt8>, width W: Int, height H: Int,
                     zoomOut: Double) -> RecoveryView? {
        func remap(width w: Int, height h: Int, source: (Int, Int) -> (Int, Int)?) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: w * h * 3)
            for y in 0..<h {
                for x in 0..<w {
                    guard let (sx, sy) = source(x, y) else { continue }
                    let s = (sy * W + sx) * 3, d = (y * w + x) * 3
                    out[d] = image[s]; out[d + 1] = image[s + 1]; out[d + 2] = image[s + 2]
                }
            }
            return out
        }
        let w1 = Double(W - 1), h1 = Double(H - 1)
        switch attempt {
        case .lowerThreshold, .wholeImage:
            return nil
        case .mirrored:
            return RecoveryView(pixels: remap(width: W, height: H) { x, y in (W - 1 - x, y) }, width: W, height: H) { x, y in (w1 - x, y) }
        case .rotated90:
            // Clockwise: original (x, y) lands at (H − 1 − y, x).
            return RecoveryView(pixels: remap(width: H, height: W) { x, y in (y, H - 1 - x) }, width: H, height: W) { x, y in (y, h1 - x) }
        case .rotated270:
            // Anticlockwise: original (x, y) lands at (y, W − 1 − x).
            return RecoveryView(pixels: remap(width: H, height: W) { x, y in (W - 1 - y, x) }, width: H, height: W) { x, y in (w1 - y, x) }
        case .rotated180:
            return RecoveryView(pixels: remap(width: W, height: H) { x, y in (W - 1 - x, H - 1 - y) }, width: W, height: H) { x, y in
                (w1 - x, h1 - y)
            }
        case .zoomedOut:
            // Black margins, as MediaPipe's own letterbox pads with zeros.
            let w = Int((Double(W) * zoomOut).rounded()), h = Int((Double(H) * zoomOut).rounded())
            let ox = (w - W) / 2, oy = (h - H) / 2
            let pixels = remap(width: w, height: h) { x, y in
                let sx = x - ox, sy = y - oy
                return sx >= 0 && sy >= 0 && sx < W && sy < H ? (sx, sy) : nil
            }
            return RecoveryView(pixels: pixels, width: w, height: h) { x, y in (x - Double(ox), y - Double(oy)) }
        case .upscaled:
            guard min(W, H) < 192 else { return nil }
            let k = Double((192 + min(W, H) - 1) / min(W, H))
            let w = Int(Double(W) * k), h = Int(Double(H) * k)
            var out = [UInt8](repeating: 0, count: w * h * 3)
            // Bilinear with half-pixel centres: output pixel j samples the source at (j + ½)/k − ½.
            for y in 0..<h {
                let sy = min(max((Double(y) + 0.5) / k - 0.5, 0), h1)
                let y0 = Int(sy), y1 = min(y0 + 1, H - 1), fy = sy - Double(y0)
                for x in 0..<w {
                    let sx = min(max((Double(x) + 0.5) / k - 0.5, 0), w1)
                    let x0 = Int(sx), x1 = min(x0 + 1, W - 1), fx = sx - Double(x0)
                    for c in 0..<3 {
                        let top = Double(image[(y0 * W + x0) * 3 + c]) * (1 - fx) + Double(image[(y0 * W + x1) * 3 + c]) * fx
                        let bottom = Double(image[(y1 * W + x0) * 3 + c]) * (1 - fx) + Double(image[(y1 * W + x1) * 3 + c]) * fx
                        out[(y * w + x) * 3 + c] = UInt8((top * (1 - fy) + bottom * fy).rounded())
                    }
                }
            }
            return RecoveryView(pixels: out, width: w, height: h) { x, y in ((x + 0.5) / k - 0.5, (y + 0.5) / k - 0.5) }
        }
    }

    /// Landmarks found in this view, in the original image's normalised coordinates (x, y only:
    /// they place the ROI the original is searched at).
    func landmarksInOriginal(_ landmarks: [Landmark], originalWidth: Int, originalHeight: Int) -> [Landmark] {
        landmarks.map { p in
            let (x, y) = toOriginal(p.x * Double(width), p.y * Double(height))
            return Landmark(x: x / Double(originalWidth), y: y / Double(originalHeight), z: 0)
        }
    }
}

extension HandTracker {
    /// Tries the recovery attempts in order; the first hand that passes the presence gate on the
    /// original image is returned with the attempt that found it.
    func recover(image: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                 options recovery: HandRecoveryOptions) throws -> (TrackedHand?, RecoveryOutcome) {
        guard min(width, height) >= recovery.minImageSide else { return (nil, .tooSmall) }
        for attempt in recovery.attempts {
            for roi in try candidateROIs(attempt, image: image, width: width, height: height, recovery: recovery) {
                if var hand = try confirm(roi, image: image, width: width, height: height, minPresence: recovery.minPresence) {
                    hand.recovery = attempt
                    return (hand, .recovered(attempt))
                }
            }
        }
        return (nil, .missing)
    }

    /// ROIs on the original image where `attempt` sees a hand (before the presence gate).
    func candidateROIs(_ attempt: HandRecoveryOptions.Attempt, image: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                       recovery: HandRecoveryOptions) throws -> [NormalizedRect] {
        let maxHands = options.maxHands
        switch attempt {
        case .lowerThreshold:
            return try detectPalms(image: image, width: width, height: height, minScore: recovery.minDetectionConfidence)
                .prefix(maxHands).map { PalmDecoder.handROI(from: $0, imageWidth: width, imageHeight: height) }
        case .wholeImage:
            // A centred square over the whole image; the landmarks it yields place the real ROI.
            let side = Double(max(width, height))
            let whole = NormalizedRect(xCenter: 0.5, yCenter: 0.5, width: side / Double(width), height: side / Double(height), rotation: 0)
            guard let hand = try landmarks(image: image, width: width, height: height, roi: whole, source: .tracking,
                                           gate: options.minTrackingConfidence) else { return [] }
            return [hand.roiFromLandmarks]
        default:
            guard let view = RecoveryView.make(attempt, image: image, width: width, height: height, zoomOut: recovery.zoomOut) else {
                return []
            }
            return try view.pixels.withUnsafeBufferPointer { pixels in
                let palms = try detectPalms(image: pixels, width: view.width, height: view.height, minScore: recovery.minDetectionConfidence)
                var rois: [NormalizedRect] = []
                for palm in palms.prefix(maxHands) {
                    let roi = PalmDecoder.handROI(from: palm, imageWidth: view.width, imageHeight: view.height)
                    guard let hand = try landmarks(image: pixels, width: view.width, height: view.height, roi: roi, source: .palmDetection,
                                                   gate: options.minTrackingConfidence) else { continue }
                    let mapped = view.landmarksInOriginal(hand.landmarks, originalWidth: width, originalHeight: height)
                    rois.append(LandmarkProjection.nextROI(mapped, imageWidth: width, imageHeight: height))
                }
                return rois
            }
        }
    }

    /// The landmark model on the original image at `roi`, then once more at the ROI its landmarks
    /// give (what tracking does over two frames); nil unless both pass `minPresence`.
    func confirm(_ roi: NormalizedRect, image: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                 minPresence: Double) throws -> TrackedHand? {
        guard let first = try landmarks(image: image, width: width, height: height, roi: roi, source: .palmDetection, gate: minPresence) else {
            return nil
        }
        return try landmarks(image: image, width: width, height: height, roi: first.roiFromLandmarks, source: .palmDetection, gate: minPresence)
    }
}
