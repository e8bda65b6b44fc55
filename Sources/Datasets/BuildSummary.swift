import Foundation
import TensorCore

/// What `build` did: samples per split and class, everything dropped (by reason, with counts),
/// and warnings. `text` is what the command prints.
public struct BuildSummary: Equatable, Sendable {
    public var labelNames: [String] = []
    /// counts[split][class], splits in `BuildOptions.splitNames` order.
    public var counts: [[Int]] = [[], [], []]
    /// Records not in any split: reason → count.
    public var dropped: [String: Int] = [:]
    /// Distinct groups (signers / sources) per split when `--group-by` was used.
    public var groupsPerSplit: [Int]?
    /// Detected frames masked while normalising raw records (degenerate wrist→MCP distance).
    public var degenerateFrames = 0
    /// Frames filled by `--fill-gaps`.
    public var filledFrames = 0
    public var fillGaps = 0
    /// Two-hand clips mirrored by `--dominant-right` (their left hand was seen more).
    public var dominantMirrored = 0
    public var dominantRight = false
    public var sequenceLength = 0
    /// What each frame holds (every clip's layout).
    public var layout = FrameLayout.hand
    public var outputs: [URL] = []
    public var warnings: [String] = []

    public var sampleCounts: [Int] { counts.map { $0.reduce(0, +) } }
    public var droppedCount: Int { dropped.values.reduce(0, +) }

    public var text: String {
        let names = BuildOptions.splitNames
        var lines = ["built \(sampleCounts.reduce(0, +)) samples, \(labelNames.count) classes, T = \(sequenceLength)"
                     + (layout == .hand ? "" : ", \(layout.explained) a frame") + ": "
                     + zip(names, sampleCounts).map { "\($0) \($1)" }.joined(separator: ", ")]
        if let groupsPerSplit {
            lines.append("groups per split: " + zip(names, groupsPerSplit).map { "\($0) \($1)" }.joined(separator: ", "))
        }
        let width = max(5, labelNames.map(\.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func padLeft(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        lines.append(pad("class", width) + names.map { padLeft($0, 7) }.joined())
        for (c, name) in labelNames.enumerated() {
            lines.append(pad(name, width) + counts.map { padLeft(String($0[c]), 7) }.joined())
        }
        for reason in dropped.keys.sorted() { lines.append("dropped \(dropped[reason]!): \(reason)") }
        if degenerateFrames > 0 { lines.append("masked \(degenerateFrames) frames with a degenerate wrist→MCP distance") }
        if dominantRight { lines.append("mirrored \(dominantMirrored) clips whose left hand was seen more (--dominant-right)") }
        if fillGaps > 0 { lines.append("filled \(filledFrames) frames in detection gaps of at most \(fillGaps) frames") }
        lines += warnings.map { "warning: \($0)" }
        lines += outputs.map { "wrote \($0.path)" }
        return lines.joined(separator: "\n")
    }
}
