import TensorCore

/// What a model sees of each frame's normalised landmarks (`train --features`).
///
/// - `coords`: the coordinates themselves (63 for one hand; the default, and all older models).
/// - `distances`: the 55 pairwise distances between 11 points of the hand — the wrist, the five
///   fingertips and the five finger bases (MediaPipe indices below). They describe the handshape
///   alone: unchanged when the hand turns, tilts or is mirrored, so a left-handed signer's shape
///   matches a right-handed one's. Leave-one-signer-out cross-validation on six real signers
///   chose them (docs/training.md, "Features").
public enum FrameFeature: String, Codable, Sendable, CaseIterable {
    case coords, distances

    /// Values per frame of one hand's layout (`FrameFeatures.width` for others).
    public var width: Int {
        switch self {
        case .coords: 63
        case .distances: FrameFeatures.pairs.count
        }
    }
}

/// The per-frame feature map `[B, T, V]` → `[B, T, F]` (V = the layout's values, 63 for one hand),
/// blocks in `FrameFeature` order (coordinates first). Parameter-free, with the exact backward (so
/// the model's dX stays "d loss / d landmarks", checked by finite differences like every other
/// layer). With two hands the distances are 55 for the left hand, then 55 for the right; pose
/// points are coordinates only.
public final class FrameFeatures {
    /// Wrist 0; fingertips 4, 8, 12, 16, 20; finger bases: thumb MCP 2, index/middle/ring/pinky
    /// MCP 5, 9, 13, 17 (MediaPipe's hand landmark numbering).
    public static let points = [0, 4, 8, 12, 16, 20, 2, 5, 9, 13, 17]
    /// (i, j) landmark pairs of one hand, i before j in `points`, row by row: 55 pairs.
    public static let pairs: [(Int, Int)] = points.indices.flatMap { a in
        points.indices.dropFirst(a + 1).map { b in (points[a], points[b]) }
    }

    /// The pairs of every hand of `layout`, as point indices within the frame: hand h's are
    /// `pairs` shifted by 21·h.
    public static func pairs(_ layout: FrameLayout) -> [(Int, Int)] {
        (0..<layout.hands).flatMap { h in pairs.map { (i, j) in (i + FrameLayout.handPoints * h, j + FrameLayout.handPoints * h) } }
    }

    public let kinds: [FrameFeature]
    public let layout: FrameLayout
    /// Which blocks are on, looked up once rather than per frame row.
    private let hasCoords: Bool, hasDistances: Bool
    private let framePairs: [(Int, Int)]
    /// Values a frame of input (the layout's) and of output.
    public var inputWidth: Int { layout.values }
    public var width: Int { (hasCoords ? layout.values : 0) + (hasDistances ? framePairs.count : 0) }
    /// True when the map is the identity (coordinates only): no copy, nothing to undo.
    public var isIdentity: Bool { kinds == [.coords] }
    private var input: [Float] = []
    private var distances: [Float] = []
    private var rows = 0

    /// `kinds` in canonical order without repeats (`normalised(_:)`).
    public init(_ kinds: [FrameFeature], layout: FrameLayout = .hand) {
        self.kinds = FrameFeatures.normalised(kinds)
        self.layout = layout
        hasCoords = self.kinds.contains(.coords)
        hasDistances = self.kinds.contains(.distances)
        framePairs = FrameFeatures.pairs(layout)
    }

    /// Canonical order, no repeats; empty means coordinates.
    public static func normalised(_ kinds: [FrameFeature]) -> [FrameFeature] {
        let set = Set(kinds)
        return set.isEmpty ? [.coords] : FrameFeature.allCases.filter(set.contains)
    }

    /// x `[B, T, V]` → `[B, T, width]`.
    public func forward(_ x: Tensor) -> Tensor {
        guard !isIdentity else { return x }
        let V = inputWidth
        precondition(x.rank == 3 && x.shape[2] == V, "frame features need [B, T, \(V)], got \(x.shape)")
        rows = x.shape[0] * x.shape[1]
        input = x.scalars
        distances = hasDistances ? FrameFeatures.distances(x.scalars, rows: rows, layout: layout) : []
        let F = width, P = framePairs.count
        var out = [Float](repeating: 0, count: rows * F)
        for r in 0..<rows {
            var o = r * F
            if hasCoords {
                for f in 0..<V { out[o + f] = input[r * V + f] }
                o += V
            }
            if hasDistances {
                for p in 0..<P { out[o + p] = distances[r * P + p] }
            }
        }
        return Tensor(shape: [x.shape[0], x.shape[1], F], scalars: out)
    }

