@testable import NeuralNets
import TensorCore
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Each fast kernel against its naive reference: eight-lane exp/sigmoid/tanh against glibc `expf`
/// forms, the vectorised LSTM cell against the scalar one, row-split parallel GEMMs against one
/// sgemm, and whole layers run with 2 worker threads against 1.
final class FastKernelTests: XCTestCase {
    override func tearDown() { NNThreads.count = 2 }

    func testVectorExpMatchesGlibcAndGatesSaturate() {
        // A dense sweep over the range the LSTM sees plus the saturated tails, and a length that
        // is not a multiple of 8 (the tail goes through the same vector code).
        var xs: [Float] = stride(from: -30, through: 30, by: 0.0037).map { Float($0) }
        xs += [-200, -100, -88, -87.5, -50, 0, 1e-7, -1e-7, 50, 88, 88.5, 100, 200, 0.25]
        let e = VectorMath.exp(xs)
        var worstExp: Float = 0
        for (x, ex) in zip(xs, e) {
            XCTAssert(ex.isFinite && ex > 0, "x = \(x)")
            if x > -87 && x < 88 { worstExp = max(worstExp, abs(ex - expf(x)) / expf(x)) }   // inside the clamp
        }
        XCTAssertLessThan(worstExp, 4e-7, "exp relative error")
        // Saturated gates through the vector cell: σ(−200) = 0, tanh(±200) = ±1 exactly.
        let H = 8
        var row = [Float](repeating: -200, count: H) + [Float](repeating: 200, count: H)
            + [Float](repeating: 200, count: H) + [Float](repeating: -200, count: H)   // i, f, g, o
        var c = [Float](repeating: 3, count: H), t = [Float](repeating: 0, count: H)
        var h = t, out = t
        Kernels.lstmCell(row: &row, H: H, c: &c, tanhC: &t, h: &h, out: &out)
        XCTAssertEqual(row[0], 0, accuracy: 1e-30)
        XCTAssertEqual(row[H], 1)
        XCTAssertEqual(row[2 * H], 1)
        XCTAssertEqual(c[0], 3)   // f = 1, i = 0
    }

    /// The LSTM kernels' portable, AVX and AVX-512 builds give the same bits (prediction is then
    /// the same on every CPU).
    func testLSTMKernelsGiveTheSameBitsOnEveryPath() throws {
        guard KernelPath.supported.hasAVX else { throw XCTSkip("no AVX on this CPU (\(KernelPath.cpuFeatures)): one path only") }
        defer { KernelPath.force(KernelPath.supported) }
        for H in [8, 13, 24, 128] {   // 24: an odd number of 8-unit blocks
            var rng = SeededRandom(seed: UInt64(H) + 100)
            var pre = Tensor.uniform([4 * H], low: -6, high: 6, using: &rng).scalars
            // Saturated and clamped lanes too (exp's clamp at −87.3 / 88.3), in every gate.
            for (k, v) in [-200, -88, 88.5, 100, 0, -1e-30, 40].enumerated() { pre[(k * 5 + 3) % (4 * H)] = Float(v) }
            let c0 = Tensor.uniform([H], low: -2, high: 2, using: &rng).scalars
            let w = Tensor.uniform([4 * H * H], low: -0.3, high: 0.3, using: &rng).scalars
            var results: [[Float]] = []
            for path in KernelPath.allCases where KernelPath.force(path) {
                var row = pre, c = c0, t = [Float](repeating: 0, count: H), h = t, out = t
                Kernels.lstmCell(row: &row, H: H, c: &c, tanhC: &t, h: &h, out: &out)
                var result = row + c + t + h
                if H % 8 == 0 {
                    let packed = w.withUnsafeBufferPointer { Kernels.packGateWeights($0.baseAddress!, H: H) }
                    var cs = c0, hs = [Float](repeating: 0, count: H)
                    Kernels.lstmStepPacked(pre: pre, packed: packed, H: H, hIn: h, c: &cs, hOut: &hs)
                    result += cs + hs
                }
                results.append(result)
            }
            XCTAssertGreaterThan(results.count, 1)
            for other in results.dropFirst() { XCTAssertEqual(results[0].map(\.bitPattern), other.map(\.bitPattern), "H = \(H)") }
        }
    }

