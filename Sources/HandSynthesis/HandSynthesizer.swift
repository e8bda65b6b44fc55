import Foundation
import TensorCore

/// What to synthesise.
public struct SynthesisOptions: Equatable, Sendable {
    /// Class names: letters from `Handshapes.letters` and/or signs from `SignMotion.all`.
    public var classes: [String]
    public var perClass: Int
    /// Frames per sample (1 = a single static frame).
    public var sequenceLength: Int
    public var seed: UInt64
    /// Distinct synthetic signers (anatomy and habits); samples cycle through them.
    public var signers: Int = 6
    /// Camera noise: standard deviation in normalised image units (≈ 1.5 px at 384 px).
    public var noise: Double = 0.004
    /// Probability a frame of a multi-frame sample is dropped (detection failure → masked).
    public var dropRate: Double = 0.05
    /// Per-sample joint-angle jitter (radians).
    public var jointJitter: Double = 0.08

    public init(classes: [String], perClass: Int, sequenceLength: Int = 1, seed: UInt64 = 0) {
        self.classes = classes
        self.perClass = perClass
        self.sequenceLength = sequenceLength
        self.seed = seed
    }
}

/// One synthetic sample in MediaPipe's output convention: `[T, 21, 3]` landmarks with x, y
/// normalised to the image and z relative depth on the scale of x (wrist ≈ 0); masked frames
/// are zeros, as a failed detection would leave them.
public struct SyntheticSample: Sendable {
    public var label: String
    public var signer: String
    /// `[T·21·3]`, row-major `[T, 21, 3]`.
    public var landmarks: [Float]
    /// `[T]`: true where the hand was "detected".
    public var mask: [Bool]
    public var frames: Int { mask.count }
}

public enum SynthesisError: Error, CustomStringConvertible, Equatable {
    case unknownClass(String, suggestion: String?)
    case invalid(String)

    public var description: String {
        switch self {
        case .unknownClass(let name, let suggestion):
            "unknown synthetic class '\(name)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
                + "; available: " + HandSynthesizer.availableClasses.joined(separator: " ")
        case .invalid(let reason): reason
        }
    }
}

/// The procedural hand generator behind `synth`: a kinematic 21-joint hand posed into named
/// handshapes and moving signs, with seeded signer-like variation (bone lengths, palm width,
/// habitual rotation), per-sample rotation, scale and position, joint jitter, camera noise and
/// dropped frames. Same options → same samples, on every machine.
public enum HandSynthesizer {
    public static var availableClasses: [String] { Handshapes.letters.map(\.name) + SignMotion.all.map(\.name) }

    /// Resolves a class spec: explicit names, or `letters`, `signs`, or a count N (the first N
    /// letters, then signs).
    public static func resolveClasses(_ spec: [String]) throws -> [String] {
        if spec.count == 1, let n = Int(spec[0]) {
            guard n >= 1, n <= availableClasses.count else {
                throw SynthesisError.invalid("--classes \(n): choose 1…\(availableClasses.count)")
            }
            return Array(availableClasses.prefix(n))
        }
        var out: [String] = []
        for name in spec {
            switch name {
            case "letters": out += Handshapes.letters.map(\.name)
            case "signs": out += SignMotion.all.map(\.name)
            default:
                guard availableClasses.contains(name) else {
                    let near = availableClasses.min { editDistance($0.lowercased(), name.lowercased()) < editDistance($1.lowercased(), name.lowercased()) }
                    throw SynthesisError.unknownClass(name, suggestion: near)
                }
                out.append(name)
            }
        }
        return out
    }

    public static func generate(_ options: SynthesisOptions) throws -> [SyntheticSample] {
        guard options.perClass >= 1 else { throw SynthesisError.invalid("--per-class must be ≥ 1") }
        guard options.sequenceLength >= 1 else { throw SynthesisError.invalid("--sequence-length must be ≥ 1") }
        guard options.signers >= 1 else { throw SynthesisError.invalid("signers must be ≥ 1") }
        let classes = try resolveClasses(options.classes)
        // Signers are fixed by the seed alone, so adding classes does not change who signs.
        var signerRNG = SeededRandom(seed: options.seed ^ 0x5167_4E45_5253)
        let signers = (0..<options.signers).map { _ in
            (skeleton: HandSkeleton.average.varied(using: &signerRNG, sigma: 0.06),
             roll: Double(signerRNG.uniform(-0.25, 0.25)), scale: Double(signerRNG.uniform(0.85, 1.15)))
        }
        var samples: [SyntheticSample] = []
        for (classIndex, name) in classes.enumerated() {
            let motion = SignMotion.all.first { $0.name == name }
            let pose = Handshapes.letter(name)
            for k in 0..<options.perClass {
                var rng = SeededRandom(seed: options.seed &+ UInt64(classIndex) &* 1_000_003 &+ UInt64(k) &* 7919)
                let signerIndex = k % options.signers
                let signer = signers[signerIndex]
                samples.append(sample(label: name, motion: motion, pose: pose, signer: signer,
                                      signerName: "synth-signer-\(signerIndex + 1)", options: options, rng: &rng))
            }
        }
        return samples
    }

