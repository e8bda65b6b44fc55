/// RESIZE_BILINEAR over NHWC, following TFLite's reference kernel
/// (tensorflow/lite/kernels/internal/reference/resize_bilinear.h):
/// - scale = in/out, or (in−1)/(out−1) with align_corners;
/// - src = (dst + 0.5)·scale − 0.5 with half_pixel_centers, else dst·scale;
/// - lower = max(floor(src), 0), upper = min(ceil(src), in−1), weight = src − lower
///   (so at the borders the two taps coincide: edge clamping).
enum ResizeBilinear {
    struct Tap { var lower: Int; var upper: Int; var weight: Float }

    static func taps(input: Int, output: Int, alignCorners: Bool, halfPixelCenters: Bool) -> [Tap] {
        let scale: Float = alignCorners && output > 1 ? Float(input - 1) / Float(output - 1) : Float(input) / Float(output)
        return (0..<output).map { d in
            let src = halfPixelCenters ? (Float(d) + 0.5) * scale - 0.5 : Float(d) * scale
            let lower = max(Int(src.rounded(.down)), 0)
            let upper = min(Int(src.rounded(.up)), input - 1)
            return Tap(lower: lower, upper: upper, weight: src - Float(lower))
        }
    }

    /// x [N,H,W,C] → y [N,OH,OW,C], the reference's term order:
    /// x00·(1−dy)(1−dx) + x10·dy(1−dx) + x01·(1−dy)dx + x11·dy·dx.
    static func run(x: UnsafePointer<Float>, batch: Int, inH: Int, inW: Int, channels c: Int,
                    rows: [Tap], cols: [Tap], y: UnsafeMutablePointer<Float>) {
        var out = y
        for n in 0..<batch {
            let image = x + n * inH * inW * c
            for r in rows {
                let dy = r.weight
                for t in cols {
                    let dx = t.weight
                    let p00 = image + (r.lower * inW + t.lower) * c, p10 = image + (r.upper * inW + t.lower) * c
                    let p01 = image + (r.lower * inW + t.upper) * c, p11 = image + (r.upper * inW + t.upper) * c
                    let w00 = (1 - dy) * (1 - dx), w10 = dy * (1 - dx), w01 = (1 - dy) * dx, w11 = dy * dx
                    for ch in 0..<c {
                        out[ch] = p00[ch] * w00 + p10[ch] * w10 + p01[ch] * w01 + p11[ch] * w11
                    }
                    out += c
                }
            }
        }
    }
}

final class ResizeBilinearKernel: Kernel {
    let batch: Int, inH: Int, inW: Int, channels: Int
    let rows: [ResizeBilinear.Tap], cols: [ResizeBilinear.Tap]

    init(_ op: OpContext) throws {
        try op.expectInputs(2...2)
        guard case let .resizeBilinear(alignCorners, halfPixel) = op.op.options else { throw op.fail("missing ResizeBilinearOptions") }
        if alignCorners && halfPixel { throw op.fail("align_corners and half_pixel_centers are both set") }
        let x = try op.input(0), out = try op.output(0), xs = op.shape(x)
        let size = try op.constantInts(1, what: "size")
        guard xs.count == 4, xs[1] > 0, xs[2] > 0, size.count == 2, size[0] > 0, size[1] > 0 else { throw op.shapeError("input \(xs), size \(size)") }
        try op.expectOutputShape([xs[0], size[0], size[1], xs[3]], out)
        batch = xs[0]; inH = xs[1]; inW = xs[2]; channels = xs[3]
        rows = ResizeBilinear.taps(input: inH, output: size[0], alignCorners: alignCorners, halfPixelCenters: halfPixel)
        cols = ResizeBilinear.taps(input: inW, output: size[1], alignCorners: alignCorners, halfPixelCenters: halfPixel)
        super.init(op, inputs: [x], outputs: [out])
    }

    override func run(threads: Int) {
        ResizeBilinear.run(x: inputs[0], batch: batch, inH: inH, inW: inW, channels: channels, rows: rows, cols: cols, y: outputs[0])
    }
}
