import CKernels
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

    /// The same geometry for CKernels (input channels as `channels`).
    var kernelGeometry: ck_conv_geometry {
        ck_conv_geometry(batch: Int32(batch), in_h: Int32(inH), in_w: Int32(inW), channels: Int32(inC),
                         out_h: Int32(outH), out_w: Int32(outW), k_h: Int32(kH), k_w: Int32(kW),
                         stride_h: Int32(strideH), stride_w: Int32(strideW),
                         dilation_h: Int32(dilationH), dilation_w: Int32(dilationW),
                         pad_top: Int32(padTop), pad_left: Int32(padLeft))
    }

    /// "112x112x24 → 56x56x24", for per-operator profiles.
    var shapes: String { " \(inH)x\(inW)x\(inC) → \(outH)x\(outW)x\(outC)" }
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

    /// Gathers the receptive fields of output rows `rows` of one image into rows of `cols`:
    /// x [H,W,Cin] → cols [rows.count·OW, KH·KW·Cin], zeros where the window hangs over the padding.
    /// `im2col` in CKernels (`ck_im2col`: fixed-size copies for the 3-channel stems); the same floats.
    static func im2colFast(_ g: ConvGeometry, x: UnsafePointer<Float>, rows: Range<Int>, cols: UnsafeMutablePointer<Float>) {
        var cg = g.kernelGeometry
        ck_im2col(&cg, x, Int32(rows.lowerBound), Int32(rows.upperBound), cols)
    }

    /// Reference for `im2colFast`.
    static func im2col(_ g: ConvGeometry, x: UnsafePointer<Float>, rows: Range<Int>, cols: UnsafeMutablePointer<Float>) {
        let rowLength = g.kH * g.kW * g.inC, span = g.kW * g.inC
        for oy in rows {
            for ox in 0..<g.outW {
                var dst = cols + ((oy - rows.lowerBound) * g.outW + ox) * rowLength
                let ix0 = ox * g.strideW - g.padLeft
                let wholeRow = g.dilationW == 1 && ix0 >= 0 && ix0 + g.kW <= g.inW
                for ky in 0..<g.kH {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    if iy < 0 || iy >= g.inH {
                        dst.update(repeating: 0, count: span)
                    } else if wholeRow {
                        // The window row is KW·Cin contiguous floats of the input (stems: 5·3 = 15).
                        dst.update(from: x + (iy * g.inW + ix0) * g.inC, count: span)
                    } else {
                        for kx in 0..<g.kW {
                            let ix = ix0 + kx * g.dilationW
                            let d = dst + kx * g.inC
                            if ix >= 0 && ix < g.inW { d.update(from: x + (iy * g.inW + ix) * g.inC, count: g.inC) }
                            else { d.update(repeating: 0, count: g.inC) }
                        }
                    }
                    dst += span
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
    /// Set by `EpilogueFusion`: the ADD (and PRELU) that followed this pointwise convolution now
    /// run in its output pass, reading the residual from inputs[1].
    private(set) var fusedResidual = false
    private(set) var fusedAlpha: FloatBuffer?

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
            + (fusedResidual ? (fusedAlpha != nil ? " + ADD + PRELU" : " + ADD") : "")
    }

    override var profileShapes: String { geometry.shapes }

    /// Takes over `ADD(this, residual)` and, when given, the per-channel `PRELU` of its sum:
    /// from now on this kernel reads `residual` too and writes the last op's output.
    func fuse(residual: Int, output: Int, alpha: FloatBuffer?) {
        precondition(geometry.isPointwise && !fusedResidual)
        inputIDs.append(residual)
        outputIDs = [output]
        fusedResidual = true
        fusedAlpha = alpha
    }

    /// Output rows gathered and multiplied at a time by a non-pointwise convolution: about 256
    /// pixels, so a block's gathered columns stay in L2 between im2col and the GEMM.
    var im2colBlockRows: Int { max(1, min(geometry.outH, 256 / max(geometry.outW, 1))) }

    override var scratchCount: Int {
        geometry.isPointwise ? 0 : geometry.batch * geometry.outH * geometry.outW * geometry.kH * geometry.kW * geometry.inC
    }

    override func run(threads: Int) {
        let g = geometry, y = outputs[0], w = packedWeights, b = bias?.pointer, act = activation
        let k = g.kH * g.kW * g.inC
        if !g.isPointwise {
            // Blocks of output rows, each gathered into its own part of scratch and multiplied at
            // once by one thread (the block's columns are still in cache for the GEMM).
            let x = inputs[0], cols = scratch!, blockRows = im2colBlockRows
            let blocks = (g.outH + blockRows - 1) / blockRows
            parallelTasks(g.batch * blocks, threads: threads) { task in
                let n = task / blocks, first = (task % blocks) * blockRows
                let rows = first..<min(first + blockRows, g.outH)
                let at = (n * g.outH + first) * g.outW
                Conv2D.im2colFast(g, x: x + n * g.inH * g.inW * g.inC, rows: rows, cols: cols + at * k)
                w.multiply(m: rows.count * g.outW, a: cols + at * k, lda: k, c: y + at * g.outC, ldc: g.outC,
                           bias: b, lower: act.lower, upper: act.upper)
            }
            return
        }
        let a = UnsafePointer(inputs[0]), rows = g.batch * g.outH * g.outW
        if fusedResidual {
            w.multiplyAddingResidual(m: rows, a: a, lda: k, c: y, ldc: g.outC, bias: b, lower: act.lower, upper: act.upper,
                                     residual: inputs[1], ldr: g.outC, alpha: fusedAlpha?.pointer, threads: threads)
            return
        }
        // Rows (and, for few rows, column panels) shared out on the kernels' pool: each element's
        // sum is the same whichever thread computes it.
        w.multiply(m: rows, a: a, lda: k, c: y, ldc: g.outC, bias: b, lower: act.lower, upper: act.upper, threads: threads)
    }
}