    static func sample(label: String, motion: SignMotion?, pose: HandPose?,
                       signer: (skeleton: HandSkeleton, roll: Double, scale: Double), signerName: String,
                       options: SynthesisOptions, rng: inout SeededRandom) -> SyntheticSample {
        let T = options.sequenceLength
        func u(_ a: Double, _ b: Double) -> Double { Double(rng.uniform(Float(a), Float(b))) }
        func n(_ s: Double) -> Double { Double(rng.normal()) * s }
        let roll = signer.roll + u(-0.35, 0.35)
        let yaw = u(-0.45, 0.45), pitch = u(-0.35, 0.35)
        let scale = u(0.11, 0.2) * signer.scale
        let cx = u(0.38, 0.62), cy = u(0.5, 0.72)
        // One jitter per joint per sample: the same person holds a shape slightly differently.
        let jitter = (0..<20).map { _ in n(options.jointJitter) }
        var landmarks = [Float](repeating: 0, count: T * 63)
        var mask = [Bool](repeating: true, count: T)
        for t in 0..<T {
            let time = T == 1 ? 0 : Double(t) / Double(T - 1)
            var framePose = motion?.pose(at: time) ?? pose!
            for f in 0..<5 {
                let p = framePose.fingers[f]
                framePose.fingers[f] = FingerPose(p.flexion.0 + jitter[4 * f], p.flexion.1 + jitter[4 * f + 1],
                                                  p.flexion.2 + jitter[4 * f + 2], spread: p.abduction + jitter[4 * f + 3] * 0.5)
            }
            let path = motion?.path(time) ?? (dx: 0, dy: 0, roll: 0)
            // A static letter held over several frames still trembles a little.
            let tremor = motion == nil && T > 1 ? (n(0.02), n(0.02)) : (0, 0)
            let joints = signer.skeleton.joints(for: framePose)
            let r = rotation(roll: roll + path.roll, yaw: yaw, pitch: pitch)
            if T > 1, rng.uniform() < Float(options.dropRate) {
                mask[t] = false
                continue
            }
            for (j, p) in joints.enumerated() {
                let q = r(p)
                let x = cx + scale * (q.x + path.dx + tremor.0) + n(options.noise)
                let y = cy + scale * (q.y + path.dy + tremor.1) + n(options.noise)
                let z = scale * q.z + n(options.noise)
                landmarks[t * 63 + j * 3] = Float(x)
                landmarks[t * 63 + j * 3 + 1] = Float(y)
                landmarks[t * 63 + j * 3 + 2] = Float(j == 0 ? 0 : z)
            }
        }
        if !mask.contains(true) { // never emit a sample with no detected frame
            mask[0] = true
            return sample(label: label, motion: motion, pose: pose, signer: signer, signerName: signerName,
                          options: options, rng: &rng)
        }
        return SyntheticSample(label: label, signer: signerName, landmarks: landmarks, mask: mask)
    }

    /// Rotation R = R_roll(z) · R_pitch(x) · R_yaw(y), applied to hand-space points.
    static func rotation(roll: Double, yaw: Double, pitch: Double) -> (Vec3) -> Vec3 {
        let (cr, sr, cy, sy, cp, sp) = (cos(roll), sin(roll), cos(yaw), sin(yaw), cos(pitch), sin(pitch))
        return { p in
            let a = Vec3(cy * p.x + sy * p.z, p.y, -sy * p.x + cy * p.z)           // yaw about y
            let b = Vec3(a.x, cp * a.y - sp * a.z, sp * a.y + cp * a.z)            // pitch about x
            return Vec3(cr * b.x - sr * b.y, sr * b.x + cr * b.y, b.z)             // roll about z
        }
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
