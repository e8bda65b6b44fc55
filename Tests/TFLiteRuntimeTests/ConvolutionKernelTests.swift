import TensorCore
import XCTest
@testable import TFLiteRuntime

/// CONV_2D and DEPTHWISE_CONV_2D fast paths against the direct-loop references, over the
/// geometries the MediaPipe models use and some they do not (tails, dilation, VALID, multiplier 2).
final class ConvolutionKernelTests: XCTestCase {
    /// Padding rule checked against the examples in MEDIAPIPE_HANDS.md §1.4.
    func testSamePaddingIsAsymmetricAtStrideTwo() {
        XCTAssertTrue(convolutionGeometry(input: 192, kernel: 5, stride: 2, dilation: 1, padding: .same) == (96, 1))
        XCTAssertTrue(convolutionGeometry(input: 224, kernel: 3, stride: 2, dilation: 1, padding: .same) == (112, 0))
        XCTAssertTrue(convolutionGeometry(input: 96, kernel: 5, stride: 2, dilation: 1, padding: .same) == (48, 1))
        XCTAssertTrue(convolutionGeometry(input: 112, kernel: 3, stride: 2, dilation: 1, padding: .same) == (56, 0))
        XCTAssertTrue(convolutionGeometry(input: 24, kernel: 5, stride: 1, dilation: 1, padding: .same) == (24, 2))
        XCTAssertTrue(convolutionGeometry(input: 112, kernel: 2, stride: 2, dilation: 1, padding: .valid) == (56, 0))
        XCTAssertTrue(convolutionGeometry(input: 10, kernel: 3, stride: 1, dilation: 2, padding: .valid) == (6, 0))
    }

    func testConv2DMatchesNaiveReference() throws {
        var rng = SeededRandom(seed: 11)
        // (H, W, Cin, Cout, K, stride, padding, dilation, activation)
        let cases: [(Int, Int, Int, Int, Int, Int, Padding, Int, FusedActivation)] = [
            (9, 7, 16, 24, 1, 1, .valid, 1, .none),     // pointwise → one SGEMM
            (8, 8, 8, 12, 1, 1, .same, 1, .relu6),
            (12, 12, 3, 8, 5, 2, .same, 1, .none),      // palm stem geometry (even input, asym pad)
            (14, 14, 3, 8, 3, 2, .same, 1, .relu6),     // landmark stem geometry
            (11, 9, 5, 7, 3, 1, .valid, 1, .relu),
            (10, 10, 4, 6, 3, 1, .same, 2, .none),      // dilation
            (6, 6, 8, 8, 1, 2, .same, 1, .none),        // strided 1×1 → im2col path
            (7, 5, 24, 40, 1, 1, .same, 1, .relu6),     // odd rows, SIMD8 column tail in bias+clamp
            (3, 3, 40, 21, 1, 1, .same, 1, .none),
            (4, 4, 5, 3, 1, 1, .same, 1, .relu),        // fewer columns than one SIMD8
            (40, 36, 3, 16, 5, 2, .same, 1, .none),     // stem in blocks of 14 output rows (whole window rows copied)
            (30, 70, 3, 8, 3, 1, .same, 1, .relu6),     // blocks of 3 rows, clipped windows at both edges
        ]
        for (h, w, cin, cout, k, s, pad, d, act) in cases { for threads in [1, 2] {
            let (oh, top) = convolutionGeometry(input: h, kernel: k, stride: s, dilation: d, padding: pad)
            let (ow, left) = convolutionGeometry(input: w, kernel: k, stride: s, dilation: d, padding: pad)
            let batch = 2
            let x = randomFloats(batch * h * w * cin, &rng), filter = randomFloats(cout * k * k * cin, &rng)
            let bias = randomFloats(cout, &rng)
            let harness = KernelHarness(
                tensors: [.init(shape: [batch, h, w, cin]), .init(shape: [cout, k, k, cin], floats: filter),
                          .init(shape: [cout], floats: bias), .init(shape: [batch, oh, ow, cout])],
                builtin: .conv2D,
                options: .conv2D(Conv2DOptions(padding: pad, strideW: s, strideH: s, activation: act, dilationW: d, dilationH: d)),
                inputs: [0, 1, 2], outputs: [3])
            let fast = try harness.run([x], threads: threads)[0]
            var expected = [Float](repeating: 0, count: batch * oh * ow * cout)
            let g = ConvGeometry(batch: batch, inH: h, inW: w, inC: cin, outH: oh, outW: ow, outC: cout, kH: k, kW: k,
                                 strideH: s, strideW: s, dilationH: d, dilationW: d, padTop: top, padLeft: left)
            Conv2D.naive(g, x: x, w: filter, bias: bias, y: &expected, activation: ActivationClamp(act)!)
            XCTAssertLessThanOrEqual(maxAbsDifference(fast, expected), 1e-4, "conv \(h)×\(w)×\(cin)→\(cout) k\(k) s\(s) \(pad) d\(d) t\(threads)")
        }}
    }

