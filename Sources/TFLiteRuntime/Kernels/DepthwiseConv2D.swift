import CKernels

/// DEPTHWISE_CONV_2D over NHWC. BLAS does not help (each channel is its own tiny filter), so the
/// fast kernel keeps 8 channels of one output pixel in a SIMD register and walks the window.
enum DepthwiseConv2D {
    /// Reference: x [N,H,W,C], w [1,KH,KW,C·M], bias [C·M] → y [N,OH,OW,C·M] where output
    /// channel c·M + m filters input channel c. Accumulates in Double.
    static func naive(_ g: ConvGeometry, multiplier: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                      bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, activation: ActivationClamp) {
        for n in 0..<g.batch { for oy in 0..<g.outH { for ox in 0..<g.outW { for co in 0..<g.outC {
            let ci = co / multiplier
            var sum = Double(bias?[co] ?? 0)
            for ky in 0..<g.kH {
                let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                guard iy >= 0 && iy < g.inH else { continue }
                for kx in 0..<g.kW {
                    let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                    guard ix >= 0 && ix < g.inW else { continue }
                    sum += Double(x[((n * g.inH + iy) * g.inW + ix) * g.inC + ci]) * Double(w[(ky * g.kW + kx) * g.outC + co])
                }
            }
            y[((n * g.outH + oy) * g.outW + ox) * g.outC + co] = activation.apply(Float(sum))
        }}}}
    }

    /// Fast path for depth multiplier 1 over output rows `rows` (indices into N·OH): CKernels'
    /// `ck_depthwise_conv`, 8 channels of a pixel in a vector: stride-1 3×3 and 5×5 filters slide
    /// along eight output pixels with the filter row in registers, other interior pixels go in
    /// tiles of up to 4 pixels × 16 channels, clipped border pixels one at a time; output rows are
    /// shared over `threads`. Each output is bias + Σ in window order on every path and thread count.
    static func multiplierOne(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                              bias: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, activation: ActivationClamp,
                              threads: Int = 1) {
        var cg = g.kernelGeometry
        ck_depthwise_conv_threads(&cg, Int32(g.batch * g.outH), x, w, bias, y, activation.lower, activation.upper,
                                  Int32(clamping: threads))
    }
}

final class DepthwiseConv2DKernel: Kernel {
    let geometry: ConvGeometry
    override var profileShapes: String { geometry.shapes }
    let multiplier: Int
    let weights: FloatBuffer   // [KH, KW, C·M] as stored
    let bias: FloatBuffer      // [C·M] (zeros when absent)
    let activation: ActivationClamp

    init(_ op: OpContext) throws {
        try op.expectInputs(2...3)
        guard case let .depthwiseConv2D(o) = op.op.options else { throw op.fail("missing DepthwiseConv2DOptions") }
        let x = try op.input(0), out = try op.output(0)
        let xs = op.shape(x), ws = op.shape(try op.input(1))
        guard xs.count == 4, ws.count == 4, ws[0] == 1, xs[3] > 0, ws[3] % xs[3] == 0 else {
            throw op.shapeError("input \(xs) and filter \(ws) are not NHWC / [1,KH,KW,C·M]")
        }
        multiplier = ws[3] / xs[3]
        if o.depthMultiplier != 0 && o.depthMultiplier != multiplier {
            throw op.shapeError("depth_multiplier \(o.depthMultiplier) disagrees with filter \(ws) over input \(xs)")
        }
        geometry = try ConvGeometry(op, input: xs, output: out, kernelH: ws[1], kernelW: ws[2], outC: ws[3],
                                    strideH: o.strideH, strideW: o.strideW, dilationH: o.dilationH, dilationW: o.dilationW,
                                    padding: o.padding)
        weights = FloatBuffer(try op.constantFloats(1, count: ws.reduce(1, *), what: "filter"))
        bias = FloatBuffer(op.optionalInput(2) == nil ? [Float](repeating: 0, count: ws[3])
                                                     : try op.constantFloats(2, count: ws[3], what: "bias"))
        activation = try op.activation(o.activation)
        super.init(op, inputs: [x], outputs: [out])
    }

    override var profileKey: String { "DEPTHWISE_CONV_2D \(geometry.kH)x\(geometry.kW) s\(geometry.strideH)" }

    override func run(threads: Int) {
        let g = geometry, x = inputs[0], y = outputs[0]
        if multiplier != 1 {
            DepthwiseConv2D.naive(g, multiplier: multiplier, x: x, w: weights.pointer, bias: bias.pointer, y: y, activation: activation)
            return
        }
        let w = weights.pointer, b = bias.pointer, act = activation
        DepthwiseConv2D.multiplierOne(g, x: x, w: w, bias: b, y: y, activation: act, threads: threads)
    }
}
