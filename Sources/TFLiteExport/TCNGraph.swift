import NeuralNets
import TFLiteRuntime

/// TCN on [B, 1, T, C] (NHWC with H = 1): per block, PAD (K−1)·d frames on the left of the time
/// axis then CONV_2D (VALID, dilation d on W, fused RELU) twice, a 1×1 CONV_2D residual when the
/// width changes, ADD with fused RELU. Masked mean (or max) pooling over valid frames
/// (`GraphBuilder.maskedMean` / `maskedMax`), then the FULLY_CONNECTED head.
enum TCNGraph {
    static func build(_ g: inout GraphBuilder, _ c: ModelConfig, _ w: WeightSource, landmarks: Int, mask: Int) throws -> Int {
        let B = g.shape(landmarks)[0], T = c.sequenceLength, H = c.hiddenDim, K = c.kernelSize
        var x = g.reshape(g.frameFeatures(landmarks, c), [B, 1, T, c.frameWidth], name: "frames")
        for i in 0..<c.layers {
            let d = 1 << i, cin = g.shape(x)[3]
            let p = "blocks.\(i)"
            let h1 = conv(&g, x, try w("\(p).conv1.weight"), try w("\(p).conv1.bias"), cin: cin, out: H, K: K, dilation: d, relu: true, name: "\(p).conv1")
            let h2 = conv(&g, h1, try w("\(p).conv2.weight"), try w("\(p).conv2.bias"), cin: H, out: H, K: K, dilation: d, relu: true, name: "\(p).conv2")
            let residual = cin == H ? x
                : conv(&g, x, try w("\(p).down.weight"), try w("\(p).down.bias"), cin: cin, out: H, K: 1, dilation: 1, relu: false, name: "\(p).down")
            x = g.binary(.add, h2, residual, activation: .relu, name: "\(p).out")
        }
        let z = g.reshape(x, [B, T, H], name: "features")
        let mask3 = g.reshape(mask, [B, T, 1], name: "mask3")
        let pooled = c.pooling == .max ? g.maskedMax(z, mask3, steps: T) : g.maskedMean(z, mask3, steps: T)
        let logits = g.named("logits", [B, c.classCount])
        return g.fullyConnected(pooled, weight: try w("head.weight"), bias: try w("head.bias"), out: c.classCount, name: "head", output: logits)
    }

    /// Causal dilated conv: PyTorch weight [O, C, K] → TFLite OHWI [O, 1, K, C]; left PAD (K−1)·d.
    static func conv(_ g: inout GraphBuilder, _ x: Int, _ weight: [Float], _ bias: [Float], cin C: Int, out O: Int, K: Int,
                     dilation d: Int, relu: Bool, name: String) -> Int {
        var input = x
        let xs = g.shape(x)
        if K > 1 {
            let pads = g.ints(name + "_pads", [0, 0, 0, 0, (K - 1) * d, 0, 0, 0], shape: [4, 2])
            input = g.newTensor(name + "_padded", [xs[0], 1, xs[2] + (K - 1) * d, C])
            g.op(.pad, [x, pads], [input])
        }
        var ohwi = [Float](repeating: 0, count: O * K * C)
        for o in 0..<O { for ci in 0..<C { for k in 0..<K { ohwi[(o * K + k) * C + ci] = weight[(o * C + ci) * K + k] } } }
        let wt = g.weight(name + "_w", [O, 1, K, C], ohwi)
        let bt = g.weight(name + "_b", [O], bias)
        let y = g.newTensor(name, [xs[0], 1, xs[2], O])
        g.op(.conv2D, [input, wt, bt], [y],
             .conv2D(Conv2DOptions(padding: .valid, strideW: 1, strideH: 1, activation: relu ? .relu : .none, dilationW: d, dilationH: 1)))
        return y
    }
}