    /// CKernels' im2col (fixed-size copies for the stems) gathers exactly the reference's floats:
    /// NaN and −0 copied as they are, padding zeros, dilation, VALID, row ranges inside the image.
    func testIm2colEqualsTheReferenceBitForBit() {
        var rng = SeededRandom(seed: 13)
        // (H, W, Cin, K, stride, padding, dilation)
        let cases: [(Int, Int, Int, Int, Int, Padding, Int)] = [
            (14, 14, 3, 3, 2, .same, 1), (12, 12, 3, 5, 2, .same, 1), (30, 70, 3, 3, 1, .same, 1),
            (11, 9, 5, 3, 1, .valid, 1), (10, 10, 4, 3, 1, .same, 2), (6, 6, 8, 1, 2, .same, 1),
            (9, 8, 2, 3, 1, .same, 1), (7, 7, 1, 5, 1, .same, 1),
            // No interior column (window wider than the image), VALID stride 2, one interior column.
            (3, 2, 3, 5, 1, .same, 1), (8, 9, 3, 3, 2, .valid, 1), (5, 4, 3, 5, 2, .same, 1),
        ]
        for (h, w, cin, k, s, pad, d) in cases {
            let (oh, top) = convolutionGeometry(input: h, kernel: k, stride: s, dilation: d, padding: pad)
            let (ow, left) = convolutionGeometry(input: w, kernel: k, stride: s, dilation: d, padding: pad)
            var x = randomFloats(h * w * cin, &rng)
            x[0] = .nan; x[x.count - 1] = -0.0
            let g = ConvGeometry(batch: 1, inH: h, inW: w, inC: cin, outH: oh, outW: ow, outC: 1, kH: k, kW: k,
                                 strideH: s, strideW: s, dilationH: d, dilationW: d, padTop: top, padLeft: left)
            for rows in [0..<oh, (oh / 2)..<oh, 1..<max(1, oh - 1)] where !rows.isEmpty {
                let count = rows.count * ow * k * k * cin
                var expected = [Float](repeating: 1, count: count), fast = [Float](repeating: 2, count: count)
                x.withUnsafeBufferPointer { xb in
                    Conv2D.im2col(g, x: xb.baseAddress!, rows: rows, cols: &expected)
                    Conv2D.im2colFast(g, x: xb.baseAddress!, rows: rows, cols: &fast)
                }
                XCTAssertEqual(fast.map(\.bitPattern), expected.map(\.bitPattern), "\(h)×\(w)×\(cin) k\(k) s\(s) \(pad) d\(d) rows \(rows)")
            }
        }
    }

