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

    /// Fast path for depth multiplier 1 over output rows `rows` (indices into N·OH).
    /// Interior pixels go four at a time (`interiorBlock`): each weight vector is loaded once
    /// for four outputs, which matters because the kernel is load-bound. Border pixels, where
    /// the window is clipped, go one at a time (`clippedPixel`).
    static func multiplierOne(_ g: ConvGeometry, rows: Range<Int>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                              bias: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, activation: ActivationClamp) {
        // Interior columns: the whole kx range lies inside the image.
        let firstInterior = (g.padLeft + g.strideW - 1) / g.strideW
        let lastReach = g.inW - 1 - (g.kW - 1) * g.dilationW + g.padLeft   // ox·s ≤ lastReach
        let endInterior = max(firstInterior, min(g.outW, lastReach >= 0 ? lastReach / g.strideW + 1 : 0))
        for row in rows {
            let n = row / g.outH, oy = row % g.outH
            let image = x + n * g.inH * g.inW * g.inC
            let iy0 = oy * g.strideH - g.padTop
            // Window rows inside the image: ky with 0 ≤ iy0 + ky·d < H.
            var ky0 = 0, ky1 = g.kH
            while ky0 < ky1 && iy0 + ky0 * g.dilationH < 0 { ky0 += 1 }
            while ky1 > ky0 && iy0 + (ky1 - 1) * g.dilationH >= g.inH { ky1 -= 1 }
            var ox = 0
            while ox < min(firstInterior, g.outW) {
                clippedPixel(g, image: image, oy: oy, ox: ox, ky0: ky0, ky1: ky1, w: w, bias: bias, out: y + (row * g.outW + ox) * g.inC, activation)
                ox += 1
            }
            while ox + 4 <= endInterior {
                interiorBlock(g, image: image, iy0: iy0, ix0: ox * g.strideW - g.padLeft, ky0: ky0, ky1: ky1, w: w, bias: bias,
                              out: y + (row * g.outW + ox) * g.inC, activation)
                ox += 4
            }
            while ox < g.outW {
                clippedPixel(g, image: image, oy: oy, ox: ox, ky0: ky0, ky1: ky1, w: w, bias: bias, out: y + (row * g.outW + ox) * g.inC, activation)
                ox += 1
            }
        }
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Four horizontally adjacent output pixels whose windows lie inside the image columns.
    @inline(__always)
    private static func interiorBlock(_ g: ConvGeometry, image: UnsafePointer<Float>, iy0: Int, ix0: Int, ky0: Int, ky1: Int,
                                      w: UnsafePointer<Float>, bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                      _ activation: ActivationClamp) {
        let c = g.inC, vectorC = c & ~7
        let step = g.strideW * c          // input distance between neighbouring output pixels
        let tap = g.dilationW * c
        var ch = 0
        while ch < vectorC {
            let b = load(bias + ch)
            var a0 = b, a1 = b, a2 = b, a3 = b
            for ky in ky0..<ky1 {
                var p = image + ((iy0 + ky * g.dilationH) * g.inW + ix0) * c + ch
                var q = w + ky * g.kW * c + ch
                for _ in 0..<g.kW {
                    let wv = load(q)
                    a0 += load(p) * wv
                    a1 += load(p + step) * wv
                    a2 += load(p + 2 * step) * wv
                    a3 += load(p + 3 * step) * wv
                    p += tap
                    q += c
                }
            }
            store(activation.apply(a0), out + ch)
            store(activation.apply(a1), out + c + ch)
            store(activation.apply(a2), out + 2 * c + ch)
            store(activation.apply(a3), out + 3 * c + ch)
            ch += 8
        }
        while ch < c {
            for k in 0..<4 {
                var acc = bias[ch]
                for ky in ky0..<ky1 {
                    for kx in 0..<g.kW {
                        acc += image[((iy0 + ky * g.dilationH) * g.inW + ix0 + kx * g.dilationW) * c + k * step + ch] * w[(ky * g.kW + kx) * c + ch]
                    }
                }
                out[k * c + ch] = activation.apply(acc)
            }
            ch += 1
        }
    }

    /// One output pixel whose window may hang over the left/right padding.
    @inline(__always)
    private static func clippedPixel(_ g: ConvGeometry, image: UnsafePointer<Float>, oy: Int, ox: Int, ky0: Int, ky1: Int,
                                     w: UnsafePointer<Float>, bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                     _ activation: ActivationClamp) {
        let c = g.inC, vectorC = c & ~7
        let iy0 = oy * g.strideH - g.padTop, ix0 = ox * g.strideW - g.padLeft
        var kx0 = 0, kx1 = g.kW
        while kx0 < kx1 && ix0 + kx0 * g.dilationW < 0 { kx0 += 1 }
        while kx1 > kx0 && ix0 + (kx1 - 1) * g.dilationW >= g.inW { kx1 -= 1 }
        var ch = 0
        while ch < vectorC {
            var acc = load(bias + ch)
            for ky in ky0..<ky1 {
                let inRow = image + ((iy0 + ky * g.dilationH) * g.inW + ix0) * c + ch
                let wRow = w + ky * g.kW * c + ch
                for kx in kx0..<kx1 {
                    acc += load(inRow + kx * g.dilationW * c) * load(wRow + kx * c)
                }
            }
            store(activation.apply(acc), out + ch)
            ch += 8
        }
        while ch < c {
            var acc = bias[ch]
            for ky in ky0..<ky1 {
                for kx in kx0..<kx1 {
                    acc += image[((iy0 + ky * g.dilationH) * g.inW + ix0 + kx * g.dilationW) * c + ch] * w[(ky * g.kW + kx) * c + ch]
                }
            }
            out[ch] = activation.apply(acc)
            ch += 1
        }
    }
}

final class DepthwiseConv2DKernel: Kernel {
    let geometry: ConvGeometry
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
        parallelChunks(g.batch * g.outH, threads: threads) { rows in
            DepthwiseConv2D.multiplierOne(g, rows: rows, x: x, w: w, bias: b, y: y, activation: act)
        }
    }
}