    /// The fused ReLU + dropout pass (compare-and-select lanes) against the element-by-element
    /// reference, bit for bit, on every kernel path: NaN, ±0, ±∞, tails of 1–7, both modes.
    func testReluDropPassMatchesTheReferenceOnEveryPath() {
        defer { KernelPath.force(KernelPath.supported) }
        var rng = SeededRandom(seed: 41)
        for n in [1, 7, 8, 23, 1000] {
            var x = Tensor.uniform([n], low: -3, high: 3, using: &rng).scalars
            for (k, v) in [Float.nan, 0, -0.0, .infinity, -.infinity, 1e-40, -1e-40].enumerated() where k < n { x[(k * 3) % n] = v }
            let m0 = (0..<n).map { _ in rng.uniform() < 0.3 ? Float(0) : Float(1 / 0.7) }
            for dropping in [true, false] {
                var xr = x, mr = m0
                Dropout.reluThenDropNaive(&xr, mask: &mr, dropping: dropping)
                for path in KernelPath.allCases where KernelPath.force(path) {
                    var xf = x, mf = m0
                    xf.withUnsafeMutableBufferPointer { xb in
                        mf.withUnsafeMutableBufferPointer { mb in
                            Dropout.reluThenDropPass(xb.baseAddress!, mb.baseAddress!, count: n, dropping: dropping)
                        }
                    }
                    XCTAssertEqual(xf.map(\.bitPattern), xr.map(\.bitPattern), "x, n = \(n), dropping \(dropping), \(path)")
                    XCTAssertEqual(mf.map(\.bitPattern), mr.map(\.bitPattern), "mask, n = \(n), dropping \(dropping), \(path)")
                }
            }
            XCTAssertEqual({ var a = x, m = m0; Dropout.reluThenDropNaive(&a, mask: &m, dropping: false); return a.filter(\.isNaN).count }(), 0)
        }
    }

    func testLSTMCellMatchesScalarReference() {
        for H in [8, 13, 128] {   // 13: the scalar tail path too
            var rng = SeededRandom(seed: UInt64(H))
            let pre = Tensor.uniform([4 * H], low: -6, high: 6, using: &rng).scalars
            let c0 = Tensor.uniform([H], low: -2, high: 2, using: &rng).scalars
            var (rowF, cF, tF, hF, oF) = (pre, c0, [Float](repeating: 0, count: H), [Float](repeating: 0, count: H), [Float](repeating: 0, count: H))
            var (rowN, cN, tN, hN, oN) = (pre, c0, tF, hF, oF)
            Kernels.lstmCell(row: &rowF, H: H, c: &cF, tanhC: &tF, h: &hF, out: &oF)
            Kernels.lstmCellNaive(row: &rowN, H: H, range: 0..<H, c: &cN, tanhC: &tN, h: &hN, out: &oN)
            for (name, a, b) in [("gates", rowF, rowN), ("c", cF, cN), ("tanh c", tF, tN), ("h", hF, hN), ("out", oF, oN)] {
                let diff = zip(a, b).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(diff, 1e-6, "H=\(H) \(name)")
            }
            XCTAssertEqual(hF, oF)
        }
    }