    func testDepthwiseMatchesNaiveReference() throws {
        var rng = SeededRandom(seed: 12)
        // (H, W, C, multiplier, K, stride, padding, dilation, activation)
        let cases: [(Int, Int, Int, Int, Int, Int, Padding, Int, FusedActivation)] = [
            (12, 12, 32, 1, 5, 1, .same, 1, .none),     // palm dw 5×5 s1
            (12, 12, 32, 1, 5, 2, .same, 1, .none),     // palm dw 5×5 s2 (asymmetric pad)
            (14, 14, 24, 1, 3, 2, .same, 1, .relu6),    // landmark dw 3×3 s2
            (7, 9, 13, 1, 3, 1, .same, 1, .relu6),      // channel tail (13 = 8 + 5)
            (10, 11, 16, 1, 3, 1, .valid, 2, .none),    // dilation, VALID
            (6, 6, 4, 2, 3, 1, .same, 1, .none),        // depth multiplier 2 (reference path)
            (3, 3, 8, 1, 5, 1, .same, 1, .relu6),       // window larger than the image
            (2, 1, 19, 1, 6, 1, .same, 2, .none),       // dilated window wider than the image on both sides
            (11, 30, 48, 1, 5, 1, .same, 1, .relu6),    // sliding 8-pixel strips, 16-channel tiles, 1–3 pixel leftovers
            (9, 21, 72, 1, 3, 1, .same, 1, .none),      // sliding 3×3, 16 + 16 + 16 + 16 + 8 channels
            (13, 19, 44, 1, 5, 2, .same, 1, .relu6),    // stride 2: 4-pixel tiles, 8-channel tail + 4 scalar
            (7, 7, 1152, 1, 5, 1, .same, 1, .none),     // landmark 7×7: one clipped slide a row
            // Rows of 1–10 and 14 pixels: slides clipped on the left, the right or both, storing 1–8 pixels.
            (4, 1, 16, 1, 5, 1, .same, 1, .none), (3, 2, 24, 1, 3, 1, .same, 1, .relu6), (5, 5, 16, 1, 5, 1, .same, 1, .none),
            (3, 8, 24, 1, 5, 1, .same, 1, .none), (4, 9, 16, 1, 3, 1, .same, 1, .relu6), (3, 10, 40, 1, 5, 1, .same, 1, .none),
            (5, 14, 32, 1, 5, 1, .same, 1, .none), (4, 12, 8, 1, 5, 1, .valid, 1, .none),
            // Stride 2 in sliding strips: odd and even widths, padding on one side or both, VALID.
            (9, 15, 16, 1, 3, 2, .same, 1, .relu6), (6, 3, 24, 1, 5, 2, .same, 1, .none), (8, 30, 32, 1, 5, 2, .same, 1, .none),
            (7, 28, 8, 1, 3, 2, .valid, 1, .none), (5, 17, 48, 1, 5, 2, .same, 1, .relu6),
            (5, 40, 16, 1, 3, 2, .same, 1, .none),      // stride 2 on a wide map: 4-pixel tiles and edge pixels
        ]
        for (h, w, c, m, k, s, pad, d, act) in cases {
            for threads in [1, 2] {
                let (oh, top) = convolutionGeometry(input: h, kernel: k, stride: s, dilation: d, padding: pad)
                let (ow, left) = convolutionGeometry(input: w, kernel: k, stride: s, dilation: d, padding: pad)
                let x = randomFloats(h * w * c, &rng), filter = randomFloats(k * k * c * m, &rng), bias = randomFloats(c * m, &rng)
                let harness = KernelHarness(
                    tensors: [.init(shape: [1, h, w, c]), .init(shape: [1, k, k, c * m], floats: filter),
                              .init(shape: [c * m], floats: bias), .init(shape: [1, oh, ow, c * m])],
                    builtin: .depthwiseConv2D,
                    options: .depthwiseConv2D(DepthwiseConv2DOptions(padding: pad, strideW: s, strideH: s, depthMultiplier: m,
                                                                     activation: act, dilationW: d, dilationH: d)),
                    inputs: [0, 1, 2], outputs: [3])
                let fast = try harness.run([x], threads: threads)[0]
                // Every kernel path (portable, AVX, AVX-512's 16-channel sliding filter) the same bits.
                let original = KernelPath.active
                defer { KernelPath.force(original) }
                for path in KernelPath.allCases where path != original && KernelPath.force(path) {
                    let other = try harness.run([x], threads: threads)[0]
                    XCTAssertEqual(other.map(\.bitPattern), fast.map(\.bitPattern), "dw \(h)×\(w)×\(c) k\(k) s\(s) on \(path)")
                }
                KernelPath.force(original)
                var expected = [Float](repeating: 0, count: oh * ow * c * m)
                let g = ConvGeometry(batch: 1, inH: h, inW: w, inC: c, outH: oh, outW: ow, outC: c * m, kH: k, kW: k,
                                     strideH: s, strideW: s, dilationH: d, dilationW: d, padTop: top, padLeft: left)
                DepthwiseConv2D.naive(g, multiplier: m, x: x, w: filter, bias: bias, y: &expected, activation: ActivationClamp(act)!)
                XCTAssertLessThanOrEqual(maxAbsDifference(fast, expected), 1e-5, "dw \(h)×\(w)×\(c) m\(m) k\(k) s\(s) \(pad) d\(d) t\(threads)")
                if m == 1 {
                    // The kernels' contract, exactly: bias, plus x·w in Float over the window's taps
                    // inside the image in (ky, kx) order — the taps outside skipped, not added as zeros.
                    let clamp = ActivationClamp(act)!
                    var inOrder = [Float](repeating: 0, count: oh * ow * c)
                    for oy in 0..<oh { for ox in 0..<ow { for ch in 0..<c {
                        var acc = bias[ch]
                        for ky in 0..<k {
                            let iy = oy * s - top + ky * d
                            guard iy >= 0 && iy < h else { continue }
                            for kx in 0..<k {
                                let ix = ox * s - left + kx * d
                                guard ix >= 0 && ix < w else { continue }
                                acc = acc + x[(iy * w + ix) * c + ch] * filter[(ky * k + kx) * c + ch]
                            }
                        }
                        inOrder[(oy * ow + ox) * c + ch] = clamp.apply(acc)
                    }}}
                    XCTAssertEqual(fast.map(\.bitPattern), inOrder.map(\.bitPattern), "dw \(h)×\(w)×\(c) k\(k) s\(s) \(pad) in order")
                }
            }
        }
    }

