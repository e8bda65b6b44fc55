import TensorCore

/// Geometry of a 2-D convolution or pooling window over NHWC data.
struct ConvGeometry: Equatable {
    var batch: Int, inH: Int, inW: Int, inC: Int
    var outH: Int, outW: Int, outC: Int
    var kH: Int, kW: Int
    var strideH: Int, strideW: Int
    var dilationH: Int = 1, dilationW: Int = 1
    var padTop: Int, padLeft: Int

    /// 1×1, stride 1, no padding: the convolution is one matrix product over NHWC rows.
    var isPointwise: Bool {
        kH == 1 && kW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
            && outH == inH && outW == inW
    }
}

extension ConvGeometry {
    /// Validates strides/dilations and derives the output size and padding of a window op over an
    /// NHWC input `xs`, checking the output tensor's shape; shared by convolutions and pooling.
    init(_ op: OpContext, input xs: [Int], output: Int, kernelH: Int, kernelW: Int, outC: Int,
         strideH: Int, strideW: Int, dilationH: Int = 1, dilationW: Int = 1, padding: Padding) throws {
        guard strideH > 0, strideW > 0, dilationH > 0, dilationW > 0, kernelH > 0, kernelW > 0 else {
            throw op.fail("window \(kernelH)×\(kernelW), stride \(strideH)×\(strideW), dilation \(dilationH)×\(dilationW) must be positive")
        }
        let (oh, top) = convolutionGeometry(input: xs[1], kernel: kernelH, stride: strideH, dilation: dilationH, padding: padding)
        let (ow, left) = convolutionGeometry(input: xs[2], kernel: kernelW, stride: strideW, dilation: dilationW, padding: padding)
        self.init(batch: xs[0], inH: xs[1], inW: xs[2], inC: xs[3], outH: oh, outW: ow, outC: outC,
                  kH: kernelH, kW: kernelW, strideH: strideH, strideW: strideW,
                  dilationH: dilationH, dilationW: dilationW, padTop: top, padLeft: left)
        try op.expectOutputShape([xs[0], oh, ow, outC], output)
    }
}

enum Conv2D {
    /// Reference: x [N,H,W,Cin], w [Cout,KH,KW,Cin] (OHWI), bias [Cout] → y [N,OH,OW,Cout].
    /// Direct loops accumulating in Double; zero padding outside the input.
    static func naive(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                      y: UnsafeMutablePointer<Float>, activation: ActivationClamp) {
        for n in 0..<g.batch { for oy in 0..<g.outH { for ox in 0..<g.outW { for co in 0..<g.outC {
            var sum = Double(bias?[co] ?? 0)
            for ky in 0..<g.kH {
                let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                guard iy >= 0 && iy < g.inH else { continue }
                for kx in 0..<g.kW {
                    let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                    guard ix >= 0 && ix < g.inW else { continue }
                    for ci in 0..<g.inC {
                        sum += Double(x[((n * g.inH + iy) * g.inW + ix) * g.inC + ci])
                            * Double(w[((co * g.kH + ky) * g.kW + kx) * g.inC + ci])
                    }
                }
            }
            y[((n * g.outH + oy) * g.outW + ox) * g.outC + co] = activation.apply(Float(sum))
        }}}}
    }

    /// Gathers the receptive fields of one image into rows: x [H,W,Cin] → cols [OH·OW, KH·KW·Cin],
    /// zeros where the window hangs over the padding.
    static func im2col(_ g: ConvGeometry, x: UnsafePointer<Float>, cols: UnsafeMutablePointer<Float>) {
        let rowLength = g.kH * g.kW * g.inC
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                var dst = cols + (oy * g.outW + ox) * rowLength
                for ky in 0..<g.kH {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    for kx in 0..<g.kW {
                        let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                        // Stems have 3 input channels: an inline loop beats a memmove call per tap.
                        if iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW {
                            let src = x + (iy * g.inW + ix) * g.inC
                            if g.inC <= 8 { for c in 0..<g.inC { dst[c] = src[c] } } else { dst.update(from: src, count: g.inC) }
                        } else {
                            if g.inC <= 8 { for c in 0..<g.inC { dst[c] = 0 } } else { dst.update(repeating: 0, count: g.inC) }
                        }
                        dst += g.inC
                    }
                }
            }
        }
    }
}

/// CONV_2D: 1×1 stride-1 convolutions are one packed GEMM over the NHWC rows; others go through
/// im2col first. Weights are packed once at load (`PackedMatrix`, from OHWI = [Cout, KH·KW·Cin]),
/// and bias + clamp run in the GEMM's epilogue. The GEMM is our own (CKernels), not BLAS, so the
/// convolutions — which decide where hand tracking goes next — give one answer on every CPU.
final class Conv2DKernel: Kernel {
    let geometry: ConvGeometry
    let packedWeights: PackedMatrix  // B [KH·KW·Cin, Cout]
    let bias: FloatBuffer?           // [Cout]
    let activation: ActivationClamp

    init(_ op: OpContext) throws {
        try op.expectInputs(2...3)
        guard case let .conv2D(o) = op.op.options else { throw op.fail("missing Conv2DOptions") }
        let x = try op.input(0), out = try op.output(0)
        let xs = op.shape(x), ws = op.shape(try op.input(1))
        guard xs.count == 4, ws.count == 4, ws[3] == xs[3] else {
            throw op.shapeError("input \(xs) and filter \(ws) are not NHWC / OHWI with matching channels")
        }
        geometry = try ConvGeometry(op, input: xs, output: out, kernelH: ws[1], kernelW: ws[2], outC: ws[0],
                                    strideH: o.strideH, strideW: o.strideW, dilationH: o.dilationH, dilationW: o.dilationW,
                                    padding: o.padding)
        let w = try op.constantFloats(1, count: ws.reduce(1, *), what: "filter")
        packedWeights = PackedMatrix(k: ws[1] * ws[2] * ws[3], n: ws[0], b: w, transposed: true)
        bias = op.optionalInput(2) == nil ? nil : FloatBuffer(try op.constantFloats(2, count: ws[0], what: "bias"))
        activation = try op.activation(o.activation)
        super.init(op, inputs: [x], outputs: [out])
    }

    override var profileKey: String {
        "CONV_2D \(geometry.kH)x\(geometry.kW)\(geometry.isPointwise ? " gemm" : " im2col") s\(geometry.strideH)"
    }

    override var scratchCount: Int {
        geometry.isPointwise ? 0 : geometry.batch * geometry.outH * geometry.outW * geometry.kH * geometry.kW * geometry.inC
    }

    override func run(threads: Int) {
        let g = geometry, y = outputs[0], w = packedWeights, b = bias?.pointer, act = activation
        let k = g.kH * g.kW * g.inC, rows = g.batch * g.outH * g.outW, imageRows = g.outH * g.outW
        let a: UnsafePointer<Float>
        if g.isPointwise {
            a = UnsafePointer(inputs[0])
        } else {
            let x = inputs[0], cols = scratch!
            for n in 0..<g.batch {
                Conv2D.im2col(g, x: x + n * g.inH * g.inW * g.inC, cols: cols + n * imageRows * k)
            }
            a = UnsafePointer(cols)
        }
        // Rows split between threads: each element's sum is the same whichever thread computes it.
        parallelChunks(rows, threads: rows >= 64 ? threads : 1) { part in
            w.multiply(m: part.count, a: a + part.lowerBound * k, lda: k, c: y + part.lowerBound * g.outC, ldc: g.outC,
                       bias: b, lower: act.lower, upper: act.upper)
        }
    }
}
