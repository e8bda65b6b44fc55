import TensorCore
import Foundation

/// A 3-vector for the kinematic hand (Double: poses are built once per frame, precision is free).
public struct Vec3: Equatable, Sendable {
    public var x, y, z: Double
    public init(_ x: Double, _ y: Double, _ z: Double) { self.x = x; self.y = y; self.z = z }
    static func + (a: Vec3, b: Vec3) -> Vec3 { Vec3(a.x + b.x, a.y + b.y, a.z + b.z) }
    static func - (a: Vec3, b: Vec3) -> Vec3 { Vec3(a.x - b.x, a.y - b.y, a.z - b.z) }
    static func * (a: Vec3, s: Double) -> Vec3 { Vec3(a.x * s, a.y * s, a.z * s) }
    var length: Double { (x * x + y * y + z * z).squareRoot() }
    var normalized: Vec3 { self * (1 / max(length, 1e-12)) }
    func cross(_ b: Vec3) -> Vec3 { Vec3(y * b.z - z * b.y, z * b.x - x * b.z, x * b.y - y * b.x) }
    func dot(_ b: Vec3) -> Double { x * b.x + y * b.y + z * b.z }
}

/// Pose of one finger: flexion at its three joints (radians, 0 = straight, positive curls the
/// finger towards the palm side) and abduction at the base (radians, positive spreads towards
/// the thumb side).
public struct FingerPose: Equatable, Sendable {
    public var flexion: (Double, Double, Double)
    public var abduction: Double
    public init(_ f0: Double, _ f1: Double, _ f2: Double, spread: Double = 0) {
        flexion = (f0, f1, f2)
        abduction = spread
    }
    public static func == (a: FingerPose, b: FingerPose) -> Bool {
        a.flexion == b.flexion && a.abduction == b.abduction
    }
    public static let straight = FingerPose(0, 0, 0)
    /// A closed fist finger.
    public static let curled = FingerPose(1.55, 1.65, 0.9)
}

/// Pose of a whole hand: thumb, index, middle, ring, pinky (MediaPipe's finger order).
public struct HandPose: Equatable, Sendable {
    public var fingers: [FingerPose]
    public init(thumb: FingerPose, index: FingerPose, middle: FingerPose, ring: FingerPose, pinky: FingerPose) {
        fingers = [thumb, index, middle, ring, pinky]
    }

    /// Linear blend of two poses (for signs whose handshape changes over time).
    public func blended(with other: HandPose, _ t: Double) -> HandPose {
        var out = self
        for i in 0..<5 {
            let a = fingers[i], b = other.fingers[i]
            out.fingers[i] = FingerPose(a.flexion.0 + (b.flexion.0 - a.flexion.0) * t,
                                        a.flexion.1 + (b.flexion.1 - a.flexion.1) * t,
                                        a.flexion.2 + (b.flexion.2 - a.flexion.2) * t,
                                        spread: a.abduction + (b.abduction - a.abduction) * t)
        }
        return out
    }
}

/// The anatomy one synthetic signer has: joint positions of a canonical right hand, palm facing
/// the camera, fingers pointing up (image y down), in units of the wrist → middle-MCP distance.
/// Proportions are rough averages of adult hands (segment ratios after Buchholz et al., 1992).
public struct HandSkeleton: Sendable {
    /// MCP (for the thumb: CMC) position of each finger relative to the wrist.
    public var bases: [Vec3]
    /// Three segment lengths per finger (thumb: CMC→MCP, MCP→IP, IP→tip).
    public var segments: [[Double]]

    public static let average = HandSkeleton(
        bases: [Vec3(-0.24, -0.17, 0.02), Vec3(-0.29, -0.94, 0), Vec3(0, -1, 0), Vec3(0.23, -0.92, 0), Vec3(0.43, -0.79, 0)],
        segments: [[0.38, 0.32, 0.27], [0.46, 0.27, 0.21], [0.51, 0.31, 0.23], [0.47, 0.29, 0.22], [0.37, 0.22, 0.20]])

    /// A signer-like variant: each finger's segments scaled by a common factor ~ N(1, σ), palm
    /// width by another.
    public func varied(using rng: inout SeededRandom, sigma: Double) -> HandSkeleton {
        var out = self
        let palmWidth = 1 + Double(rng.normal()) * sigma
        for f in 0..<5 {
            let k = 1 + Double(rng.normal()) * sigma
            out.segments[f] = segments[f].map { $0 * k }
            out.bases[f].x *= palmWidth
        }
        return out
    }

    /// The 21 joints (MediaPipe order) for a pose, in hand units, wrist at the origin.
    public func joints(for pose: HandPose) -> [Vec3] {
        var points = [Vec3](repeating: Vec3(0, 0, 0), count: 21)
        let towardsPalm = Vec3(0, 0, -1) // the camera sees the palm: curling moves joints to −z
        for f in 0..<5 {
            let p = pose.fingers[f]
            let base = bases[f]
            // Resting direction: the thumb points up and out; fingers fan out from the wrist.
            var direction = f == 0 ? Vec3(-0.75, -0.66, -0.1).normalized : base.normalized
            // Abduction turns the direction within the palm plane (towards the thumb side = −x).
            let c = cos(p.abduction), s = sin(p.abduction)
            direction = Vec3(direction.x * c + direction.y * s, -direction.x * s + direction.y * c, direction.z)
            // The thumb flexes across the palm (towards +x and the palm), fingers straight down.
            let bendTarget = f == 0 ? Vec3(0.8, -0.1, -0.6).normalized : towardsPalm
            var joint = base
            points[1 + 4 * f] = joint
            var angle = 0.0
            let flexions = [p.flexion.0, p.flexion.1, p.flexion.2]
            for k in 0..<3 {
                angle += flexions[k]
                let d = direction * cos(angle) + bendTarget * sin(angle)
                joint = joint + d.normalized * segments[f][k]
                points[2 + 4 * f + k] = joint
            }
        }
        return points
    }
}