    func testFullyConnectedMatchesNaiveReference() throws {
        var rng = SeededRandom(seed: 13)
        for (batch, inputs, outputs, keep) in [(1, 1152, 63, false), (3, 10, 7, true), (4, 33, 1, false)] {
            let x = randomFloats(batch * inputs, &rng), w = randomFloats(outputs * inputs, &rng), b = randomFloats(outputs, &rng)
            let outShape = keep ? [batch, outputs] : [batch, outputs]
            let harness = KernelHarness(
                tensors: [.init(shape: [batch, inputs]), .init(shape: [outputs, inputs], floats: w), .init(shape: [outputs], floats: b),
                          .init(shape: outShape)],
                builtin: .fullyConnected,
                options: .fullyConnected(FullyConnectedOptions(activation: .relu, weightsFormat: 0, keepNumDims: keep)),
                inputs: [0, 1, 2], outputs: [3])
            let fast = try harness.run([x])[0]
            var expected = [Float](repeating: 0, count: batch * outputs)
            FullyConnected.naive(batch: batch, inputs: inputs, outputs: outputs, x: x, w: w, bias: b, y: &expected,
                                 activation: ActivationClamp(.relu)!)
            XCTAssertLessThanOrEqual(maxAbsDifference(fast, expected), 1e-4)
        }
    }

    func testUnsupportedOptionsFailAtLoadNamingTheOp() {
        let harness = KernelHarness(
            tensors: [.init(shape: [1, 4, 4, 2]), .init(shape: [2, 1, 1, 2], floats: [1, 0, 0, 1]), .init(shape: [1, 4, 4, 2])],
            builtin: .conv2D, options: .conv2D(Conv2DOptions(padding: .same, strideW: 1, strideH: 1, activation: .tanh)),
            inputs: [0, 1], outputs: [2])
        XCTAssertThrowsError(try harness.makeKernel()) { error in
            guard case let TFLiteError.unsupportedOperator(index, op, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(index, 0)
            XCTAssertEqual(op, "CONV_2D")
            XCTAssertTrue(reason.contains("tanh"), reason)
        }
        let gather = KernelHarness(tensors: [.init(shape: [2]), .init(shape: [2])], builtin: BuiltinOperator(rawValue: 48),
                                   options: .none, inputs: [0], outputs: [1])
        XCTAssertThrowsError(try gather.makeKernel()) { error in
            XCTAssertTrue("\(error)".contains("TOPK_V2"), "\(error)")
        }
    }
}