    func testParallelGemmEqualsSerialForEveryTransposeCase() {
        NNThreads.count = 2
        var rng = SeededRandom(seed: 5)
        let (m, n, k) = (300, 70, 64)   // m·n·k above the threshold, odd split
        let a = Tensor.uniform([m * k], low: -1, high: 1, using: &rng).scalars
        let b = Tensor.uniform([k * n], low: -1, high: 1, using: &rng).scalars
        let c0 = Tensor.uniform([m * n], low: -1, high: 1, using: &rng).scalars
        XCTAssertGreaterThanOrEqual(m * n * k, Kernels.parallelGemmThreshold)
        for ta in [false, true] {
            for tb in [false, true] {
                let (lda, ldb) = (ta ? m : k, tb ? k : n)
                var serial = c0, parallel = c0
                Kernels.gemm(m: m, n: n, k: k, a: a, lda: lda, transposeA: ta, b: b, ldb: ldb, transposeB: tb,
                             c: &serial, ldc: n, alpha: 0.5, beta: 1)
                Kernels.parallelGemm(m: m, n: n, k: k, a: a, lda: lda, transposeA: ta, b: b, ldb: ldb, transposeB: tb,
                                     c: &parallel, ldc: n, alpha: 0.5, beta: 1)
                let diff = zip(serial, parallel).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(diff, 1e-5, "transposeA \(ta) transposeB \(tb)")
                // and against the naive triple loop
                var worst: Float = 0
                for i in stride(from: 0, to: m, by: 37) {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k { s += Double(ta ? a[p * m + i] : a[i * k + p]) * Double(tb ? b[j * k + p] : b[p * n + j]) }
                        worst = max(worst, abs(Float(0.5 * s + Double(c0[i * n + j])) - parallel[i * n + j]))
                    }
                }
                XCTAssertLessThan(worst, 1e-4)
            }
        }
    }

    /// The one-row GEMM (run as an sgemv, no packing) matches a Double dot product for every
    /// transpose combination, with strided A, alpha and beta accumulation, and equals row 0 of the
    /// same product done as a two-row sgemm.
    func testOneRowGemmMatchesNaiveAndTwoRowGemm() {
        var rng = SeededRandom(seed: 8)
        let (n, k, lda) = (4 * 128 + 3, 131, 3)
        for ta in [false, true] {
            for tb in [false, true] {
                // A: one row [k] (ta false) or one column of a [k, lda] matrix (ta true); B: [n,k] if tb else [k,n].
                let a = Tensor.uniform([k * lda], low: -1, high: 1, using: &rng).scalars
                let b = Tensor.uniform([n * k], low: -1, high: 1, using: &rng).scalars
                let c0 = Tensor.uniform([2 * n], low: -1, high: 1, using: &rng).scalars
                var fast = c0, twoRows = c0
                Kernels.gemm(m: 1, n: n, k: k, a: a, lda: ta ? lda : k, transposeA: ta, b: b, ldb: tb ? k : n,
                             transposeB: tb, c: &fast, ldc: n, alpha: 0.5, beta: 1)
                Kernels.gemm(m: 2, n: n, k: k, a: a, lda: ta ? lda : k, transposeA: ta, b: b, ldb: tb ? k : n,
                             transposeB: tb, c: &twoRows, ldc: n, alpha: 0.5, beta: 1)
                for j in 0..<n {
                    var s = 0.0
                    for p in 0..<k { s += Double(ta ? a[p * lda] : a[p]) * Double(tb ? b[j * k + p] : b[p * n + j]) }
                    XCTAssertEqual(fast[j], Float(0.5 * s + Double(c0[j])), accuracy: 1e-4, "ta \(ta) tb \(tb) j \(j)")
                    XCTAssertEqual(fast[j], twoRows[j], accuracy: 1e-4)
                }
                XCTAssertEqual(Array(fast[n...]), Array(c0[n...]), "only row 0 written")
            }
        }
    }

    /// The batch-parallel LSTM recurrence and the row-split conv GEMMs give the serial results.
    func testModelsWithTwoWorkersMatchOneWorker() {
        var rng = SeededRandom(seed: 9)
        let (B, T) = (40, 12)
        let x = Tensor.uniform([B, T, 63], low: -1, high: 1, using: &rng)
        var mask = [Float](repeating: 0, count: B * T)
        for b in 0..<B { for t in 0..<(T / 2 + b % (T / 2 + 1)) { mask[b * T + t] = 1 } }
        let m = Tensor(shape: [B, T], scalars: mask)
        let dLogits = Tensor.uniform([B, 7], low: -1, high: 1, using: &rng)
        for arch in [Architecture.lstm, .tcn] {
            var results: [(Tensor, Tensor, [Float])] = []
            for threads in [1, 2] {
                NNThreads.count = threads
                let model = ModelConfig(architecture: arch, sequenceLength: T, classCount: 7, hiddenDim: arch == .lstm ? 24 : 64,
                                        dropout: 0, bidirectional: arch == .lstm).makeModel(seed: 3)
                let y = model.forward(x, mask: m, training: true)   // dropout 0: deterministic, and cached for backward
                model.parameters.zeroGradients()
                let dx = model.backward(dLogits)
                results.append((y, dx, Array(UnsafeBufferPointer(start: model.parameters.gradients, count: model.parameters.count))))
            }
            XCTAssertLessThan(results[0].0.maxAbsDifference(results[1].0), 1e-6, "\(arch) logits")
            XCTAssertLessThan(results[0].1.maxAbsDifference(results[1].1), 1e-6, "\(arch) dX")
            let dg = zip(results[0].2, results[1].2).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(dg, 1e-5, "\(arch) parameter gradients")
            XCTAssertGreaterThan(results[1].2.map(abs).max()!, 0, "\(arch) gradients are not all zero")
        }
    }

    /// Dropout masks drawn four blocks at a time (CKernels) are the blocks' streams drawn one after
    /// another: odd lengths, a short last block, fewer and more than four blocks, 1 and 2 threads,
    /// successive draws from one generator.
    func testDropoutMaskEqualsTheBlockByBlockReference() {
        let block = Dropout.maskBlock
        for threads in [1, 2] {
            NNThreads.count = threads
            let dropout = Dropout(0.3, seed: 9)
            var reference = SeededRandom(seed: 9)
            for n in [3, block, 5 * block + 7, 8 * block, 9 * block + 1, 1] {
                _ = dropout.forward(Tensor(shape: [n], scalars: [Float](repeating: 1, count: n)), training: true)
                let expected = Dropout.drawMaskNaive(count: n, probability: 0.3, rng: &reference)
                XCTAssertEqual(dropout.currentMask.map(\.bitPattern), expected.map(\.bitPattern), "n = \(n), \(threads) threads")
            }
            _ = dropout.forward(Tensor(shape: [8 * block], scalars: [Float](repeating: 1, count: 8 * block)), training: true)
            let dropped = Double(dropout.currentMask.filter { $0 == 0 }.count) / Double(8 * block)
            XCTAssertEqual(dropped, 0.3, accuracy: 0.01, "dropped fraction")
        }
    }

    /// The fused ReLU + dropout of the TCN block equals ReLU then dropout (same seed: same mask,
    /// same outputs, same gradient), in training and in evaluation, NaN → 0 as ReLU.
    func testReluThenDropEqualsReLUThenDropout() {
        var rng = SeededRandom(seed: 31)
        var x = Tensor.uniform([3, 50_000], low: -1, high: 1, using: &rng)   // several mask blocks
        x.scalars[7] = .nan
        let dY = Tensor.uniform([3, 50_000], low: -1, high: 1, using: &rng)
        for training in [true, false] {
            let relu = ActivationLayer(.relu), separate = Dropout(0.3, seed: 4), fused = Dropout(0.3, seed: 4)
            let expected = separate.forward(relu.forward(x), training: training)
            var y = x
            fused.reluThenDrop(&y, training: training)
            XCTAssertEqual(y.scalars, expected.scalars, "training \(training)")
            XCTAssertEqual(fused.backward(dY).scalars, relu.backward(separate.backward(dY)).scalars, "training \(training)")
            XCTAssertEqual(y.scalars[7], 0)
        }
    }

    /// Dropout masks depend on the seed and the element count only, not on the worker count.
    func testDropoutMaskIsTheSameForOneAndTwoWorkers() {
        let x = Tensor(repeating: 1, shape: [100_003])
        var masks: [[Float]] = []
        for threads in [1, 2] {
            NNThreads.count = threads
            masks.append(Dropout(0.5, seed: 9).forward(x, training: true).scalars)
        }
        XCTAssertEqual(masks[0], masks[1])
        let dropped = masks[0].filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / 100_003, 0.5, accuracy: 0.01)
    }
}
