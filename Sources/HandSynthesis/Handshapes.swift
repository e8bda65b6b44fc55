import Foundation

/// Named handshapes approximating letters of the ASL manual alphabet, and moving "signs" built
/// from them. These are procedural stand-ins for demos and tests — recognisably different
/// shapes, not faithful linguistic models of ASL.
public enum Handshapes {
    static let fist = FingerPose.curled
    static let thumbAcross = FingerPose(0.5, 0.6, 0.4, spread: -0.15)   // folded over the palm
    static let thumbSide = FingerPose(0.1, 0.1, 0.1, spread: -0.35)     // along the index finger
    static let thumbOut = FingerPose(0, 0.05, 0, spread: 0.55)          // extended away from the hand

    /// Static letters (at least ten, as the demo needs): name → pose.
    public static let letters: [(name: String, pose: HandPose)] = [
        ("A", HandPose(thumb: thumbSide, index: fist, middle: fist, ring: fist, pinky: fist)),
        ("B", HandPose(thumb: thumbAcross, index: .straight, middle: .straight, ring: .straight, pinky: .straight)),
        ("C", HandPose(thumb: FingerPose(0.3, 0.4, 0.3, spread: 0.3), index: FingerPose(0.55, 0.6, 0.4),
                       middle: FingerPose(0.55, 0.6, 0.4), ring: FingerPose(0.55, 0.6, 0.4), pinky: FingerPose(0.55, 0.6, 0.4))),
        ("D", HandPose(thumb: FingerPose(0.7, 0.7, 0.4), index: .straight, middle: FingerPose(1.2, 1.2, 0.6),
                       ring: FingerPose(1.2, 1.2, 0.6), pinky: FingerPose(1.2, 1.2, 0.6))),
        ("E", HandPose(thumb: FingerPose(0.9, 0.7, 0.5), index: FingerPose(0.5, 1.9, 1.2), middle: FingerPose(0.5, 1.9, 1.2),
                       ring: FingerPose(0.5, 1.9, 1.2), pinky: FingerPose(0.5, 1.9, 1.2))),
        ("F", HandPose(thumb: FingerPose(0.6, 0.5, 0.3), index: FingerPose(0.9, 1.0, 0.6), middle: FingerPose(0, 0, 0, spread: 0.05),
                       ring: FingerPose(0, 0, 0, spread: -0.1), pinky: FingerPose(0, 0, 0, spread: -0.25))),
        ("I", HandPose(thumb: thumbAcross, index: fist, middle: fist, ring: fist, pinky: .straight)),
        ("L", HandPose(thumb: thumbOut, index: .straight, middle: fist, ring: fist, pinky: fist)),
        ("O", HandPose(thumb: FingerPose(0.5, 0.5, 0.4, spread: 0.1), index: FingerPose(0.9, 1.0, 0.7), middle: FingerPose(0.9, 1.0, 0.7),
                       ring: FingerPose(0.9, 1.0, 0.7), pinky: FingerPose(0.9, 1.0, 0.7))),
        ("V", HandPose(thumb: thumbAcross, index: FingerPose(0, 0, 0, spread: 0.22), middle: FingerPose(0, 0, 0, spread: -0.15),
                       ring: fist, pinky: fist)),
        ("W", HandPose(thumb: thumbAcross, index: FingerPose(0, 0, 0, spread: 0.25), middle: .straight,
                       ring: FingerPose(0, 0, 0, spread: -0.25), pinky: fist)),
        ("Y", HandPose(thumb: thumbOut, index: fist, middle: fist, ring: fist, pinky: FingerPose(0, 0, 0, spread: -0.5))),
    ]

    public static func letter(_ name: String) -> HandPose? { letters.first { $0.name == name }?.pose }
}

/// A moving sign: a handshape (optionally changing to a second one) and a wrist trajectory over
/// normalised time t ∈ [0, 1].
public struct SignMotion: Sendable {
    public var name: String
    public var start: HandPose
    /// Handshape the sign moves towards, oscillating `shapeCycles` times (nil = fixed shape).
    public var end: HandPose?
    public var shapeCycles: Double
    /// Wrist offset (in hand units) and extra in-plane rotation (radians) at time t.
    public var path: @Sendable (Double) -> (dx: Double, dy: Double, roll: Double)

    public static let all: [SignMotion] = {
        let b = Handshapes.letter("B")!, a = Handshapes.letter("A")!, o = Handshapes.letter("O")!
        let i = Handshapes.letter("I")!, l = Handshapes.letter("L")!, v = Handshapes.letter("V")!
        return [
            // hello: flat hand moving outwards from the forehead, turning slightly.
            SignMotion(name: "hello", start: b, end: nil, shapeCycles: 0) { t in (1.6 * t, -0.3 * t, 0.35 * t) },
            // yes: a fist nodding up and down.
            SignMotion(name: "yes", start: a, end: nil, shapeCycles: 0) { t in (0, 0.5 * sin(2 * .pi * 2 * t), 0.25 * sin(2 * .pi * 2 * t)) },
            // no: index and middle closing onto the thumb, twice.
            SignMotion(name: "no", start: v, end: Handshapes.letter("O")!, shapeCycles: 2) { t in (0.1 * t, 0, 0) },
            // thank-you: flat hand moving forwards and down from the chin.
            SignMotion(name: "thanks", start: b, end: nil, shapeCycles: 0) { t in (0.2 * t, 1.4 * t, -0.5 * t) },
            // more: O hands tapping — here one hand moving sideways and back twice.
            SignMotion(name: "more", start: o, end: nil, shapeCycles: 0) { t in (0.8 * sin(2 * .pi * 2 * t), 0, 0) },
            // J: the pinky hand tracing a hook.
            SignMotion(name: "J", start: i, end: nil, shapeCycles: 0) { t in (-0.8 * sin(.pi * t), 1.2 * t, 1.2 * t) },
            // L-wave: an L hand opening and closing the thumb.
            SignMotion(name: "go", start: l, end: Handshapes.letter("D")!, shapeCycles: 1) { t in (1.0 * t, -1.0 * t, 0) },
        ]
    }()

    public func pose(at t: Double) -> HandPose {
        guard let end else { return start }
        // 0 → 1 → 0 … `shapeCycles` times over the sign.
        let phase = 0.5 - 0.5 * cos(2 * .pi * shapeCycles * t)
        return start.blended(with: end, phase)
    }
}
