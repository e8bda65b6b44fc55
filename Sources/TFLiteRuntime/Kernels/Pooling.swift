/// MAX_POOL_2D and AVERAGE_POOL_2D over NHWC. Padded positions are skipped, not read as zero:
/// the average divides by the number of in-image elements (TFLite's reference pooling does so).
enum Pool2D {
    enum Kind { case max, average }

    /// x [N,H,W,C] → y [N,OH,OW,C], output rows (n·OH + oy) shared out over `threads`: each output
    /// is computed alone, in window order, so the result is the same for any split.
    static func run(_ kind: Kind, _ g: ConvGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                    activation: ActivationClamp, threads: Int = 1) {
        let rows = g.batch * g.outH
        let work = rows * g.outW * g.inC * g.kH * g.kW
        parallelChunks(rows, threads: work >= 1 << 15 ? threads : 1) { part in
            run(kind, g, rows: part, x: x, y: y, activation: activation)
        }
    }

    /// Output rows `rows` (numbered n·OH + oy) of `run`.
    static func run(_ kind: Kind, _ g: ConvGeometry, rows: Range<Int>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                    activation: ActivationClamp) {
        let c = g.inC
        for row in rows { let n = row / g.outH, oy = row % g.outH; for ox in 0..<g.outW {
            let out = y + ((n * g.outH + oy) * g.outW + ox) * c
            let iy0 = oy * g.strideH - g.padTop, ix0 = ox * g.strideW - g.padLeft
            let ky0 = max(0, -iy0), ky1 = min(g.kH, g.inH - iy0)
            let kx0 = max(0, -ix0), kx1 = min(g.kW, g.inW - ix0)
            for ch in 0..<c { out[ch] = kind == .max ? -.infinity : 0 }
            for ky in ky0..<max(ky0, ky1) {
                for kx in kx0..<max(kx0, kx1) {
                    let src = x + ((n * g.inH + iy0 + ky) * g.inW + ix0 + kx) * c
                    if kind == .max { for ch in 0..<c { out[ch] = max(out[ch], src[ch]) } }
                    else { for ch in 0..<c { out[ch] += src[ch] } }
                }
            }
            let elements = Float(max(ky1 - ky0, 0) * max(kx1 - kx0, 0))
            for ch in 0..<c { out[ch] = activation.apply(kind == .max ? out[ch] : out[ch] / elements) }
        }}
    }
}

final class Pool2DKernel: Kernel {
    let kind: Pool2D.Kind
    let geometry: ConvGeometry
    override var profileShapes: String { geometry.shapes }
    let activation: ActivationClamp

    init(_ op: OpContext, _ kind: Pool2D.Kind) throws {
        try op.expectInputs(1...1)
        guard case let .pool2D(o) = op.op.options else { throw op.fail("missing Pool2DOptions") }
        let x = try op.input(0), out = try op.output(0), xs = op.shape(x)
        guard xs.count == 4 else { throw op.shapeError("input \(xs) is not NHWC") }
        geometry = try ConvGeometry(op, input: xs, output: out, kernelH: o.filterH, kernelW: o.filterW, outC: xs[3],
                                    strideH: o.strideH, strideW: o.strideW, padding: o.padding)
        self.kind = kind
        activation = try op.activation(o.activation)
        super.init(op, inputs: [x], outputs: [out])
    }

    override func run(threads: Int) {
        Pool2D.run(kind, geometry, x: inputs[0], y: outputs[0], activation: activation, threads: threads)
    }
}
