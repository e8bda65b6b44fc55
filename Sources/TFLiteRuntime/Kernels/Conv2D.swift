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

    /// y [rows, cols] += bias [cols], then the fused clamp, in one pass.
    static func addBiasAndClamp(_ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                bias: UnsafePointer<Float>?, activation: ActivationClamp) {
        if bias == nil && activation.isIdentity { return }
        let vectorCols = cols & ~7
        for r in 0..<rows {
            let row = y + r * cols
            var c = 0
            while c < vectorCols {
                var v = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Float>.self)
                if let bias { v += UnsafeRawPointer(bias + c).loadUnaligned(as: SIMD8<Float>.self) }
                v = activation.apply(v)
                UnsafeMutableRawPointer(row + c).storeBytes(of: v, as: SIMD8<Float>.self)
                c += 8
            }
            while c < cols {
                row[c] = activation.apply(row[c] + (bias?[c] ?? 0))
                c += 1
            }
        }
    }
}

/// CONV_2D: 1×1 stride-1 convolutions are one SGEMM over the NHWC rows; others go through
/// im2col + SGEMM. Weights are repacked once to [KH·KW·Cin, Cout] so BLAS reads them untransposed.
final class Conv2DKernel: Kernel {
    let geometry: ConvGeometry
    let packedWeights: FloatBuffer   // [KH·KW·Cin, Cout]
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
        let k = ws[1] * ws[2] * ws[3], cout = ws[0]
        var packed = [Float](repeating: 0, count: w.count)
        for co in 0..<cout { for p in 0..<k { packed[p * cout + co] = w[co * k + p] } }
        packedWeights = FloatBuffer(packed)
        bias = op.optionalInput(2) == nil ? nil : FloatBuffer(try op.constantFloats(2, count: cout, what: "bias"))
        activation = try op.activation(o.activation)
        super.init(op, inputs: [x], outputs: [out])
    }

    override var profileKey: String {
        "CONV_2D \(geometry.kH)x\(geometry.kW)\(geometry.isPointwise ? " gemm" : " im2col") s\(geometry.strideH)"
    }

    override var scratchCount: Int {
        geometry.isPointwise ? 0 : geometry.outH * geometry.outW * geometry.kH * geometry.kW * geometry.inC
    }

    override func run(threads: Int) {
        let g = geometry, x = inputs[0], y = outputs[0]
        let k = g.kH * g.kW * g.inC, rows = g.outH * g.outW
        if g.isPointwise {
            MatMul.gemm(m: g.batch * rows, n: g.outC, k: k, a: x, b: packedWeights.pointer, c: y)
        } else {
            for n in 0..<g.batch {
                Conv2D.im2col(g, x: x + n * g.inH * g.inW * g.inC, cols: scratch!)
                MatMul.gemm(m: rows, n: g.outC, k: k, a: scratch!, b: packedWeights.pointer, c: y + n * rows * g.outC)
            }
        }
        Conv2D.addBiasAndClamp(y, rows: g.batch * rows, cols: g.outC, bias: bias?.pointer, activation: activation)
    }
}
