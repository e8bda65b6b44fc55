import NeuralNets
import TFLiteRuntime

/// MLP: landmarks [B,T,21,3] · mask [B,T,1,1] (MUL) → frame features → RESHAPE [B, T·F] → (FULLY_CONNECTED + fused
/// RELU) × layers → FULLY_CONNECTED head. Dropout is the identity at inference.
enum MLPGraph {
    static func build(_ g: inout GraphBuilder, _ c: ModelConfig, _ w: WeightSource, landmarks: Int, mask: Int) throws -> Int {
        let B = g.shape(landmarks)[0], T = c.sequenceLength
        let mask4 = g.reshape(mask, [B, T, 1, 1], name: "mask4")
        let masked = g.binary(.mul, landmarks, mask4, name: "masked")
        var z = g.reshape(g.frameFeatures(masked, c), [B, T * c.frameWidth], name: "flat")
        for l in 0..<c.layers {
            z = g.fullyConnected(z, weight: try w("net.\(3 * l).weight"), bias: try w("net.\(3 * l).bias"),
                                 out: c.hiddenDim, name: "hidden\(l)", activation: .relu)
        }
        let logits = g.named("logits", [B, c.classCount])
        return g.fullyConnected(z, weight: try w("net.\(3 * c.layers).weight"), bias: try w("net.\(3 * c.layers).bias"),
                                out: c.classCount, name: "head", output: logits)
    }
}
