import TensorCore

/// What a model sees of each frame's 21 normalised landmarks (`train --features`).
///
/// - `coords`: the 63 coordinates themselves (the default, and all older models).
/// - `distances`: the 55 pairwise distances between 11 points of the hand — the wrist, the five
///   fingertips and the five finger bases (MediaPipe indices below). They describe the handshape
///   alone: unchanged when the hand turns, tilts or is mirrored, so a left-handed signer's shape
///   matches a right-handed one's. Leave-one-signer-out cross-validation on six real signers
///   chose them (docs/training.md, "Features").
public enum FrameFeature: String, Codable, Sendable, CaseIterable {
    case coords, distances

    /// Values per frame.
    public var width: Int {
        switch self {
        case .coords: 63
        case .distances: FrameFeatures.pairs.count
        }
    }
}

/// The per-frame feature map `[B, T, 63]` → `[B, T, F]`, blocks in `FrameFeature` order
/// (coordinates first). Parameter-free, with the exact backward (so the model's dX stays
/// "d loss / d landmarks", checked by finite differences like every other layer).
public final class FrameFeatures {
    /// Wrist 0; fingertips 4, 8, 12, 16, 20; finger bases: thumb MCP 2, index/middle/ring/pinky
    /// MCP 5, 9, 13, 17 (MediaPipe's hand landmark numbering).
    public static let points = [0, 4, 8, 12, 16, 20, 2, 5, 9, 13, 17]
    /// (i, j) landmark pairs, i before j in `points`, row by row: 55 pairs.
    public static let pairs: [(Int, Int)] = points.indices.flatMap { a in
        points.indices.dropFirst(a + 1).map { b in (points[a], points[b]) }
    }

    public let kinds: [FrameFeature]
    /// Which blocks are on, looked up once rather than per frame row.
    private let hasCoords: Bool, hasDistances: Bool
    public var width: Int { kinds.reduce(0) { $0 + $1.width } }
    /// True when the map is the identity (coordinates only): no copy, nothing to undo.
    public var isIdentity: Bool { kinds == [.coords] }
    private var input: [Float] = []
    private var distances: [Float] = []
    private var rows = 0

    /// `kinds` in canonical order without repeats (`normalised(_:)`).
    public init(_ kinds: [FrameFeature]) {
        self.kinds = FrameFeatures.normalised(kinds)
        hasCoords = self.kinds.contains(.coords)
        hasDistances = self.kinds.contains(.distances)
    }

    /// Canonical order, no repeats; empty means coordinates.
    public static func normalised(_ kinds: [FrameFeature]) -> [FrameFeature] {
        let set = Set(kinds)
        return set.isEmpty ? [.coords] : FrameFeature.allCases.filter(set.contains)
    }

    /// x `[B, T, 63]` → `[B, T, width]`.
    public func forward(_ x: Tensor) -> Tensor {
        guard !isIdentity else { return x }
        precondition(x.rank == 3 && x.shape[2] == 63, "frame features need [B, T, 63], got \(x.shape)")
        rows = x.shape[0] * x.shape[1]
        input = x.scalars
        distances = hasDistances ? FrameFeatures.distances(x.scalars, rows: rows) : []
        let F = width, P = FrameFeatures.pairs.count
        var out = [Float](repeating: 0, count: rows * F)
        for r in 0..<rows {
            var o = r * F
            if hasCoords {
                for f in 0..<63 { out[o + f] = input[r * 63 + f] }
                o += 63
            }
            if hasDistances {
                for p in 0..<P { out[o + p] = distances[r * P + p] }
            }
        }
        return Tensor(shape: [x.shape[0], x.shape[1], F], scalars: out)
    }

    /// dY `[B, T, width]` → dX `[B, T, 63]`. d‖a − b‖/da = (a − b)/‖a − b‖; 0 where the two points
    /// coincide (an undetected frame is all zeros), as PyTorch's norm takes it.
    public func backward(_ dY: Tensor) -> Tensor {
        guard !isIdentity else { return dY }
        let F = width, P = FrameFeatures.pairs.count
        precondition(dY.count == rows * F, "frame features backward: \(dY.shape) for \(rows) frames of \(F)")
        let g = dY.scalars
        var dx = [Float](repeating: 0, count: rows * 63)
        for r in 0..<rows {
            var o = r * F
            if hasCoords {
                for f in 0..<63 { dx[r * 63 + f] = g[o + f] }
                o += 63
            }
            if hasDistances {
                for (p, (i, j)) in FrameFeatures.pairs.enumerated() {
                    let d = distances[r * P + p]
                    guard d > 0 else { continue }
                    let scale = g[o + p] / d
                    for c in 0..<3 {
                        let diff = input[r * 63 + 3 * i + c] - input[r * 63 + 3 * j + c]
                        dx[r * 63 + 3 * i + c] += scale * diff
                        dx[r * 63 + 3 * j + c] -= scale * diff
                    }
                }
            }
        }
        return Tensor(shape: [dY.shape[0], dY.shape[1], 63], scalars: dx)
    }

    /// `rows` frames of 63 values → `rows` × 55 distances, each √(Σ_c (a_c − b_c)²) summed in
    /// x, y, z order (the exported graphs' order).
    public static func distances(_ x: [Float], rows: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * pairs.count)
        for r in 0..<rows {
            for (p, (i, j)) in pairs.enumerated() {
                var s: Float = 0
                for c in 0..<3 {
                    let d = x[r * 63 + 3 * i + c] - x[r * 63 + 3 * j + c]
                    s += d * d
                }
                out[r * pairs.count + p] = s.squareRoot()
            }
        }
        return out
    }

    /// The pair-difference matrix `[63, 3·55]`: frame · A = the differences (a − b) of every pair,
    /// x, y, z per pair — how the exported ONNX and TFLite graphs compute the distances with one
    /// matrix product, a square, a summing product `[3·55, 55]` and a square root.
    public static var differenceMatrix: [Float] {
        let P = pairs.count
        var a = [Float](repeating: 0, count: 63 * 3 * P)
        for (p, (i, j)) in pairs.enumerated() {
            for c in 0..<3 {
                a[(3 * i + c) * 3 * P + 3 * p + c] = 1
                a[(3 * j + c) * 3 * P + 3 * p + c] = -1
            }
        }
        return a
    }

    /// `[3·55, 55]`: sums each pair's three squared differences.
    public static var pairSumMatrix: [Float] {
        let P = pairs.count
        var s = [Float](repeating: 0, count: 3 * P * P)
        for p in 0..<P { for c in 0..<3 { s[(3 * p + c) * P + p] = 1 } }
        return s
    }
}

extension ModelConfig {
    /// Values per frame the first layer takes (`features` applied to `featureCount` inputs).
    public var frameWidth: Int { features == [.coords] ? featureCount : FrameFeatures(features).width }
}
