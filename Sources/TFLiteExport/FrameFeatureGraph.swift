import NeuralNets
import TFLiteRuntime

extension GraphBuilder {
    /// `FrameFeatures` on landmarks `[B, T, K, 3]` (or `[B, T, 3K]`) → `[B, T, W]`; the tensor
    /// unchanged for coordinates alone. Distances, per frame row: FULLY_CONNECTED by the
    /// pair-difference matrix (every pair's x, y, z differences), MUL by itself, FULLY_CONNECTED by
    /// the pair-sum matrix, SQRT. Both matrices stay float32 whatever the quantisation (their ±1
    /// entries are exact; quantising the inputs of the hybrid kernel would not be).
    mutating func frameFeatures(_ landmarks: Int, _ c: ModelConfig) -> Int {
        guard c.features != [.coords] else { return landmarks }
        let layout = c.frameLayout, V = layout.values
        let B = shape(landmarks)[0], T = c.sequenceLength, P = FrameFeatures.pairs(layout).count
        let rows = reshape(landmarks, [B * T, V], name: "feature_rows")
        let difference = FrameFeatures.differenceMatrix(layout), pairSum = FrameFeatures.pairSumMatrix(layout)
        // FULLY_CONNECTED weights are [Out, In]: the transposes of the [In, Out] matrices.
        let a = constant("pair_difference", [3 * P, V], (0..<(3 * P * V)).map { difference[($0 % V) * 3 * P + $0 / V] })
        let s = constant("pair_sum", [P, 3 * P], (0..<(P * 3 * P)).map { pairSum[($0 % (3 * P)) * P + $0 / (3 * P)] })
        func product(_ x: Int, _ w: Int, out: Int, name: String) -> Int {
            let y = newTensor(name, [B * T, out])
            op(.fullyConnected, [x, w, -1], [y], .fullyConnected(FullyConnectedOptions(activation: .none)))
            return y
        }
        let diff = product(rows, a, out: 3 * P, name: "pair_differences")
        let squared = product(binary(.mul, diff, diff, name: "pair_squares"), s, out: P, name: "pair_squared_distances")
        let distances = reshape(unary(.sqrt, squared, name: "pair_distances"), [B, T, P], name: "distances")
        guard c.features.contains(.coords) else { return distances }
        return concatenate([reshape(landmarks, [B, T, V], name: "coords"), distances], axis: 2, name: "frame_features")
    }
}