    /// dY `[B, T, width]` → dX `[B, T, V]`. d‖a − b‖/da = (a − b)/‖a − b‖; 0 where the two points
    /// coincide (an undetected hand is all zeros), as PyTorch's norm takes it.
    public func backward(_ dY: Tensor) -> Tensor {
        guard !isIdentity else { return dY }
        let F = width, P = framePairs.count, V = inputWidth
        precondition(dY.count == rows * F, "frame features backward: \(dY.shape) for \(rows) frames of \(F)")
        let g = dY.scalars
        var dx = [Float](repeating: 0, count: rows * V)
        for r in 0..<rows {
            var o = r * F
            if hasCoords {
                for f in 0..<V { dx[r * V + f] = g[o + f] }
                o += V
            }
            if hasDistances {
                for (p, (i, j)) in framePairs.enumerated() {
                    let d = distances[r * P + p]
                    guard d > 0 else { continue }
                    let scale = g[o + p] / d
                    for c in 0..<3 {
                        let diff = input[r * V + 3 * i + c] - input[r * V + 3 * j + c]
                        dx[r * V + 3 * i + c] += scale * diff
                        dx[r * V + 3 * j + c] -= scale * diff
                    }
                }
            }
        }
        return Tensor(shape: [dY.shape[0], dY.shape[1], V], scalars: dx)
    }

    /// `rows` frames of `layout` → `rows` × (55 · hands) distances, each √(Σ_c (a_c − b_c)²)
    /// summed in x, y, z order (the exported graphs' order).
    public static func distances(_ x: [Float], rows: Int, layout: FrameLayout = .hand) -> [Float] {
        let framePairs = pairs(layout), V = layout.values, P = framePairs.count
        var out = [Float](repeating: 0, count: rows * P)
        for r in 0..<rows {
            for (p, (i, j)) in framePairs.enumerated() {
                var s: Float = 0
                for c in 0..<3 {
                    let d = x[r * V + 3 * i + c] - x[r * V + 3 * j + c]
                    s += d * d
                }
                out[r * P + p] = s.squareRoot()
            }
        }
        return out
    }

    /// The pair-difference matrix `[V, 3·P]` (P = 55 per hand): frame · A = the differences
    /// (a − b) of every pair, x, y, z per pair — how the exported ONNX and TFLite graphs compute
    /// the distances with one matrix product, a square, a summing product `[3·P, P]` and a root.
    public static func differenceMatrix(_ layout: FrameLayout = .hand) -> [Float] {
        let framePairs = pairs(layout), P = framePairs.count
        var a = [Float](repeating: 0, count: layout.values * 3 * P)
        for (p, (i, j)) in framePairs.enumerated() {
            for c in 0..<3 {
                a[(3 * i + c) * 3 * P + 3 * p + c] = 1
                a[(3 * j + c) * 3 * P + 3 * p + c] = -1
            }
        }
        return a
    }

    /// `[3·P, P]`: sums each pair's three squared differences.
    public static func pairSumMatrix(_ layout: FrameLayout = .hand) -> [Float] {
        let P = pairs(layout).count
        var s = [Float](repeating: 0, count: 3 * P * P)
        for p in 0..<P { for c in 0..<3 { s[(3 * p + c) * P + p] = 1 } }
        return s
    }
}

extension ModelConfig {
    /// The frame layout of `featureCount` inputs (one hand when the count fits none: such a
    /// model has no distances to compute, `ModelMetadata` refuses the pair).
    public var frameLayout: FrameLayout { FrameLayout(values: featureCount) ?? .hand }

    /// Values per frame the first layer takes (`features` applied to `featureCount` inputs).
    public var frameWidth: Int { features == [.coords] ? featureCount : FrameFeatures(features, layout: frameLayout).width }
}
