import TensorCore

/// MediaPipe Hands' 21-landmark topology (mediapipe/python/solutions/hands_connections.py,
/// HAND_CONNECTIONS) and the per-finger colours aslsh draws it with.
public enum HandSkeleton {
    public static let landmarkCount = 21
    public static let wrist = 0
    /// Thumb, index, middle, ring, pinky tips.
    public static let fingertips = [4, 8, 12, 16, 20]

    public enum Part: Int, CaseIterable, Sendable {
        case thumb, index, middle, ring, pinky, palm
        public var name: String { ["thumb", "index", "middle", "ring", "pinky", "palm"][rawValue] }
    }

    /// The 21 edges of HAND_CONNECTIONS (MediaPipe's "20 bones" plus the 0-17 palm edge that
    /// closes the palm): thumb 0-1-2-3-4, index 0-5-6-7-8, middle 9-10-11-12 with 5-9, ring
    /// 13-14-15-16 with 9-13, pinky 17-18-19-20 with 13-17 and 0-17. The knuckle-to-knuckle and
    /// wrist edges (0-5, 5-9, 9-13, 13-17, 0-17) are drawn as palm.
    public static let bones: [(Int, Int, Part)] = [
        (0, 1, .thumb), (1, 2, .thumb), (2, 3, .thumb), (3, 4, .thumb),
        (0, 5, .palm), (5, 6, .index), (6, 7, .index), (7, 8, .index),
        (5, 9, .palm), (9, 10, .middle), (10, 11, .middle), (11, 12, .middle),
        (9, 13, .palm), (13, 14, .ring), (14, 15, .ring), (15, 16, .ring),
        (13, 17, .palm), (0, 17, .palm), (17, 18, .pinky), (18, 19, .pinky), (19, 20, .pinky),
    ]

    /// The part a landmark belongs to (0 = wrist counts as palm; MCPs belong to their finger).
    public static func part(ofLandmark i: Int) -> Part {
        switch i {
        case 1...4: return .thumb
        case 5...8: return .index
        case 9...12: return .middle
        case 13...16: return .ring
        case 17...20: return .pinky
        default: return .palm
        }
    }

    /// Distinct finger colours (Tableau 10 hues, so the trajectory legend matches the charts).
    public static func color(_ part: Part) -> Color {
        switch part {
        case .thumb: return Palette.tableau10[2]   // red
        case .index: return Palette.tableau10[1]   // orange
        case .middle: return Palette.tableau10[4]  // green
        case .ring: return Palette.tableau10[0]    // blue
        case .pinky: return Palette.tableau10[6]   // purple
        case .palm: return Color(hex: 0x7F7F7F)
        }
    }

    /// Checks a [21][≥2] landmark array and returns its (x, y) pairs.
    static func xy(_ landmarks: [[Float]], frame: Int? = nil) throws -> [(Double, Double)] {
        let whereText = frame.map { " in frame \($0)" } ?? ""
        guard landmarks.count == landmarkCount else {
            throw PlotError.badInput("a hand has 21 landmarks, got \(landmarks.count)\(whereText)")
        }
        return try landmarks.enumerated().map { i, p in
            guard p.count >= 2 else { throw PlotError.badInput("landmark \(i)\(whereText) has \(p.count) coordinates, need x, y[, z]") }
            return (Double(p[0]), Double(p[1]))
        }
    }

    /// Splits a [21, C] or [T, 21, C] tensor (C = 2 or 3) into per-frame landmark lists.
    public static func frames(_ tensor: Tensor) throws -> [[[Float]]] {
        let s = tensor.shape
        let rank3 = s.count == 3, rank2 = s.count == 2
        guard (rank2 && s[0] == 21 && (2...3).contains(s[1])) || (rank3 && s[1] == 21 && (2...3).contains(s[2])) else {
            throw PlotError.badInput("landmarks must have shape [21, 2|3] or [T, 21, 2|3], got \(s)")
        }
        let c = s.last!, t = rank3 ? s[0] : 1
        return (0..<t).map { f in
            (0..<21).map { j in Array(tensor.scalars[(f * 21 + j) * c..<(f * 21 + j + 1) * c]) }
        }
    }
}
