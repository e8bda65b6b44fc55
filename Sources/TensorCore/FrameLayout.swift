/// What one frame of landmarks holds, every stage agreeing on it: one hand of 21 points (all
/// older data and models), or both hands (left then right, 42 points), each optionally followed
/// by 7 upper-body pose points. Every point is (x, y, z), so a frame is `3 × points` floats and a
/// layout is known from its point count alone (21, 42, 28 or 49): a landmark file, a dataset's
/// `sequences [N, T, K, 3]` and a model's `featureCount = 3K` all say which layout they hold.
///
/// Hands are MediaPipe Hands' 21 points; an undetected hand is 21 zero points. The pose points
/// are MediaPipe Pose's nose 0, shoulders 11/12, elbows 13/14 and wrists 15/16 (the subject's
/// left before right, as Pose numbers them): where the hands are relative to the body, which
/// the per-hand normalisation removes. Face points are left out (468 of them would swamp the
/// hands), and so are the hips and legs (off-screen in most signing videos).
public struct FrameLayout: Hashable, Sendable, CustomStringConvertible {
    public static let handPoints = 21
    /// MediaPipe Pose indices kept, in this order.
    public static let poseIndices = [0, 11, 12, 13, 14, 15, 16]
    public static var posePoints: Int { poseIndices.count }
    /// Pose point pairs that swap under mirroring (the subject's left ↔ right), as positions in
    /// `poseIndices`: shoulders, elbows, wrists.
    public static let posePairs = [(1, 2), (3, 4), (5, 6)]
    /// Positions in `poseIndices` of the two shoulders: the pose block's origin is their midpoint
    /// and its unit their distance (`LandmarkNormalizer`).
    public static let shoulders = (1, 2)

    /// 1 or 2; two hands are stored left, then right.
    public let hands: Int
    /// Whether the 7 pose points follow the hands.
    public let pose: Bool

    public static let hand = FrameLayout(hands: 1, pose: false)
    public static let bothHands = FrameLayout(hands: 2, pose: false)

    public init(hands: Int, pose: Bool) {
        precondition(hands == 1 || hands == 2, "a frame holds one or two hands")
        self.hands = hands
        self.pose = pose
    }

    /// The layout with this many points a frame, or nil when none has it.
    public init?(points: Int) {
        guard let layout = FrameLayout.all.first(where: { $0.points == points }) else { return nil }
        self = layout
    }

    /// The layout with this many values (points × 3) a frame, or nil.
    public init?(values: Int) {
        guard values % 3 == 0, let layout = FrameLayout(points: values / 3) else { return nil }
        self = layout
    }

    /// Every layout, one hand first.
    public static let all = [FrameLayout(hands: 1, pose: false), FrameLayout(hands: 2, pose: false),
                             FrameLayout(hands: 1, pose: true), FrameLayout(hands: 2, pose: true)]

    public var points: Int { hands * FrameLayout.handPoints + (pose ? FrameLayout.posePoints : 0) }
    /// Floats a frame: points × (x, y, z).
    public var values: Int { 3 * points }
    /// Where each hand's 63 values start in a frame.
    public var handOffsets: [Int] { (0..<hands).map { 3 * FrameLayout.handPoints * $0 } }
    /// Where the pose block's values start, or nil.
    public var poseOffset: Int? { pose ? 3 * FrameLayout.handPoints * hands : nil }

    /// Hand h's points (0 the left of two, or the one hand).
    public func hand(_ h: Int) -> Range<Int> { (FrameLayout.handPoints * h)..<(FrameLayout.handPoints * (h + 1)) }

    /// The point ranges that move together and are seen or missed together: each hand's 21,
    /// then the pose's 7.
    public var blocks: [Range<Int>] {
        let hands = (0..<hands).map(hand)
        return pose ? hands + [(FrameLayout.handPoints * self.hands)..<points] : hands
    }

    /// Whether `block` (points, e.g. `hand(1)`) of frame `t` in `frames` (`[T · values]`, from
    /// its start index) holds a non-zero value: that hand (or the pose) was seen. An unseen one
    /// is all zeros in every layout.
    @inlinable
    public func isSeen<C: RandomAccessCollection>(_ block: Range<Int>, frame t: Int, in frames: C) -> Bool
    where C.Element == Float, C.Index == Int {
        let start = frames.startIndex + t * values + 3 * block.lowerBound
        return frames[start..<(start + 3 * block.count)].contains { $0 != 0 }
    }

    /// "hand", "hands", "hand+pose", "hands+pose" — how messages and metadata name it.
    public var name: String { (hands == 1 ? "hand" : "hands") + (pose ? "+pose" : "") }
    public var description: String { name }

    /// "21 points (one hand)", "49 points (left and right hand, 7 pose points)": for messages.
    public var explained: String {
        "\(points) points (" + (hands == 1 ? "one hand" : "left and right hand") + (pose ? ", 7 pose points" : "") + ")"
    }

    /// The layouts named with their point counts, for "expected …" messages.
    public static var known: String { all.map { "\($0.points) (\($0.name))" }.joined(separator: ", ") }
}
