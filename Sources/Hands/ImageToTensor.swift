import CKernels
import Foundation

/// MediaPipe's ImageToTensorCalculator on CPU: crop a rotated ROI out of an RGB8 image into an
/// N×N float tensor in [0, 1]. MediaPipe does this with OpenCV (`getPerspectiveTransform` +
/// `warpPerspective(INTER_LINEAR)` on the uint8 image, then /255), so for landmark parity we
/// emulate OpenCV's fixed-point bilinear sampler exactly (spec §2.1; `cv_warp_exact.py` in the
/// oracle tools validated it to 99.997 % identical values): a plain float sampler drifts up to
/// 19.5 px on some hands.
public enum ImageToTensor {
    /// What a tap outside the image reads: 0 (palm input) or the nearest edge pixel (landmarks).
    public enum Border: Sendable { case zero, replicate }

    /// Tensor pixel (u, v) samples the source at c + R(θ)·((u/N − 0.5)·w, (v/N − 0.5)·h), pixel
    /// centres on integer coordinates (no half-pixel shift). Returns `[size, size, 3]` floats.
    /// Bit-identical to `cropReference`; faster because it runs in C (`ck_affine_crop_rgb8`,
    /// CKernels), the products m00·u, m10·u are tabulated once (the sums keep the reference's
    /// order, so the doubles are the same) and pixels whose four taps lie inside the image skip
    /// the border rule.
    ///
    /// - Parameters: `pixels` RGB8 row-major `[height, width, 3]`; `roi` in pixels.
    public static func crop(pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                            roi: PixelRect, size: Int, border: Border,
                            into output: UnsafeMutableBufferPointer<Float>) {
        precondition(pixels.count >= width * height * 3 && output.count >= size * size * 3)
        let (m00, m01, m02, m10, m11, m12) = affine(roi, size: size)
        let m = [m00, m01, m02, m10, m11, m12]
        ck_affine_crop_rgb8(pixels.baseAddress!, Int32(width), Int32(height), m, Int32(size),
                            Int32(border == .zero ? CK_BORDER_ZERO : CK_BORDER_REPLICATE), output.baseAddress!)
    }

    /// One channel of source pixel (xx, yy) under the border rule: 0 (palm input) or the nearest
    /// edge pixel (landmark crops) outside the image.
    @inline(__always)
    private static func borderTap(_ src: UnsafePointer<UInt8>, _ width: Int, _ height: Int, _ border: Border,
                                  _ yy: Int, _ xx: Int, _ channel: Int) -> Int {
        switch border {
        case .replicate:
            let cy = min(max(yy, 0), height - 1), cx = min(max(xx, 0), width - 1)
            return Int(src[(cy * width + cx) * 3 + channel])
        case .zero:
            guard yy >= 0, yy < height, xx >= 0, xx < width else { return 0 }
            return Int(src[(yy * width + xx) * 3 + channel])
        }
    }

    /// The affine dst → src map of a `size`×`size` crop of `roi`: src = M · (u, v, 1), rows
    /// (m00, m01, m02) and (m10, m11, m12). Shared by `crop` and `cropReference`.
    static func affine(_ roi: PixelRect, size: Int) -> (Double, Double, Double, Double, Double, Double) {
        let c = cos(roi.rotation), s = sin(roi.rotation)
        let a = roi.width / Double(size), b = roi.height / Double(size)
        return (c * a, -s * b, roi.xCenter - 0.5 * roi.width * c + 0.5 * roi.height * s,
                s * a, c * b, roi.yCenter - 0.5 * roi.width * s - 0.5 * roi.height * c)
    }

    /// Reference for `crop`: every tap through the border rule, the affine map evaluated in full
    /// per pixel. `crop` must reproduce it bit for bit (ImageToTensorTests).
    static func cropReference(pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                            roi: PixelRect, size: Int, border: Border,
                            into output: UnsafeMutableBufferPointer<Float>) {
        precondition(pixels.count >= width * height * 3 && output.count >= size * size * 3)
        let (m00, m01, m02, m10, m11, m12) = affine(roi, size: size)
        let scale: Float = 1 / 255
        for v in 0..<size {
            for u in 0..<size {
                let x = m00 * Double(u) + m01 * Double(v) + m02
                let y = m10 * Double(u) + m11 * Double(v) + m12
                // OpenCV: cvRound(x · 32) (ties to even) on a 1/32-pixel grid (INTER_BITS = 5).
                let fx = Int(clamping: Int64((x * 32).rounded(.toNearestOrEven).clamped(-2_147_483_648, 2_147_483_647)))
                let fy = Int(clamping: Int64((y * 32).rounded(.toNearestOrEven).clamped(-2_147_483_648, 2_147_483_647)))
                let sx = fx >> 5, sy = fy >> 5, ax = fx & 31, ay = fy & 31
                // 15-bit weights: (32−ax)(32−ay)·32 … summing to 32768.
                let w00 = (32 - ax) * (32 - ay), w01 = ax * (32 - ay), w10 = (32 - ax) * ay, w11 = ax * ay
                let base = (v * size + u) * 3
                for channel in 0..<3 {
                    func tap(_ yy: Int, _ xx: Int) -> Int { borderTap(pixels.baseAddress!, width, height, border, yy, xx, channel) }
                    let acc = (tap(sy, sx) * w00 + tap(sy, sx + 1) * w01 + tap(sy + 1, sx) * w10
                               + tap(sy + 1, sx + 1) * w11) * 32
                    let value = min(max((acc + (1 << 14)) >> 15, 0), 255)
                    output[base + channel] = Float(value) * scale
                }
            }
        }
    }

    /// Reference sampler: plain float bilinear (what a naive port does). Kept for comparison in
    /// tests — it is *not* MediaPipe-exact (spec §2.1 measures up to 19.5 px landmark drift).
    public static func cropFloatBilinear(pixels: [UInt8], width: Int, height: Int, roi: PixelRect,
                                         size: Int, border: Border) -> [Float] {
        var out = [Float](repeating: 0, count: size * size * 3)
        let c = cos(roi.rotation), s = sin(roi.rotation)
        for v in 0..<size {
            for u in 0..<size {
                let lx = (Double(u) / Double(size) - 0.5) * roi.width
                let ly = (Double(v) / Double(size) - 0.5) * roi.height
                let x = roi.xCenter + c * lx - s * ly, y = roi.yCenter + s * lx + c * ly
                let x0 = Int(floor(x)), y0 = Int(floor(y))
                let fx = x - Double(x0), fy = y - Double(y0)
                for ch in 0..<3 {
                    func tap(_ yy: Int, _ xx: Int) -> Double {
                        if border == .zero, !(yy >= 0 && yy < height && xx >= 0 && xx < width) { return 0 }
                        let cy = min(max(yy, 0), height - 1), cx = min(max(xx, 0), width - 1)
                        return Double(pixels[(cy * width + cx) * 3 + ch])
                    }
                    let value = tap(y0, x0) * (1 - fx) * (1 - fy) + tap(y0, x0 + 1) * fx * (1 - fy)
                        + tap(y0 + 1, x0) * (1 - fx) * fy + tap(y0 + 1, x0 + 1) * fx * fy
                    out[(v * size + u) * 3 + ch] = Float(value / 255)
                }
            }
        }
        return out
    }
}

extension Double {
    @inlinable func clamped(_ low: Double, _ high: Double) -> Double { Swift.min(Swift.max(self, low), high) }
}
